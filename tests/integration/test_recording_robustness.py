"""What becomes of a recording when things go wrong: the recorder killed, the disk at its floor, no capacity
for another composite, a recording the server never got to start. Real server, real headless participants;
the server killed mid-recording is in test_recording_restart.py."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from meetdesk.client.session import MeetingSession
from meetdesk.core.recordings import FINAL, RecordingStatus
from meetdesk.server.recordings.composer import probe
from meetdesk.server.recordings.service import (
    REPAIR_DETAILS,
    RecordingError,
    RecordingErrorCode,
    RecordingLimits,
    RecordingService,
)
from meetdesk.server.store.recordings import RecordingRecord
from tests.conftest import API_KEY, LiveServer
from tests.integration.meeting_helpers import create_room, until
from tests.integration.recording_media import meeting_of_three, play


async def _final(service: RecordingService, recording_id: str) -> RecordingRecord:
    """The recording once it has ended (the service's own watch moves it: polled, there is no event to await)."""
    record = await service.store.get(recording_id)
    deadline = time.monotonic() + 60
    while record is None or RecordingStatus(record.status) not in FINAL:
        assert time.monotonic() < deadline, record
        await asyncio.sleep(0.1)
        record = await service.store.get(recording_id)
    return record


async def _playing(service: RecordingService, record: RecordingRecord, seconds: float) -> None:
    """Until the recording's file plays for ``seconds`` (fragments reach the file as the recorder writes them)."""
    path = service.media_path(record)

    def enough() -> bool:
        played = probe(path)
        return played is not None and played[0] >= seconds

    await until(enough, timeout=60)


async def _everyone_seen(service: RecordingService, record: RecordingRecord) -> float:
    """Until every camera's capture has written a second of pictures (a capture starts at a keyframe, which a busy
    publisher may be slow to send); the recording's time then."""
    running = service._running[record.recording_id]

    def everyone() -> bool:
        cameras = [c for t, c in running.capture.captures if t.source == "camera"]
        return len(cameras) == 3 and all(c.stats().frames_written >= 30 for c in cameras)

    await until(everyone, timeout=60)
    return time.monotonic() - running.capture.origin


async def test_a_killed_recorder_leaves_a_playable_file_and_a_failed_recording(live_server: LiveServer) -> None:
    service = live_server.ctx.recordings
    assert service is not None
    room, people = await meeting_of_three(live_server)
    try:
        recording = await service.start(room["roomId"])
        await _playing(service, recording, await _everyone_seen(service, recording) + 0.5)
        pid = service._running[recording.recording_id].recorder.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        failed = await _final(service, recording.recording_id)
        # the room records again at once
        again = await service.start(room["roomId"])
        await service.stop(again.recording_id)
    finally:
        for person in people:
            await person.leave()
    assert failed.status == RecordingStatus.FAILED.value and failed.error_code == 500
    assert failed.error == "The recorder process was killed (signal 9) while recording."
    assert failed.details == "The video file plays up to the moment the recorder stopped."
    path = service.media_path(failed)
    assert failed.size == path.stat().st_size
    assert failed.duration_ms is not None and failed.duration_ms >= 2000
    played = play(path, [1, 2, 3])  # the partial file plays, with everyone in it
    assert played.duration >= 2.0 and all(share > 0.08 for share in played.colour_share.values()), played
    stored = await service.store.get(again.recording_id)
    assert stored is not None and stored.status == RecordingStatus.COMPLETE.value


async def test_the_disk_floor_refuses_a_start_and_stops_a_recording_before_the_disk_fills(
    live_server: LiveServer,
) -> None:
    service = live_server.ctx.recordings
    assert service is not None
    room, people = await meeting_of_three(live_server)
    try:
        free = service.free_bytes()
        service.limits = RecordingLimits(disk_floor=free + 1024**3)
        with pytest.raises(RecordingError) as refused:
            await service.start(room["roomId"])
        assert refused.value.code is RecordingErrorCode.DISK_FULL
        assert str(refused.value).startswith("The server's disk is nearly full (")
        assert await service.store.in_progress(room["roomId"]) is None
        service.limits = RecordingLimits(disk_floor=0)
        recording = await service.start(room["roomId"])
        await _playing(service, recording, 1.0)
        # the disk fills up (as far as the floor says): the recording stops by itself, its file whole
        service.limits = RecordingLimits(disk_floor=service.free_bytes() + 1024**3)
        stopped = await _final(service, recording.recording_id)
    finally:
        service.limits = RecordingLimits(disk_floor=0)
        for person in people:
            await person.leave()
    assert stopped.status == RecordingStatus.LIMIT_REACHED.value, stopped
    assert stopped.details == "End reason: Disk space low" and stopped.error is None
    path = service.media_path(stopped)
    assert stopped.size == path.stat().st_size and stopped.duration_ms is not None
    played = play(path, [1, 2, 3])
    assert abs(played.duration - stopped.duration_ms / 1000) < 0.1 and played.duration >= 1.0


async def test_a_start_beyond_the_composites_the_machine_can_take_is_refused_with_503(
    live_server: LiveServer,
) -> None:
    service = live_server.ctx.recordings
    assert service is not None
    service.limits = RecordingLimits(disk_floor=0, max_composites=1)
    first, second = await create_room(live_server), await create_room(live_server)
    # one person in each meeting is enough to record it
    people = [MeetingSession(room["moderatorUrl"], "Ana", source_id=1) for room in (first, second)]
    try:
        for person in people:
            await person.join()
        recording = await service.start(first["roomId"])
        with pytest.raises(RecordingError) as refused:
            await service.start(second["roomId"])
        assert refused.value.code is RecordingErrorCode.NO_CAPACITY
        async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
            response = await api.post("/api/v1/recordings", json={"roomId": second["roomId"]})
        assert response.status_code == 503, response.text
        assert response.json()["message"] == (
            "The server has no capacity for another recording: it is making as many as it can at once (1)"
        )
        await service.stop(recording.recording_id)
        # the composite is done: there is room for the next one
        other = await service.start(second["roomId"])
        await service.stop(other.recording_id)
    finally:
        for person in people:
            await person.leave()


async def test_a_start_the_recorder_does_not_confirm_in_time_is_refused_with_503(live_server: LiveServer) -> None:
    """OpenVidu Meet's "start not confirmed in time": no recorder process can load its job within a millisecond."""
    service = live_server.ctx.recordings
    assert service is not None
    service.limits = RecordingLimits(disk_floor=0, start_timeout=0.001)
    room = await create_room(live_server)
    person = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
    try:
        await person.join()
        async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
            response = await api.post("/api/v1/recordings", json={"roomId": room["roomId"]})
            assert response.status_code == 503, response.text
            assert response.json()["message"] == ("The recorder did not confirm that it started within 0.001 seconds")
            listed = (await api.get("/api/v1/recordings", params={"roomId": room["roomId"]})).json()["recordings"]
        [failed] = listed
        assert failed["status"] == "failed" and "did not confirm" in failed["error"]
        # the room can record again (nothing is left in progress), once the recorder has the time to start
        service.limits = RecordingLimits(disk_floor=0)
        recording = await service.start(room["roomId"])
        assert recording.status == RecordingStatus.ACTIVE.value
        await service.stop(recording.recording_id)
    finally:
        await person.leave()


async def test_recordings_left_unfinished_are_repaired(live_server: LiveServer) -> None:
    """What a restart finds: one recording that never started is aborted; one whose tracks are gone fails."""
    service = live_server.ctx.recordings
    assert service is not None
    starting = RecordingRecord("room-a--EG_aaaaaaaaaaaa--aaaaa", "room-a", "A", "starting", 1_000, filename="a.mp4")
    active = RecordingRecord("room-b--EG_bbbbbbbbbbbb--bbbbb", "room-b", "B", "active", 2_000, filename="b.mp4")
    await service.store.add(starting)
    await service.store.add(active)
    await service.repair_after_restart()
    await service.repairs_done()
    aborted = await service.store.get(starting.recording_id)
    assert aborted is not None and aborted.status == RecordingStatus.ABORTED.value
    assert aborted.error == "The server stopped while the recording was being made."
    assert aborted.details == REPAIR_DETAILS and aborted.end_date is not None
    failed = await service.store.get(active.recording_id)
    assert failed is not None and failed.status == RecordingStatus.FAILED.value and failed.error_code == 500
    assert failed.error is not None and failed.error.startswith(
        "The server stopped while the recording was being made. Its video file could not be made again: "
    )
    assert failed.details == REPAIR_DETAILS and failed.size is None

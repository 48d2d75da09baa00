"""Starting and stopping a room's recording on a live server with headless participants: the refusals, one
recording at a time, the capture on disk, and the recording stopping by itself when the meeting ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from meetdesk.client.session import MeetingSession
from meetdesk.core.recordings import FINAL, RecordingStatus
from meetdesk.server.recordings.capture import read_manifest
from meetdesk.server.recordings.service import RecordingError, RecordingErrorCode
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def test_a_recording_starts_once_stops_and_refuses_what_it_cannot_do(live_server: LiveServer) -> None:
    service = live_server.ctx.recordings
    assert service is not None
    room = await create_room(live_server)
    room_id = room["roomId"]
    with pytest.raises(RecordingError) as refused:
        await service.start("nobody-here")
    assert refused.value.code is RecordingErrorCode.ROOM_NOT_FOUND
    with pytest.raises(RecordingError) as refused:
        await service.start(room_id)
    assert refused.value.code is RecordingErrorCode.NO_PARTICIPANTS
    disabled = await create_room(live_server, config={"recording": {"enabled": False}})
    with pytest.raises(RecordingError) as refused:
        await service.start(disabled["roomId"])
    assert refused.value.code is RecordingErrorCode.RECORDING_DISABLED
    assert str(refused.value) == f"Recording is disabled for room '{disabled['roomId']}'."

    ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2)
    await ana.join()
    await bo.join()
    try:
        ana_id, bo_id = ana.joined.you.identity, bo.joined.you.identity  # type: ignore[union-attr]
        await until(lambda: frames_from(ana, bo_id) >= 5 and frames_from(bo, ana_id) >= 5)
        recording = await service.start(room_id)
        assert recording.status == "active" and recording.recording_id.startswith(f"{room_id}--EG_")
        assert recording.filename == f"{room_id}--{recording.recording_id.rsplit('--', 1)[1]}.mp4"
        with pytest.raises(RecordingError) as refused:
            await service.start(room_id)
        assert refused.value.code is RecordingErrorCode.ALREADY_RECORDING
        tracks = service.tracks_dir(recording.recording_id)
        assert {(t.identity, t.source) for t in read_manifest(tracks)} == {
            (i, s) for i in (ana_id, bo_id) for s in ("camera", "microphone")
        }
        # the capture's files grow as frames arrive (no event to await: polled)
        # (a file is made once its track's first second is placed on the recording's clock)
        await until(lambda: all(_size(tracks / t.file) > 20_000 for t in read_manifest(tracks)))
        ending = await service.stop(recording.recording_id)
        assert ending.status == "ending" and ending.details == "End reason: StopEgress API"
        assert ending.end_date is not None and ending.end_date >= ending.start_date
        stored = await service.store.get(recording.recording_id)
        # the recorder made the video file (tests/integration/test_recording_composite.py plays it back), and the
        # room may record again
        assert stored is not None and stored.status == "complete" and stored.error_code is None
        assert stored.size == service.media_path(stored).stat().st_size and stored.duration_ms
        assert (stored.end_date, stored.details) == (ending.end_date, ending.details)
        assert all(_size(tracks / t.file) > 20_000 for t in read_manifest(tracks))  # the tracks are kept
        with pytest.raises(RecordingError) as refused:
            await service.stop(recording.recording_id)
        assert refused.value.code is RecordingErrorCode.NOT_ACTIVE

        # a second recording of the same meeting, and the meeting ends under it
        second = await service.start(room_id)
    finally:
        await ana.leave()
        await bo.leave()
    # the meeting ends when the last one leaves, and its hooks run after: the store is polled (no event for it)
    stopped = await service.store.get(second.recording_id)
    for _ in range(200):
        if stopped is not None and RecordingStatus(stopped.status) in FINAL:
            break
        await asyncio.sleep(0.05)
        stopped = await service.store.get(second.recording_id)
    assert stopped is not None
    assert stopped.model().status is RecordingStatus.COMPLETE and stopped.details == "End reason: Meeting ended"
    assert await service.store.in_progress(room_id) is None

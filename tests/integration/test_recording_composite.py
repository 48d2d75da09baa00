"""The composite recorder end to end: a real server, headless participants with synthetic cameras and
microphones, a recording started and stopped through the service, and its MP4 played back."""

from __future__ import annotations

import time

from meetdesk.core.recordings import RecordingStatus
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import until
from tests.integration.recording_media import meeting_of_three, play, tone


async def test_a_three_person_meeting_is_recorded_into_a_playable_mp4(live_server: LiveServer) -> None:
    service = live_server.ctx.recordings
    assert service is not None
    room, people = await meeting_of_three(live_server)
    try:
        before_start = time.monotonic()
        recording = await service.start(room["roomId"])
        started = time.monotonic()
        assert recording.status == RecordingStatus.ACTIVE.value
        tracks = service.tracks_dir(recording.recording_id)
        # the capture's files grow as media arrives (no event to await: polled)
        await until(lambda: len(list(tracks.glob("*.webm"))) == 6 and time.monotonic() - started > 4.0)
        stopping = time.monotonic()
        ending = await service.stop(recording.recording_id)
        stopped = time.monotonic()
    finally:
        for person in people:
            await person.leave()
    assert ending.status == RecordingStatus.ENDING.value
    stored = await service.store.get(recording.recording_id)
    assert stored is not None and stored.status == RecordingStatus.COMPLETE.value, stored
    assert stored.error is None and stored.error_code is None
    path = service.media_path(stored)
    assert path.name == f"{room['roomId']}--{recording.recording_id.rsplit('--', 1)[1]}.mp4"
    assert stored.size == path.stat().st_size
    played = play(path, [1, 2, 3])
    assert (played.video_codec, played.audio_codec) == ("h264", "aac")
    assert (played.width, played.height) == (1280, 720)
    # the recording lasts from its start to its stop
    assert stored.duration_ms is not None and abs(played.duration - stored.duration_ms / 1000) < 0.1
    assert stopping - started - 0.3 <= played.duration <= stopped - before_start + 0.3, played.duration
    # everyone's camera is in the grid: each colour code covers a good part of a picture
    assert all(share > 0.08 for share in played.colour_share.values()), played.colour_share
    # and everyone's tone is heard in the mix
    assert len(played.sound) > 3 * played.sample_rate
    for source in (1, 2, 3):
        assert played.tone_energy(tone(source)) > 20, (source, played.tone_energy(tone(source)))


async def test_the_speaker_layouts_show_the_one_who_speaks(live_server: LiveServer) -> None:
    """Bo speaks, Ana and Cy are muted: the speaker layout shows Bo large and the others small; single-speaker
    shows Bo alone."""
    service = live_server.ctx.recordings
    assert service is not None
    shares = {}
    for layout in ("speaker", "single-speaker"):
        room, people = await meeting_of_three(live_server, {"recording": {"layout": layout}}, ana=True, cy=True)
        try:
            recording = await service.start(room["roomId"])
            assert recording.layout == layout
            started = time.monotonic()
            await until(lambda: time.monotonic() - started > 4.0)  # noqa: B023 - awaited before the next loop
            await service.stop(recording.recording_id)
        finally:
            for person in people:
                await person.leave()
        stored = await service.store.get(recording.recording_id)
        assert stored is not None and stored.status == RecordingStatus.COMPLETE.value, stored
        shares[layout] = play(service.media_path(stored), [1, 2, 3]).colour_share
    speaker, single = shares["speaker"], shares["single-speaker"]
    assert speaker[2] > 0.4 and 0.01 < speaker[1] < 0.15 and 0.01 < speaker[3] < 0.15, speaker
    assert single[2] > 0.6 and single[1] < 0.01 and single[3] < 0.01, single

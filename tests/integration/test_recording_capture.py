"""Capture of a recorded meeting: real headless participants through the SFU, every forwarded track written to
a WebM file of its own that decodes (PyAV), lines up on the recording's clock, and survives being cut short."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import av

from meetdesk.client.media.synthetic import decode_marker
from meetdesk.client.session import MeetingSession
from meetdesk.server.recordings.capture import RoomCapture, read_manifest
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until


def decoded(path: Path) -> tuple[int, float, float, set[int]]:
    """(frames, first and last timestamp in seconds, colour codes seen) of the file's only stream, decoded."""
    frames, first, last, markers = 0, -1.0, 0.0, set()
    with av.open(str(path)) as container:
        [stream] = container.streams
        for frame in container.decode(stream):
            assert frame.pts is not None and frame.time_base is not None
            seconds = float(frame.pts * frame.time_base)
            first = seconds if first < 0 else first
            last = seconds
            frames += 1
            if isinstance(frame, av.VideoFrame) and frames % 10 == 1:
                markers.add(decode_marker(frame)[0])
    return frames, first, last, markers


async def test_every_forwarded_track_is_captured_and_decodes_even_cut_short(
    live_server: LiveServer, tmp_path: Path
) -> None:
    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2)
    await ana.join()
    await bo.join()
    cy = MeetingSession(room["speakerUrl"], "Cy", source_id=3)
    ana_id, bo_id = ana.joined.you.identity, bo.joined.you.identity  # type: ignore[union-attr]
    media = live_server.ctx.meetings.media
    assert media is not None
    directory = tmp_path / "capture"
    try:
        await until(lambda: frames_from(ana, bo_id) >= 10 and frames_from(bo, ana_id) >= 10)
        capture = media.start_capture(room["roomId"], directory)
        assert isinstance(capture, RoomCapture)
        files = {(t.identity, t.source): t.file for t in read_manifest(directory)}
        assert set(files) == {(i, s) for i in (ana_id, bo_id) for s in ("camera", "microphone")}
        # frames arrive on aiortc's schedule: counted, not awaited
        await until(lambda: all(c.stats().frames_written >= 30 for _, c in capture.captures))
        # someone who joins while the room records is recorded from when they publish
        late_at = time.monotonic() - capture.origin
        await cy.join()
        cy_id = cy.joined.you.identity  # type: ignore[union-attr]
        await until(lambda: len(read_manifest(directory)) == 6)
        files = {(t.identity, t.source): t.file for t in read_manifest(directory)}
        assert {(cy_id, "camera"), (cy_id, "microphone")} < set(files)
        await until(lambda: all(c.stats().frames_written >= 30 for _, c in capture.captures))
        # what a crash would leave now: the files as they are mid-recording, and cut at an odd byte
        cut = tmp_path / "cut"
        cut.mkdir()
        for name in files.values():
            shutil.copy(directory / name, cut / name)
            size = (cut / name).stat().st_size
            with (cut / name).open("r+b") as file:
                file.truncate(size - 7)
        await until(lambda: all(c.stats().frames_written >= 90 for _, c in capture.captures))
        started = capture.origin
        media.stop_capture(room["roomId"])
        stopped = time.monotonic()
    finally:
        await ana.leave()
        await bo.leave()
        await cy.leave()
    length = stopped - started
    stats = capture.stats()
    assert all(s.frames_dropped == 0 and s.queued == 0 for s in stats.values()), stats
    for (identity, source), name in files.items():
        frames, first, last, markers = decoded(directory / name)
        assert frames == stats[name].frames_written, (name, frames, stats[name])  # all of it, once it stopped
        # on the recording's clock: starts near its beginning (or when the late one joined), ends near its end
        if identity == cy_id:
            assert frames >= 30 and late_at < first < late_at + 5.0, (name, frames, first, late_at)
        else:
            assert frames >= 90 and 0 <= first < 1.0, (name, frames, first)
        # every frame written has its own time: a capture with gaps or doubled timestamps would not add up (on a
        # busy machine the synthetic devices fall behind the wall clock, so the file may end before the recording)
        assert last <= length + 0.3, (name, last, length)
        if source == "microphone":
            assert abs(last - first - (frames - 1) * 0.02) < 0.05, (name, first, last, frames)
        if source == "camera":
            # the publisher's own pictures: its colour code is drawn into every frame
            assert markers == {1 if identity == ana_id else 2 if identity == bo_id else 3}, name
        partial, _, partial_last, _ = decoded(cut / name)
        assert 20 <= partial < frames and partial_last > first + 0.3, (name, partial, partial_last)

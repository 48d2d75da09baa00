"""The capture's hand-over from the SFU: bounded, never blocking; what does not fit is dropped and counted, and a
video capture that lost frames waits for (and asks for) a keyframe rather than write frames nobody can decode."""

from __future__ import annotations

import time
from pathlib import Path

from meetdesk.server.recordings.capture import TrackCapture, vp8_size
from meetdesk.server.sfu.frames import EncodedFrame

# a VP8 keyframe's first ten bytes: frame tag, start code, 640 x 480
KEYFRAME = b"\x10\x02\x00\x9d\x01\x2a" + (640).to_bytes(2, "little") + (480).to_bytes(2, "little") + b"\0" * 20
DELTA = b"\x11\x02\x00" + b"\0" * 20


def frame(kind: str, number: int, *, keyframe: bool = False) -> EncodedFrame:
    data = (KEYFRAME if keyframe else DELTA) if kind == "video" else b"\xf8\xff\xfe"
    ticks = 3000 if kind == "video" else 960
    return EncodedFrame(kind, data, number * ticks, keyframe, ssrc=1, received_at=time.monotonic())


def test_a_writer_that_falls_behind_loses_frames_counted_instead_of_holding_up_the_sfu(tmp_path: Path) -> None:
    # the writer thread is not started: it is as far behind as can be
    capture = TrackCapture(tmp_path / "mic.webm", "audio", time.monotonic(), max_queue=3)
    for number in range(10):
        capture.offer(frame("audio", number))  # returns at once, whatever the queue holds
    stats = capture.stats()
    assert (stats.queued, stats.frames_dropped, stats.frames_written) == (3, 7, 0)


def test_a_video_capture_that_lost_frames_asks_for_a_keyframe_and_starts_again_there(tmp_path: Path) -> None:
    asked: list[int] = []
    capture = TrackCapture(
        tmp_path / "cam.webm", "video", time.monotonic(), max_queue=2, on_keyframe_needed=lambda: asked.append(1)
    )
    capture.offer(frame("video", 0))  # before the first keyframe: nothing to start on
    capture.offer(frame("video", 1, keyframe=True))
    capture.offer(frame("video", 2))
    capture.offer(frame("video", 3))  # the queue is full: dropped, and a keyframe asked for
    capture.offer(frame("video", 4))  # not a keyframe: not written (it depends on the one lost)
    stats = capture.stats()
    assert (stats.queued, stats.frames_dropped, stats.frames_skipped) == (2, 1, 2)
    assert asked == [1]


def test_the_picture_size_is_read_from_a_vp8_keyframe() -> None:
    assert vp8_size(KEYFRAME) == (640, 480)

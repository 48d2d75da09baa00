"""One captured track decoded on a thread of its own, a little ahead of the composite that reads it.

A :class:`TrackReader` follows its WebM file as the capture writes it (:class:`~.follow.FollowedFile`),
decodes VP8 pictures or Opus sound and keeps them by their time on the recording's clock. It never runs
more than :data:`AHEAD_S` ahead of the composite (memory stays bounded however fast the files are read), and
says how far it has got (:attr:`TrackReader.frontier`) so that the composite knows when a moment is whole.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt

from meetdesk.recorder.follow import FollowedFile
from meetdesk.server.recordings.capture import CapturedTrack

logger = logging.getLogger(__name__)

AHEAD_S: Final = 2.0
MIX_RATE: Final = 48_000  # the mix's sample rate (Opus decodes at 48 kHz)

Samples = npt.NDArray[np.float32]


class TrackReader:
    """Decodes ``path`` (one track of ``track``'s kind) on its own thread; ``finished()`` tells it that the file
    will not grow any more, so its end is the track's end."""

    def __init__(self, track: CapturedTrack, path: Path, finished: Callable[[], bool]) -> None:
        self.track = track
        self.kind = track.kind
        self._path = path
        self._cond = threading.Condition()
        self._finished = finished
        self._horizon = 0.0
        self._frontier = -1.0
        self._done = False
        self._quit = False
        self._file: FollowedFile | None = None
        self._pictures: deque[tuple[float, av.VideoFrame]] = deque()
        self._current: tuple[float, av.VideoFrame] | None = None
        self._sound: deque[tuple[int, Samples]] = deque()
        self._thread = threading.Thread(target=self._run, name=f"track-{path.name}", daemon=True)

    def start(self) -> TrackReader:
        self._thread.start()
        return self

    @property
    def frontier(self) -> float:
        """Seconds up to which the track is decoded (-1 before its first frame)."""
        return self._frontier

    @property
    def done(self) -> bool:
        """Whether the whole file is decoded (or could not be read further)."""
        return self._done

    def ready_for(self, t: float) -> bool:
        """Whether everything the track has up to ``t`` seconds is decoded."""
        return self._done or self._frontier >= t

    def advance(self, t: float) -> None:
        """The composite is at ``t``: the thread may decode up to :data:`AHEAD_S` past it."""
        with self._cond:
            self._horizon = t
            self._cond.notify_all()

    def quit(self) -> None:
        """Stop decoding (the composite ends early)."""
        with self._cond:
            self._quit = True
            self._cond.notify_all()
        if self._file is not None:
            self._file.close()

    # -- the composite's side

    def picture_at(self, t: float) -> tuple[float, av.VideoFrame] | None:
        """The last picture shown at ``t`` and its time (None before the first one)."""
        with self._cond:
            while self._pictures and self._pictures[0][0] <= t:
                self._current = self._pictures.popleft()
            return self._current

    def sound(self, first: int, count: int) -> Samples | None:
        """The track's sound for samples ``first`` to ``first + count`` (silence where it has none), or None
        when it has nothing there at all. Sound before ``first`` is forgotten."""
        end = first + count
        out: Samples | None = None
        with self._cond:
            while self._sound and self._sound[0][0] + len(self._sound[0][1]) <= first:
                self._sound.popleft()
            for start, samples in self._sound:
                if start >= end:
                    break
                lo, hi = max(start, first), min(start + len(samples), end)
                if lo < hi:
                    if out is None:
                        out = np.zeros(count, dtype=np.float32)
                    out[lo - first : hi - first] += samples[lo - start : hi - start]
        return out

    # -- the decoding thread

    def _run(self) -> None:
        try:
            self._file = FollowedFile(self._path, lambda: self._finished() or self._quit)
            # the format is known: no probing, which would wait for megabytes of a file that grows slowly
            options = {"probesize": "4096", "analyzeduration": "0"}
            with av.open(self._file, "r", format="matroska", options=options) as c:
                stream = c.streams[0]
                for packet in c.demux(stream):
                    for frame in packet.decode():
                        if not self._keep(frame):
                            return
        except (av.FFmpegError, OSError, ValueError) as exc:  # a damaged or missing file: the track ends here
            logger.warning("Track %s ends early: %r", self._path.name, exc)
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _keep(self, frame: object) -> bool:
        if not isinstance(frame, av.VideoFrame | av.AudioFrame) or frame.pts is None or frame.time_base is None:
            return True
        seconds = float(frame.pts * frame.time_base)
        with self._cond:
            # nothing comes before this frame: the track is known up to it (a gap in a track, a camera off for a
            # while, must not hold up the composite that waits for the track while the track waits for it)
            self._frontier = max(self._frontier, seconds - 1e-6)
            self._cond.notify_all()
            while seconds > self._horizon + AHEAD_S and not self._quit:
                self._cond.wait()
            if self._quit:
                return False
            if isinstance(frame, av.VideoFrame):
                self._pictures.append((seconds, frame))
                self._frontier = seconds
            elif isinstance(frame, av.AudioFrame):
                samples = _mono(frame)
                self._sound.append((round(seconds * MIX_RATE), samples))
                self._frontier = seconds + len(samples) / MIX_RATE
            self._cond.notify_all()
        return True


def _mono(frame: av.AudioFrame) -> Samples:
    """A decoded audio frame as float32 mono at :data:`MIX_RATE` in [-1, 1]."""
    if frame.sample_rate != MIX_RATE or frame.format.name not in ("fltp", "flt"):
        resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=MIX_RATE)
        frames = resampler.resample(frame)
        if not frames:
            return np.zeros(0, dtype=np.float32)
        frame = frames[0]
    data = frame.to_ndarray()
    if frame.format.is_planar:
        return np.asarray(data.mean(axis=0), dtype=np.float32)
    channels = len(frame.layout.channels)
    return np.asarray(data.reshape(-1, channels).mean(axis=1), dtype=np.float32)

"""Capture of a recorded room's forwarded tracks: encoded VP8 / Opus written as they arrive, never transcoded.

While a room records, every track its SFU forwards gets a :class:`TrackCapture`: the forwarder hands
each frame over (:meth:`TrackCapture.offer`, a bounded queue, never blocking) and a writer thread
muxes it into a Matroska/WebM file of its own (``<n>-<identity>-<source>.webm``). The file is
written in Matroska's live mode (clusters of unknown size, no index at the end) and flushed after
every frame, so whatever a crash leaves on disk, cut anywhere, decodes up to its last whole frame.

Every file's timestamps are on the recording's clock (milliseconds since :class:`RoomCapture`
started): a track that starts late starts late in its file, and the composite lines the tracks up
by timestamp alone. ``capture.json`` in the directory lists the tracks (who, what, which file).

When the writer falls behind, frames are dropped and counted (:attr:`CaptureStats.frames_dropped`)
instead of holding up forwarding; a video track then waits for its next keyframe (asked of the
publisher) so that the file never holds a frame its decoder cannot use.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import av

from meetdesk.rtc.clock import AUDIO_CLOCK_RATE, VIDEO_CLOCK_RATE
from meetdesk.server.sfu.frames import EncodedFrame

logger = logging.getLogger(__name__)

DEFAULT_QUEUE: Final = 90  # frames: three seconds of 30 fps video, almost two of 20 ms audio
MANIFEST: Final = "capture.json"
_TIME_BASE: Final = Fraction(1, 1000)  # Matroska's timestamps are in milliseconds
_CLUSTER_MS: Final = 250  # a cluster reaches the file when it ends: a crash loses the last one at most
# OpusHead (RFC 7845 section 5.1): version 1, 2 channels (what WebRTC sends), pre-skip 312, 48 kHz, no gain, mapping 0
_OPUS_HEAD: Final = (
    b"OpusHead" + bytes([1, 2]) + (312).to_bytes(2, "little") + (48000).to_bytes(4, "little") + b"\0\0\0"
)
_STOP: Final = object()
PLACEMENT_S: Final = 1.0  # the first second of a track places it on the recording's clock (see _anchor)


def _anchor(frames: list[tuple[bytes, int, float, bool]], clock: int) -> tuple[int, float]:
    """Where a track's RTP clock sits on the recording's: timestamp ``t`` is ``s`` seconds in.

    Taken from the frame that arrived least late for its timestamp among ``frames`` (the track's first
    :data:`PLACEMENT_S` seconds): a frame held up (a big keyframe, a busy loop) would place the whole track late.
    """
    first = frames[0][1]
    return first, min(arrived - (timestamp - first) / clock for _, timestamp, arrived, _ in frames)


def vp8_size(keyframe: bytes) -> tuple[int, int]:
    """Width and height of a VP8 keyframe (RFC 6386 section 9.1: 14 bits each after the start code)."""
    return int.from_bytes(keyframe[6:8], "little") & 0x3FFF, int.from_bytes(keyframe[8:10], "little") & 0x3FFF


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """Counters of one track's capture: frames written to the file, dropped (the writer fell behind, and the
    video frames until the next keyframe), skipped (video before the first keyframe), queued now."""

    frames_written: int
    frames_dropped: int
    frames_skipped: int
    queued: int


@dataclass(frozen=True, slots=True)
class CapturedTrack:
    """One line of ``capture.json``: whose track, which source, which file (relative to the directory)."""

    identity: str
    source: str
    kind: str
    file: str


class TrackCapture:
    """Writes one forwarded track to ``path`` from a thread of its own.

    ``origin`` is the ``time.monotonic()`` the recording's clock starts at. ``on_keyframe_needed`` is called
    (on the caller's thread of :meth:`offer`) when a video capture lost frames and waits for a keyframe.
    """

    def __init__(
        self,
        path: Path,
        kind: str,
        origin: float,
        *,
        max_queue: int = DEFAULT_QUEUE,
        on_keyframe_needed: Callable[[], None] | None = None,
    ) -> None:
        if kind not in ("audio", "video"):
            raise ValueError(f"cannot capture {kind!r} media")
        self.path = path
        self.kind = kind
        self._origin = origin
        self._clock = VIDEO_CLOCK_RATE if kind == "video" else AUDIO_CLOCK_RATE
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._on_keyframe_needed = on_keyframe_needed
        self._waiting_for_keyframe = kind == "video"
        self._last_pts = -1
        self._written = 0
        self._dropped = 0
        self._skipped = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"capture-{path.name}", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> TrackCapture:
        self._thread.start()
        return self

    def stats(self) -> CaptureStats:
        return CaptureStats(self._written, self._dropped, self._skipped, self._queue.qsize())

    # -- the SFU's side (event loop thread): never blocks

    def offer(self, frame: EncodedFrame) -> None:
        """Queue ``frame`` for the file; drop it (counted) when the writer is behind."""
        if self._closed:
            return
        if self._waiting_for_keyframe:
            if not frame.keyframe:
                self._skipped += 1
                return
            self._waiting_for_keyframe = False
        elif frame.after_loss and not frame.keyframe and self.kind == "video":
            self._skipped += 1
            self._want_keyframe()
            return
        try:
            self._queue.put_nowait((frame.data, frame.timestamp, frame.received_at - self._origin, frame.keyframe))
        except queue.Full:
            self._dropped += 1
            if self.kind == "video":
                self._want_keyframe()

    def _want_keyframe(self) -> None:
        self._waiting_for_keyframe = True
        if self._on_keyframe_needed is not None:
            self._on_keyframe_needed()

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued, end the file and wait for the writer (``timeout`` s at most). Idempotent."""
        if not self._closed:
            self._closed = True
            if self._thread.is_alive():
                self._queue.put(_STOP)  # the writer is emptying the queue: there is room soon
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the writer thread

    def _run(self) -> None:
        container: Any = None
        stream: Any = None
        pending: list[tuple[bytes, int, float, bool]] = []
        anchor: tuple[int, float] | None = None
        try:
            while True:
                item = self._queue.get()
                if item is not _STOP:
                    pending.append(item)
                    if anchor is None and pending[-1][2] - pending[0][2] < PLACEMENT_S:
                        continue
                if not pending:
                    break
                if anchor is None:
                    anchor = _anchor(pending, self._clock)
                for data, timestamp, _, keyframe in pending:
                    seconds = anchor[1] + (timestamp - anchor[0]) / self._clock
                    if seconds < 0 and self.kind == "audio":
                        self._skipped += 1  # sound from before the recording started (it arrived late)
                        continue
                    if container is None:
                        container, stream = self._open(data)
                    # Matroska wants increasing timestamps
                    pts = self._last_pts = max(round(seconds * 1000), self._last_pts + 1, 0)
                    packet = av.Packet(data)
                    packet.pts = packet.dts = pts
                    packet.time_base = _TIME_BASE
                    packet.is_keyframe = keyframe
                    packet.stream = stream
                    container.mux(packet)
                    self._written += 1
                pending.clear()
                if item is _STOP:
                    break
        except Exception as exc:  # a full disk, a file removed: the capture ends, the meeting goes on
            self.error = exc
            self._closed = True
            logger.error("Capture %s failed: %r", self.path.name, exc)
        finally:
            if container is not None:
                try:
                    container.close()
                except Exception as exc:  # whatever PyAV raises, the frames are on disk already
                    logger.warning("Capture %s did not close cleanly: %r", self.path.name, exc)

    def _open(self, first: bytes) -> tuple[Any, Any]:
        # flush_packets: every frame reaches the file (the OS) as soon as it is muxed, not when a buffer fills
        options = {"live": "1", "cluster_time_limit": str(_CLUSTER_MS), "flush_packets": "1"}
        container = av.open(str(self.path), "w", format="webm", options=options)
        stream: Any
        if self.kind == "video":
            stream = container.add_stream("vp8")
            stream.width, stream.height = vp8_size(first)
        else:
            stream = container.add_stream("opus", rate=AUDIO_CLOCK_RATE)
            stream.codec_context.extradata = _OPUS_HEAD
        stream.time_base = _TIME_BASE
        container.start_encoding()
        return container, stream


class RoomCapture:
    """Every forwarded track of one room, captured into ``directory`` while the room records."""

    def __init__(self, directory: Path, *, max_queue: int = DEFAULT_QUEUE) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.origin = time.monotonic()
        self._max_queue = max_queue
        self._tracks: list[tuple[CapturedTrack, TrackCapture]] = []
        self.closed = False

    @property
    def captures(self) -> list[tuple[CapturedTrack, TrackCapture]]:
        return list(self._tracks)

    def add(
        self, identity: str, source: str, kind: str, on_keyframe_needed: Callable[[], None] | None = None
    ) -> TrackCapture:
        """A new file for ``identity``'s ``source`` track (another one each time it is published again)."""
        if self.closed:
            raise RuntimeError("the capture is closed")
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", identity)[:40]  # identities come from users: never a path
        name = f"{len(self._tracks):03d}-{safe}-{source}.webm"
        capture = TrackCapture(
            self.directory / name, kind, self.origin, max_queue=self._max_queue, on_keyframe_needed=on_keyframe_needed
        ).start()
        self._tracks.append((CapturedTrack(identity, source, kind, name), capture))
        self._write_manifest()
        return capture

    def _write_manifest(self) -> None:
        body = json.dumps({"tracks": [asdict(track) for track, _ in self._tracks]}, indent=1)
        temporary = self.directory / f".{MANIFEST}.tmp"
        temporary.write_text(body)
        os.replace(temporary, self.directory / MANIFEST)

    def stats(self) -> dict[str, CaptureStats]:
        return {track.file: capture.stats() for track, capture in self._tracks}

    def close(self) -> None:
        """End every track's file (their frames already queued are written first)."""
        self.closed = True
        for _, capture in self._tracks:
            capture.close()


def read_manifest(directory: Path) -> list[CapturedTrack]:
    """The tracks ``capture.json`` in ``directory`` lists."""
    body = json.loads((directory / MANIFEST).read_text())
    return [CapturedTrack(**track) for track in body["tracks"]]

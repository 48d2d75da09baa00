"""Frame assembly from RTP packets, in place of aiortc's JitterBuffer on the SFU's receivers.

aiortc's ``JitterBuffer`` hands frame N out only when a packet of frame N+1 arrives (one frame
interval of added latency for video, four 20 ms frames of prefetch for audio). A forwarding SFU
does not need that: a VP8 frame is complete when the packets from its first one (S bit, partition
0) up to the one with the RTP marker bit are all there, and every Opus packet is a frame.

Both assemblers keep the ``JitterBuffer.add(packet) -> (pli_flag, frame)`` shape so that they can
sit where the receiver keeps its jitter buffer (see :mod:`.hooks`); they always return
``(False, None)`` and give complete frames to a callback instead, because one packet (a
retransmission filling a gap) can complete several frames at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Final

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from .frames import EncodedFrame, is_vp8_keyframe, is_vp8_partition_start

logger = logging.getLogger(__name__)

FrameSink = Callable[[EncodedFrame], None]
CodecMap = Mapping[int, RTCRtpCodecParameters]  # payload type -> codec, as the receiver negotiated them

# How long a missing packet may hold up the frames behind it before it is given up on. NACK and RTX
# recover a loss within a round trip; past this, waiting costs more than a keyframe does.
DEFAULT_MAX_WAIT_S: Final = 0.1
# Packets kept while waiting for a gap to fill (about 1 s of 1.5 Mbit/s video).
MAX_PENDING_PACKETS: Final = 512


class SequenceUnwrapper:
    """Maps 16-bit RTP sequence numbers to an ever-increasing integer."""

    def __init__(self) -> None:
        self._highest: int | None = None

    def unwrap(self, seq: int) -> int:
        if self._highest is None:
            self._highest = seq
            return seq
        delta = (seq - self._highest) & 0xFFFF
        if delta >= 0x8000:
            delta -= 0x10000
        extended = self._highest + delta
        self._highest = max(self._highest, extended)
        return extended


class TimestampUnwrapper:
    """Maps 32-bit RTP timestamps to an ever-increasing integer (reordering tolerated)."""

    def __init__(self) -> None:
        self._last: int | None = None

    def unwrap(self, timestamp: int) -> int:
        if self._last is None:
            self._last = timestamp
            return timestamp
        delta = (timestamp - self._last) & 0xFFFFFFFF
        if delta >= 0x80000000:
            delta -= 0x100000000
        extended = self._last + delta
        self._last = max(self._last, extended)
        return extended


class CodecGuard:
    """Lets through packets of one codec only, and says once (a warning) when others arrive.

    Answering an offer, aiortc keeps the offerer's codec order, so a publisher that prefers H.264
    sends H.264: the assemblers would make nonsense of it. ``codecs`` is the receiver's own map,
    filled in place when it starts receiving.
    """

    def __init__(self, mime_type: str, codecs: CodecMap | None) -> None:
        self._mime_type = mime_type.lower()
        self._codecs = codecs
        self._checked_pt: int | None = None
        self._refused: set[int] = set()

    def accepts(self, packet: RtpPacket) -> bool:
        if packet.payload_type == self._checked_pt or self._codecs is None:
            return True
        codec = self._codecs.get(packet.payload_type)
        if codec is not None and codec.mimeType.lower() == self._mime_type:
            self._checked_pt = packet.payload_type
            return True
        if packet.payload_type not in self._refused:
            self._refused.add(packet.payload_type)
            logger.warning(
                "SFU drops %s media: it forwards %s only (negotiate forwarded_codecs())",
                codec.mimeType if codec is not None else f"payload type {packet.payload_type}",
                self._mime_type,
            )
        return False


class Vp8FrameAssembler:
    """Completes VP8 frames on the marker bit, in sequence order, and hands them to ``sink``.

    A frame held up by a missing packet for longer than ``max_wait`` is given up on: assembly
    resumes at the first frame start after the last packet missing, and that frame is flagged
    ``after_loss``.
    """

    def __init__(
        self, sink: FrameSink, *, max_wait: float = DEFAULT_MAX_WAIT_S, codecs: CodecMap | None = None
    ) -> None:
        self._sink = sink
        self._guard = CodecGuard("video/VP8", codecs)
        self._max_wait = max_wait
        self._seq = SequenceUnwrapper()
        self._ts = TimestampUnwrapper()
        self._packets: dict[int, RtpPacket] = {}
        self._next: int | None = None  # extended seq of the next frame's first packet
        self._scan = 0  # first packet of the current frame not here yet
        self._max_ext: int | None = None
        self._blocked_since: float | None = None
        self._broken = False
        self._after_loss = False
        self.frames = 0
        self.losses = 0
        #: packets that filled a hole in time (NACKed upstream and retransmitted, or reordered)
        self.repaired = 0

    @property
    def capacity(self) -> int:
        return MAX_PENDING_PACKETS

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        if not self._guard.accepts(packet):
            return False, None
        ext = self._seq.unwrap(packet.sequence_number)
        if self._next is not None and ext < self._next:
            return False, None  # late or duplicate: its frame went out already or was given up on
        if self._max_ext is not None and ext < self._max_ext and ext not in self._packets:
            self.repaired += 1
        self._packets[ext] = packet
        self._max_ext = ext if self._max_ext is None else max(self._max_ext, ext)
        self._drain()
        return False, None

    def _drain(self) -> None:
        while self._packets:
            if self._next is None and not self._resync(None):
                if len(self._packets) >= MAX_PENDING_PACKETS:
                    self._packets.clear()  # no frame start in sight: not VP8 as we know it
                return
            assert self._next is not None
            end = self._find_end()
            if end is not None:
                self._emit(self._next, end)
                self._blocked_since = None
                continue
            # Incomplete. Only a hole (a packet missing with later ones here) is worth a deadline;
            # a frame whose tail is still on the wire (paced keyframes) is simply waited for.
            assert self._max_ext is not None
            if not self._broken:
                full = len(self._packets) >= MAX_PENDING_PACKETS
                if self._max_ext <= self._scan and not full:
                    self._blocked_since = None
                    return
                now = time.monotonic()
                if self._blocked_since is None:
                    self._blocked_since = now
                if now - self._blocked_since < self._max_wait and not full:
                    return
            self._broken = False
            logger.debug("Vp8FrameAssembler gives up on frame at seq %d", self._next)
            self.losses += 1
            self._after_loss = True
            self._blocked_since = None
            # Resume after the last hole, not the first: the frames between them are of no use to anyone
            # now (a subscriber waits for the keyframe asked for), and waiting out each of the holes in
            # turn (retransmissions of a cut's last second come back with many) would hold up the keyframe.
            if not self._resync(max(self._next, self._last_hole())):
                return

    def _find_end(self) -> int | None:
        """The extended seq of the current frame's last packet, if all of it is here."""
        assert self._next is not None
        self._scan = max(self._scan, self._next)
        first = self._packets.get(self._next)
        if first is None:
            return None
        if not first.payload:
            # padding-only packet between frames: not part of any frame
            del self._packets[self._next]
            self._next += 1
            self._scan = self._next
            return self._find_end() if self._next in self._packets else None
        if not is_vp8_partition_start(first.payload):
            # Right after a frame's last packet comes the next frame's first: this stream is
            # broken here (a sender that reuses sequence numbers?) and waiting will not mend it.
            self._broken = True
            return None
        while (packet := self._packets.get(self._scan)) is not None:
            if packet.timestamp != first.timestamp:
                return self._scan - 1  # a sender that leaves the marker bit unset
            if packet.marker:
                return self._scan
            self._scan += 1
        return None

    def _emit(self, start: int, end: int) -> None:
        packets = [self._packets.pop(ext) for ext in range(start, end + 1)]
        data = b"".join(p._data for p in packets)  # type: ignore[attr-defined]  # set by the receiver's depayload
        self._next = self._scan = end + 1
        frame = EncodedFrame(
            kind="video",
            data=data,
            timestamp=self._ts.unwrap(packets[0].timestamp),
            keyframe=is_vp8_keyframe(data),
            ssrc=packets[0].ssrc,
            received_at=time.monotonic(),
            after_loss=self._after_loss,
        )
        self._after_loss = False
        self.frames += 1
        self._sink(frame)

    def _last_hole(self) -> int:
        """The highest sequence number missing between the current frame and the newest packet here."""
        assert self._next is not None and self._max_ext is not None
        for ext in range(self._max_ext, self._next - 1, -1):
            if ext not in self._packets:
                return ext
        return self._next

    def _resync(self, after: int | None) -> bool:
        """Move to the first frame start after ``after`` (or the first at all), dropping what is before it."""
        starts = [
            ext
            for ext, p in self._packets.items()
            if (after is None or ext > after) and is_vp8_partition_start(p.payload)
        ]
        if not starts:
            if after is not None:
                self._packets.clear()
                self._next = None
            return False
        start = min(starts)
        for ext in [ext for ext in self._packets if ext < start]:
            del self._packets[ext]
        self._next = self._scan = start
        return True


class OpusFrameAssembler:
    """Every Opus RTP packet is one frame: hand it on at once; drop late and duplicate packets."""

    def __init__(self, sink: FrameSink, *, codecs: CodecMap | None = None) -> None:
        self._sink = sink
        self._guard = CodecGuard("audio/opus", codecs)
        self._seq = SequenceUnwrapper()
        self._ts = TimestampUnwrapper()
        self._last: int | None = None
        self.frames = 0

    @property
    def capacity(self) -> int:
        return 1

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        if not self._guard.accepts(packet):
            return False, None
        ext = self._seq.unwrap(packet.sequence_number)
        if (self._last is not None and ext <= self._last) or not packet.payload:
            return False, None
        after_loss = self._last is not None and ext != self._last + 1
        self._last = ext
        self.frames += 1
        self._sink(
            EncodedFrame(
                kind="audio",
                data=packet._data,  # type: ignore[attr-defined]  # set by the receiver's depayload
                timestamp=self._ts.unwrap(packet.timestamp),
                keyframe=True,
                ssrc=packet.ssrc,
                received_at=time.monotonic(),
                after_loss=after_loss,
            )
        )
        return False, None

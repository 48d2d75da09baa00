"""Audio through loss: Opus in-band FEC once loss is reported, and its use (or concealment) where packets are lost.

**Sending.** :class:`FecOpusEncoder` is aiortc's Opus encoder (libopus through PyAV, 96 kbit/s, ``voip``) that
turns in-band FEC on when the receiver's reports (RTCP RR, ``fraction lost``) say packets are being lost:
each packet then also carries a low-bitrate copy of the one before (LBRR), sized by the expected loss
(``packet_loss``), and libopus leans towards its SILK/hybrid modes, which carry it. FFmpeg sets these options
when the codec opens only, so a change of loss reopens the codec (at most every :data:`RECONFIGURE_S`);
the RTP timestamps go on from the frames counted, not from the codec's own clock. :func:`use_fec_encoder` puts
one on an audio sender before it starts and has the sender's RR handling tell it the loss (it shadows
``_handle_rtcp_packet`` on the instance and sets ``_RTCRtpSender__encoder``, as the low layer's encoder does).

**Receiving.** :class:`LossAwareJitter` takes the place of aiortc's audio jitter buffer (16 packets, four
held back; one lost packet stalls it until 16 more came, 320 ms, then everything comes at once): each packet
is a frame at once, in order, late and duplicate ones dropped, and the frame says how many packets were lost
right before it (``lost_before``). :class:`FecOpusDecoder` decodes with libopus itself (through ``ctypes``:
PyAV has no call for decoding FEC): for one lost packet it decodes the FEC copy the next one carries, for more
(up to :data:`MAX_CONCEALED` frames) libopus conceals the rest (PLC), then decodes the packet. A recovered
frame's ``opaque`` is ``"fec"``, a concealed one's ``"concealed"`` (benches count them apart).

libopus is the one PyAV's wheel bundles (``av.libs``), or the system's; without either, receivers keep
aiortc's decoder (:func:`fec_decoder_available` says which).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fractions
import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import av
import numpy as np
from aiortc import RTCRtpSender
from aiortc.codecs.opus import OpusEncoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtcpRrPacket, RtcpSrPacket, RtpPacket
from av.frame import Frame

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = 48_000
CHANNELS: Final = 2
FRAME_SAMPLES: Final = 960  # 20 ms
TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
#: at most this many lost frames are made up (PLC) before a packet; a longer gap (a cut) stays silent
MAX_CONCEALED: Final = 5
#: loss (fraction) from which FEC is turned on, and below which (with hysteresis) it is off again
FEC_ON_LOSS: Final = 0.01
FEC_OFF_LOSS: Final = 0.002
#: a reported loss reopens the encoder at most this often
RECONFIGURE_S: Final = 2.0
#: the loss the encoder plans for is the worst reported over this long: reports come from aiortc's receiver
#: at the SFU (the publisher's own link) and from the SFU for its subscribers' links, each about once a second
LOSS_MEMORY_S: Final = 5.0
SENDER_ENCODER: Final = "_RTCRtpSender__encoder"
SENDER_HANDLE_RTCP: Final = "_handle_rtcp_packet"


# --- libopus -----------------------------------------------------------------------------------------


@functools.cache
def _libopus() -> ctypes.CDLL | None:
    candidates = sorted((Path(av.__file__).parent.parent / "av.libs").glob("libopus*.so*"))
    system = ctypes.util.find_library("opus")
    for path in [*map(str, candidates), *([system] if system else [])]:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_decode.restype = ctypes.c_int
        lib.opus_decode.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int32,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.opus_packet_has_lbrr.restype = ctypes.c_int
        lib.opus_packet_has_lbrr.argtypes = [ctypes.c_char_p, ctypes.c_int32]
        return lib
    return None


def fec_decoder_available() -> bool:
    """Whether libopus can be reached for :class:`FecOpusDecoder`."""
    return _libopus() is not None


# --- receiving ---------------------------------------------------------------------------------------


class LossAwareJitter:
    """In place of a receiver's audio ``JitterBuffer`` (module docstring): ``add(packet) -> (False, frame)``."""

    capacity = 1

    def __init__(self) -> None:
        self._next: int | None = None
        self.lost = 0
        self.late = 0

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        lost = 0
        if self._next is not None:
            ahead = (seq - self._next) & 0xFFFF
            if ahead >= 0x8000:
                self.late += 1
                return False, None  # late or duplicate: its place was concealed or filled already
            lost = ahead
        self._next = (seq + 1) & 0xFFFF
        self.lost += lost
        frame = JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]
        frame.lost_before = lost  # type: ignore[attr-defined]
        return False, frame


class FecOpusDecoder:
    """Decodes Opus with libopus, recovering a lost packet from the next one's FEC (module docstring).

    Gives what aiortc's Opus decoder gives: stereo s16 frames at 48 kHz, pts the RTP timestamp."""

    def __init__(self) -> None:
        lib = _libopus()
        if lib is None:
            raise RuntimeError("libopus is not available")
        self._lib = lib
        error = ctypes.c_int()
        self._decoder = lib.opus_decoder_create(SAMPLE_RATE, CHANNELS, ctypes.byref(error))
        if not self._decoder or error.value != 0:
            raise RuntimeError(f"opus_decoder_create failed ({error.value})")
        self._pcm = np.zeros(FRAME_SAMPLES * 6 * CHANNELS, dtype=np.int16)  # up to 120 ms
        self.recovered = 0
        self.concealed = 0

    def __del__(self) -> None:
        decoder, self._decoder = getattr(self, "_decoder", None), None
        if decoder:
            self._lib.opus_decoder_destroy(decoder)

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        data: bytes = encoded_frame.data
        lost = min(getattr(encoded_frame, "lost_before", 0), MAX_CONCEALED + 1)
        frames: list[Frame] = []
        timestamp = encoded_frame.timestamp
        for n in range(lost, 0, -1):
            last = n == 1
            fec = last and bool(data) and self._lib.opus_packet_has_lbrr(data, len(data)) == 1
            if not last and n > MAX_CONCEALED:
                continue
            frame = self._decode(data if fec else None, FRAME_SAMPLES, fec, timestamp - n * FRAME_SAMPLES)
            if frame is not None:
                frame.opaque = "fec" if fec else "concealed"
                if fec:
                    self.recovered += 1
                else:
                    self.concealed += 1
                frames.append(frame)
        frame = self._decode(data, len(self._pcm) // CHANNELS, False, timestamp)
        if frame is not None:
            frames.append(frame)
        return frames

    def _decode(self, data: bytes | None, samples: int, fec: bool, pts: int) -> av.AudioFrame | None:
        pointer = self._pcm.ctypes.data_as(ctypes.c_void_p)
        count = self._lib.opus_decode(self._decoder, data, len(data) if data else 0, pointer, samples, int(fec))
        if count <= 0:
            if data is not None:
                logger.debug("opus_decode failed (%d)", count)
            return None
        frame = av.AudioFrame.from_ndarray(self._pcm[: count * CHANNELS].reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        return frame


# --- sending -----------------------------------------------------------------------------------------


class FecOpusEncoder(OpusEncoder):
    """aiortc's Opus encoder with in-band FEC following the reported loss (module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._reports: list[tuple[float, float]] = []  # (when, fraction lost)
        self.fec_percent = 0  #: the expected loss the codec was opened with (0: FEC off)
        self.reopened = 0
        self._samples = 0
        self._changed_at = -float("inf")

    def report_loss(self, fraction: float, now: float | None = None) -> None:
        """A receiver's report (RTCP RR): ``fraction`` of the packets lost since its last one."""
        now = time.monotonic() if now is None else now
        self._reports = [(at, f) for at, f in self._reports if now - at < LOSS_MEMORY_S] + [(now, fraction)]

    @property
    def loss(self) -> float:
        """The worst loss reported over the last :data:`LOSS_MEMORY_S` seconds."""
        now = time.monotonic()
        return max((f for at, f in self._reports if now - at < LOSS_MEMORY_S), default=0.0)

    def _wanted_percent(self) -> int:
        loss = self.loss
        if loss < (FEC_OFF_LOSS if self.fec_percent else FEC_ON_LOSS):
            return 0
        return max(1, min(round(loss * 100) + 2, 30))

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        wanted = self._wanted_percent()
        now = time.monotonic()
        if wanted != self.fec_percent and (now - self._changed_at >= RECONFIGURE_S or not self.fec_percent):
            self._reopen(wanted)
            self._changed_at = now
        assert isinstance(frame, av.AudioFrame)
        payloads: list[bytes] = []
        for resampled in self.resampler.resample(frame):
            payloads += [bytes(p) for p in self.codec.encode(resampled)]
        if not payloads:
            return [], None  # type: ignore[return-value]  # aiortc's encoder says "nothing yet" the same way
        timestamp = self._samples
        self._samples += FRAME_SAMPLES * len(payloads)
        return payloads, timestamp

    def _reopen(self, percent: int) -> None:
        codec = av.CodecContext.create("libopus", "w")
        codec.bit_rate = self.codec.bit_rate
        codec.format = "s16"
        codec.layout = "stereo"
        codec.sample_rate = SAMPLE_RATE
        codec.time_base = TIME_BASE
        options = {"application": "voip"}
        if percent:
            options |= {"fec": "1", "packet_loss": str(percent)}
        codec.options = options
        self.codec = codec
        self.fec_percent = percent
        self.reopened += 1
        logger.info("Opus encoder: in-band FEC %s", f"on for {percent}% loss" if percent else "off")


def use_fec_encoder(sender: RTCRtpSender) -> FecOpusEncoder:
    """Make an audio ``sender`` (not started yet) encode with a :class:`FecOpusEncoder` told the loss its
    receiver reports."""
    if not hasattr(sender, SENDER_ENCODER) or getattr(sender, SENDER_ENCODER) is not None:
        raise RuntimeError(f"aiortc's RTCRtpSender has no unset {SENDER_ENCODER}: the Opus FEC encoder needs updating")
    handle: Callable[[Any], Any] = getattr(sender, SENDER_HANDLE_RTCP)
    encoder = FecOpusEncoder()
    setattr(sender, SENDER_ENCODER, encoder)
    ssrc = sender._ssrc

    async def handle_rtcp_packet(packet: Any) -> None:
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                if report.ssrc == ssrc:
                    encoder.report_loss(report.fraction_lost / 256)
        await handle(packet)

    setattr(sender, SENDER_HANDLE_RTCP, handle_rtcp_packet)
    return encoder

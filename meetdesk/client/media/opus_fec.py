"""Audio through loss: Opus in-band FEC once loss is reported, and its use (or concealment) where packets are lost.

**Sending.** :class:`FecOpusEncoder` encodes the microphone with libopus itself (through ``ctypes``, as the
decoder below): mono speech at :data:`VOICE_BITRATE` (``voip``, signal "voice"), and in-band FEC turned on when the
receiver's reports (RTCP RR, ``fraction lost``) say packets are being lost: each packet then also carries a
low-bitrate copy of the one before (LBRR), sized by the expected loss (``OPUS_SET_PACKET_LOSS_PERC``), changed at
most every :data:`RECONFIGURE_S`. It replaces aiortc's encoder (PyAV's libopus, 96 kbit/s stereo), which was
measured to defeat FEC: at that rate, and with FFmpeg's options (no signal hint), libopus takes the synthetic
speech for music after a few hundred milliseconds and codes it in its CELT mode, which carries no LBRR (1 packet in
75 carried one at 5 % loss); and 96 kbit/s of a participant's voice (about 120 with packet headers) is most of a
thin downlink. The RTP timestamps go on from the frames counted. :func:`use_fec_encoder` puts one on an audio sender
before it starts and has the sender's RR handling tell it the loss (it shadows ``_handle_rtcp_packet`` on the
instance and sets ``_RTCRtpSender__encoder``, as the low layer's encoder does).

**Receiving.** :class:`LossAwareJitter` takes the place of aiortc's audio jitter buffer (16 packets, four
held back; one lost packet stalls it until 16 more came, 320 ms, then everything comes at once): each packet
is a frame at once, in order, late and duplicate ones dropped, and the frame says how many packets were lost
right before it (``lost_before``). :class:`FecOpusDecoder` decodes with libopus itself (through ``ctypes``:
PyAV has no call for decoding FEC): for one lost packet it decodes the FEC copy the next one carries, for more
(up to :data:`MAX_CONCEALED` frames) libopus conceals the rest (PLC), then decodes the packet. A recovered
frame's ``opaque`` is ``"fec"``, a concealed one's ``"concealed"`` (benches count them apart).

libopus is the one PyAV's wheel bundles (``av.libs``), or the system's; without either, receivers keep
aiortc's decoder and senders aiortc's encoder (:func:`fec_decoder_available` says which).
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
from aiortc.codecs.base import Encoder
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
#: a reported loss changes the encoder's FEC at most this often
RECONFIGURE_S: Final = 2.0
#: what the encoder spends on a participant's voice (mono, FEC included): WebRTC's default for Opus
VOICE_BITRATE: Final = 32_000
#: libopus's constants (opus_defines.h)
OPUS_APPLICATION_VOIP: Final = 2048
OPUS_SET_BITRATE: Final = 4002
OPUS_SET_INBAND_FEC: Final = 4012
OPUS_SET_PACKET_LOSS_PERC: Final = 4014
OPUS_SET_SIGNAL: Final = 4024
OPUS_SIGNAL_VOICE: Final = 3001
MAX_PACKET_BYTES: Final = 1500
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
        lib.opus_encoder_create.restype = ctypes.c_void_p
        lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_encoder_ctl.restype = ctypes.c_int
        lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int32]  # the setters: one int
        lib.opus_encode.restype = ctypes.c_int32
        lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int32]
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


class FecOpusEncoder(Encoder):
    """libopus encoding voice, with in-band FEC following the reported loss (module docstring)."""

    def __init__(self) -> None:
        lib = _libopus()
        if lib is None:
            raise RuntimeError("libopus is not available")
        self._lib = lib
        error = ctypes.c_int()
        self._encoder = lib.opus_encoder_create(SAMPLE_RATE, 1, OPUS_APPLICATION_VOIP, ctypes.byref(error))
        if not self._encoder or error.value != 0:
            raise RuntimeError(f"opus_encoder_create failed ({error.value})")
        self._ctl(OPUS_SET_BITRATE, VOICE_BITRATE)
        self._ctl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE)
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE, frame_size=FRAME_SAMPLES)
        self._out = ctypes.create_string_buffer(MAX_PACKET_BYTES)
        self._reports: list[tuple[float, float]] = []  # (when, fraction lost)
        self.fec_percent = 0  #: the expected loss the encoder plans for (0: FEC off)
        self.reconfigured = 0
        self._samples = 0
        self._changed_at = -float("inf")

    def __del__(self) -> None:
        encoder, self._encoder = getattr(self, "_encoder", None), None
        if encoder:
            self._lib.opus_encoder_destroy(encoder)

    def _ctl(self, request: int, value: int) -> None:
        result = self._lib.opus_encoder_ctl(self._encoder, request, value)
        if result != 0:
            raise RuntimeError(f"opus_encoder_ctl({request}, {value}) failed ({result})")

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
            self._configure(wanted)
            self._changed_at = now
        assert isinstance(frame, av.AudioFrame)
        payloads: list[bytes] = []
        for block in self.resampler.resample(frame):
            pcm = block.to_ndarray()
            count = self._lib.opus_encode(
                self._encoder, pcm.ctypes.data_as(ctypes.c_void_p), block.samples, self._out, MAX_PACKET_BYTES
            )
            if count < 0:
                raise RuntimeError(f"opus_encode failed ({count})")
            payloads.append(self._out.raw[:count])
        if not payloads:
            return [], None  # type: ignore[return-value]  # aiortc's encoder says "nothing yet" the same way
        timestamp = self._samples
        self._samples += FRAME_SAMPLES * len(payloads)
        return payloads, timestamp

    def pack(self, packet: av.Packet[Any]) -> tuple[list[bytes], int]:
        """An Opus packet encoded elsewhere, sent as it is (aiortc's encoders all take these)."""
        assert packet.pts is not None and packet.time_base is not None
        return [bytes(packet)], int(packet.pts * packet.time_base * SAMPLE_RATE)

    def _configure(self, percent: int) -> None:
        self._ctl(OPUS_SET_INBAND_FEC, 1 if percent else 0)
        self._ctl(OPUS_SET_PACKET_LOSS_PERC, percent)
        self.fec_percent = percent
        self.reconfigured += 1
        logger.info("Opus encoder: in-band FEC %s", f"on for {percent}% loss" if percent else "off")


def use_fec_encoder(sender: RTCRtpSender) -> FecOpusEncoder | None:
    """Make an audio ``sender`` (not started yet) encode with a :class:`FecOpusEncoder` told the loss its
    receiver reports (None: no libopus here, the sender keeps aiortc's encoder)."""
    if not fec_decoder_available():
        logger.warning("No libopus to encode with: the microphone is sent without in-band FEC")
        return None
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

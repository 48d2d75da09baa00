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

**Receiving.** :class:`LossAwareJitter` takes the place of aiortc's audio jitter buffer (16 packets, four held back;
one lost packet stalls it until 16 more came, 320 ms, then everything comes at once): each packet is a frame at
once, in order, late and duplicate ones dropped, and the frame says how many packets were lost right before it
(``lost_before``). Given ``on_missing``, a hole of up to :data:`MAX_NACKED` packets is asked for again (RTCP NACK:
the SFU answers from its retransmission history) and the packets after it are held back for at most
:data:`RETRANSMISSION_WAIT_S` (on top of the time they come anyway: only while a hole is open); what comes back in
time is decoded as received, in order, with the held packets (one :class:`~aiortc.jitterbuffer.JitterFrame` whose
``packets`` list them); what does not is recovered from FEC or concealed. :class:`FecOpusDecoder` decodes with
libopus itself (through ``ctypes``: PyAV has no call for decoding FEC): for one lost packet it decodes the FEC copy
the next one carries, for more (up to :data:`MAX_CONCEALED` frames) libopus conceals the rest (PLC), then decodes
the packet. A recovered frame's ``opaque`` is ``"fec"``, a concealed one's ``"concealed"`` (benches count them
apart).

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
from aiortc import RTCRtpSender
from aiortc.codecs.base import Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtcpRrPacket, RtcpSrPacket, RtpPacket
from av.frame import Frame

from meetdesk.rtc.internals import SENDER_ENCODER

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = 48_000
CHANNELS: Final = 2
FRAME_SAMPLES: Final = 960  # 20 ms
TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
#: at most this many lost frames are made up (PLC) before a packet; a longer gap (a cut) stays silent
MAX_CONCEALED: Final = 5
#: a hole of at most this many packets is asked for again (more is a cut: a retransmission would come too late)
MAX_NACKED: Final = 8
#: how long the packets after a hole wait for its retransmission (the SFU answers within a round trip; the playback
#: buffer absorbs this much once; a longer round trip leaves the hole to FEC and concealment), and when the hole is
#: asked for again if it did not come (a NACK can be lost too)
RETRANSMISSION_WAIT_S: Final = 0.08
NACK_AGAIN_S: Final = 0.04
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
        lib.opus_packet_get_nb_samples.restype = ctypes.c_int
        lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32]
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
    """In place of a receiver's audio ``JitterBuffer`` (module docstring): ``add(packet) -> (False, frame)``.

    ``on_missing(ssrc, sequence_numbers)``: ask for those packets again (None: nothing is asked for, nothing waits).
    """

    capacity = 1

    def __init__(
        self,
        on_missing: Callable[[int, list[int]], None] | None = None,
        wait: float = RETRANSMISSION_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_missing = on_missing
        self._wait = wait
        self._clock = clock
        self._next: int | None = None
        # while a hole is open: from its first sequence number on, what came (None: not yet), since when, asked when
        self._held: list[RtpPacket | None] = []
        self._hole_start = 0
        self._held_since = 0.0
        self._asked_at = 0.0
        self.lost = 0  #: packets given up (recovered from FEC or concealed by the decoder)
        self.late = 0  #: packets that came after their place was given up, or twice
        self.asked = 0  #: packets asked for again
        self.retransmitted = 0  #: of those, the ones that came back in time

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        if self._held:
            return False, self._add_holding(packet)
        lost = 0
        if self._next is not None:
            ahead = (seq - self._next) & 0xFFFF
            if ahead >= 0x8000:
                self.late += 1
                return False, None  # late or duplicate: its place was concealed or filled already
            if 0 < ahead <= MAX_NACKED and self._on_missing is not None:
                self._open_hole(packet, ahead)
                return False, None
            lost = ahead
        self._next = (seq + 1) & 0xFFFF
        self.lost += lost
        return False, _frame([(packet, lost)])

    def _open_hole(self, packet: RtpPacket, missing: int) -> None:
        assert self._next is not None and self._on_missing is not None
        self._hole_start = self._next
        self._held = [None] * missing + [packet]
        self._next = (packet.sequence_number + 1) & 0xFFFF
        self._held_since = self._asked_at = self._clock()
        wanted = [(self._hole_start + i) & 0xFFFF for i in range(missing)]
        self.asked += len(wanted)
        self._on_missing(packet.ssrc, wanted)

    def _add_holding(self, packet: RtpPacket) -> JitterFrame | None:
        assert self._next is not None
        seq = packet.sequence_number
        index = (seq - self._hole_start) & 0xFFFF
        if index < len(self._held):
            if self._held[index] is not None:
                self.late += 1  # twice
                return None
            self._held[index] = packet
            self.retransmitted += 1
        elif index < 0x8000 and index - len(self._held) <= MAX_NACKED:
            self._held += [None] * (index - len(self._held)) + [packet]  # a further hole (asked for below)
            self._next = (seq + 1) & 0xFFFF
        else:
            self.late += 1  # from before the hole (its place given up), or too far ahead: given up below
            if index < 0x8000:
                return self._release(also=packet)
            return None
        now = self._clock()
        if None not in self._held or now - self._held_since >= self._wait:
            return self._release()
        if now - self._asked_at >= NACK_AGAIN_S and self._on_missing is not None:
            self._asked_at = now
            wanted = [(self._hole_start + i) & 0xFFFF for i, p in enumerate(self._held) if p is None]
            self._on_missing(packet.ssrc, wanted)
        return None

    def _release(self, also: RtpPacket | None = None) -> JitterFrame | None:
        """What came of the hole and after it, in order, each with the packets given up right before it."""
        items: list[tuple[RtpPacket, int]] = []
        lost = 0
        for held in self._held:
            if held is None:
                lost += 1
            else:
                items.append((held, lost))
                self.lost += lost
                lost = 0
        self._held = []
        if also is not None:
            gap = (also.sequence_number - (self._next or 0)) & 0xFFFF
            items.append((also, gap))
            self.lost += gap
            self._next = (also.sequence_number + 1) & 0xFFFF
        return _frame(items) if items else None


def _frame(items: list[tuple[RtpPacket, int]]) -> JitterFrame:
    """One frame for the decoder with the packets ``items`` (each with how many were lost right before it)."""
    first = items[0][0]
    frame = JitterFrame(data=first._data, timestamp=first.timestamp)  # type: ignore[attr-defined]
    frame.lost_before = items[0][1]  # type: ignore[attr-defined]
    # the others: their data, their timestamp after the first's (the receiver maps the first's), losses before them
    frame.packets = [  # type: ignore[attr-defined]
        (packet._data, (packet.timestamp - first.timestamp) & 0xFFFFFFFF, lost)  # type: ignore[attr-defined]
        for packet, lost in items[1:]
    ]
    return frame


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
        self.recovered = 0
        self.concealed = 0

    def __del__(self) -> None:
        decoder, self._decoder = getattr(self, "_decoder", None), None
        if decoder:
            self._lib.opus_decoder_destroy(decoder)

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        timestamp = encoded_frame.timestamp
        frames = self._decode_packet(encoded_frame.data, timestamp, getattr(encoded_frame, "lost_before", 0))
        for data, offset, lost in getattr(encoded_frame, "packets", ()):  # held behind a hole (LossAwareJitter)
            frames += self._decode_packet(data, timestamp + offset, lost)
        return frames

    def _decode_packet(self, data: bytes, timestamp: int, lost_before: int) -> list[Frame]:
        lost = min(lost_before, MAX_CONCEALED + 1)
        frames: list[Frame] = []
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
        samples = self._lib.opus_packet_get_nb_samples(data, len(data), SAMPLE_RATE) if data else 0
        frame = self._decode(data, samples, False, timestamp) if samples > 0 else None
        if frame is not None:
            frames.append(frame)
        elif data:
            logger.debug("an Opus packet that does not decode (%d bytes)", len(data))
        return frames

    def _decode(self, data: bytes | None, samples: int, fec: bool, pts: int) -> av.AudioFrame | None:
        """Decode ``samples`` per channel (what ``data`` holds, or the frame lost before it) into a new frame's own
        buffer: no copy on the way."""
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        count = self._lib.opus_decode(
            self._decoder, data, len(data) if data else 0, frame.planes[0].buffer_ptr, samples, int(fec)
        )
        if count != samples:
            if data is not None:
                logger.debug("opus_decode gave %d samples of %d", count, samples)
            return None
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

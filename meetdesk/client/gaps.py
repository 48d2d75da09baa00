"""Asking for a keyframe as soon as a video frame cannot be completed, instead of 20 seconds later.

aiortc's video receiver assembles frames in a 512-packet jitter buffer that only moves past a missing
packet when it overflows, and asks the sender for a keyframe (PLI) only then or when the decoder fails.
After a network cut, or a loss its NACK did not repair, a camera sending 25 packets a second froze for
up to 20 s (issue 13: video back 28 s after a 5 s cut). :class:`GapWatch` follows the sequence numbers
of one video stream (retransmissions, RTX, included) and says when a packet has been missing for
:data:`GIVE_UP_S` — long enough for a NACK's retransmission to come back on any link we meet on, short
enough to ask within 300 ms of the gap. :func:`watch_gaps` then, on the receiver:

- asks once more (NACK) for a packet still missing :data:`RENACK_S` after aiortc's one NACK, unless more
  than :data:`RENACK_MOST` are missing (a cut): on a lossy link the NACK or its answer is lost too;
- sends a PLI (at most once per :data:`PLI_INTERVAL_S` while frames stay missing);
- gives the receiver a fresh jitter buffer at every give-up (throttled PLI or not), so that it no longer
  waits for what will not come, and keeps every packet from before the newest one seen at the give-up out
  of it: late retransmissions of what was given up, and the retransmissions a cut's NACK brings back of
  its last second (the fresh buffer would start on one of them and wait again for the cut's holes);
- has the decoder skip frames until the next keyframe, which needs none of what was lost.

It shadows the receiver's ``_handle_rtp_packet`` (an instance attribute: aiortc's DTLS transport calls
it through the instance) and reads ``_RTCRtpReceiver__codecs`` and replaces
``_RTCRtpReceiver__jitter_buffer``; tests/unit/rtc/test_aiortc_hooks.py guards the names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import aiortc
from aiortc import RTCRtpReceiver
from aiortc.codecs import is_rtx
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from meetdesk.client.prompt_reports import PromptReports
from meetdesk.rtc.errors import AiortcHookError
from meetdesk.rtc.internals import RECEIVER_CODECS, RECEIVER_JITTER_BUFFER, RECEIVER_NACK, RECEIVER_PLI

logger = logging.getLogger(__name__)

RECEIVER_HANDLE_RTP: Final = "_handle_rtp_packet"
#: aiortc's video jitter buffer, as RTCRtpReceiver makes it
VIDEO_JITTER_CAPACITY: Final = 512
#: how long a packet may be missing before its frame is given up (a NACK's retransmission takes one RTT)
GIVE_UP_S: Final = 0.25
#: while frames stay incomplete, a PLI at most this often
PLI_INTERVAL_S: Final = 0.5
#: a gap longer than this is not tracked packet by packet (it is given up as a whole)
MAX_TRACKED: Final = 1024
#: a packet still missing this long after aiortc's NACK is asked for once more (the NACK or its answer may
#: have been lost too), well before it is given up
RENACK_S: Final = 0.1
#: a loss of more than this many packets at once (a cut) is not asked for again: a keyframe repairs it
RENACK_MOST: Final = 24


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a packet tells the receiver: ``give_up`` the frames held up by what is missing (a fresh jitter
    buffer, the decoder waiting for a keyframe), and whether to ``ask`` for that keyframe now (PLI: throttled,
    so a give-up soon after another waits for the keyframe already asked for)."""

    give_up: bool = False
    ask: bool = False


KEEP: Final = Outcome()


class GapWatch:
    """The missing packets of one stream, by sequence number, and when each went missing (module docstring).

    After a give-up, packets before the newest one seen then (late retransmissions of what was given up,
    the frame the newest belongs to) must not reach the fresh jitter buffer: it would wait for what was
    given up again. :meth:`passes` says so, until the stream is well past that point."""

    def __init__(self, give_up_s: float = GIVE_UP_S, pli_interval_s: float = PLI_INTERVAL_S) -> None:
        self.give_up_s = give_up_s
        self.pli_interval_s = pli_interval_s
        self._highest: int | None = None
        self._missing: dict[int, float] = {}  # in the order they went missing, so the first is the oldest
        self._last_pli = -float("inf")
        self._floor: int | None = None  # the first packet the fresh buffer may take after a give-up
        self._renacked: set[int] = set()
        self.plis = 0
        self.give_ups = 0
        self.renacks = 0

    def packet(self, sequence_number: int, now: float) -> Outcome:
        """Note a packet (original or retransmitted) and say what to do about the frames it belongs among."""
        if self._highest is None:
            self._highest = sequence_number
            return KEEP
        ahead = (sequence_number - self._highest) & 0xFFFF
        if 0 < ahead < 0x8000:
            for missing in range(1, min(ahead, MAX_TRACKED)):
                self._missing[(self._highest + missing) & 0xFFFF] = now
            self._highest = sequence_number
        else:
            self._missing.pop(sequence_number, None)  # late or retransmitted: the hole is filled
        if not self._missing or now - next(iter(self._missing.values())) < self.give_up_s:
            return KEEP
        self._missing.clear()  # given up: the keyframe asked for needs none of them
        self._renacked.clear()
        self._floor = (self._highest + 1) & 0xFFFF
        self.give_ups += 1
        if now - self._last_pli < self.pli_interval_s:
            return Outcome(give_up=True)
        self._last_pli = now
        self.plis += 1
        return Outcome(give_up=True, ask=True)

    @property
    def missing(self) -> bool:
        """Whether packets are missing (not given up yet)."""
        return bool(self._missing)

    def due_again(self, now: float) -> list[int]:
        """The packets missing for :data:`RENACK_S` and not asked for again yet (each is, once): NACK them."""
        if not self._missing or len(self._missing) > RENACK_MOST:
            return []
        due = []
        for sequence_number, since in self._missing.items():  # oldest first
            if now - since < RENACK_S:
                break
            if sequence_number not in self._renacked:
                due.append(sequence_number)
        self._renacked.update(due)
        self._renacked.intersection_update(self._missing)
        self.renacks += len(due)
        return due

    def passes(self, sequence_number: int) -> bool:
        """Whether a packet may reach the jitter buffer: not one from before the last give-up's floor."""
        if self._floor is None:
            return True
        ahead = (sequence_number - self._floor) & 0xFFFF
        if ahead >= 0x8000:
            return False  # before the floor
        if ahead > MAX_TRACKED:
            self._floor = None  # well past it: nothing that old comes any more (and sequence numbers wrap)
        return True


def _counted_only(packet: RtpPacket) -> RtpPacket:
    """An RTX packet the receiver counts (its statistics, its bandwidth estimator) and discards: as long, all of it
    padding (aiortc drops an RTX packet with no original sequence number before its jitter buffer)."""
    counted = RtpPacket(
        payload_type=packet.payload_type,
        marker=packet.marker,
        sequence_number=packet.sequence_number,
        timestamp=packet.timestamp,
        ssrc=packet.ssrc,
    )
    counted.extensions = packet.extensions
    counted.padding_size = len(packet.payload) + packet.padding_size
    return counted


def check_receiver(receiver: RTCRtpReceiver) -> None:
    missing = [name for name in (RECEIVER_CODECS, RECEIVER_JITTER_BUFFER) if not hasattr(receiver, name)]
    for method in (RECEIVER_HANDLE_RTP, RECEIVER_PLI, RECEIVER_NACK):
        if not callable(getattr(receiver, method, None)):
            missing.append(method)
    if missing:
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {', '.join(missing)}")


def watch_gaps(
    receiver: RTCRtpReceiver, on_give_up: Callable[[], None], reports: PromptReports | None = None
) -> GapWatch:
    """Watch ``receiver``'s video packets (module docstring); ``on_give_up`` tells the decoder to wait for a
    keyframe; ``reports`` hears of each RTX packet (retransmissions and the SFU's probes) and of each packet that
    comes while others are missing."""
    check_receiver(receiver)
    watch = GapWatch()
    handle: Callable[..., Awaitable[None]] = getattr(receiver, RECEIVER_HANDLE_RTP)
    codecs: dict[int, Any] = getattr(receiver, RECEIVER_CODECS)
    media_ssrc: int | None = None

    rtx_types: frozenset[int] = frozenset()  # the RTX payload types among codecs (filled in by receive())
    known = -1

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        nonlocal media_ssrc, rtx_types, known
        if len(codecs) != known:
            known = len(codecs)
            rtx_types = frozenset(pt for pt, codec in codecs.items() if is_rtx(codec))
        sequence_number: int | None = packet.sequence_number
        if packet.payload_type not in rtx_types:
            media_ssrc = packet.ssrc
        else:
            if reports is not None:
                reports.rtx(packet.ssrc)
            # the original's sequence number leads the payload (RFC 4588); a padding-only RTX has none
            sequence_number = int.from_bytes(packet.payload[:2], "big") if len(packet.payload) >= 2 else None
        if sequence_number is None:
            await handle(packet, arrival_time_ms=arrival_time_ms)
            return
        if not watch.passes(sequence_number):
            # a retransmission of what was given up (or a probe's copy of it: the SFU measuring the link): it would
            # hold the fresh buffer back again, but the receiver's report and bandwidth estimate must count it
            await handle(_counted_only(packet), arrival_time_ms=arrival_time_ms)
            return
        now = time.monotonic()
        outcome = watch.packet(sequence_number, now)
        if reports is not None and media_ssrc is not None and (watch.missing or outcome.give_up):
            reports.losing(media_ssrc, now)
        if outcome is KEEP:  # the common case: nothing given up, nothing to ask for unless packets are missing
            await handle(packet, arrival_time_ms=arrival_time_ms)
            if watch.missing and media_ssrc is not None and (again := watch.due_again(now)):
                await getattr(receiver, RECEIVER_NACK)(media_ssrc, again)
            return
        logger.debug("receiver: frames lost for good; fresh jitter buffer%s", ", PLI sent" if outcome.ask else "")
        setattr(receiver, RECEIVER_JITTER_BUFFER, JitterBuffer(capacity=VIDEO_JITTER_CAPACITY, is_video=True))
        on_give_up()
        if watch.passes(sequence_number):  # after a give-up, this packet is behind the floor: the buffer is fresh
            await handle(packet, arrival_time_ms=arrival_time_ms)
        if outcome.ask and media_ssrc is not None:
            await getattr(receiver, RECEIVER_PLI)(media_ssrc)

    setattr(receiver, RECEIVER_HANDLE_RTP, handle_rtp_packet)
    return watch

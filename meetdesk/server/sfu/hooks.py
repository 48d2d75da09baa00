"""Every place where the SFU reaches into aiortc's internals, and nowhere else.

aiortc has no API for forwarding encoded media, so the SFU changes three things on objects it owns:

1. On a publisher's ``RTCRtpReceiver`` it replaces the private jitter buffer
   (``_RTCRtpReceiver__jitter_buffer``) with an assembler from :mod:`.assembler`, which completes
   frames on the marker bit and hands them to the forwarder, so nothing reaches the decoder. The
   assembler reads the receiver's negotiated codecs (``_RTCRtpReceiver__codecs``) to refuse any
   codec but VP8 / Opus.
   Unless :mod:`meetdesk.rtc.adaptations` are off, it also has the receiver's RTX SSRCs routed to it
   (:mod:`meetdesk.rtc.rtx`) and (1b) shadows ``_send_rtcp_nack`` so that it asks the publisher again only
   for packets among its last :data:`NACK_RECENT` and, when more than :data:`NACK_MOST` are missing at
   once (a cut), for none: it drops those from the private NACK generator's (``_RTCRtpReceiver__nack_generator``)
   ``missing`` set, and the assembler gives the frames up and asks for a keyframe instead.
2. On the same receiver it replaces the private decoder queue (``_RTCRtpReceiver__decoder_queue``)
   with :class:`_EndOfStream`: the decoder thread, whether already running or started later by
   ``receive()``, ends at once without creating a decoder, and the ``put(None)`` that aiortc sends
   on ``stop()``, RTCP BYE or disconnect tells the forwarder the publisher's stream ended.
3. On a subscriber's ``RTCRtpSender`` it shadows ``_send_keyframe`` (called on PLI and FIR from
   the subscriber) so that the request goes to the publisher instead of an encoder that is not
   there.

4. On the same sender (unless :mod:`meetdesk.rtc.adaptations` are off) it puts a
   :class:`~.history.RetransmissionHistory` in place of the private packet history
   (``_RTCRtpSender__rtp_history``, written ``history[seq % 128] = packet``) and shadows ``_retransmit``
   (called for each NACKed sequence number) with one that takes the packet from that history and sends it
   as aiortc would: RTX-wrapped with the sender's RTX payload type, SSRC and sequence number
   (``_RTCRtpSender__rtx_payload_type``, ``_rtx_ssrc``, ``_RTCRtpSender__rtx_sequence_number``) when
   negotiated, serialized with its header extensions map (``_RTCRtpSender__rtp_header_extensions_map``).

5. For audio (unless the adaptations are off): on a subscriber's sender it shadows ``_handle_rtcp_packet``
   to read the loss the subscriber reports (RTCP RR ``fraction lost`` for the sender's ``_ssrc``) before
   aiortc handles the packet; on the publisher's receiver it sends an extra RR with the worst of those
   (``_send_rtcp``, from the receiver's ``_RTCRtpReceiver__rtcp_ssrc``), so that the publisher's Opus
   encoder turns its in-band FEC on for loss on the subscribers' links (:mod:`meetdesk.client.media.opus_fec`).

6. On the ICE gatherers of the SFU's own peer connections it offers host candidates on the addresses
   others reach this server at only (:class:`meetdesk.rtc.ice.HostLimitedPeerConnection`).
7. On a subscriber's video ``RTCRtpSender`` it wraps ``_handle_rtcp_packet`` to read the REMB feedback and loss
   reports of the subscriber's receiver (its bandwidth estimate, :mod:`.estimate`), reads the sender's
   ``_RTCRtpSender__octet_count`` / ``__packet_count`` (what it sent), and sends probe packets on its
   RTX stream (recent packets from ``__rtp_history`` again, or padding, with ``__rtx_payload_type``,
   ``__rtx_sequence_number``, ``__rtp_header_extensions_map``, ``__mid`` and ``_rtx_ssrc``) through
   its transport's ``_send_rtp``: the receiver's estimator counts them, its decoder never sees a new
   picture (a duplicate packet or padding only). With the SFU's own history (item 4) the newest packets
   come from it.

Upstream keyframe requests use ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)``. The sender side needs
no hook: ``RTCRtpSender`` packetizes an ``av.Packet`` returned by its track without encoding it.

:func:`check_receiver` and :func:`check_sender` run on every hook and raise
:class:`AiortcHookError` when the pinned aiortc no longer has what the hooks rely on; the test
``tests/unit/sfu/test_aiortc_hooks.py`` checks the behaviour behind these names as well.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc import clock as aiortc_clock
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
    wrap_rtx,
)
from aiortc.utils import uint16_add

from meetdesk.rtc import adaptations
from meetdesk.rtc.errors import PINNED_AIORTC, AiortcHookError
from meetdesk.rtc.internals import (
    RECEIVER_CODECS,
    RECEIVER_DECODER_QUEUE,
    RECEIVER_DECODER_THREAD,
    RECEIVER_JITTER_BUFFER,
    RECEIVER_KIND,
    RECEIVER_NACK,
    RECEIVER_PLI,
    RECEIVER_RTCP_SSRC,
    RECEIVER_SEND_RTCP,
    TRANSPORT_ROUTER,
)
from meetdesk.rtc.rtx import route_rtx

from .assembler import FrameSink, OpusFrameAssembler, Vp8FrameAssembler
from .history import RetransmissionHistory

logger = logging.getLogger(__name__)

SENDER_KEYFRAME: Final = "_send_keyframe"
SENDER_HISTORY: Final = "_RTCRtpSender__rtp_history"
SENDER_RETRANSMIT: Final = "_retransmit"
SENDER_RTX_PAYLOAD_TYPE: Final = "_RTCRtpSender__rtx_payload_type"
SENDER_RTX_SEQUENCE: Final = "_RTCRtpSender__rtx_sequence_number"
SENDER_RTX_SSRC: Final = "_rtx_ssrc"
SENDER_EXTENSIONS: Final = "_RTCRtpSender__rtp_header_extensions_map"
SENDER_HANDLE_RTCP: Final = "_handle_rtcp_packet"
RECEIVER_NACK_GENERATOR: Final = "_RTCRtpReceiver__nack_generator"
#: a publisher is asked again for the packets it sent among its last this many only: older ones come too late
NACK_RECENT: Final = 64
#: more missing than this at once is a cut, not a loss: a keyframe repairs it, not a burst of retransmissions
NACK_MOST: Final = 24
SENDER_RTCP: Final = "_handle_rtcp_packet"
SENDER_OCTETS: Final = "_RTCRtpSender__octet_count"
SENDER_PACKETS: Final = "_RTCRtpSender__packet_count"
SENDER_MID: Final = "_RTCRtpSender__mid"
#: the most padding one RTP packet carries (its last byte counts it)
MAX_PADDING: Final = 255
#: probes repeat at most this many of the newest packets: an old duplicate (100 sequence numbers back or more)
#: would make aiortc's jitter buffer start afresh
PROBE_PACKETS: Final = 24

# The history each sender keeps (one per sender, whichever subscriptions it carries in turn).
_histories: weakref.WeakKeyDictionary[RTCRtpSender, RetransmissionHistory] = weakref.WeakKeyDictionary()


def check_receiver(receiver: RTCRtpReceiver) -> None:
    """Raise :class:`AiortcHookError` unless ``receiver`` has the internals :func:`tap_receiver` replaces."""
    missing = [
        name
        for name in (
            RECEIVER_JITTER_BUFFER,
            RECEIVER_DECODER_QUEUE,
            RECEIVER_DECODER_THREAD,
            RECEIVER_KIND,
            RECEIVER_CODECS,
        )
        if not hasattr(receiver, name)
    ]
    if not callable(getattr(receiver, RECEIVER_PLI, None)):
        missing.append(RECEIVER_PLI)
    if missing:
        raise AiortcHookError(
            f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {', '.join(missing)}; "
            f"the SFU is written for aiortc {PINNED_AIORTC}x"
        )


def check_sender(sender: RTCRtpSender) -> None:
    """Raise :class:`AiortcHookError` unless ``sender`` has the method :func:`redirect_keyframe_requests` shadows."""
    if not callable(getattr(type(sender), SENDER_KEYFRAME, None)):
        raise AiortcHookError(
            f"aiortc {aiortc.__version__} RTCRtpSender lacks {SENDER_KEYFRAME}; "
            f"the SFU is written for aiortc {PINNED_AIORTC}x"
        )


class _EndOfStream:
    """Takes the place of the receiver's decoder queue (a ``queue.Queue``).

    ``get()`` is the decoder thread's only call: answering ``None`` ends the thread before it makes
    a decoder. ``put(None)`` is aiortc stopping the decoder; ``put(frame)`` cannot happen while
    the assembler returns no frames, and is ignored if it does.
    """

    def __init__(self, on_end: Callable[[], None]) -> None:
        self._on_end: Callable[[], None] | None = on_end

    def get(self, block: bool = True, timeout: float | None = None) -> None:
        return None

    def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
        if item is None and self._on_end is not None:
            on_end, self._on_end = self._on_end, None
            on_end()
        elif item is not None:
            logger.warning("SFU receiver tap got a frame for decoding; dropped it")


def tap_receiver(
    receiver: RTCRtpReceiver, sink: FrameSink, on_end: Callable[[], None]
) -> Vp8FrameAssembler | OpusFrameAssembler:
    """Make ``receiver`` hand complete encoded frames to ``sink`` instead of decoding them.

    Call it before or after ``receive()`` (the ``track`` event comes before). ``on_end`` runs once
    when aiortc stops the receiver's stream. Returns the assembler (its counters are stats).
    """
    check_receiver(receiver)
    kind = getattr(receiver, RECEIVER_KIND)
    codecs = getattr(receiver, RECEIVER_CODECS)  # filled in place by receive()
    assembler: Vp8FrameAssembler | OpusFrameAssembler
    if kind == "video":
        assembler = Vp8FrameAssembler(sink, codecs=codecs)
        if adaptations.enabled():
            route_rtx(receiver)  # a simulcast publisher's two layers: aiortc dropped every retransmission
            limit_nacks(receiver)
    elif kind == "audio":
        assembler = OpusFrameAssembler(sink, codecs=codecs)
    else:
        raise ValueError(f"cannot forward {kind!r} media")
    setattr(receiver, RECEIVER_JITTER_BUFFER, assembler)
    old_queue = getattr(receiver, RECEIVER_DECODER_QUEUE)
    setattr(receiver, RECEIVER_DECODER_QUEUE, _EndOfStream(on_end))
    thread: threading.Thread | None = getattr(receiver, RECEIVER_DECODER_THREAD)
    if thread is not None and thread.is_alive():
        # receive() ran already: its thread waits on the old queue; None is how aiortc stops it
        old_queue.put(None)
        thread.join(timeout=1.0)
    return assembler


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the publisher behind ``receiver`` for a keyframe (RTCP PLI for ``media_ssrc``)."""
    await receiver._send_rtcp_pli(media_ssrc)


def redirect_keyframe_requests(sender: RTCRtpSender, request: Callable[[], None]) -> None:
    """Make PLI and FIR arriving at ``sender`` call ``request`` instead of flagging its encoder."""
    check_sender(sender)
    # an instance attribute shadows the method; mypy forbids assigning to a method, hence setattr
    setattr(sender, SENDER_KEYFRAME, request)


def restore_keyframe_requests(sender: RTCRtpSender, request: Callable[[], None]) -> None:
    """Undo :func:`redirect_keyframe_requests` to ``request``, unless the sender was redirected elsewhere since."""
    if vars(sender).get(SENDER_KEYFRAME) == request:
        del vars(sender)[SENDER_KEYFRAME]


def check_history(sender: RTCRtpSender) -> None:
    """Raise :class:`AiortcHookError` unless ``sender`` has what :func:`keep_history` replaces and reads."""
    names = (
        SENDER_HISTORY,
        SENDER_RTX_PAYLOAD_TYPE,
        SENDER_RTX_SEQUENCE,
        SENDER_RTX_SSRC,
        SENDER_EXTENSIONS,
        SENDER_MID,
    )
    missing = [name for name in names if not hasattr(sender, name)]
    if not isinstance(getattr(sender, SENDER_HISTORY, None), dict | RetransmissionHistory):
        missing.append(f"{SENDER_HISTORY} (a dict)")
    if not callable(getattr(type(sender), SENDER_RETRANSMIT, None)):
        missing.append(SENDER_RETRANSMIT)
    if missing:
        raise AiortcHookError(
            f"aiortc {aiortc.__version__} RTCRtpSender lacks {', '.join(missing)}; "
            f"the SFU is written for aiortc {PINNED_AIORTC}x"
        )


def keep_history(sender: RTCRtpSender) -> RetransmissionHistory:
    """Give ``sender`` the SFU's retransmission history (item 4 of the module docstring); the one it has
    if it has one already."""
    history = _histories.get(sender)
    if history is not None:
        return history
    check_history(sender)
    history = _histories[sender] = RetransmissionHistory()
    setattr(sender, SENDER_HISTORY, history)
    ref = weakref.ref(sender)  # the shadowing method is the sender's own attribute: no cycle through it

    async def retransmit(sequence_number: int) -> None:
        packet = history.take(sequence_number)
        owner = ref()
        if packet is None or owner is None:
            return
        packet.extensions.mid = getattr(owner, SENDER_MID)  # the send time stays the original's, as aiortc sends it
        payload_type: int | None = getattr(owner, SENDER_RTX_PAYLOAD_TYPE)
        if payload_type is not None:
            rtx_sequence: int = getattr(owner, SENDER_RTX_SEQUENCE)
            ssrc: int = getattr(owner, SENDER_RTX_SSRC)
            packet = wrap_rtx(packet, payload_type=payload_type, sequence_number=rtx_sequence, ssrc=ssrc)
            setattr(owner, SENDER_RTX_SEQUENCE, (rtx_sequence + 1) & 0xFFFF)
        with contextlib.suppress(ConnectionError):  # the transport closed meanwhile: nothing to repair
            await owner.transport._send_rtp(packet.serialize(getattr(owner, SENDER_EXTENSIONS)))

    setattr(sender, SENDER_RETRANSMIT, retransmit)
    return history


def history_of(sender: RTCRtpSender) -> RetransmissionHistory | None:
    """The retransmission history :func:`keep_history` gave ``sender``, if any."""
    return _histories.get(sender)


def limit_nacks(receiver: RTCRtpReceiver) -> None:
    """Have the publisher's receiver NACK recent losses only (item 1b of the module docstring)."""
    nack: Callable[[RTCRtpReceiver, int, list[int]], Awaitable[None]] | None = getattr(
        type(receiver), RECEIVER_NACK, None
    )
    if nack is None or not hasattr(receiver, RECEIVER_NACK_GENERATOR):
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {RECEIVER_NACK}")
    ref = weakref.ref(receiver)

    async def send_rtcp_nack(media_ssrc: int, lost: list[int]) -> None:
        owner = ref()
        generator = getattr(owner, RECEIVER_NACK_GENERATOR, None)
        if owner is None or generator is None or generator.max_seq is None:
            return
        recent = [seq for seq in lost if (generator.max_seq - seq) & 0xFFFF < NACK_RECENT]
        generator.missing.difference_update(set(lost) - set(recent))  # not asked for again
        if len(recent) > NACK_MOST:
            generator.missing.clear()  # a cut: the assembler gives it up and asks for a keyframe
            return
        if recent:
            await nack(owner, media_ssrc, recent)

    setattr(receiver, RECEIVER_NACK, send_rtcp_nack)


def watch_loss_reports(sender: RTCRtpSender, report: Callable[[float], None]) -> None:
    """Call ``report`` with the fraction of packets lost (0..1) each time the subscriber behind ``sender``
    reports it (item 5 of the module docstring); aiortc handles the packet as before."""
    if not callable(getattr(sender, SENDER_HANDLE_RTCP, None)) or not hasattr(sender, "_ssrc"):
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpSender lacks {SENDER_HANDLE_RTCP} or _ssrc")
    handle: Callable[[RTCRtpSender, object], Awaitable[None]] = getattr(type(sender), SENDER_HANDLE_RTCP)
    ref = weakref.ref(sender)

    async def handle_rtcp_packet(packet: object) -> None:
        owner = ref()
        if owner is None:
            return
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for info in packet.reports:
                if info.ssrc == owner._ssrc:
                    report(info.fraction_lost / 256)
        await handle(owner, packet)

    setattr(sender, SENDER_HANDLE_RTCP, handle_rtcp_packet)


async def report_loss_upstream(receiver: RTCRtpReceiver, media_ssrc: int, fraction: float) -> None:
    """Tell the publisher behind ``receiver`` that ``fraction`` of its stream ``media_ssrc`` is lost (an RR of
    our own, next to aiortc's: item 5 of the module docstring)."""
    rtcp_ssrc: int | None = getattr(receiver, RECEIVER_RTCP_SSRC, None)
    if rtcp_ssrc is None:
        return  # not started yet
    info = RtcpReceiverInfo(
        ssrc=media_ssrc,
        fraction_lost=max(0, min(255, round(fraction * 256))),
        packets_lost=0,
        highest_sequence=0,
        jitter=0,
        lsr=0,
        dlsr=0,
    )
    await getattr(receiver, RECEIVER_SEND_RTCP)(RtcpRrPacket(ssrc=rtcp_ssrc, reports=[info]))


def decoder_thread(receiver: RTCRtpReceiver) -> threading.Thread | None:
    """The receiver's decoder thread (for checks that it is not running)."""
    thread: threading.Thread | None = getattr(receiver, RECEIVER_DECODER_THREAD)
    return thread


def check_feedback(sender: RTCRtpSender) -> None:
    """Raise :class:`AiortcHookError` unless ``sender`` has what :func:`observe_feedback`, :func:`sent_counts` and
    :func:`send_probe` use."""
    names = (
        SENDER_OCTETS,
        SENDER_PACKETS,
        SENDER_HISTORY,
        SENDER_RTX_PAYLOAD_TYPE,
        SENDER_RTX_SEQUENCE,
        SENDER_EXTENSIONS,
    )
    missing = [name for name in (*names, SENDER_MID, SENDER_RTX_SSRC) if not hasattr(sender, name)]
    if not callable(getattr(type(sender), SENDER_RTCP, None)):
        missing.append(SENDER_RTCP)
    if not callable(getattr(getattr(sender.transport, TRANSPORT_ROUTER, None), "register_sender", None)):
        missing.append(f"transport.{TRANSPORT_ROUTER}.register_sender")
    if missing:
        raise AiortcHookError(
            f"aiortc {aiortc.__version__} RTCRtpSender lacks {', '.join(missing)}; "
            f"the SFU is written for aiortc {PINNED_AIORTC}x"
        )


def observe_feedback(
    sender: RTCRtpSender,
    on_remb: Callable[[int], None],
    on_loss: Callable[[float], None],
    on_rtx_report: Callable[[int, int], None] | None = None,
) -> None:
    """Call ``on_remb(bits_per_second)`` for each REMB the subscriber's receiver sends about ``sender``'s stream,
    ``on_loss(fraction)`` with the fraction of its packets lost in each receiver report, and
    ``on_rtx_report(highest_sequence, packets_lost)`` for each report on its RTX stream (retransmissions and
    probes: the extended sequence number the receiver got last, how many it lost in all), before aiortc handles the
    packet as usual (a sender that packs frames has no encoder the REMB could steer).

    A report on the RTX stream alone (MeetDesk's receivers send one promptly while RTX packets arrive:
    :mod:`meetdesk.client.prompt_reports`) reaches the sender too: aiortc's router knows senders by their media SSRC
    only, so the RTX SSRC is registered with it as well (unregistering the sender drops both)."""
    check_feedback(sender)
    handle: Callable[[RTCRtpSender, Any], Awaitable[None]] = getattr(type(sender), SENDER_RTCP)
    ssrc = sender._ssrc
    rtx_ssrc = getattr(sender, SENDER_RTX_SSRC)
    ref = weakref.ref(sender)  # the shadowing method is the sender's own attribute: no cycle through it

    async def handle_rtcp_packet(packet: Any) -> None:
        owner = ref()
        if owner is None:
            return
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                if report.ssrc == ssrc:
                    on_loss(report.fraction_lost / 256)
                elif report.ssrc == rtx_ssrc and on_rtx_report is not None:
                    on_rtx_report(report.highest_sequence, report.packets_lost)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                pass
            else:
                if ssrc in ssrcs:
                    on_remb(bitrate)
        await handle(owner, packet)

    setattr(sender, SENDER_RTCP, handle_rtcp_packet)
    getattr(sender.transport, TRANSPORT_ROUTER).register_sender(sender, rtx_ssrc)


def next_rtx_sequence(sender: RTCRtpSender) -> int:
    """The RTP sequence number ``sender``'s next retransmission or probe packet gets."""
    sequence: int = getattr(sender, SENDER_RTX_SEQUENCE)
    return sequence


def sent_counts(sender: RTCRtpSender) -> tuple[int, int]:
    """The payload bytes and the RTP packets ``sender`` has sent of its media (not retransmissions nor probes)."""
    return getattr(sender, SENDER_OCTETS), getattr(sender, SENDER_PACKETS)


async def send_probe(sender: RTCRtpSender, budget: int) -> tuple[int, int]:
    """Send about ``budget`` bytes of probe packets on ``sender``'s RTX stream; return (packets, bytes) sent.

    The newest packets of its history go again (RTX, stamped with the time they leave: the receiver's estimator
    takes them as they are, its jitter buffer as duplicates of what it has); with no history (nothing sent yet,
    or not for a while), padding only. Nothing is sent when the subscriber negotiated no RTX or the sender has
    not started.
    """
    rtx_payload_type: int | None = getattr(sender, SENDER_RTX_PAYLOAD_TYPE)
    transport = sender.transport
    if rtx_payload_type is None or transport is None:
        return 0, 0
    history: dict[int, RtpPacket] | RetransmissionHistory = getattr(sender, SENDER_HISTORY)
    extensions = getattr(sender, SENDER_EXTENSIONS)
    mid = getattr(sender, SENDER_MID)
    if isinstance(history, RetransmissionHistory):
        recent = history.newest(PROBE_PACKETS)
    else:
        recent = _newest_packets(history, PROBE_PACKETS)
    sent_packets = sent_bytes = 0
    index = 0
    while sent_bytes < budget:
        sequence_number: int = getattr(sender, SENDER_RTX_SEQUENCE)
        if recent:
            packet = wrap_rtx(
                recent[index % len(recent)],
                payload_type=rtx_payload_type,
                sequence_number=sequence_number,
                ssrc=getattr(sender, SENDER_RTX_SSRC),
            )
            index += 1
        else:
            packet = RtpPacket(
                payload_type=rtx_payload_type,
                sequence_number=sequence_number,
                timestamp=0,
                ssrc=getattr(sender, SENDER_RTX_SSRC),
            )
            packet.padding_size = MAX_PADDING
        packet.extensions.abs_send_time = (aiortc_clock.current_ntp_time() >> 14) & 0x00FFFFFF
        packet.extensions.mid = mid
        data = packet.serialize(extensions)
        setattr(sender, SENDER_RTX_SEQUENCE, uint16_add(sequence_number, 1))
        await transport._send_rtp(data)
        sent_packets += 1
        sent_bytes += len(data)
    return sent_packets, sent_bytes


def _newest_packets(history: dict[int, RtpPacket], count: int) -> list[RtpPacket]:
    """The ``count`` packets the sender sent last (fewer if it has not), from its history: a ring of
    ``RTP_HISTORY_SIZE`` packets keyed by sequence number modulo that size."""
    size = aiortc.rtp.RTP_HISTORY_SIZE

    def at(sequence_number: int) -> RtpPacket | None:
        packet = history.get(sequence_number % size)
        return packet if packet is not None and packet.sequence_number == sequence_number else None

    # the newest is the one whose successor is not there (its slot holds one 127 older, or nothing)
    newest = next((p for p in history.values() if at(uint16_add(p.sequence_number, 1)) is None), None)
    packets: list[RtpPacket] = []
    while newest is not None and len(packets) < count:
        packets.append(newest)
        newest = at(uint16_add(newest.sequence_number, -1))
    return packets

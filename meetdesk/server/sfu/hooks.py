"""Every place where the SFU reaches into aiortc's internals, and nowhere else.

aiortc has no API for forwarding encoded media, so the SFU changes three things on objects it owns:

1. On a publisher's ``RTCRtpReceiver`` it replaces the private jitter buffer
   (``_RTCRtpReceiver__jitter_buffer``) with an assembler from :mod:`.assembler`, which completes
   frames on the marker bit and hands them to the forwarder, so nothing reaches the decoder. The
   assembler reads the receiver's negotiated codecs (``_RTCRtpReceiver__codecs``) to refuse any
   codec but VP8 / Opus.
2. On the same receiver it replaces the private decoder queue (``_RTCRtpReceiver__decoder_queue``)
   with :class:`_EndOfStream`: the decoder thread, whether already running or started later by
   ``receive()``, ends at once without creating a decoder, and the ``put(None)`` that aiortc sends
   on ``stop()``, RTCP BYE or disconnect tells the forwarder the publisher's stream ended.
3. On a subscriber's ``RTCRtpSender`` it shadows ``_send_keyframe`` (called on PLI and FIR from
   the subscriber) so that the request goes to the publisher instead of an encoder that is not
   there.

4. On the ICE gatherers of the SFU's own peer connections it offers host candidates on the addresses
   others reach this server at only (:class:`meetdesk.rtc.ice.HostLimitedPeerConnection`).

Upstream keyframe requests use ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)``. The sender side needs
no hook: ``RTCRtpSender`` packetizes an ``av.Packet`` returned by its track without encoding it.

:func:`check_receiver` and :func:`check_sender` run on every hook and raise
:class:`AiortcHookError` when the pinned aiortc no longer has what the hooks rely on; the test
``tests/unit/sfu/test_aiortc_hooks.py`` checks the behaviour behind these names as well.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender

from meetdesk.rtc.errors import PINNED_AIORTC, AiortcHookError

from .assembler import FrameSink, OpusFrameAssembler, Vp8FrameAssembler

logger = logging.getLogger(__name__)

RECEIVER_JITTER_BUFFER: Final = "_RTCRtpReceiver__jitter_buffer"
RECEIVER_DECODER_QUEUE: Final = "_RTCRtpReceiver__decoder_queue"
RECEIVER_DECODER_THREAD: Final = "_RTCRtpReceiver__decoder_thread"
RECEIVER_KIND: Final = "_RTCRtpReceiver__kind"
RECEIVER_CODECS: Final = "_RTCRtpReceiver__codecs"
SENDER_KEYFRAME: Final = "_send_keyframe"
RECEIVER_PLI: Final = "_send_rtcp_pli"


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


def decoder_thread(receiver: RTCRtpReceiver) -> threading.Thread | None:
    """The receiver's decoder thread (for checks that it is not running)."""
    thread: threading.Thread | None = getattr(receiver, RECEIVER_DECODER_THREAD)
    return thread

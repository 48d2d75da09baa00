"""Retransmissions (RTX) reaching the receiver they are for, when a connection carries several video streams.

aiortc routes an incoming RTP packet by its SSRC and payload type (``RtpRouter.route_rtp``) and registers a
receiver's media SSRCs only, not their RTX SSRCs. An unknown SSRC is learnt from the payload type when only
one receiver has it; but every video m-line of a bundled connection has the same RTX payload type, so with
two or more (a subscriber receiving two cameras, the SFU receiving a simulcast publisher's two layers) every
RTX packet was dropped: NACKs were answered and nothing was repaired.

:func:`route_rtx` shadows ``receive`` on one ``RTCRtpReceiver`` instance: once aiortc's has run (it fills the
receiver's private RTX map ``_RTCRtpReceiver__rtx_ssrc`` and registers it with its transport), each RTX SSRC
is added to the router's ``ssrc_table`` for that receiver (the transport's ``_rtp_router``). A receiver
started already is routed at once. ``tests/unit/rtc/test_rtx_routing.py`` guards the names and the behaviour.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiortc
from aiortc import RTCRtpReceiver

from meetdesk.rtc.errors import AiortcHookError
from meetdesk.rtc.internals import TRANSPORT_ROUTER

RECEIVER_RTX_SSRC: Final = "_RTCRtpReceiver__rtx_ssrc"
RECEIVER_STARTED: Final = "_RTCRtpReceiver__started"


def check_receiver(receiver: RTCRtpReceiver) -> None:
    missing = [name for name in (RECEIVER_RTX_SSRC, RECEIVER_STARTED) if not hasattr(receiver, name)]
    if not callable(getattr(receiver, "receive", None)):
        missing.append("receive")
    if missing:
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {', '.join(missing)}")


def _register(receiver: RTCRtpReceiver) -> None:
    rtx: dict[int, int] = getattr(receiver, RECEIVER_RTX_SSRC)
    router = getattr(receiver.transport, TRANSPORT_ROUTER, None)
    table: dict[int, Any] | None = getattr(router, "ssrc_table", None)
    if table is None:
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCDtlsTransport lacks {TRANSPORT_ROUTER}.ssrc_table")
    for rtx_ssrc in rtx:
        table[rtx_ssrc] = receiver


def route_rtx(receiver: RTCRtpReceiver) -> None:
    """Have the RTX packets of ``receiver``'s streams routed to it (module docstring)."""
    check_receiver(receiver)
    if getattr(receiver, RECEIVER_STARTED):
        _register(receiver)
        return
    receive: Callable[[RTCRtpReceiver, Any], Awaitable[None]] = type(receiver).receive
    ref = weakref.ref(receiver)  # the shadowing function is the receiver's own attribute: no cycle through it

    async def receive_and_route(parameters: Any) -> None:
        owner = ref()
        if owner is None:
            return
        await receive(owner, parameters)
        _register(owner)

    setattr(receiver, "receive", receive_and_route)  # noqa: B010 - an instance attribute shadowing the method

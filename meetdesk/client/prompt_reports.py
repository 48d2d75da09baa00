"""Prompt receiver reports: the SFU hears of a probe that got through, and of a link that overflows, sooner.

aiortc's receiver reports (RTCP RR) every 0.5-1.5 s at random, and the SFU's downlink estimate
(:mod:`meetdesk.server.sfu.estimate`) waits on those reports both ways:

- up: it rises only once the receiver's report on the RTX stream says a probe's packets arrived. Waiting for
  aiortc's next report cost up to 1.5 s per step of the climb, and the full layer came back 2.5-7 s after a thin
  link widened again (issue 13 asks for 5 s). While RTX packets arrive (a probe, or retransmissions),
  :class:`PromptReports` reports on those RTX streams :data:`RTX_REPORT_S` after the first of them;
- down: it falls after two or three lossy reports in a row, 1-4.5 s, while the link drops most of what is sent
  (a 2 Mbit/s meeting on a link capped at 500 kbit/s: the SFU offered the link 1.2 times what it carried over the
  cap's first 18 s, nearly all of it in those seconds). While a video stream loses :data:`PROMPT_LOSS` or more of
  its packets (an overflowing link: a link that loses packets at random loses far fewer), the receiver reports
  on it every :data:`MEDIA_REPORT_S`.

A report on an RTX stream alone leaves the media streams' reports at aiortc's pace; on a clean link nothing
extra is sent. It reads the receiver's private ``_RTCRtpReceiver__remote_streams`` (aiortc's statistics per
SSRC, the RTX stream's included, whose ``_expected_prior`` and ``_received_prior`` say where the last report
left off) and ``_RTCRtpReceiver__rtcp_ssrc``, and sends through ``_send_rtcp``, as aiortc's own report loop does;
tests/unit/rtc/test_aiortc_hooks.py guards the names. An RR packet is routed to a sender by the SSRCs it reports
on: the SFU registers its senders' RTX SSRCs for that (:func:`meetdesk.server.sfu.hooks.observe_feedback`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Final

import aiortc
from aiortc import RTCRtpReceiver
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket

from meetdesk.rtc.errors import AiortcHookError
from meetdesk.rtc.internals import RECEIVER_RTCP_SSRC, RECEIVER_SEND_RTCP

RECEIVER_REMOTE_STREAMS: Final = "_RTCRtpReceiver__remote_streams"
#: what aiortc's statistics keep of the last report (the expected and received counts then)
STATS_EXPECTED_PRIOR: Final = "_expected_prior"
STATS_RECEIVED_PRIOR: Final = "_received_prior"
#: how soon after an RTX packet the receiver reports on its stream (a probe is proven by a report on the packet it
#: sent 0.5 s in: reports 0.2 s apart prove it within about 0.7 s)
RTX_REPORT_S: Final = 0.2
#: a video stream that lost this share of the packets since the last report, of at least :data:`PROMPT_EXPECTED`,
#: is reported on at once (at most every :data:`MEDIA_REPORT_S`). Twice what the SFU takes for overuse (20 %):
#: at 10 % random loss, 8 or more of 20 packets lost happens once in 2,500 reports
PROMPT_LOSS: Final = 0.4
PROMPT_EXPECTED: Final = 20
MEDIA_REPORT_S: Final = 0.25


def check_receiver(receiver: RTCRtpReceiver) -> None:
    missing = [name for name in (RECEIVER_REMOTE_STREAMS, RECEIVER_RTCP_SSRC) if not hasattr(receiver, name)]
    if not callable(getattr(receiver, RECEIVER_SEND_RTCP, None)):
        missing.append(RECEIVER_SEND_RTCP)
    if missing:
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {', '.join(missing)}")


def since_last_report(stream: Any) -> tuple[int, int]:
    """The packets a stream's statistics expected since its last report, and how many of them were lost."""
    expected = stream.packets_expected - getattr(stream, STATS_EXPECTED_PRIOR)
    return expected, expected - (stream.packets_received - getattr(stream, STATS_RECEIVED_PRIOR))


class PromptReports:
    """Extra receiver reports for one receiver (module docstring), asked for from its receive path."""

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        check_receiver(receiver)
        self._receiver = receiver
        self._streams: dict[int, Any] = getattr(receiver, RECEIVER_REMOTE_STREAMS)
        self._rtx_due: set[int] = set()  # the RTX SSRCs with packets since the last report on them
        self._timer: asyncio.TimerHandle | None = None
        self._media_reported = -float("inf")
        self._sending: set[asyncio.Task[None]] = set()
        self.sent = 0

    def rtx(self, ssrc: int) -> None:
        """An RTX packet on ``ssrc`` came (called from the receive path, on the event loop)."""
        self._rtx_due.add(ssrc)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(RTX_REPORT_S, self._report_rtx)

    def losing(self, ssrc: int, now: float) -> None:
        """Packets of the video stream ``ssrc`` are missing (at ``now``, monotonic): reported on at once if it lost
        :data:`PROMPT_LOSS` of them since its last report."""
        if now - self._media_reported < MEDIA_REPORT_S or (stream := self._streams.get(ssrc)) is None:
            return
        expected, lost = since_last_report(stream)
        if expected >= PROMPT_EXPECTED and lost >= PROMPT_LOSS * expected:
            self._media_reported = now
            self._send((ssrc, *self._rtx_due))
            self._rtx_due.clear()

    def _report_rtx(self) -> None:
        self._timer = None
        ssrcs, self._rtx_due = self._rtx_due, set()
        self._send(ssrcs)

    def _send(self, ssrcs: Iterable[int]) -> None:
        rtcp_ssrc: int | None = getattr(self._receiver, RECEIVER_RTCP_SSRC)
        reports = [
            RtcpReceiverInfo(
                ssrc=ssrc,
                fraction_lost=stream.fraction_lost,  # (since the last report; this one is the last from now on)
                packets_lost=stream.packets_lost,
                highest_sequence=stream.max_seq,
                jitter=stream.jitter,
                lsr=0,
                dlsr=0,
            )
            for ssrc in ssrcs
            if (stream := self._streams.get(ssrc)) is not None
        ]
        if rtcp_ssrc is None or not reports:
            return
        task = asyncio.ensure_future(getattr(self._receiver, RECEIVER_SEND_RTCP)(RtcpRrPacket(rtcp_ssrc, reports)))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        self.sent += 1

"""How well a participant's media flows, graded from its own peer connections' statistics and the estimates.

Every few seconds the session reads ``getStats()`` of its publisher (RTCP receiver reports from the server:
what was lost of what it sends, and the round trip) and of its subscriber (what it lost of what it
receives), and :class:`QualityMeter` grades the change since the last reading with :func:`grade`. The grade is
then held to what the bandwidth estimates made the media do (:func:`held_to_estimates`): the server's estimate of
the downlink (videos paused or sent at a lower layer for this participant) and the publisher's own uplink
estimate (its camera's full layer stopped, or at half its frame rate). The session tells the server when
the grade changes (``connection_quality``); the server shows it to everyone in the participant's ``quality``, and
the meeting window draws it on the participant's tile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

from meetdesk.client.media.uplink import UplinkController
from meetdesk.core.signalling import Quality

#: losses (a fraction of the packets) and round trips (seconds) from which the connection is "poor" / only "good"
POOR_LOSS, GOOD_LOSS = 0.10, 0.02
POOR_RTT_S, GOOD_RTT_S = 0.5, 0.2


def grade(loss: float | None, rtt: float | None, *, connected: bool = True) -> Quality:
    """The quality of a connection that lost the fraction ``loss`` of its packets with round trip ``rtt``
    (None: not measured yet). Not ``connected``: "lost"."""
    if not connected:
        return "lost"
    if loss is None and rtt is None:
        return "good"
    loss, rtt = loss or 0.0, rtt or 0.0
    if loss >= POOR_LOSS or rtt >= POOR_RTT_S:
        return "poor"
    if loss >= GOOD_LOSS or rtt >= GOOD_RTT_S:
        return "good"
    return "excellent"


_ORDER: tuple[Quality, ...] = ("lost", "poor", "good", "excellent")


def held_to_downlink(quality: Quality, *, paused: bool, limited: bool) -> Quality:
    """``quality`` no better than the server's estimate of the downlink allows: "poor" while it pauses videos
    for this participant, "good" while it holds any back otherwise (a low layer in a large tile)."""
    ceiling: Quality = "poor" if paused else "good" if limited else "excellent"
    return min(quality, ceiling, key=_ORDER.index)


@dataclass(frozen=True, slots=True)
class Estimates:
    """What the bandwidth estimates made a participant's media do."""

    #: the server holds cameras back for this participant's downlink: paused, or any held back (a lower layer)
    paused: bool = False
    limited: bool = False
    #: the camera's full layer is stopped for the participant's uplink (the others get the low layer), or sent at
    #: half its frame rate
    uplink_stopped: bool = False
    uplink_thinned: bool = False


def held_to_estimates(quality: Quality, estimates: Estimates) -> Quality:
    """``quality`` no better than what the estimates made the media do allows: "poor" while the server pauses videos
    for this participant or while its own camera's full layer is stopped for its uplink; "good" while anything else
    is held back either way (a lower layer down, half the frame rate up). The estimates themselves are not graded:
    neither side probes beyond what it sends, so a low figure may only say little was sent."""
    quality = held_to_downlink(quality, paused=estimates.paused, limited=estimates.limited)
    if estimates.uplink_stopped:
        ceiling: Quality = "poor"
    elif estimates.uplink_thinned:
        ceiling = "good"
    else:
        return quality
    return min(quality, ceiling, key=_ORDER.index)


def estimates_now(*, paused: bool, limited: bool, uplink: UplinkController | None) -> Estimates:
    """The :class:`Estimates` of a session: the server's word on its downlink, its publisher's uplink control."""
    if uplink is None:
        return Estimates(paused, limited)
    plan = uplink.plan
    return Estimates(paused, limited, uplink_stopped=not plan.on, uplink_thinned=plan.on and plan.half_rate)


class QualityMeter:
    """Grades the packets lost and the round trip since the previous :meth:`measure`."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # stream -> (received, lost) at the last reading

    async def measure(self, *connections: RTCPeerConnection | None, connected: bool = True) -> Quality:
        received = lost = 0
        rtts: list[float] = []
        counts: dict[str, tuple[int, int]] = {}
        for pc in connections:
            if pc is None or pc.connectionState == "closed":
                continue
            report: dict[str, Any] = await pc.getStats()
            for stats in report.values():
                if isinstance(stats, RTCRemoteInboundRtpStreamStats) and stats.roundTripTime:
                    rtts.append(stats.roundTripTime)
                if isinstance(stats, RTCInboundRtpStreamStats | RTCRemoteInboundRtpStreamStats):
                    key = f"{id(pc)}/{type(stats).__name__}/{stats.ssrc}"
                    now = (stats.packetsReceived, max(0, stats.packetsLost))
                    before = self._counts.get(key, (0, 0))
                    received += max(0, now[0] - before[0])
                    lost += max(0, now[1] - before[1])
                    counts[key] = now
        self._counts = counts
        total = received + lost
        return grade(lost / total if total else None, max(rtts) if rtts else None, connected=connected)

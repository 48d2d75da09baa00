"""How well a participant's media flows, graded from its own peer connections' statistics and the estimates.

Every few seconds the session reads ``getStats()`` of its publisher (RTCP receiver reports from the server:
what was lost of what it sends, and the round trip) and of its subscriber (what it lost of what it
receives), and :class:`QualityMeter` grades the change since the last reading with :func:`grade`. The grade is
then held to what the bandwidth estimates made the media do (:func:`held_to_estimates`): the server's estimate of
the downlink (videos paused or sent at a lower layer for this participant, the estimate itself) and the
publisher's own uplink estimate (its camera's full layer stopped, or thinned). The session tells the server when
the grade changes (``connection_quality``); the server shows it to everyone in the participant's ``quality``, and
the meeting window draws it on the participant's tile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from aiortc import RTCPeerConnection
from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

from meetdesk.client.media.uplink import UplinkController
from meetdesk.client.media.uplink_estimate import FULL_MAX_BPS
from meetdesk.core.signalling import Quality

#: losses (a fraction of the packets) and round trips (seconds) from which the connection is "poor" / only "good"
POOR_LOSS, GOOD_LOSS = 0.10, 0.02
POOR_RTT_S, GOOD_RTT_S = 0.5, 0.2
#: estimates (bits per second, either way) under which the connection is "poor" / only "good": under the first not
#: even a low-layer camera and a microphone fit, under the second not a full-layer camera
POOR_ESTIMATE_BPS: Final = 250_000
GOOD_ESTIMATE_BPS: Final = 600_000


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
    """What the bandwidth estimates say of a participant's links, and what they made its media do."""

    #: the server holds cameras back for this participant's downlink: paused, or any held back (a lower layer)
    paused: bool = False
    limited: bool = False
    #: the server's estimate of the downlink (None: not told)
    downlink_bps: int | None = None
    #: the publisher's uplink estimate (None: no uplink control, e.g. no camera, or the adaptations off)
    uplink_bps: int | None = None
    #: the camera's full layer is stopped for the uplink (the others get the low layer), or sent thinner than it
    #: would be (a lower bit rate or half its frame rate)
    uplink_stopped: bool = False
    uplink_thinned: bool = False


def held_to_estimates(quality: Quality, estimates: Estimates) -> Quality:
    """``quality`` no better than the estimates allow: "poor" while the server pauses videos for this participant,
    while its own camera's full layer is stopped for its uplink, or with an estimate either way under
    :data:`POOR_ESTIMATE_BPS`; "good" while anything else is held back either way, or with an estimate under
    :data:`GOOD_ESTIMATE_BPS`."""
    quality = held_to_downlink(quality, paused=estimates.paused, limited=estimates.limited)
    known = [bps for bps in (estimates.downlink_bps, estimates.uplink_bps) if bps is not None]
    lowest = min(known, default=None)
    if estimates.uplink_stopped or (lowest is not None and lowest < POOR_ESTIMATE_BPS):
        ceiling: Quality = "poor"
    elif estimates.uplink_thinned or (lowest is not None and lowest < GOOD_ESTIMATE_BPS):
        ceiling = "good"
    else:
        return quality
    return min(quality, ceiling, key=_ORDER.index)


def estimates_now(
    *, paused: bool, limited: bool, downlink_bps: int | None, uplink: UplinkController | None
) -> Estimates:
    """The :class:`Estimates` of a session: the server's word on its downlink, its publisher's uplink control."""
    if uplink is None:
        return Estimates(paused, limited, downlink_bps)
    plan = uplink.plan
    thinned = plan.on and (plan.half_rate or plan.target_bps < FULL_MAX_BPS)
    return Estimates(paused, limited, downlink_bps, uplink.estimate.bps, not plan.on, thinned)


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

"""A pacer towards one subscriber: what the SFU sends a thin link, spread out at its estimate, never above it.

Once a subscriber's downlink estimate exists (:mod:`.estimate`: after its first overuse), everything the SFU
sends it of video goes through the subscriber's :class:`Pacer` (:func:`meetdesk.server.sfu.hooks.pace_transport`
puts it in front of the connection's transport), a token bucket in virtual time filled at ``rate_bps``:

- **audio** is not paced and not paid for: the estimate is what the link leaves for video (audio first);
- **video media** packets wait for their turn (the sender's loop waits, so its forwarded track's queue fills; a
  queue that overflows drops whole frames up to the next keyframe, asked of the publisher: :mod:`.track`). A
  burst (a keyframe, the frames queued while the computer was busy) leaves at the rate, not at once into the
  link's small buffer, where it would push out the audio too;
- **retransmissions** (the RTX stream) go only when the bucket has room for them now: they are never queued (they
  are sent from the connection's RTCP handling, which must not wait), what does not fit is dropped (and counted);
- **probe packets** (the RTX stream too, sent by the downlink's own task while :data:`probing` is set in it) wait
  for their turn as media does.

During a probe the rate is the probe's target (:mod:`meetdesk.server.meeting.downlink` sets it): media and probe
packets together never exceed it. A subscriber never seen overused has no pacer: its packets pass as before.

Pure: times in seconds are passed in; a few operations per packet.
"""

from __future__ import annotations

import enum
from contextvars import ContextVar
from typing import Final

#: what one packet costs the link besides what the transport is handed: IP + UDP (28) and the SRTP tag (10)
PACKET_OVERHEAD_BYTES: Final = 38
#: the bucket holds this long's worth of the rate: a short burst leaves at once (smaller than a thin link's buffer)
BURST_S: Final = 0.03
#: a media packet never waits longer than this behind the others (beyond it, the rate is far below what the
#: subscriber is sent: the wait is cut short, the forwarded track's bounded queue and the layer choice take over)
MAX_WAIT_S: Final = 0.5
#: the lowest rate paced at (an estimate that fell to almost nothing still lets a low layer's keyframe through)
MIN_RATE_BPS: Final = 40_000


#: set in the task that sends a probe's packets: those wait for their turn instead of being dropped
probing: ContextVar[bool] = ContextVar("probing", default=False)


class Paced(enum.Enum):
    """What a stream's packets are to the pacer."""

    MEDIA = "media"  #: wait for their turn
    OPTIONAL = "optional"  #: go now if they fit, else are dropped (retransmissions, probes)


class Pacer:
    """One subscriber's pacer (module docstring). ``streams`` maps the SSRCs it paces to their kind; any other
    packet (audio, RTCP) passes."""

    def __init__(self, rate_bps: float) -> None:
        self.streams: dict[int, Paced] = {}
        self._rate = max(float(rate_bps), MIN_RATE_BPS)
        self._free_at = -float("inf")  # when everything paid for so far has left at the rate
        self.paced = 0  #: media packets that waited
        self.dropped = 0  #: optional packets dropped (no room)
        self.dropped_bytes = 0

    @property
    def rate_bps(self) -> float:
        return self._rate

    @rate_bps.setter
    def rate_bps(self, value: float) -> None:
        self._rate = max(float(value), MIN_RATE_BPS)

    def admit(self, kind: Paced, size: int, now: float) -> float | None:
        """A packet of ``size`` bytes of a ``kind`` stream, handed over at ``now``: the seconds it waits before it
        leaves (0: at once), or None when it is dropped."""
        cost = (size + PACKET_OVERHEAD_BYTES) * 8 / self._rate
        start = max(self._free_at, now - BURST_S)  # the bucket holds BURST_S's worth at most
        wait = start - now  # it leaves once what was paid before it has left; its own bytes delay the next
        if wait <= 0:
            self._free_at = start + cost
            return 0.0
        if kind is Paced.OPTIONAL:
            self.dropped += 1
            self.dropped_bytes += size
            return None
        wait = min(wait, MAX_WAIT_S)
        self._free_at = now + wait + cost
        self.paced += 1
        return wait

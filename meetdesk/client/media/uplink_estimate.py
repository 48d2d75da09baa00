"""The publisher's uplink estimate, and what it leaves the camera's full layer. Pure: no network, no clock.

The server's receivers report what they get of each stream a publisher sends (RTCP receiver reports: the packets
lost). :class:`UplinkEstimate` turns those readings, about once a second, into an estimate of what the
publisher's link carries:

- **congested**: a reading losing :data:`CONGESTED_LOSS` or more beyond what the link loses anyway (see below):
  a queue at a thin link spilling over. The estimate drops to a little under what got through
  (:data:`BACK_OFF` times what was sent and not lost), at most once per :data:`SETTLE_S`.
- **a lossy link, not a thin one**: when the publisher sent a tenth less after a drop and its link lost about as
  much as before (so that what got through fell with it: a thin link would carry as much as before and lose
  less), in :data:`RANDOM_READINGS` readings in a row with no clear one between and none losing much more
  (:data:`RANDOM_STEADY`), the loss does not come from its rate (random loss:
  retransmissions and keyframes deal with it). The estimate goes back to what it was, and that loss becomes the
  link's own (:attr:`lossy`), forgotten as readings lose less. Above :data:`RANDOM_LOSS_MAX` nothing is taken
  for random loss.
- **clear** (under :data:`CLEAR_LOSS` beyond the link's own): the estimate grows by :data:`GROWTH` a reading, up
  to :data:`CEILING_BPS` and to what the link was shown to carry (:data:`GROWTH_LIMIT` times what was sent, or
  :data:`HEADROOM_BPS` more: room for a stopped full layer to try again), but by :data:`NEAR_STEP_BPS` only near
  the rate at which the link last spilled over (and past it, for :data:`NEAR_MEMORY_S`), and not within
  :data:`SETTLE_S` of a drop.
- A reading after a long silence (a cut: no report came for :data:`STALE_S`) is not a measure of the link's
  rate and is skipped.

aiortc's retransmissions do not count in its receivers' reports (they are counted on the RTX stream), so the
loss read is the link's, before any repair. aiortc's own answer to a thin link, the REMB its receivers send from
their delay-based estimator, reaches the encoders (aiortc's sender sets ``target_bitrate`` from it); on a busy
computer it calls overuse on a clean link and pins the encoders at their floors, so here it is kept for what it
says (:attr:`UplinkEstimate.remb_bps`) but does not set the estimate.

:func:`plan_full_layer` shares the estimate: the microphone (and a screen share) first, as they send now; then
the low layer, up to its own bit rate; and what the low layer sends now left, to the full layer: its bit rate,
half its frame rate when that is thin, and off (the others get the low layer) when even that does not fit, with
some hysteresis to come back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from meetdesk.core.simulcast import LOW_BITRATE

#: a reading losing this fraction more than the link loses anyway is congestion
CONGESTED_LOSS: Final = 0.05
#: under this much more than the link's own loss the link is clear and the estimate may grow
CLEAR_LOSS: Final = 0.02
#: loss from which no reading is taken for the link's own (random) loss
RANDOM_LOSS_MAX: Final = 0.2
#: ... nor one where what got through is more than this share of what got through at the drop (sending less, a
#: thin link still carries all it can: as much as before)
RANDOM_CARRIED: Final = 0.95
#: the loss is taken for the link's own after this many such readings in a row (a receiver's report covers some
#: time before the reading: the first after a drop may still count what a thin link's queue dropped then)
RANDOM_READINGS: Final = 2
#: ... and when no reading since the drop lost more than this many times what it lost then (random loss is steady;
#: a thin link's queue drops what overflows it, a burst after a keyframe, then less)
RANDOM_STEADY: Final = 1.5
#: on congestion the estimate is this many times what got through
BACK_OFF: Final = 0.85
#: a clear reading grows the estimate by this factor (and at least GROWTH_MIN_BPS) ...
GROWTH: Final = 1.15
GROWTH_MIN_BPS: Final = 20_000
#: ... but not past this many times what was sent, or HEADROOM_BPS more
GROWTH_LIMIT: Final = 1.5
HEADROOM_BPS: Final = 200_000
#: ... or by this step only, from NEAR_LOW times the rate at which the link last spilled over, up to NEAR_HIGH times
#: it, or past that while the spill is less than NEAR_MEMORY_S old (the link showed where it ends: each spill costs
#: the full layer's frames a second; an encoder that sends less than its target lets the estimate run far ahead of
#: what the link was shown to carry)
NEAR_STEP_BPS: Final = 20_000
NEAR_LOW, NEAR_HIGH = 0.95, 1.1
NEAR_MEMORY_S: Final = 20.0
#: no growth, and no second drop, this long after a drop (the encoders take that long to follow)
SETTLE_S: Final = 2.0
#: the estimate stays within these
FLOOR_BPS: Final = 50_000
CEILING_BPS: Final = 2_500_000
#: a reading this long after the previous one spans a cut
STALE_S: Final = 2.5
#: the bytes a packet costs the link besides what RTP counts (IP, UDP, SRTP tag, RTP header and extensions)
PACKET_OVERHEAD_BYTES: Final = 60

#: the full layer's bit rate at most (aiortc's VP8 default), and the least it is given
FULL_MAX_BPS: Final = 500_000
FULL_MIN_BPS: Final = 80_000
#: under this budget the full layer goes at half its frame rate ...
HALF_RATE_BPS: Final = 200_000
#: ... under this it stops, and it comes back above FULL_RESUME_BPS
FULL_STOP_BPS: Final = 90_000
FULL_RESUME_BPS: Final = 160_000
#: the full layer's encoder aims this much below its budget (its rate control overshoots; headers)
ENCODER_SHARE: Final = 0.85


@dataclass(frozen=True, slots=True)
class Reading:
    """What the publisher's streams did since the previous reading, all streams together."""

    at: float  #: when (seconds, any monotonic clock)
    sent_bps: float  #: what was sent, headers included
    loss: float | None  #: the fraction the server's receivers lost (None: no report came since the last reading)
    rtt_s: float | None  #: the round trip now (None: not known)


@dataclass(frozen=True, slots=True)
class _Drop:
    at: float
    sent_bps: float
    loss: float
    bps_before: int


class UplinkEstimate:
    """What the publisher's link carries, from its readings (module docstring)."""

    def __init__(self, start_bps: int = CEILING_BPS) -> None:
        self.bps = start_bps
        #: the REMB the server's receiver sent last for the full layer, for diagnostics
        self.remb_bps: int | None = None
        #: whether the last reading was congestion
        self.congested = False
        #: what the link loses whatever is sent (random loss), as far as the readings tell
        self.lossy = 0.0
        #: the loss and round trip of the last reading (for the connection's quality)
        self.loss: float | None = None
        self.rtt_s: float | None = None
        self._drop: _Drop | None = None
        self._spilled_at_bps: float | None = None
        self._spilled_at = -float("inf")
        self._cleared = False  #: a clear reading came since the last drop (the loss went with the rate)
        self._random_readings = 0  #: readings in a row since the drop that looked like random loss
        self._worst_since_drop = 0.0  #: the most any reading lost since the drop
        self._reported_at: float | None = None

    def update(self, reading: Reading) -> int:
        """Take one reading; returns the estimate."""
        if reading.rtt_s is not None:
            self.rtt_s = reading.rtt_s
        if reading.loss is None:
            return self.bps
        previous, self._reported_at = self._reported_at, reading.at
        if previous is not None and reading.at - previous > STALE_S:
            return self.bps  # the loss spans a cut
        loss = self.loss = reading.loss
        if loss < self.lossy:
            self.lossy = max(loss, self.lossy * 0.8)
        excess = loss - self.lossy
        drop = self._drop
        settled = drop is None or reading.at - drop.at >= SETTLE_S
        self.congested = excess >= CONGESTED_LOSS
        self._worst_since_drop = max(self._worst_since_drop, loss)
        random = (
            self.congested
            and drop is not None
            and settled
            and not self._cleared
            and self._worst_since_drop <= RANDOM_STEADY * drop.loss
            and self._random(reading, drop)
        )
        self._random_readings = self._random_readings + 1 if random else 0
        if random and drop is not None and self._random_readings >= RANDOM_READINGS:
            # it sent less and lost as much, reading after reading: the link's own loss, not its rate
            self.lossy, self.bps, self._drop, self.congested = loss, drop.bps_before, None, False
            self._spilled_at_bps, self._random_readings = None, 0
        elif random:
            pass  # held: one reading may still carry the loss of what was sent before the drop (reports lag)
        elif self.congested and settled:
            carried = reading.sent_bps * (1.0 - loss)
            self._drop = _Drop(reading.at, reading.sent_bps, loss, self.bps)
            self._spilled_at_bps, self._spilled_at, self._cleared = carried, reading.at, False
            self._worst_since_drop = loss
            self.bps = max(FLOOR_BPS, min(self.bps, int(carried * BACK_OFF)))
        elif excess < CLEAR_LOSS and settled:
            self._cleared = True
            # no further than the link was shown to carry, and some room for a stopped full layer to come back
            limit = max(self.bps, GROWTH_LIMIT * reading.sent_bps, reading.sent_bps + HEADROOM_BPS)
            self.bps = int(min(CEILING_BPS, limit, self._grown(reading.at)))
        return self.bps

    @staticmethod
    def _random(reading: Reading, drop: _Drop) -> bool:
        loss = reading.loss or 0.0
        carried, carried_at_drop = reading.sent_bps * (1.0 - loss), drop.sent_bps * (1.0 - drop.loss)
        return (
            reading.sent_bps <= 0.9 * drop.sent_bps
            and drop.loss < RANDOM_LOSS_MAX
            and loss >= 0.6 * drop.loss
            # what got through fell with what was sent (a thin link carries as much as before, and loses the rest)
            and carried <= RANDOM_CARRIED * carried_at_drop
        )

    def _grown(self, now: float) -> int:
        spilled = self._spilled_at_bps
        if (
            spilled is not None
            and NEAR_LOW * spilled <= self.bps
            and (self.bps <= NEAR_HIGH * spilled or now - self._spilled_at < NEAR_MEMORY_S)
        ):
            return self.bps + NEAR_STEP_BPS
        return max(int(self.bps * GROWTH), self.bps + GROWTH_MIN_BPS)


@dataclass(frozen=True, slots=True)
class FullLayerPlan:
    """What the camera's layers do: the full layer's encoder's target, its frame rate and whether it is sent; the
    low layer's encoder's target."""

    on: bool = True
    target_bps: int = FULL_MAX_BPS
    half_rate: bool = False
    low_bps: int = LOW_BITRATE


def plan_full_layer(
    estimate_bps: int, *, first_bps: float, low_bps: float, current: FullLayerPlan, may_resume: bool = True
) -> FullLayerPlan:
    """The layers' shares of ``estimate_bps``: what is left after the streams that go first (the microphone and a
    screen share, ``first_bps`` as they send now), to the low layer up to its bit rate, and what the low layer
    sends now (``low_bps``) left, to the full layer. ``current``: the plan now, for the hysteresis;
    ``may_resume``: whether a full layer that is off may come back now (the caller spaces out the tries)."""
    low = int(min(LOW_BITRATE, max(0.0, (estimate_bps - first_bps) * ENCODER_SHARE)))
    budget = estimate_bps - first_bps - low_bps
    if not current.on and not may_resume:
        return replace(current, low_bps=low)
    if budget < (FULL_RESUME_BPS if not current.on else FULL_STOP_BPS):
        return FullLayerPlan(on=False, target_bps=FULL_MIN_BPS, half_rate=True, low_bps=low)
    target = int(min(FULL_MAX_BPS, max(FULL_MIN_BPS, budget * ENCODER_SHARE)))
    return FullLayerPlan(on=True, target_bps=target, half_rate=budget < HALF_RATE_BPS, low_bps=low)

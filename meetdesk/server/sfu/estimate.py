"""One subscriber's downlink bandwidth estimate: what its link carries, from its receivers' feedback.

aiortc's receiver reports what it lost (RTCP RR, every 0.5-1.5 s) and runs a delay-based estimator per
video stream that sends REMB (about every 0.5 s, and with every packet while it sees packets queue). The
REMB's level lags what arrives even on a clean link and rises slowly (8 % a second, never above 1.5 times
what arrives), and on a loaded computer its detector takes late packets for a queue: what this module
trusts is what the SFU sent, what the receiver says it lost, and a REMB that falls. So:

- a decrease comes from the receiver's reports: on overuse (:data:`LOSSY` lost, :data:`LOSSY_REPORTS`
  reports in a row) the estimate becomes what the link carried of that stream (what was sent less what was
  lost) plus what the SFU sends the subscriber on its other video streams. Audio is not counted: the estimate
  is what the link leaves for video;
- an increase comes from a probe: when the subscriber gets less than it wants (a low layer or a paused
  video because of the estimate), the SFU sends extra packets up to a target rate (at most
  :data:`PROBE_STEP` times the estimate) for :data:`PROBE_S` (see
  :func:`meetdesk.server.sfu.hooks.send_probe`); if the receiver's next report shows no loss and its REMB
  did not fall meanwhile, the link carried the target, which becomes the estimate. A probe that fails
  waits longer before the next (:data:`BACKOFF_S`).

No estimate (None) until the first overuse: a subscriber nothing ever held back is not limited.

Pure: no network, no clock (times in seconds are passed in); :mod:`meetdesk.server.meeting.downlink` runs it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

#: overuse: the receiver reports this much loss or more (a full queue drops) in this many reports in a row
#: (aiortc reports every 0.5-1.5 s). Not REMB: on a loaded computer late packets make aiortc's delay detector
#: cry overuse on a clean link (a pause there would be worse than none), and its REMB lags what arrives even on
#: a clean link. A link that loses 10 % at random is left to retransmissions, not taken for a thin one; a link
#: overloaded by less than about a quarter is not seen either (its queue drops too little)
LOSSY: Final = 0.2
LOSSY_REPORTS: Final = 3
#: the estimate after overuse: this share of what the link carried of the stream, plus the other streams
CARRIED_SHARE: Final = 0.9
#: a REMB below this fraction of the one before fell: the receiver saw packets queue (a probe fails)
REMB_FELL: Final = 0.95
#: one decrease cuts the estimate by half at most (REMB at low rates is noisy)
MAX_CUT: Final = 0.5
#: after a decrease, the next waits this long (for the link to carry what is sent since)
DECREASE_HOLD_S: Final = 1.0
#: after a probe, overuse is its own doing for this long (the queue it filled drains; the loss reported is its)
PROBE_QUIET_S: Final = 1.5
#: what one RTP packet costs the link besides its payload: IP + UDP (28), RTP (12), extensions (~12), SRTP tag (10)
PACKET_OVERHEAD_BYTES: Final = 62
#: a send rate is measured over the last second (at least half of one)
RATE_WINDOW_S: Final = 1.0
#: a stream sending less than this tells nothing about the link
MIN_MEASURABLE_BPS: Final = 30_000
#: a stream's send rate is forgotten after this long without a REMB (a paused or ended stream), its loss sooner
STALE_S: Final = 3.0
LOSS_STALE_S: Final = 2.0
#: after a lossy report, the estimate holds this long before a probe (aiortc reports every 0.5-1.5 s)
HOLD_S: Final = 1.6
#: how long a probe sends, how long its outcome is awaited after at most, and at least (once the receiver
#: reported the losses since it started: aiortc reports every 0.5-1.5 s)
PROBE_S: Final = 1.0
PROBE_SETTLE_S: Final = 1.6
PROBE_REPORT_S: Final = 0.2
#: a probe fails when the receiver reports this much more loss after it started than before (a link that loses
#: packets at random loses them with or without a probe), or this much at all (a report covers some time before
#: the probe too)
PROBE_LOSSY: Final = 0.05
PROBE_LOSSY_AT_ALL: Final = 0.08
#: the wait before the next probe after 1, 2, 3... failed ones in a row
BACKOFF_S: Final = (1.5, 3.0, 5.0)
#: a probe aims at most this many times the estimate
PROBE_STEP: Final = 1.6


@dataclass
class _Stream:
    samples: deque[tuple[float, int]]  # (time, bytes sent so far), over the last RATE_WINDOW_S or so
    rate_bps: float | None = None
    remb_at: float = -float("inf")
    loss: float = 0.0  # the fraction lost in the receiver's latest report
    loss_at: float = -float("inf")
    lossy_reports: int = 0  # receiver reports in a row with LOSSY or more lost
    remb_bps: int | None = None  # the latest REMB
    loss_before_probe: float = 0.0


@dataclass(slots=True)
class Probe:
    """A probe under way: from ``started`` on, for :data:`PROBE_S`, the SFU sends ``extra_bps`` on top of what it
    sent then, to reach ``target_bps``; it is settled by the first receiver report after it (or
    :data:`PROBE_SETTLE_S` after it)."""

    started: float
    target_bps: int
    extra_bps: float
    reported: bool = False  # a receiver report covering the probe came

    def sending(self, now: float) -> bool:
        return now - self.started < PROBE_S

    def settled(self, now: float) -> bool:
        return now - self.started >= PROBE_S + (PROBE_REPORT_S if self.reported else PROBE_SETTLE_S)


class DownlinkEstimate:
    """The estimate of one subscriber's downlink (module docstring). ``bps`` None: not limited."""

    def __init__(self) -> None:
        self.bps: int | None = None
        self.probe: Probe | None = None
        self._streams: dict[int, _Stream] = {}
        self._last_decrease = -float("inf")
        self._last_overuse = -float("inf")
        self._next_probe = -float("inf")
        self._quiet_until = -float("inf")
        self._failures = 0
        self._probe_failed = False
        self.decreases = 0
        self.probes = 0
        self.probes_failed = 0

    def sent(self, stream: int, sent_bytes: int, now: float) -> float | None:
        """Note that ``sent_bytes`` went out on ``stream`` so far (headers included); its rate in bits per second."""
        state = self._streams.get(stream)
        if state is None or sent_bytes < state.samples[-1][1]:
            self._streams[stream] = _Stream(deque([(now, sent_bytes)]))
            return None
        samples = state.samples
        samples.append((now, sent_bytes))
        while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW_S:
            samples.popleft()
        span = now - samples[0][0]
        if span >= RATE_WINDOW_S / 2:
            state.rate_bps = (sent_bytes - samples[0][1]) * 8 / span
        return state.rate_bps

    def loss(self, stream: int, fraction: float, sent_bytes: int, now: float) -> bool:
        """The subscriber's receiver report for ``stream`` (which has sent ``sent_bytes`` so far): it lost
        ``fraction`` of the packets since the last; True if the estimate fell."""
        rate = self.sent(stream, sent_bytes, now)
        state = self._streams[stream]
        state.loss, state.loss_at = fraction, now
        probe = self.probe
        if probe is not None:
            if now - probe.started > PROBE_S / 2:
                if fraction >= min(PROBE_LOSSY_AT_ALL, state.loss_before_probe + PROBE_LOSSY):
                    self._probe_failed = True
                if now - probe.started >= PROBE_S:
                    probe.reported = True
            return False  # a probe's doing is the probe's failure
        if fraction < LOSSY or rate is None or rate < MIN_MEASURABLE_BPS:
            state.lossy_reports = 0
            return False
        state.lossy_reports += 1
        self._last_overuse = now  # no probe while the link loses this much
        if state.lossy_reports < LOSSY_REPORTS or now < self._quiet_until:
            return False
        if now - self._last_decrease < DECREASE_HOLD_S:
            return False
        self._last_decrease = now
        state.lossy_reports = 0  # the next decrease needs new reports of what is sent from now on
        others = sum(
            s.rate_bps or 0.0 for key, s in self._streams.items() if key != stream and now - s.remb_at < STALE_S
        )
        # what the link carried of this stream (what was sent, less what was lost), with some headroom
        estimate = int(CARRIED_SHARE * rate * (1.0 - fraction) + others)
        if self.bps is not None:
            estimate = max(estimate, int(self.bps * MAX_CUT))
            if estimate >= self.bps:
                return False
        self.bps = estimate
        self.decreases += 1
        return True

    def remb(self, stream: int, bps: int, sent_bytes: int, now: float) -> None:
        """A REMB of ``bps`` for ``stream``, which has sent ``sent_bytes`` so far: a probe fails when it falls."""
        self.sent(stream, sent_bytes, now)
        state = self._streams[stream]
        state.remb_at = now
        # aiortc lowers its REMB only when its detector sees packets queue (it raises it slowly otherwise)
        fell = state.remb_bps is not None and bps < REMB_FELL * state.remb_bps
        state.remb_bps = bps
        if fell and self.probe is not None:
            self._probe_failed = True

    def rate(self, stream: int) -> float:
        """``stream``'s send rate at its latest measurement (0: not measured)."""
        state = self._streams.get(stream)
        return state.rate_bps or 0.0 if state is not None else 0.0

    def sending_bps(self, now: float) -> float:
        """What the SFU sends the subscriber now, by the latest measurements."""
        return sum(s.rate_bps or 0.0 for s in self._streams.values() if now - s.remb_at < STALE_S)

    @property
    def probe_failed(self) -> bool:
        """Whether the probe under way met overuse (it sends no more)."""
        return self._probe_failed

    def start_probe(self, now: float, wanted_bps: int | None) -> Probe | None:
        """Start a probe towards ``wanted_bps`` (what the subscriber's streams need to be held back no more; None:
        nothing is held back) if it is time for one."""
        if wanted_bps is None or self.bps is None or self.probe is not None or wanted_bps <= self.bps:
            return None
        if now - self._last_overuse < HOLD_S or now < self._next_probe:
            return None
        target = min(wanted_bps, int(self.bps * PROBE_STEP))
        for state in self._streams.values():
            state.loss_before_probe = state.loss if now - state.loss_at < LOSS_STALE_S else 0.0
        self.probe = Probe(now, target, max(0.0, target - self.sending_bps(now)))
        self._probe_failed = False
        self.probes += 1
        return self.probe

    def end_probe(self, now: float) -> bool:
        """Settle the probe under way once it is over; True if the estimate rose to its target."""
        probe = self.probe
        if probe is None or not probe.settled(now):
            return False
        self.probe = None
        self._quiet_until = now + PROBE_QUIET_S
        if self._probe_failed or self.bps is None:
            self.probes_failed += 1
            self._failures += 1
            self._next_probe = now + BACKOFF_S[min(self._failures, len(BACKOFF_S)) - 1]
            return False
        self._failures = 0
        self._next_probe = now
        if probe.target_bps <= self.bps:
            return False
        self.bps = probe.target_bps
        return True

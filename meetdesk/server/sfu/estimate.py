"""One subscriber's downlink bandwidth estimate: what its link carries, from its receivers' feedback.

aiortc's receiver reports what it lost (RTCP RR, every 0.5-1.5 s) and runs a delay-based estimator per
video stream that sends REMB (about every 0.5 s, and with every packet while it sees packets queue). The
REMB's level lags what arrives even on a clean link and rises slowly (8 % a second, never above 1.5 times
what arrives), and on a loaded computer its detector takes late packets for a queue: what this module
trusts is what the SFU sent, what the receiver says it lost, and a REMB that falls. So:

- a decrease comes from the receiver's reports: on overuse (:data:`LOSSY` lost, :data:`LOSSY_REPORTS`
  reports in a row, or :data:`LOSSY_REPORTS_CONGESTED` while the stream's REMB is far below what is sent: the
  receiver saw the packets queue as well as lost) the estimate becomes what the link carried of that stream
  (what was sent less what was lost) plus what the link carried of its other video streams. Audio
  is not counted: the estimate is what the link leaves for video;
- an increase comes from a probe: when the subscriber gets less than it wants (a low layer or a paused
  video because of the estimate), the SFU sends extra packets up to a target rate (at most
  :data:`PROBE_STEP` times the estimate, :data:`PROBE_STEP_AFTER_SUCCESS` right after one that succeeded) for
  :data:`PROBE_S` (see :func:`meetdesk.server.sfu.hooks.send_probe`, on the RTX stream of one video sender);
  when the receiver reports it got the probe's packets (:data:`PROBE_PROOF_S` of them, or all) with little lost
  (:meth:`DownlinkEstimate.probe_report`), its other reports show no more loss than before and its REMB did not
  fall while it sent, the link carried the target, which becomes the estimate. Without that report the probe
  proved nothing (its packets may all have been dropped: a paused video has no other stream to lose) and
  counts as failed. A probe that fails ends at once and the next waits a little longer (:data:`BACKOFF_S`):
  short enough that a link which grew again is found within a few seconds, while a failed probe costs the link
  little. The next aims halfway between the estimate and what failed (at least :data:`PROBE_MIN_STEP` times
  the estimate), so that an estimate set too low by a decrease finds what the link carries; so does the probe
  after one that succeeded below what failed (a link held at a cap: probes just under it succeed now and then),
  until two in a row succeeded (the link grew).

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
#: ... or this many when the stream's latest REMB (of the last :data:`CONGESTED_REMB_S`) is below this share of
#: what the SFU sends it: the receiver's delay detector saw the packets queue too, which random loss does not do.
#: Not one: the first lossy report covers some time before the link got thinner too, and what it says the link
#: carried is too much; the second is all of the thinner link
LOSSY_REPORTS_CONGESTED: Final = 2
CONGESTED_REMB: Final = 0.6
CONGESTED_REMB_S: Final = 1.0
#: the estimate after overuse: this share of what the link carried of the stream, plus the other streams
CARRIED_SHARE: Final = 0.9
#: a REMB below this fraction of the one before fell: the receiver saw packets queue (a probe fails)
REMB_FELL: Final = 0.95
#: one decrease cuts the estimate (the first one: what is sent) by half at most (REMB at low rates is noisy)
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
#: how long a probe sends, and how long after the receiver's report of its last packet is awaited at most (aiortc
#: reports every 0.5-1.5 s)
PROBE_S: Final = 0.8
#: ... and how much of it the receiver must report getting, with little lost, to prove the link carried it (the
#: queue a probe overfills at 1.6 times what the link carries, 100 ms deep, overflows in under 0.2 s)
PROBE_PROOF_S: Final = 0.5
PROBE_SETTLE_S: Final = 1.6
#: a probe fails when the receiver reports this much more loss after it started than before (a link that loses
#: packets at random loses them with or without a probe), or this much at all (a report covers some time before
#: the probe too)
PROBE_LOSSY: Final = 0.05
PROBE_LOSSY_AT_ALL: Final = 0.08
#: ... and of the probe's own packets, at least this many (one in the first few reported is no verdict)
PROBE_LOST_PACKETS: Final = 2
#: the wait before the next probe after 1, 2, 3... failed ones in a row
BACKOFF_S: Final = (1.0, 1.0, 1.5)
#: a probe aims at most this many times the estimate, and right after one that succeeded this many (the link
#: grew: the rest of the way is likely there too)
PROBE_STEP: Final = 1.6
PROBE_STEP_AFTER_SUCCESS: Final = 3.5
#: a probe aims this far past what the subscriber wants (what a layer needs moves with its measured rate: a probe
#: that reached it exactly leaves it a little short, and another probe is a second more)
PROBE_PAST_WANTED: Final = 1.3
#: after a failed probe the next aims halfway to what failed, and at least this many times the estimate
PROBE_MIN_STEP: Final = 1.15


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


def seq_at_or_after(sequence: int, reference: int) -> bool:
    """Whether RTP sequence number ``sequence`` is ``reference`` or comes after it (modulo 2**16)."""
    return (sequence - reference) & 0xFFFF < 0x8000


@dataclass(frozen=True, slots=True)
class RtxReport:
    """A receiver's report on an RTX stream: the highest sequence number it got (extended), how many it lost so far."""

    highest: int
    lost: int


@dataclass(frozen=True, slots=True)
class ProbeLosses:
    """What a receiver's report says of a probe's packets: how many it covers, how many of them were lost at least
    and at most (RTX packets sent just before the probe may be among the losses it counts)."""

    count: int
    lost_at_least: int
    lost_at_most: int


def probe_losses(before: RtxReport | None, report: RtxReport, first: int) -> ProbeLosses | None:
    """The losses among a probe's packets, RTX sequence numbers ``first`` on, that ``report`` covers; ``before``:
    the receiver's last report on that stream before it covered any of them (None: it had sent none). None when
    ``report`` covers none of them.

    An RTX stream also carries retransmissions, and a report counts everything lost since the one before; so what
    was lost of the RTX packets sent between ``before`` and the probe is counted too: the probe lost at most all
    of it, and at least what remains once those earlier packets are all taken as lost."""
    if not seq_at_or_after(report.highest, first):
        return None
    count = ((report.highest - first) & 0xFFFF) + 1
    earlier = 0
    # (a report before that already covered some of them: a probe started on stale sequence numbers)
    if before is not None and seq_at_or_after(first - 1, before.highest):
        earlier = (first - 1 - before.highest) & 0xFFFF
    lost = max(0, report.lost - (before.lost if before is not None else 0))
    return ProbeLosses(count, min(count, max(0, lost - earlier)), min(count, lost))


@dataclass(slots=True)
class Probe:
    """A probe under way: from ``started`` on, for :data:`PROBE_S`, the SFU sends ``extra_bps`` on top of what it
    sent then, to reach ``target_bps`` (on ``stream``'s RTX stream); it is settled once the receiver reported
    getting its last packet (:meth:`DownlinkEstimate.probe_report`), or failed, or :data:`PROBE_SETTLE_S` after
    it (failed: nothing said it got through)."""

    started: float
    target_bps: int
    extra_bps: float
    stream: int | None = None
    carried: bool = False  # the receiver reported the probe's last packet, little of its stream lost

    def sending(self, now: float) -> bool:
        return now - self.started < PROBE_S

    def settled(self, now: float) -> bool:
        return self.carried or now - self.started >= PROBE_S + PROBE_SETTLE_S


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
        self._last_probe_succeeded = False
        #: what the last failed probe aimed at, until a probe reaches it: a link held at a cap makes probes a little
        #: under it succeed now and then, and a long step after each (into the cap's queue) would cost it media
        self._failed_target: int | None = None
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

    def loss(self, stream: int, fraction: float, sent_bytes: int, now: float, floor_bps: int | None = None) -> bool:
        """The subscriber's receiver report for ``stream`` (which has sent ``sent_bytes`` so far): it lost
        ``fraction`` of the packets since the last; True if the estimate fell. ``floor_bps``: what the streams
        need at their least (low layers): a decrease from above it stops there (a step down is one layer at a
        time; if the link still loses, the next decrease goes below, and videos pause)."""
        rate = self.sent(stream, sent_bytes, now)
        state = self._streams[stream]
        state.loss, state.loss_at = fraction, now
        probe = self.probe
        if probe is not None:
            if now - probe.started > PROBE_S / 2 and _probe_lossy(fraction, state):
                self._probe_failed = True
            return False  # a probe's doing is the probe's failure
        if fraction < LOSSY or rate is None or rate < MIN_MEASURABLE_BPS:
            state.lossy_reports = 0
            return False
        state.lossy_reports += 1
        self._last_overuse = now  # no probe while the link loses this much
        self._last_probe_succeeded = False
        congested = (
            state.remb_bps is not None
            and now - state.remb_at < CONGESTED_REMB_S
            and state.remb_bps < CONGESTED_REMB * rate
        )
        if now < self._quiet_until:
            state.lossy_reports = 0  # the probe's doing: overuse needs reports of what is sent from now on
            return False
        if state.lossy_reports < (LOSSY_REPORTS_CONGESTED if congested else LOSSY_REPORTS):
            return False
        if now - self._last_decrease < DECREASE_HOLD_S:
            return False
        self._last_decrease = now
        state.lossy_reports = 0  # the next decrease needs new reports of what is sent from now on
        # what the link carried of the other streams: sent, less what their own latest reports say was lost
        others = sum(
            (s.rate_bps or 0.0) * (1.0 - (s.loss if now - s.loss_at < LOSS_STALE_S else 0.0))
            for key, s in self._streams.items()
            if key != stream and now - s.remb_at < STALE_S
        )
        # what the link carried of this stream (what was sent, less what was lost), with some headroom
        estimate = int(CARRIED_SHARE * rate * (1.0 - fraction) + others)
        # halved at most: from the estimate, or the first time from what is sent (a report's loss in the first
        # seconds of overload overstates what the link lacks; too low an estimate pauses videos the link carries,
        # while layers come in steps: one a little too high gets the same layers, and the next reports lower it)
        reference = self.bps if self.bps is not None else int(self.sending_bps(now))
        estimate = max(estimate, int(reference * MAX_CUT))
        if floor_bps is not None and (self.bps is None or self.bps > floor_bps):
            estimate = max(estimate, floor_bps)
        if self.bps is not None and estimate >= self.bps:
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
        if fell and self.probe is not None and self.probe.sending(now):
            # the probe's queue (or, on a busy computer, the detector crying overuse at a clean link: what the probe
            # sent until then is too short to show the link carries more, so it fails either way). After it sent,
            # the receiver's report on its packets has the verdict
            self._probe_failed = True

    def probe_report(self, stream: int, losses: ProbeLosses, proof: bool, now: float) -> None:
        """The receiver's report on the RTX stream of ``stream``, which the probe under way sends on, once it got
        some of the probe's packets: what it lost of them (:func:`probe_losses`), and whether it covers enough of
        them to prove the link carried the target (:data:`PROBE_PROOF_S` of it, or all it sent)."""
        probe = self.probe
        if probe is None or probe.stream != stream or not losses.count:
            return
        state = self._streams.get(stream)
        if losses.lost_at_least >= PROBE_LOST_PACKETS and _probe_lossy(losses.lost_at_least / losses.count, state):
            self._probe_failed = True
        elif proof and not _probe_lossy(losses.lost_at_most / losses.count, state):
            probe.carried = True

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

    def start_probe(self, now: float, wanted_bps: int | None, stream: int | None = None) -> Probe | None:
        """Start a probe towards ``wanted_bps`` (what the subscriber's streams need to be held back no more; None:
        nothing is held back) on ``stream``'s RTX stream, if it is time for one."""
        if wanted_bps is None or self.bps is None or self.probe is not None or wanted_bps <= self.bps:
            return None
        if now - self._last_overuse < HOLD_S or now < self._next_probe:
            return None
        target = int(self.bps * (PROBE_STEP_AFTER_SUCCESS if self._last_probe_succeeded else PROBE_STEP))
        if self._failed_target is not None:
            target = min(target, max(int(self.bps * PROBE_MIN_STEP), (self.bps + self._failed_target) // 2))
        target = min(int(wanted_bps * PROBE_PAST_WANTED), target)
        # above what is sent now (the estimate may be below it: low layers go on a little under their rate), or
        # the probe would send nothing, and prove nothing
        sending = self.sending_bps(now)
        target = max(target, int(sending * PROBE_MIN_STEP))
        for state in self._streams.values():
            state.loss_before_probe = state.loss if now - state.loss_at < LOSS_STALE_S else 0.0
        self.probe = Probe(now, target, max(0.0, target - sending), stream)
        self._probe_failed = False
        self.probes += 1
        return self.probe

    def end_probe(self, now: float) -> bool:
        """Settle the probe under way once it is over; True if the estimate rose to its target."""
        probe = self.probe
        if probe is None or not (probe.settled(now) or self._probe_failed):
            return False
        self.probe = None
        self._quiet_until = now + PROBE_QUIET_S
        succeeded_before, self._last_probe_succeeded = self._last_probe_succeeded, False
        if self._probe_failed or not probe.carried or self.bps is None:
            self._failed_target = probe.target_bps
            self.probes_failed += 1
            self._failures += 1
            self._next_probe = now + BACKOFF_S[min(self._failures, len(BACKOFF_S)) - 1]
            return False
        self._failures = 0
        self._next_probe = now
        if probe.target_bps <= self.bps:
            return False
        self.bps = probe.target_bps
        if succeeded_before or (self._failed_target is not None and self.bps >= self._failed_target):
            # two in a row, or past what failed: the link grew, the next step may be a long one
            self._failed_target = None
        self._last_probe_succeeded = True
        return True


def _probe_lossy(fraction: float, state: _Stream | None) -> bool:
    """Whether a report during a probe lost too much for the probe to have fitted: more than before it (a link that
    loses packets at random loses them with or without a probe), or much at all."""
    before = state.loss_before_probe if state is not None else 0.0
    return fraction >= min(PROBE_LOSSY_AT_ALL, before + PROBE_LOSSY)

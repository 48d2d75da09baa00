"""A subscriber's downlink estimate (meetdesk.server.sfu.estimate): overuse from loss reports, probes up.

Times are given, not read: each case is a short script of what was sent, receiver reports and REMBs.
"""

from __future__ import annotations

from meetdesk.server.sfu.estimate import (
    BACKOFF_S,
    HOLD_S,
    PROBE_MIN_STEP,
    PROBE_S,
    PROBE_SETTLE_S,
    PROBE_STEP,
    PROBE_STEP_AFTER_SUCCESS,
    STALE_S,
    DownlinkEstimate,
    ProbeLosses,
    RtxReport,
    probe_losses,
)

KBIT = 1000 // 8  # bytes per second at 1 kbit/s


def sent(t: float, kbps: int = 800) -> int:
    """Bytes a stream sending ``kbps`` since t = 0 has sent at ``t``."""
    return int(t * kbps * KBIT) + 1


def report(estimate: DownlinkEstimate, stream: int, loss: float, t: float, kbps: int = 800) -> bool:
    estimate.remb(stream, 1_000_000, sent(t, kbps), t)  # REMBs keep the stream's rate fresh
    return estimate.loss(stream, loss, sent(t, kbps), t)


def test_a_clean_link_or_a_falling_remb_sets_no_estimate() -> None:
    # on a loaded computer aiortc's REMB falls on a clean link: no loss reported, no estimate
    estimate = DownlinkEstimate()
    for i in range(30):
        t = i * 0.1
        estimate.remb(1, 900_000 - i * 20_000, sent(t), t)
        if i % 10 == 9:
            assert not estimate.loss(1, 0.0, sent(t), t)
    assert estimate.bps is None


def test_random_loss_under_the_threshold_sets_no_estimate() -> None:
    estimate = DownlinkEstimate()
    for i in range(1, 10):
        assert not report(estimate, 1, 0.10 if i % 3 else 0.25, float(i))  # 10 % at random: retransmissions' business
    assert estimate.bps is None


def test_three_lossy_reports_in_a_row_set_the_estimate_to_what_the_link_carried() -> None:
    estimate = DownlinkEstimate()
    report(estimate, 1, 0.0, 1.0)
    assert not report(estimate, 1, 0.30, 2.0)  # one report could be a burst
    assert not report(estimate, 1, 0.30, 2.5)
    assert estimate.bps is None
    assert report(estimate, 1, 0.30, 3.0)
    # 90 % of the 70 % of 800 kbit/s that got through
    assert estimate.bps is not None and 495_000 <= estimate.bps <= 515_000


def test_one_decrease_halves_at_most_and_the_next_needs_new_reports() -> None:
    estimate = DownlinkEstimate()
    report(estimate, 1, 0.0, 1.0)
    for t in (2.0, 2.5, 3.0):
        report(estimate, 1, 0.30, t)
    first = estimate.bps
    assert first is not None
    assert not report(estimate, 1, 0.9, 4.0)  # a new run of lossy reports is needed
    assert not report(estimate, 1, 0.9, 4.5)
    assert report(estimate, 1, 0.9, 5.0)
    assert estimate.bps == first // 2  # halved, not down to 10 % of what was sent


def test_the_estimate_counts_the_other_streams_rates() -> None:
    estimate = DownlinkEstimate()
    for t in (0.0, 1.0, 2.0, 3.0):
        estimate.remb(2, 1_000_000, sent(t, 300), t)  # a second camera sending 300 kbit/s
    report(estimate, 1, 0.0, 1.0)
    for t in (2.0, 2.5, 3.0):
        report(estimate, 1, 0.30, t)
    assert estimate.bps is not None and 795_000 <= estimate.bps <= 815_000  # 504 + 300


def overused(estimate: DownlinkEstimate) -> float:
    """An estimate set by t = 3 s (25 % lost: 540 kbit/s); a time when what the stream sent is no longer counted as
    sent now (no REMB on it since: the SFU forwards it at another layer), so that a probe's target is the
    estimate's business alone."""
    report(estimate, 1, 0.0, 1.0)
    for t in (2.0, 2.5, 3.0):
        report(estimate, 1, 0.25, t)
    assert estimate.bps is not None
    return 3.0 + STALE_S - HOLD_S


def test_a_probe_that_the_link_carries_raises_the_estimate_to_its_target() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    assert estimate.start_probe(t + HOLD_S + 0.5, wanted_bps=None) is None  # nothing held back: no probe
    assert estimate.start_probe(t + 0.1, wanted_bps=2_000_000) is None  # too soon after the overuse
    start = t + HOLD_S + 0.1
    probe = estimate.start_probe(start, wanted_bps=2_000_000, stream=1)
    assert probe is not None and probe.target_bps == int(bps * PROBE_STEP)  # a step up from the estimate at most
    assert probe.sending(start + PROBE_S / 2) and not probe.sending(start + PROBE_S + 0.01)
    estimate.probe_report(
        1, ProbeLosses(10, 0, 0), proof=False, now=start + PROBE_S / 2
    )  # a report in the middle of it
    assert not estimate.end_probe(start + PROBE_S + 0.01)  # not settled yet
    estimate.loss(1, 0.0, sent(start + PROBE_S + 0.1), start + PROBE_S + 0.1)  # the report after it: no loss ...
    estimate.probe_report(
        1, ProbeLosses(20, 0, 0), proof=True, now=start + PROBE_S + 0.1
    )  # ... and its last packet got there
    assert estimate.end_probe(start + PROBE_S + 0.15)
    assert estimate.bps == int(bps * PROBE_STEP) and estimate.probe is None


def probing(stream: int | None = 1) -> tuple[DownlinkEstimate, int, float]:
    """An estimate set by a decrease (:func:`overused`) and a probe started on ``stream`` as soon as one may be:
    the estimate, its figure before the probe, and the probe's start."""
    estimate = DownlinkEstimate()
    start = overused(estimate) + HOLD_S + 0.1
    bps = estimate.bps
    assert bps is not None
    assert estimate.start_probe(start, wanted_bps=2_000_000, stream=stream) is not None
    return estimate, bps, start


def carried(estimate: DownlinkEstimate, at: float, loss: float = 0.0) -> None:
    """The receiver's report after a probe: ``loss`` on the media stream, its RTX stream got the probe's last packet."""
    estimate.loss(1, loss, sent(at), at)
    estimate.probe_report(1, ProbeLosses(30, 0, 1), proof=True, now=at)


def test_a_probe_whose_packets_the_receiver_never_reports_proves_nothing() -> None:
    # e.g. a paused video: nothing but the probe goes to the receiver; its packets all dropped, no loss is reported
    estimate, bps, start = probing()
    estimate.loss(1, 0.0, sent(start + PROBE_S + 0.1), start + PROBE_S + 0.1)
    assert not estimate.end_probe(start + PROBE_S + 0.5)  # waits for a word on it ...
    assert estimate.probe is not None
    assert not estimate.end_probe(start + PROBE_S + PROBE_SETTLE_S)  # ... which does not come: failed
    assert estimate.probe is None and estimate.bps == bps and estimate.probes_failed == 1


def test_a_probe_whose_own_packets_are_lost_fails() -> None:
    estimate, bps, start = probing()
    estimate.probe_report(1, ProbeLosses(10, 3, 3), proof=False, now=start + 0.5)
    assert estimate.probe_failed
    assert not estimate.end_probe(start + 0.55)
    assert estimate.probe is None and estimate.bps == bps


def test_a_probe_that_loses_packets_fails_and_the_next_waits_longer() -> None:
    estimate, bps, start = probing(stream=None)
    estimate.loss(1, 0.3, sent(start + PROBE_S), start + PROBE_S)  # 25 % before it: a queue overflowing
    end = start + PROBE_S
    assert not estimate.end_probe(end)  # failed: over at once
    assert estimate.probe is None
    assert estimate.bps == bps and estimate.probes_failed == 1  # the probe's loss lowers nothing
    assert estimate.start_probe(end + BACKOFF_S[0] / 2, wanted_bps=2_000_000) is None
    assert estimate.start_probe(end + BACKOFF_S[0], wanted_bps=2_000_000) is not None


def test_a_link_that_loses_packets_at_random_loses_as_many_during_a_probe_which_succeeds() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    start = t + HOLD_S + 0.1
    estimate.loss(1, 0.05, sent(start - 0.05), start - 0.05)  # 5 % lost before it
    assert estimate.start_probe(start, wanted_bps=2_000_000, stream=1) is not None
    carried(estimate, start + PROBE_S + 0.1, loss=0.07)
    assert estimate.end_probe(start + PROBE_S + 0.4)
    assert estimate.bps == int(bps * PROBE_STEP)


def test_a_remb_that_falls_during_a_probe_fails_it() -> None:
    estimate, bps, start = probing()
    estimate.remb(1, 500_000, sent(start + 0.1), start + 0.1)
    estimate.remb(1, 300_000, sent(start + 0.2), start + 0.2)  # aiortc saw packets queue
    assert estimate.probe_failed
    assert not estimate.end_probe(start + 0.25)  # over at once: it sends no more, the next comes sooner
    assert estimate.probe is None and estimate.bps == bps
    assert estimate.start_probe(start + 0.25 + BACKOFF_S[0], wanted_bps=2_000_000) is not None


def test_loss_a_probe_caused_does_not_add_up_to_overuse_after_it() -> None:
    estimate, bps, start = probing()
    estimate.loss(1, 0.3, sent(start + PROBE_S), start + PROBE_S)  # the probe overflowed the queue: failed
    assert not estimate.end_probe(start + PROBE_S)
    assert not report(estimate, 1, 0.3, start + PROBE_S + 0.5)  # still its doing (the queue it filled)
    assert not report(estimate, 1, 0.3, start + PROBE_S + 1.0)
    assert not report(estimate, 1, 0.3, start + PROBE_S + 2.0)  # after it: one report is not overuse ...
    assert not report(estimate, 1, 0.3, start + PROBE_S + 2.5)
    assert report(estimate, 1, 0.3, start + PROBE_S + 3.0)  # ... three are
    assert estimate.bps is not None and estimate.bps < bps


def test_two_lossy_reports_with_the_remb_far_below_what_is_sent_are_overuse() -> None:
    # a link that got thinner: the receiver loses packets and its delay detector sees them queue; the first report
    # also covers some time before (it says too little was lost), the second is the thinner link's
    estimate = DownlinkEstimate()
    report(estimate, 1, 0.0, 1.0)
    estimate.remb(1, 300_000, sent(1.8), 1.8)  # 800 kbit/s sent
    assert not estimate.loss(1, 0.15, sent(2.0), 2.0)  # under the threshold: not lossy
    assert not estimate.loss(1, 0.25, sent(2.5), 2.5)
    estimate.remb(1, 250_000, sent(2.8), 2.8)
    assert estimate.loss(1, 0.30, sent(3.0), 3.0)
    assert estimate.bps is not None and 495_000 <= estimate.bps <= 515_000


def test_two_lossy_reports_with_the_remb_near_what_is_sent_wait_for_a_third() -> None:
    # bursts of loss without a queue (the REMB stays up), or a REMB too old to say anything
    for remb_bps, remb_at in ((700_000, 2.4), (300_000, 1.0)):
        estimate = DownlinkEstimate()
        report(estimate, 1, 0.0, 0.4)
        estimate.remb(1, remb_bps, sent(remb_at), remb_at)
        assert not estimate.loss(1, 0.30, sent(2.5), 2.5)
        assert not estimate.loss(1, 0.30, sent(3.0), 3.0)
        assert estimate.bps is None


def test_after_a_probe_that_succeeded_the_next_steps_further_and_after_a_failure_less() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    start = t + HOLD_S + 0.1
    steps = []
    for outcome in ("carried", "carried", "lost", "carried"):
        bps = estimate.bps
        assert bps is not None
        probe = estimate.start_probe(start, wanted_bps=100_000_000, stream=1)
        assert probe is not None
        steps.append(probe.target_bps / bps)
        carried(estimate, start + PROBE_S + 0.1, loss=0.0 if outcome == "carried" else 0.3)
        estimate.end_probe(start + PROBE_S + 0.4)
        start += PROBE_S + 0.4 + BACKOFF_S[-1] + 0.01
    assert [round(step, 2) for step in steps] == [
        PROBE_STEP,
        PROBE_STEP_AFTER_SUCCESS,
        PROBE_STEP_AFTER_SUCCESS,
        PROBE_STEP,
    ]


def test_after_a_success_below_what_failed_the_next_aims_halfway_to_it_until_the_link_shows_it_grew() -> None:
    # a link held at a cap: a probe just under it succeeds now and then; a long step after it would overfill the
    # cap's queue (and cost the link's media) each time
    def targets(outcomes: str) -> list[tuple[int, int]]:
        """(estimate, probe target) for each probe, the probes carried (c) or lost (l) in turn."""
        estimate = DownlinkEstimate()
        start = overused(estimate) + HOLD_S + 0.1
        steps = []
        for outcome in outcomes:
            bps = estimate.bps
            probe = estimate.start_probe(start, wanted_bps=100_000_000, stream=1)
            assert bps is not None and probe is not None
            steps.append((bps, probe.target_bps))
            carried(estimate, start + PROBE_S + 0.1, loss=0.0 if outcome == "c" else 0.3)
            estimate.end_probe(start + PROBE_S + 0.4)
            start += PROBE_S + 0.4 + BACKOFF_S[-1] + 0.01
        return steps

    (bps0, failed), (bps1, below), (bps2, after_one), (bps3, after_two) = targets("lccc")
    assert failed == int(bps0 * PROBE_STEP) and below == (bps1 + failed) // 2 < failed
    # after the success below what failed: halfway to it again (at least PROBE_MIN_STEP), not the long step
    assert bps2 == below and after_one == max(int(bps2 * PROBE_MIN_STEP), (bps2 + failed) // 2)
    # two in a row: the link grew, what failed before is forgotten, the long step again
    assert bps3 == after_one and after_two == int(bps3 * PROBE_STEP_AFTER_SUCCESS)
    # one that reached what failed forgets it as well: lost at 1.6x, carried 1.3x, lost 1.5x (1.15 times the
    # estimate), carried 1.5x (what failed last), then the long step
    steps = targets("lclcc")
    assert steps[3][1] >= steps[2][1] and steps[4][1] == int(steps[4][0] * PROBE_STEP_AFTER_SUCCESS)


def test_a_probe_whose_losses_are_uncertain_is_not_taken_as_carried() -> None:
    # retransmissions sent just before it were lost, or its own packets: the report cannot tell which
    estimate = DownlinkEstimate()
    t = overused(estimate)
    start = t + HOLD_S + 0.1
    assert estimate.start_probe(start, wanted_bps=2_000_000, stream=1) is not None
    estimate.probe_report(1, ProbeLosses(20, 0, 6), proof=True, now=start + PROBE_S + 0.1)
    assert not estimate.probe_failed and not estimate.end_probe(start + PROBE_S + 0.2)  # waits for a clearer word
    estimate.probe_report(1, ProbeLosses(30, 0, 1), proof=True, now=start + PROBE_S + 0.6)
    assert estimate.end_probe(start + PROBE_S + 0.7)


def test_probe_losses_count_the_probes_packets_and_bound_what_it_lost() -> None:
    first = 65_530  # the probe's packets wrap around the 16-bit sequence numbers
    # nothing of the probe yet (the receiver got up to 65,529): None
    assert probe_losses(RtxReport(65_520, 4), RtxReport(65_529, 4), first) is None
    # 10 of its packets covered (65,530 ... 65,539 = 3 after the wrap, extended), 2 lost since the report before;
    # 9 RTX packets went between that report (65,520) and the probe: those 2 may be theirs
    assert probe_losses(RtxReport(65_520, 4), RtxReport(65_536 + 3, 6), first) == ProbeLosses(10, 0, 2)
    # the report before was just before the probe: every loss since is the probe's
    assert probe_losses(RtxReport(65_529, 4), RtxReport(65_536 + 3, 7), first) == ProbeLosses(10, 3, 3)
    # no report before (the receiver had got no RTX packet): losses counted from its first
    assert probe_losses(None, RtxReport(65_536 + 3, 1), first) == ProbeLosses(10, 1, 1)


def test_after_a_failed_probe_the_next_aims_halfway_to_what_failed() -> None:
    # an estimate set too low by a decrease: the link carries more than it, less than a whole step above it
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    start = t + HOLD_S + 0.1
    targets = []
    for outcome in ("lost", "lost", "lost", "carried"):
        probe = estimate.start_probe(start, wanted_bps=100_000_000, stream=1)
        assert probe is not None
        targets.append(probe.target_bps)
        carried(estimate, start + PROBE_S + 0.1, loss=0.0 if outcome == "carried" else 0.3)
        estimate.end_probe(start + PROBE_S + 0.4)
        start += PROBE_S + 0.4 + BACKOFF_S[-1] + 0.01
    assert targets[0] == int(bps * PROBE_STEP)
    assert targets[1] == (bps + targets[0]) // 2
    assert targets[2] == max(int(bps * PROBE_MIN_STEP), (bps + targets[1]) // 2)
    assert estimate.bps == targets[3] and targets[3] == int(bps * PROBE_MIN_STEP)


def test_a_remb_that_falls_after_the_probe_sent_leaves_the_verdict_to_the_report_on_its_packets() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    start = t + HOLD_S + 0.1
    assert estimate.start_probe(start, wanted_bps=2_000_000, stream=1) is not None
    estimate.remb(1, 500_000, sent(start + PROBE_S + 0.01), start + PROBE_S + 0.01)
    estimate.remb(1, 300_000, sent(start + PROBE_S + 0.02), start + PROBE_S + 0.02)
    assert not estimate.probe_failed
    carried(estimate, start + PROBE_S + 0.1)
    assert estimate.end_probe(start + PROBE_S + 0.2) and estimate.bps == int(bps * PROBE_STEP)


def test_a_report_on_enough_of_a_probe_proves_it_before_it_is_over() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    start = t + HOLD_S + 0.1
    probe = estimate.start_probe(start, wanted_bps=2_000_000, stream=1)
    assert probe is not None
    estimate.probe_report(1, ProbeLosses(25, 0, 0), proof=True, now=start + 0.6)  # its first 0.5 s got through
    assert probe.carried and estimate.end_probe(start + 0.65)  # no need to send the rest
    assert estimate.bps == int(bps * PROBE_STEP)


def test_the_first_decrease_keeps_at_least_half_of_what_is_sent() -> None:
    # the first seconds of a link overloaded twice over lose most of what is sent: the estimate from one report
    # would pause videos the link carries at their low layers
    estimate = DownlinkEstimate()
    report(estimate, 1, 0.0, 1.0)
    for t in (2.0, 2.5):
        assert not report(estimate, 1, 0.9, t)
    assert report(estimate, 1, 0.9, 3.0)
    assert estimate.bps is not None and 395_000 <= estimate.bps <= 405_000  # half of 800, not 72


def test_a_decrease_from_above_what_the_low_layers_need_stops_there_and_the_next_goes_below() -> None:
    estimate = DownlinkEstimate()
    report(estimate, 1, 0.0, 1.0)
    for t in (2.0, 2.5):
        report(estimate, 1, 0.6, t, kbps=600)
    assert estimate.loss(1, 0.6, sent(3.0, 600), 3.0, floor_bps=300_000)  # 0.9 x 240 = 216 alone: 300 kept
    assert estimate.bps == 300_000
    for t in (4.0, 4.5):  # the link still loses at the low layers: the next decrease goes below them
        report(estimate, 1, 0.6, t, kbps=600)
    assert estimate.loss(1, 0.6, sent(5.0, 600), 5.0, floor_bps=300_000)
    assert estimate.bps is not None and estimate.bps < 300_000


def test_a_probe_aims_above_what_is_sent_even_when_the_estimate_is_below_it() -> None:
    # low layers go on a little under their rate: a probe at 1.15x the estimate would send nothing
    estimate = DownlinkEstimate()
    t = overused(estimate)  # 540 kbit/s
    start = t + HOLD_S + 0.1
    estimate.remb(1, 1_000_000, sent(start), start)  # while the stream still sends 800
    probe = estimate.start_probe(start, wanted_bps=2_000_000, stream=1)
    assert probe is not None and probe.target_bps >= 1.15 * 790_000 and probe.extra_bps > 0.1 * 790_000

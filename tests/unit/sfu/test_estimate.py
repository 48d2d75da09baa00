"""A subscriber's downlink estimate (meetdesk.server.sfu.estimate): overuse from loss reports, probes up.

Times are given, not read: each case is a short script of what was sent, receiver reports and REMBs.
"""

from __future__ import annotations

from meetdesk.server.sfu.estimate import BACKOFF_S, HOLD_S, PROBE_S, PROBE_SETTLE_S, PROBE_STEP, DownlinkEstimate

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
    """An estimate set by t = 3 s (25 % lost: 540 kbit/s); the time."""
    report(estimate, 1, 0.0, 1.0)
    for t in (2.0, 2.5, 3.0):
        report(estimate, 1, 0.25, t)
    assert estimate.bps is not None
    return 3.0


def test_a_probe_that_the_link_carries_raises_the_estimate_to_its_target() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    assert estimate.start_probe(t + HOLD_S + 0.5, wanted_bps=None) is None  # nothing held back: no probe
    assert estimate.start_probe(t + 0.1, wanted_bps=2_000_000) is None  # too soon after the overuse
    start = t + HOLD_S + 0.1
    probe = estimate.start_probe(start, wanted_bps=2_000_000)
    assert probe is not None and probe.target_bps == int(bps * PROBE_STEP)  # a step up from the estimate at most
    assert probe.sending(start + PROBE_S / 2) and not probe.sending(start + PROBE_S)
    assert not estimate.end_probe(start + PROBE_S)  # not settled yet
    estimate.loss(1, 0.0, sent(start + PROBE_S + 0.1), start + PROBE_S + 0.1)  # the report after it: no loss
    assert estimate.end_probe(start + PROBE_S + 0.4)
    assert estimate.bps == int(bps * PROBE_STEP) and estimate.probe is None


def test_a_probe_that_loses_packets_fails_and_the_next_waits_longer() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    start = t + HOLD_S + 0.1
    assert estimate.start_probe(start, wanted_bps=2_000_000) is not None
    estimate.loss(1, 0.3, sent(start + PROBE_S), start + PROBE_S)  # 25 % before it: a queue overflowing
    assert not estimate.end_probe(start + PROBE_S + PROBE_SETTLE_S)
    assert estimate.bps == bps and estimate.probes_failed == 1  # the probe's loss lowers nothing
    end = start + PROBE_S + PROBE_SETTLE_S
    assert estimate.start_probe(end + BACKOFF_S[0] / 2, wanted_bps=2_000_000) is None
    assert estimate.start_probe(end + BACKOFF_S[0], wanted_bps=2_000_000) is not None


def test_a_link_that_loses_packets_at_random_loses_as_many_during_a_probe_which_succeeds() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    assert bps is not None
    start = t + HOLD_S + 0.1
    estimate.loss(1, 0.05, sent(start - 0.05), start - 0.05)  # 5 % lost before it
    assert estimate.start_probe(start, wanted_bps=2_000_000) is not None
    estimate.loss(1, 0.07, sent(start + PROBE_S + 0.1), start + PROBE_S + 0.1)
    assert estimate.end_probe(start + PROBE_S + 0.4)
    assert estimate.bps == int(bps * PROBE_STEP)


def test_a_remb_that_falls_during_a_probe_fails_it() -> None:
    estimate = DownlinkEstimate()
    t = overused(estimate)
    bps = estimate.bps
    start = t + HOLD_S + 0.1
    assert estimate.start_probe(start, wanted_bps=2_000_000) is not None
    estimate.remb(1, 500_000, sent(start + 0.1), start + 0.1)
    estimate.remb(1, 300_000, sent(start + 0.2), start + 0.2)  # aiortc saw packets queue
    assert estimate.probe_failed
    assert not estimate.end_probe(start + PROBE_S + PROBE_SETTLE_S)
    assert estimate.bps == bps

"""A subscriber's pacer (meetdesk.server.sfu.pacer): media spread out at the rate, retransmissions dropped when
they do not fit, never more than the rate over a while.

Times are given, not read: each case replays packets handed over at given moments and adds up when they leave.
"""

from __future__ import annotations

from meetdesk.server.sfu.pacer import BURST_S, MAX_WAIT_S, MIN_RATE_BPS, PACKET_OVERHEAD_BYTES, Paced, Pacer

SIZE = 1200  # bytes of one full video packet


def bits(packets: int, size: int = SIZE) -> int:
    return packets * (size + PACKET_OVERHEAD_BYTES) * 8


def test_a_burst_leaves_at_the_rate_not_at_once() -> None:
    # a keyframe of 16 packets handed over at once (aiortc sends a frame's packets back to back)
    pacer = Pacer(400_000)
    departures = []
    for _ in range(16):
        wait = pacer.admit(Paced.MEDIA, SIZE, 10.0)
        assert wait is not None
        departures.append(10.0 + wait)
    assert departures[0] == 10.0  # the bucket's little burst goes at once
    spread = departures[-1] - departures[0]
    # 16 packets at 400 kbit/s take 0.4 s: what a 100 ms link buffer would not have held at once
    assert spread >= bits(15) / 400_000 - BURST_S
    assert spread <= bits(16) / 400_000
    assert departures == sorted(departures)
    assert pacer.paced >= 14


def test_what_leaves_over_a_while_never_exceeds_the_rate() -> None:
    # media handed over at twice the rate for 3 s (the sender's loop waits for each packet in turn)
    pacer = Pacer(300_000)
    now, sent = 0.0, 0
    while True:
        wait = pacer.admit(Paced.MEDIA, SIZE, now)
        assert wait is not None
        now += wait  # the sender hands over its next packet once this one left
        if now >= 3.0:
            break
        sent += 1
        now += bits(1) / 600_000  # and it would have one every this often
    # what left in those 3 s: the rate's worth, the bucket's little burst, and the packet that started it
    assert bits(sent) <= 300_000 * (3.0 + BURST_S) + bits(1)
    assert bits(sent) >= 300_000 * 3.0 - bits(1)  # and the link was kept busy


def test_retransmissions_go_when_they_fit_and_are_dropped_otherwise_never_queued() -> None:
    pacer = Pacer(500_000)
    assert pacer.admit(Paced.OPTIONAL, SIZE, 1.0) == 0.0  # an idle link: a retransmission goes at once
    for _ in range(10):
        pacer.admit(Paced.MEDIA, SIZE, 1.0)  # a frame fills the link for a while
    assert pacer.admit(Paced.OPTIONAL, SIZE, 1.0) is None
    assert (pacer.dropped, pacer.dropped_bytes) == (1, SIZE)
    # once the frame has left, retransmissions fit again
    assert pacer.admit(Paced.OPTIONAL, SIZE, 1.0 + bits(11) / 500_000) == 0.0


def test_a_dropped_retransmission_costs_nothing() -> None:
    pacer = Pacer(500_000)
    for _ in range(10):
        pacer.admit(Paced.MEDIA, SIZE, 0.0)
    before = pacer.admit(Paced.MEDIA, SIZE, 0.0)
    for _ in range(50):
        assert pacer.admit(Paced.OPTIONAL, SIZE, 0.0) is None
    after = pacer.admit(Paced.MEDIA, SIZE, 0.0)
    assert before is not None and after is not None
    assert abs(after - before - bits(1) / 500_000) < 1e-9  # the next media packet waits one packet more only


def test_a_raised_rate_lets_more_through_and_a_wait_is_bounded() -> None:
    pacer = Pacer(200_000)
    waits = [pacer.admit(Paced.MEDIA, SIZE, 0.0) for _ in range(100)]
    assert max(w for w in waits if w is not None) <= MAX_WAIT_S  # far above the rate: the wait is cut short
    probe = Pacer(200_000)
    probe.rate_bps = 800_000  # a probe's target
    wait = probe.admit(Paced.MEDIA, SIZE, 0.0)
    for _ in range(9):
        wait = probe.admit(Paced.MEDIA, SIZE, 0.0)
    assert wait is not None and wait <= bits(10) / 800_000
    low = Pacer(0)
    assert low.rate_bps == MIN_RATE_BPS  # an estimate of nothing still lets a low layer's keyframe through

"""GapWatch: when a missing video packet makes the receiver give its frames up and ask for a keyframe."""

from __future__ import annotations

import itertools

from meetdesk.client.gaps import GapWatch


def feed(watch: GapWatch, packets: list[tuple[int, float]]) -> list[float]:
    """The times at which the watch asked for a keyframe."""
    return [at for seq, at in packets if watch.packet(seq, at)]


def test_an_unbroken_stream_never_asks() -> None:
    assert feed(GapWatch(), [(i, i / 30) for i in range(300)]) == []


def test_a_hole_filled_by_a_retransmission_in_time_does_not_ask() -> None:
    packets = [(1, 0.0), (2, 0.033), (4, 0.066), (3, 0.150), (5, 0.1), (6, 0.3), (7, 0.4)]
    assert feed(GapWatch(give_up_s=0.25), packets) == []


def test_a_hole_not_filled_asks_once_it_is_older_than_the_give_up_time() -> None:
    packets = [(1, 0.0), (3, 0.033)] + [(seq, 0.033 * (seq - 1)) for seq in range(4, 20)]
    asked = feed(GapWatch(give_up_s=0.25), packets)
    assert len(asked) == 1 and 0.25 <= asked[0] - 0.033 < 0.25 + 0.034  # on the first packet past the deadline


def test_a_long_cut_asks_on_the_first_packets_after_it_within_the_give_up_time() -> None:
    before = [(seq, seq / 30) for seq in range(100)]
    after = [(seq, 5.0 + (seq - 250) / 30) for seq in range(250, 300)]  # 150 packets lost in a 5 s cut
    asked = feed(GapWatch(give_up_s=0.25), before + after)
    assert asked and 5.0 <= asked[0] <= 5.0 + 0.25 + 1 / 30


def test_repeated_losses_are_throttled() -> None:
    # a packet lost every 3rd, for 3 s: many holes given up, PLIs no closer than the interval
    packets = [(seq, seq / 30) for seq in range(90) if seq % 3]
    asked = feed(GapWatch(give_up_s=0.1, pli_interval_s=0.5), packets)
    assert len(asked) >= 4
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(asked))


def test_sequence_numbers_wrap_around() -> None:
    packets = [(65534, 0.0), (65535, 0.033), (0, 0.066), (1, 0.1)]
    assert feed(GapWatch(), packets) == []
    watch = GapWatch(give_up_s=0.1)
    assert feed(watch, [(65535, 0.0), (1, 0.033), (2, 0.2)]) == [0.2]  # 0 lost across the wrap

"""The SFU's retransmission history (meetdesk.server.sfu.history): kept by time and bounded, one
retransmission per packet per round, and a budget against storms."""

from __future__ import annotations

import gc
import time

import pytest
from aiortc.rtp import RtpPacket

from meetdesk.server.sfu.history import RetransmissionHistory


def packet(seq: int, size: int = 1000) -> RtpPacket:
    return RtpPacket(payload_type=97, sequence_number=seq, payload=bytes(size))


def test_a_packet_sent_lately_is_given_back_for_its_nack_by_its_full_sequence_number() -> None:
    history = RetransmissionHistory()
    for seq in range(300):  # more than aiortc's 128, and the keys aiortc writes collide
        history[seq % 128] = packet(seq)
    taken = history.take(10)
    assert taken is not None and taken.sequence_number == 10
    assert history.take(1000) is None
    stats = history.stats()
    assert (stats.nacked, stats.retransmitted, stats.retransmitted_bytes, stats.unavailable) == (2, 1, 1000, 1)


def test_packets_older_than_the_window_or_beyond_the_bound_are_gone() -> None:
    history = RetransmissionHistory(window=1.0, max_packets=64)
    for seq in range(100):
        history[seq % 128] = packet(seq, 10)
    assert len(history) == 64
    assert history.take(35) is None and history.take(36) is not None
    later = RetransmissionHistory(window=1.0)
    later[0] = packet(0)
    assert later.take(0, now=time.monotonic() + 2.0) is None  # expired
    assert later.stats().unavailable == 1


def test_the_same_packet_is_sent_again_once_per_round_however_often_it_is_asked_for() -> None:
    history = RetransmissionHistory(repeat=0.05)
    history[0] = packet(0)
    now = time.monotonic()
    assert history.take(0, now=now) is not None
    assert history.take(0, now=now + 0.01) is None  # a receiver repeating its NACK list
    assert history.take(0, now=now + 0.1) is not None  # the retransmission was lost too: asked for again
    assert (history.retransmitted, history.repeats) == (2, 1)


def test_retransmissions_stay_within_a_share_of_what_was_sent() -> None:
    history = RetransmissionHistory(budget_share=0.5, budget_floor=0, repeat=0.0)
    for seq in range(100):
        history[seq % 128] = packet(seq, 1000)  # 100 kB sent within the window
    granted = [history.take(seq) for seq in range(100)]
    assert sum(p is not None for p in granted) == 50  # 50 kB: half of it
    assert history.over_budget == 50
    for seq in range(100, 120):  # 20 kB more sent: 10 kB more may be sent again
        history[seq % 128] = packet(seq, 1000)
    assert sum(history.take(seq) is not None for seq in range(100, 120)) == 10


def test_the_history_size_is_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        RetransmissionHistory(max_packets=1000)


def test_the_newest_packets_come_newest_first_for_a_probe() -> None:
    history = RetransmissionHistory()
    for seq in range(65530, 65536):
        history[seq % 128] = packet(seq)
    for seq in range(4):  # the sequence numbers wrap
        history[seq % 128] = packet(seq)
    assert [p.sequence_number for p in history.newest(5)] == [3, 2, 1, 0, 65535]
    assert len(history.newest(100)) == 10


def test_kept_packets_are_plain_values_the_garbage_collector_does_not_walk() -> None:
    """Hundreds of subscribers keep hundreds of thousands of packets: as RtpPacket objects (each with its dict and
    header extensions) every full collection walked them all, a fifth of the SFU's core in bench/sfu_bench.py."""
    history = RetransmissionHistory()
    gc.collect()
    before = len(gc.get_objects())
    for seq in range(1000):
        sent = packet(seq, 100)
        sent.extensions.abs_send_time, sent.extensions.audio_level = seq, (False, 30)
        history[seq % 128] = sent
    gc.collect()
    assert len(gc.get_objects()) - before < 50
    # what is given back is the whole packet again, sent at the time it was first sent (as aiortc resends)
    taken = history.take(999)
    assert taken is not None and (taken.sequence_number, taken.payload_type, len(taken.payload)) == (999, 97, 100)
    assert (taken.extensions.abs_send_time, taken.extensions.audio_level) == (999, (False, 30))

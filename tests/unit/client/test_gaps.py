"""GapWatch: when a missing video packet makes the receiver give its frames up and ask for a keyframe."""

from __future__ import annotations

import itertools

from meetdesk.client.gaps import GapWatch


def feed(watch: GapWatch, packets: list[tuple[int, float]]) -> list[float]:
    """The times at which the watch asked for a keyframe."""
    return [at for seq, at in packets if watch.packet(seq, at).ask]


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


def test_a_give_up_soon_after_another_still_gives_up_but_does_not_ask_again() -> None:
    watch = GapWatch(give_up_s=0.1, pli_interval_s=0.5)
    outcomes = [watch.packet(seq, at) for seq, at in [(1, 0.0), (3, 0.01), (4, 0.2), (6, 0.25), (7, 0.4)]]
    assert [(o.give_up, o.ask) for o in outcomes] == [
        (False, False),
        (False, False),
        (True, True),
        (False, False),
        (True, False),
    ]
    assert (watch.give_ups, watch.plis) == (2, 1)


def test_after_a_give_up_nothing_from_before_the_newest_packet_reaches_the_fresh_buffer() -> None:
    watch = GapWatch(give_up_s=0.25)
    for seq in range(100):
        assert watch.passes(seq)
        watch.packet(seq, seq / 30)
    # a 5 s cut; then a NACK brings back retransmissions of the cut's last second, mixed with new packets
    assert watch.passes(250) and not watch.packet(250, 5.0).give_up
    for seq in (220, 221, 251, 222):
        assert watch.passes(seq)
        watch.packet(seq, 5.05)
    outcome = watch.packet(223, 5.3)  # a late retransmission comes when the deadline has passed
    assert outcome.give_up and outcome.ask
    # the fresh buffer starts after the newest packet seen (251), whatever packet made the watch give up
    assert not watch.passes(223) and not watch.passes(251) and not watch.passes(100)
    assert watch.passes(252) and watch.passes(253)


def test_the_floor_is_forgotten_once_the_stream_is_well_past_it_and_sequence_numbers_wrap() -> None:
    watch = GapWatch(give_up_s=0.1)
    watch.packet(65000, 0.0)
    watch.packet(65010, 0.01)
    assert watch.packet(65011, 0.2).give_up
    assert not watch.passes(65011) and watch.passes(65012) and watch.passes(100)  # 100: after the wrap
    assert watch.passes((65012 + 2000) & 0xFFFF)  # well past: no floor any more
    assert watch.passes(65011)  # 32k packets later this number is a new packet, not a late one


def test_a_packet_still_missing_is_asked_for_once_more_before_it_is_given_up() -> None:
    watch = GapWatch(give_up_s=0.25)
    watch.packet(1, 0.0)
    watch.packet(4, 0.01)  # 2 and 3 missing
    assert watch.due_again(0.05) == []  # aiortc's NACK has its round trip first
    watch.packet(3, 0.06)  # its retransmission came: only 2 is still missing
    assert watch.due_again(0.12) == [2]
    assert watch.due_again(0.2) == []  # once only
    assert watch.renacks == 1


def test_a_cut_is_not_asked_for_again() -> None:
    watch = GapWatch(give_up_s=0.25)
    watch.packet(1, 0.0)
    watch.packet(100, 0.01)  # 98 missing at once
    assert watch.due_again(0.2) == []


async def test_a_retransmission_behind_the_floor_is_counted_by_the_receiver_and_kept_out_of_its_buffer() -> None:
    # the SFU probes a paused video's link with RTX copies of its old packets: dropped before aiortc's handler,
    # the receiver's report never said they came and the SFU took every probe for lost
    from aiortc import RTCPeerConnection, RTCRtpCodecParameters
    from aiortc.rtcrtpreceiver import StreamStatistics
    from aiortc.rtp import RtpPacket, wrap_rtx

    from meetdesk.client.gaps import watch_gaps
    from meetdesk.rtc.internals import RECEIVER_CODECS, RECEIVER_JITTER_BUFFER
    from meetdesk.rtc.rtx import RECEIVER_RTX_SSRC

    remote_streams = "_RTCRtpReceiver__remote_streams"

    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("video").receiver
        vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90_000, payloadType=96)
        rtx = RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90_000, payloadType=97, parameters={"apt": 96})
        getattr(receiver, RECEIVER_CODECS).update({96: vp8, 97: rtx})
        getattr(receiver, RECEIVER_RTX_SSRC)[2222] = 1111
        watch = watch_gaps(receiver, on_give_up=lambda: None)
        for seq, at in ((1, 0.0), (5, 0.0), (6, 1.0)):  # 2-4 given up at 6: the floor is 6
            watch.packet(seq, at)
        assert not watch.passes(3)
        original = RtpPacket(
            payload_type=96, sequence_number=3, timestamp=3000, ssrc=1111, payload=b"\x10" + bytes(999)
        )
        await receiver._handle_rtp_packet(wrap_rtx(original, payload_type=97, sequence_number=50, ssrc=2222), 0)
        stats: StreamStatistics = getattr(receiver, remote_streams)[2222]
        assert stats.packets_received == 1 and stats.max_seq == 50  # in its report: the SFU knows it came
        buffer = getattr(receiver, RECEIVER_JITTER_BUFFER)
        assert all(packet is None for packet in buffer._packets)  # and nothing of it in the jitter buffer
    finally:
        await pc.close()

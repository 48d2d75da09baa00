"""The publisher's uplink estimate and the full layer following it: the estimate from readings (pure), the plan it
gives the full layer, and the aiortc internals the control relies on (REMB reaching both layers' encoders, the
encoder's target, the sender's keyframe switch)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from aiortc import RTCPeerConnection, RTCRtpCodecParameters
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtcrtpsender import RTCEncodedFrame
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket, pack_remb_fci
from aiortc.stats import RTCOutboundRtpStreamStats
from av import VideoFrame

from meetdesk.client.media.layers import FullLayerView, LowLayerEncoder, use_low_layer_encoder
from meetdesk.client.media.synthetic import SyntheticCamera, SyntheticMicrophone
from meetdesk.client.media.uplink import FullLayerEncoder, follow_uplink
from meetdesk.client.media.uplink_estimate import (
    CEILING_BPS,
    FULL_MAX_BPS,
    FULL_MIN_BPS,
    GROWTH,
    NEAR_MEMORY_S,
    NEAR_STEP_BPS,
    FullLayerPlan,
    Reading,
    UplinkEstimate,
    plan_full_layer,
)
from meetdesk.core.simulcast import LOW_BITRATE
from meetdesk.rtc.internals import SENDER_ENCODER


def clear(estimate: UplinkEstimate, at: float, sent: float = 400_000) -> int:
    return estimate.update(Reading(at, sent, 0.0, 0.01))


def test_a_thin_link_spilling_over_drops_the_estimate_to_a_little_under_what_got_through() -> None:
    estimate = UplinkEstimate()
    assert clear(estimate, 0.0) == CEILING_BPS
    # 560 kbit/s into a 500 kbit/s link: a tenth lost
    bps = estimate.update(Reading(1.0, 560_000, 0.11, 0.01))
    assert estimate.congested and 400_000 <= bps < 500_000
    # still spilling while the encoders follow (within SETTLE_S): no second drop on the same evidence
    assert estimate.update(Reading(2.0, 560_000, 0.11, 0.01)) == bps
    # clear again: it grows back, step by step near where the link spilled over, further beyond
    grown = [clear(estimate, at, sent=bps) for at in (3.5, 4.5, 5.5, 6.5)]
    assert grown == sorted(grown) and grown[0] > bps and grown[-1] < 700_000


def test_past_where_the_link_spilled_over_it_grows_by_small_steps_for_a_while() -> None:
    estimate = UplinkEstimate()
    dropped = estimate.update(Reading(1.0, 560_000, 0.11, 0.01))  # spilled at about 500 kbit/s
    # the encoders send what the estimate gives them, and the link carries it all (it grew)
    grown = [clear(estimate, float(at), sent=estimate.bps) for at in range(3, 3 + int(NEAR_MEMORY_S) - 2)]
    assert grown[0] > dropped
    steps = {b - a for a, b in itertools.pairwise(grown[1:])}
    assert steps == {NEAR_STEP_BPS} and grown[-1] > 1.1 * 500_000  # past the spill: still small steps
    later = [clear(estimate, float(at), sent=estimate.bps) for at in range(30, 33)]
    assert later[-1] / later[-2] == pytest.approx(GROWTH, rel=0.01)  # the spill long past: growing fast again


def test_growth_stays_near_what_was_sent() -> None:
    estimate = UplinkEstimate(start_bps=300_000)
    for at in range(1, 30):
        clear(estimate, float(at), sent=200_000)
    # no further than 1.5 times what was sent or 200 kbit/s more: room for a stopped full layer to try again
    assert estimate.bps == 400_000


def test_a_randomly_lossy_link_is_not_taken_for_a_thin_one() -> None:
    estimate = UplinkEstimate(start_bps=1_000_000)
    clear(estimate, 0.0, sent=600_000)
    dropped = estimate.update(Reading(1.0, 600_000, 0.10, 0.01))
    assert dropped < 600_000
    # it sent a sixth less and still lost a tenth, twice: that loss is the link's own, whatever it sends
    assert estimate.update(Reading(3.5, 480_000, 0.10, 0.01)) == dropped  # (once may be a report that lags)
    restored = estimate.update(Reading(4.0, 480_000, 0.10, 0.01))
    assert restored == 1_000_000 and not estimate.congested and estimate.lossy == pytest.approx(0.10)
    # that much loss goes on without a drop; more on top of it is congestion again
    assert estimate.update(Reading(4.5, 600_000, 0.11, 0.01)) == 1_000_000
    assert estimate.update(Reading(5.5, 600_000, 0.30, 0.01)) < 600_000


def test_a_thin_link_whose_reports_lag_the_drop_is_not_taken_for_a_lossy_one() -> None:
    # the readings of a 500 kbit/s cap in the network bench: the loss reported lags what was sent (the reading
    # 2 s after the drop still counts some of what the queue dropped before it), then clears
    estimate = UplinkEstimate()
    dropped = estimate.update(Reading(1.0, 739_000, 0.14, 0.001))
    assert estimate.congested and dropped < 650_000
    assert estimate.update(Reading(2.0, 414_000, 0.32, 0.001)) == dropped  # settling
    # it sent less and lost nearly as much, but less steadily than random loss (32 % between): dropped again
    assert estimate.update(Reading(3.0, 525_000, 0.11, 0.001)) < dropped
    assert estimate.update(Reading(4.0, 533_000, 0.01, 0.001)) < dropped  # clear: it was the rate
    assert estimate.lossy < 0.02
    # another run: the loss after the drop jumps about (a queue overflowing, then less): not steady, not random
    estimate = UplinkEstimate()
    dropped = estimate.update(Reading(1.0, 756_000, 0.11, 0.001))
    estimate.update(Reading(2.0, 416_000, 0.43, 0.001))
    estimate.update(Reading(3.0, 552_000, 0.08, 0.001))
    assert estimate.update(Reading(4.0, 545_000, 0.19, 0.001)) < dropped and estimate.lossy == 0.0


def test_a_thin_link_that_cleared_after_the_drop_is_not_taken_for_a_lossy_one() -> None:
    estimate = UplinkEstimate(start_bps=1_000_000)
    dropped = estimate.update(Reading(1.0, 600_000, 0.10, 0.01))
    clear(estimate, 3.5, sent=450_000)  # sending less cleared it: it was the rate
    assert estimate.update(Reading(6.0, 480_000, 0.10, 0.01)) < dropped + 100_000
    assert estimate.lossy == 0.0 and estimate.congested


def test_the_loss_over_a_cut_is_not_a_measure_of_the_link() -> None:
    estimate = UplinkEstimate(start_bps=1_000_000)
    clear(estimate, 0.0)
    # no report for 5 s, then one covering the cut: skipped
    assert estimate.update(Reading(5.0, 600_000, 0.9, 0.01)) == 1_000_000
    assert not estimate.congested


def test_no_report_no_change() -> None:
    estimate = UplinkEstimate(start_bps=700_000)
    assert estimate.update(Reading(1.0, 600_000, None, None)) == 700_000


@pytest.mark.parametrize(
    ("estimate", "current", "expected"),
    [
        (2_500_000, FullLayerPlan(), FullLayerPlan(on=True, target_bps=FULL_MAX_BPS)),
        (500_000, FullLayerPlan(), FullLayerPlan(on=True, target_bps=int(300_000 * 0.85))),
        (350_000, FullLayerPlan(), FullLayerPlan(on=True, target_bps=int(150_000 * 0.85), half_rate=True)),
        # thin: off (the others get the low layer) ...
        (270_000, FullLayerPlan(), FullLayerPlan(on=False, target_bps=FULL_MIN_BPS, half_rate=True, low_bps=127_500)),
        # ... and back only with some room
        (320_000, FullLayerPlan(on=False), FullLayerPlan(on=False, target_bps=FULL_MIN_BPS, half_rate=True)),
        (370_000, FullLayerPlan(on=False), FullLayerPlan(on=True, target_bps=int(170_000 * 0.85), half_rate=True)),
    ],
)
def test_the_full_layer_gets_what_the_microphone_and_the_low_layer_leave(
    estimate: int, current: FullLayerPlan, expected: FullLayerPlan
) -> None:
    assert plan_full_layer(estimate, first_bps=120_000, low_bps=80_000, current=current) == expected


@pytest.mark.parametrize(("estimate", "low"), [(2_500_000, LOW_BITRATE), (250_000, 110_500), (150_000, 25_500)])
def test_the_low_layer_gets_what_the_microphone_leaves_up_to_its_own_rate(estimate: int, low: int) -> None:
    plan = plan_full_layer(estimate, first_bps=120_000, low_bps=80_000, current=FullLayerPlan())
    assert plan.low_bps == low


def test_a_stopped_full_layer_waits_its_turn_to_come_back() -> None:
    off = FullLayerPlan(on=False)
    assert plan_full_layer(2_500_000, first_bps=120_000, low_bps=80_000, current=off, may_resume=False) == off


async def test_half_rate_gives_the_full_layer_every_other_frame_and_the_low_layer_all() -> None:
    camera = SyntheticCamera(3, width=640, height=480)
    full = FullLayerView(camera)
    full.half_rate = True
    first, second = await full.recv(), await full.recv()
    assert isinstance(first, VideoFrame) and isinstance(second, VideoFrame)
    assert camera.frames_sent == 4  # two frames given to the full layer's sender, four read from the camera
    low = await asyncio.wait_for(full.low.recv(), 1)  # the low layer was handed each one (it keeps the newest)
    assert isinstance(low, VideoFrame) and low.pts == second.pts
    full.half_rate = False
    await full.recv()
    assert camera.frames_sent == 5
    camera.stop()


async def test_remb_from_the_server_reaches_both_layers_encoders() -> None:
    # guards aiortc's REMB path (RTCRtpSender._handle_rtcp_packet sets the encoder's target_bitrate), for both
    # layers' senders (the low layer's encoder follows it on its own: test_layers.py)
    pc = RTCPeerConnection()
    full = FullLayerView(SyntheticCamera(1, width=640, height=480))
    full_sender = pc.addTransceiver(full, direction="sendonly").sender
    low_sender = pc.addTransceiver(full.low, direction="sendonly").sender
    try:
        low = use_low_layer_encoder(low_sender)
        control = follow_uplink(pc, full_sender, full, low, lambda _on: None, name="t")
        encoder = getattr(full_sender, SENDER_ENCODER)
        assert isinstance(encoder, FullLayerEncoder) and isinstance(low, LowLayerEncoder)
        control.apply(FullLayerPlan(on=True, target_bps=300_000), now=0.0)
        for sender in (full_sender, low_sender):
            remb = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(100_000, [sender._ssrc]))
            await sender._handle_rtcp_packet(remb)
        # once the uplink control aims them, both encoders only note the REMB
        assert low.target_bitrate == LOW_BITRATE and low.remb_bps == 100_000
        assert encoder.remb_bps == 100_000 and encoder.target_bitrate == 300_000
    finally:
        await pc.close()
        full.source.stop()


async def test_the_full_layer_encodes_at_the_controls_target_and_restarts_with_a_keyframe() -> None:
    pc = RTCPeerConnection()
    full = FullLayerView(SyntheticCamera(1, width=640, height=480))
    sender = pc.addTransceiver(full, direction="sendonly").sender
    switched: list[bool] = []
    try:
        control = follow_uplink(pc, sender, full, None, switched.append, name="t")
        vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
        plan = FullLayerPlan(on=True, target_bps=120_000, half_rate=True)
        control.apply(plan, now=0.0)  # under aiortc's own floor
        assert await sender._next_encoded_frame(vp8) is not None
        encoder = getattr(sender, SENDER_ENCODER)
        assert encoder.codec is not None and encoder.codec.bit_rate == 120_000 and full.half_rate
        assert not keyframe(await sender._next_encoded_frame(vp8))
        control.apply(FullLayerPlan(on=False, target_bps=120_000, half_rate=True), now=1.0)
        control.apply(plan, now=9.0)
        assert switched == [False, True] and (control.stops, control.resumes) == (1, 1)
        assert keyframe(await asyncio.wait_for(sender._next_encoded_frame(vp8), 5))  # the others start from it
    finally:
        await pc.close()
        full.source.stop()


def keyframe(frame: RTCEncodedFrame | None) -> bool:
    assert frame is not None
    _descriptor, payload = VpxPayloadDescriptor.parse(frame.payloads[0])
    return payload[0] & 0x01 == 0  # the VP8 payload header's P bit: 0 for a keyframe


def test_aiortc_still_floors_its_own_vp8_encoder_where_the_full_layer_goes_below() -> None:
    # the reason for FullLayerEncoder: aiortc clamps REMB-set targets to 250 kbit/s and more
    from aiortc.codecs.vpx import Vp8Encoder

    stock = Vp8Encoder()
    stock.target_bitrate = 100_000
    assert stock.target_bitrate == 250_000 > LOW_BITRATE


async def test_the_sfus_own_loss_report_between_two_of_aiortcs_reads_no_loss() -> None:
    # the SFU tells a microphone's sender its subscribers' loss (for the Opus FEC) in an RR of its own whose
    # cumulative count is 0, between aiortc's RRs that count the link's loss since the call began (here 500
    # packets, from a lossy minute long past): no new loss, the estimate stays where it is
    publisher, server = RTCPeerConnection(), RTCPeerConnection()
    full = FullLayerView(SyntheticCamera(1, width=640, height=480))
    microphone = SyntheticMicrophone(1)
    full_sender = publisher.addTransceiver(full, direction="sendonly").sender
    audio_sender = publisher.addTransceiver(microphone, direction="sendonly").sender
    try:
        control = follow_uplink(publisher, full_sender, full, None, lambda _on: None, name="t")
        await publisher.setLocalDescription(await publisher.createOffer())
        await server.setRemoteDescription(publisher.localDescription)
        await server.setLocalDescription(await server.createAnswer())
        await publisher.setRemoteDescription(server.localDescription)

        async def sent() -> int:
            stats = await audio_sender.getStats()
            return sum(s.packetsSent for s in stats.values() if isinstance(s, RTCOutboundRtpStreamStats))

        async def more_sent() -> None:
            # the packet count has no event: polled until the microphone sent some more
            before = await sent()
            while True:
                if await sent() >= before + 5:
                    return
                await asyncio.sleep(0.02)

        def rr(lost: int, fraction: float) -> RtcpRrPacket:
            info = RtcpReceiverInfo(
                ssrc=audio_sender._ssrc,
                fraction_lost=round(fraction * 256),
                packets_lost=lost,
                highest_sequence=0,
                jitter=0,
                lsr=0,
                dlsr=0,
            )
            return RtcpRrPacket(ssrc=1, reports=[info])

        await asyncio.wait_for(more_sent(), 20)
        await audio_sender._handle_rtcp_packet(rr(500, 0.0))  # aiortc's: 500 lost since the call began
        await control._read()  # the first reading: what follows is measured from it
        readings = []
        for report in (rr(0, 0.1), rr(500, 0.0), rr(0, 0.1), rr(500, 0.0)):  # the SFU's, aiortc's, in turn
            await asyncio.wait_for(more_sent(), 20)
            await audio_sender._handle_rtcp_packet(report)
            reading, _first, _low = await control._read()
            assert reading is not None
            readings.append(reading.loss)
            control.estimate.update(reading)
        assert readings == [0.0, 0.0, 0.0, 0.0]
        assert control.estimate.bps == CEILING_BPS and not control.estimate.congested
    finally:
        await publisher.close()
        await server.close()
        full.source.stop()
        microphone.stop()

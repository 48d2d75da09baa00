"""Opus in-band FEC (meetdesk.client.media.opus_fec): the encoder carries FEC once loss is reported, and the
receiving side gets a lost packet back from the next one's FEC, or conceals it, instead of a gap."""

from __future__ import annotations

import ctypes

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket, RtpPacket

from meetdesk.client.media import opus_fec
from meetdesk.client.media.opus_fec import FecOpusDecoder, FecOpusEncoder, LossAwareJitter, use_fec_encoder
from meetdesk.client.media.synthetic import SyntheticMicrophone

pytestmark = pytest.mark.skipif(not opus_fec.fec_decoder_available(), reason="no libopus to decode FEC with")


def encode(encoder: FecOpusEncoder, frames: int, first: int = 0) -> list[tuple[bytes, int]]:
    microphone = SyntheticMicrophone(source_id=1, syllables=True)  # speech-like: Opus carries FEC for voice only
    packets = []
    for n in range(first, first + frames):
        payloads, timestamp = encoder.encode(microphone.make_frame(n))
        packets += [(payload, timestamp + i * opus_fec.FRAME_SAMPLES) for i, payload in enumerate(payloads)]
    return packets


def has_fec(payload: bytes) -> bool:
    lib = opus_fec._libopus()
    assert lib is not None
    return bool(lib.opus_packet_has_lbrr(ctypes.c_char_p(payload), len(payload)) == 1)


def test_the_encoder_carries_fec_only_once_loss_is_reported_and_its_timestamps_go_on() -> None:
    encoder = FecOpusEncoder()
    clean = encode(encoder, 20)
    assert not any(has_fec(p) for p, _ in clean) and encoder.fec_percent == 0
    encoder.report_loss(0.10)
    lossy = encode(encoder, 20, first=20)
    assert encoder.fec_percent == 12 and encoder.reconfigured == 1
    assert sum(has_fec(p) for p, _ in lossy) >= 10
    stamps = [t for _, t in clean + lossy]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)  # no timestamp goes back at the reopen


def test_speech_keeps_its_fec_past_the_first_second_at_a_voice_bitrate() -> None:
    # aiortc's encoder (PyAV's libopus at 96 kbit/s, no signal hint) took this speech-like signal for music after a
    # few hundred milliseconds and coded it in CELT, which carries no FEC: 1 packet in 75 had it, at 120 kbit/s
    encoder = FecOpusEncoder()
    encoder.report_loss(0.05)
    encoded = encode(encoder, 250)  # 5 s
    later = [payload for payload, _ in encoded[50:]]
    assert sum(map(has_fec, later)) >= len(later) // 2  # the syllables' frames; their silences carry none
    kbps = sum(map(len, later)) * 8 * 50 / len(later) / 1000
    assert kbps <= opus_fec.VOICE_BITRATE / 1000 * 1.25


def packets_of(encoded: list[tuple[bytes, int]]) -> list[RtpPacket]:
    packets = []
    for seq, (payload, timestamp) in enumerate(encoded):
        packet = RtpPacket(payload_type=111, sequence_number=(65530 + seq) & 0xFFFF, timestamp=timestamp)
        packet._data = payload  # type: ignore[attr-defined]  # what the receiver's depayload sets
        packets.append(packet)
    return packets


def receive(packets: list[RtpPacket]) -> tuple[list[object], LossAwareJitter, FecOpusDecoder]:
    jitter, decoder = LossAwareJitter(), FecOpusDecoder()
    frames = []
    for packet in packets:
        _, frame = jitter.add(packet)
        if frame is not None:
            frames += decoder.decode(frame)
    return frames, jitter, decoder


def test_a_lost_packet_comes_back_from_the_next_ones_fec_and_longer_gaps_are_concealed() -> None:
    encoder = FecOpusEncoder()
    encoder.report_loss(0.2)
    encoded = encode(encoder, 40)
    packets = packets_of(encoded)
    carrying = [i for i in range(2, 40) if has_fec(encoded[i][0])]  # a packet's FEC is the one before it
    single = carrying[0] - 1
    last = next(i for i in carrying if i - 3 > single + 1) - 1
    lost = {single, last - 2, last - 1, last}  # one alone; then three in a row (sequence numbers wrap)
    kept = [p for i, p in enumerate(packets) if i not in lost]
    kept.insert(single + 3, packets[single + 1])  # a late duplicate: dropped
    frames, jitter, decoder = receive(kept)
    assert len(frames) == 40  # every 20 ms has a frame: none missing, none twice
    pts = [f.pts for f in frames]  # type: ignore[attr-defined]
    assert pts == [p.timestamp for p in packets]
    kinds = {i: f.opaque for i, f in enumerate(frames) if f.opaque}  # type: ignore[attr-defined]
    assert kinds == {single: "fec", last - 2: "concealed", last - 1: "concealed", last: "fec"}
    assert (jitter.lost, jitter.late, decoder.recovered, decoder.concealed) == (4, 1, 2, 2)
    assert all(f.format.name == "s16" and f.layout.name == "stereo" and f.samples == 960 for f in frames)  # type: ignore[attr-defined]


def test_a_cut_is_not_filled_with_more_than_a_few_made_up_frames() -> None:
    packets = packets_of(encode(FecOpusEncoder(), 60))
    frames, _, decoder = receive(packets[:10] + packets[50:])
    # the last few 20 ms before the packets came back are made up; before them, the cut stays silent
    assert (decoder.concealed, decoder.recovered) == (opus_fec.MAX_CONCEALED, 0)
    assert len(frames) == 20 + opus_fec.MAX_CONCEALED


async def test_the_sender_tells_its_encoder_the_loss_its_receiver_reports() -> None:
    pc = RTCPeerConnection()
    try:
        sender = pc.addTransceiver("audio").sender
        encoder = use_fec_encoder(sender)
        assert sender._RTCRtpSender__encoder is encoder  # type: ignore[attr-defined]
        report = RtcpReceiverInfo(
            ssrc=sender._ssrc, fraction_lost=26, packets_lost=5, highest_sequence=1, jitter=0, lsr=0, dlsr=0
        )
        other = RtcpReceiverInfo(ssrc=1, fraction_lost=255, packets_lost=5, highest_sequence=1, jitter=0, lsr=0, dlsr=0)
        await sender._handle_rtcp_packet(RtcpRrPacket(ssrc=99, reports=[other, report]))
        assert encoder.loss == pytest.approx(26 / 256)
        with pytest.raises(RuntimeError):
            use_fec_encoder(sender)  # once only: the sender has its encoder
    finally:
        await pc.close()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_hole_is_asked_for_again_and_what_comes_back_in_time_is_received_in_order() -> None:
    encoder = FecOpusEncoder()
    packets = packets_of(encode(encoder, 12))
    asked: list[tuple[int, list[int]]] = []
    clock = Clock()
    jitter = LossAwareJitter(on_missing=lambda ssrc, seqs: asked.append((ssrc, seqs)), clock=clock)
    decoder = FecOpusDecoder()
    frames = []
    order = [*range(0, 4), 6, 7, 4, 5, *range(8, 12)]  # 4 and 5 lost, asked for, and back after 6 and 7
    for n in order:
        clock.now = n * 0.02 + (0.03 if n in (4, 5) else 0.0)
        _, frame = jitter.add(packets[n])
        if frame is not None:
            frames += decoder.decode(frame)
    assert asked == [(packets[6].ssrc, [packets[4].sequence_number, packets[5].sequence_number])]
    assert [f.pts for f in frames] == [p.timestamp for p in packets]  # type: ignore[attr-defined]
    assert not any(f.opaque for f in frames)  # type: ignore[attr-defined]  # all received: none made up
    assert (jitter.asked, jitter.retransmitted, jitter.lost, jitter.late) == (2, 2, 0, 0)


def test_a_hole_that_does_not_come_back_in_time_is_given_up_to_fec_and_a_late_packet_is_dropped() -> None:
    encoder = FecOpusEncoder()
    encoder.report_loss(0.2)
    packets = packets_of(encode(encoder, 12))
    clock = Clock()
    jitter = LossAwareJitter(on_missing=lambda ssrc, seqs: None, clock=clock)
    decoder = FecOpusDecoder()
    frames = []
    for n in [*range(0, 5), *range(6, 12), 5]:  # 5 lost; it comes back far too late
        clock.now = n * 0.02 if n != 5 else 1.0
        _, frame = jitter.add(packets[n])
        if frame is not None:
            frames += decoder.decode(frame)
    assert [f.pts for f in frames] == [p.timestamp for p in packets]  # type: ignore[attr-defined]
    assert frames[5].opaque in ("fec", "concealed")  # type: ignore[attr-defined]
    assert (jitter.lost, jitter.late, jitter.retransmitted) == (1, 1, 0)
    # the packets after the hole waited for it no longer than the wait (then came out together)
    assert len(frames) == 12

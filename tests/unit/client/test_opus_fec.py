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

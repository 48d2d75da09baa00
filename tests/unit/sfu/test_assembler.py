"""Frame assembly on the marker bit: order, reordering, loss, padding, wrap-around, Opus."""

from __future__ import annotations

import time

import pytest
from aiortc.codecs.vpx import vp8_depayload
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from meetdesk.server.sfu.assembler import OpusFrameAssembler, SequenceUnwrapper, TimestampUnwrapper, Vp8FrameAssembler
from meetdesk.server.sfu.frames import EncodedFrame, is_vp8_keyframe, is_vp8_partition_start

KEY = b"\x50\x42\x00\x9d\x01\x2a" + bytes(range(20))  # frame tag P=0, then the keyframe start code
DELTA = b"\x31" + bytes(range(20))


def vp8_packets(seq: int, timestamp: int, frame: bytes, parts: int = 3, ssrc: int = 1234) -> list[RtpPacket]:
    """An RTP packetization like aiortc's: descriptor S=1 on the first packet, marker on the last."""
    size = -(-len(frame) // parts)
    chunks = [frame[i : i + size] for i in range(0, len(frame), size)]
    packets = []
    for i, chunk in enumerate(chunks):
        payload = bytes([0x10 if i == 0 else 0x00]) + chunk
        packet = RtpPacket(
            payload_type=97,
            marker=int(i == len(chunks) - 1),
            sequence_number=(seq + i) & 0xFFFF,
            timestamp=timestamp & 0xFFFFFFFF,
            ssrc=ssrc,
            payload=payload,
        )
        packet._data = vp8_depayload(payload)  # type: ignore[attr-defined]  # what the receiver does
        packets.append(packet)
    return packets


def stream(first_seq: int, first_ts: int, frames: list[bytes], parts: int = 3) -> list[RtpPacket]:
    packets: list[RtpPacket] = []
    for n, frame in enumerate(frames):
        packets += vp8_packets(first_seq + n * parts, first_ts + n * 3000, frame, parts)
    return packets


def assemble(packets: list[RtpPacket], **kwargs: float) -> tuple[Vp8FrameAssembler, list[EncodedFrame]]:
    frames: list[EncodedFrame] = []
    assembler = Vp8FrameAssembler(frames.append, **kwargs)
    for packet in packets:
        assert assembler.add(packet) == (False, None)
    return assembler, frames


def test_vp8_keyframe_and_partition_start_detection() -> None:
    assert is_vp8_keyframe(KEY)
    assert not is_vp8_keyframe(DELTA)
    assert not is_vp8_keyframe(b"\x00\x00\x00\x00\x00\x00")  # P=0 but no start code
    assert not is_vp8_keyframe(b"")
    assert is_vp8_partition_start(b"\x10x") and is_vp8_partition_start(b"\x90\x80\x81\x02x")
    assert not is_vp8_partition_start(b"\x00x") and not is_vp8_partition_start(b"\x11x")
    assert not is_vp8_partition_start(b"")


def test_frames_complete_on_the_marker_bit_without_waiting_for_the_next_frame() -> None:
    packets = vp8_packets(100, 9000, KEY)
    frames: list[EncodedFrame] = []
    assembler = Vp8FrameAssembler(frames.append)
    assembler.add(packets[0])
    assembler.add(packets[1])
    assert frames == []
    assembler.add(packets[2])
    assert [f.data for f in frames] == [KEY]
    assert frames[0].keyframe and frames[0].timestamp == 9000 and frames[0].ssrc == 1234
    assert not frames[0].after_loss


def test_in_order_stream_gives_every_frame_once() -> None:
    _, frames = assemble(stream(65000, 0, [KEY, DELTA, DELTA, KEY, DELTA] * 100))  # sequence numbers wrap
    assert len(frames) == 500
    assert [f.keyframe for f in frames[:5]] == [True, False, False, True, False]
    assert [f.timestamp for f in frames] == [n * 3000 for n in range(500)]  # the timestamps wrap too
    assert not any(f.after_loss for f in frames)


def test_reordered_packets_are_put_back_in_order() -> None:
    packets = stream(10, 0, [KEY, DELTA, DELTA])
    order = [0, 2, 1, 4, 3, 5, 8, 6, 7]
    _, frames = assemble([packets[i] for i in order])
    assert [f.data for f in frames] == [KEY, DELTA, DELTA]
    assert not any(f.after_loss for f in frames)


def test_retransmission_filling_a_gap_releases_the_frames_held_behind_it() -> None:
    packets = stream(10, 0, [KEY, DELTA, DELTA])
    missing = packets.pop(4)  # the middle of the second frame
    assembler, frames = assemble(packets)
    assert [f.data for f in frames] == [KEY]
    assembler.add(missing)
    assert [f.data for f in frames] == [KEY, DELTA, DELTA]
    assembler.add(missing)  # a duplicate is ignored
    assert len(frames) == 3


def test_a_lost_packet_is_given_up_on_and_the_next_frame_flagged() -> None:
    packets = stream(10, 0, [KEY, DELTA, DELTA, DELTA])
    del packets[4]
    assembler, frames = assemble(packets[:-3], max_wait=0.05)
    assert len(frames) == 1
    time.sleep(0.06)
    for packet in packets[-3:]:
        assembler.add(packet)
    assert [f.data for f in frames] == [KEY, DELTA, DELTA]
    assert [f.after_loss for f in frames] == [False, True, False]
    assert assembler.losses == 1


def test_a_give_up_resumes_after_the_last_hole_not_the_first() -> None:
    # frames 2 and 4 of 6 each lose a packet (a cut's NACK brings back a mix like this): once the first
    # hole is given up, waiting out the second one too would only hold up what comes after it
    packets = stream(10, 0, [KEY, DELTA, DELTA, DELTA, DELTA, DELTA])
    del packets[10], packets[4]
    assembler, frames = assemble(packets[:-3], max_wait=0.05)
    assert len(frames) == 1
    time.sleep(0.06)
    for packet in packets[-3:]:
        assembler.add(packet)
    # frames 5 and 6 at once (after the second hole); not frame 3, then another wait for frame 4's hole
    assert [f.timestamp for f in frames] == [0, 12000, 15000]
    assert [f.after_loss for f in frames] == [False, True, False]
    assert assembler.losses == 1


def test_a_frame_still_arriving_is_not_a_loss() -> None:
    """Paced keyframes: no later packet is here, so no deadline runs however long it takes."""
    packets = vp8_packets(1, 0, KEY, parts=5)
    assembler, frames = assemble(packets[:3], max_wait=0.0)
    assert frames == [] and assembler.losses == 0
    for packet in packets[3:]:
        assembler.add(packet)
    assert [f.data for f in frames] == [KEY] and not frames[0].after_loss


def test_assembly_starts_at_the_first_frame_start_when_joining_mid_frame() -> None:
    packets = stream(1, 0, [KEY, DELTA])
    _, frames = assemble(packets[1:])
    assert [f.data for f in frames] == [DELTA]


def test_padding_between_frames_is_skipped() -> None:
    first, second = vp8_packets(1, 0, KEY), vp8_packets(5, 3000, DELTA)
    padding = RtpPacket(payload_type=97, sequence_number=4, timestamp=0, ssrc=1234, payload=b"")
    padding._data = b""  # type: ignore[attr-defined]
    _, frames = assemble([*first, padding, *second])
    assert [f.data for f in frames] == [KEY, DELTA]


def test_a_sender_without_marker_bits_is_framed_by_timestamp() -> None:
    packets = stream(1, 0, [KEY, DELTA, DELTA])
    for packet in packets:
        packet.marker = 0
    _, frames = assemble(packets)
    assert [f.data for f in frames] == [KEY, DELTA]  # the last one completes when a later frame starts


def test_opus_packets_are_frames_at_once_and_late_ones_dropped() -> None:
    frames: list[EncodedFrame] = []
    assembler = OpusFrameAssembler(frames.append)

    def packet(seq: int) -> RtpPacket:
        p = RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=seq * 960, ssrc=9, payload=b"op%d" % seq)
        p._data = p.payload  # type: ignore[attr-defined]
        return p

    for seq in (65534, 65535, 65537, 65536, 65538):
        assembler.add(packet(seq))
    assert [f.data for f in frames] == [b"op65534", b"op65535", b"op65537", b"op65538"]
    assert [f.after_loss for f in frames] == [False, False, True, False]
    assert all(f.keyframe and f.kind == "audio" for f in frames)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([65535, 0, 1, 65534, 2], [65535, 65536, 65537, 65534, 65538]), ([5, 3, 4], [5, 3, 4])],
)
def test_sequence_unwrapper(values: list[int], expected: list[int]) -> None:
    unwrapper = SequenceUnwrapper()
    assert [unwrapper.unwrap(v) for v in values] == expected


def test_timestamp_unwrapper() -> None:
    unwrapper = TimestampUnwrapper()
    assert [unwrapper.unwrap(v) for v in (0xFFFFFF00, 0x100, 0xFFFFFFF0, 0x200)] == [
        0xFFFFFF00,
        0x100000100,
        0xFFFFFFF0,
        0x100000200,
    ]


def test_packets_of_another_codec_are_dropped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
    h264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=99)
    frames: list[EncodedFrame] = []
    assembler = Vp8FrameAssembler(frames.append, codecs={97: vp8, 99: h264})
    for packet in stream(1, 0, [KEY, DELTA]):
        packet.payload_type = 99
        assembler.add(packet)
    assert frames == []
    assert [r.getMessage() for r in caplog.records] == [
        "SFU drops video/H264 media: it forwards video/vp8 only (negotiate forwarded_codecs())"
    ]
    for packet in stream(10, 6000, [KEY]):
        assembler.add(packet)
    assert [f.data for f in frames] == [KEY]

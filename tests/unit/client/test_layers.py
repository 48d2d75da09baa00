"""The camera's two simulcast layers read from one camera: the full picture, and the same frame scaled down and
encoded at the low layer's bitrate."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection, RTCRtpCodecParameters
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from meetdesk.client.media.layers import (
    LOW_LAYER_MIN_BPS,
    SENDER_ENCODER,
    FullLayerView,
    LowLayerEncoder,
    shrink,
    use_low_layer_encoder,
)
from meetdesk.client.media.synthetic import SyntheticCamera, decode_marker
from meetdesk.core.simulcast import LOW_BITRATE


async def test_the_low_layer_is_each_full_frame_scaled_down_with_its_timestamp() -> None:
    camera = SyntheticCamera(5, width=640, height=480)
    full = FullLayerView(camera)
    for _ in range(3):
        big = await full.recv()
        small = await asyncio.wait_for(full.low.recv(), 1)
        assert isinstance(big, VideoFrame) and isinstance(small, VideoFrame)
        assert (big.width, big.height, small.width, small.height) == (640, 480, 320, 240)
        assert small.pts == big.pts and small.time_base == big.time_base
        assert decode_marker(small) == decode_marker(big)  # the same picture
    camera.stop()


async def test_a_low_layer_behind_gets_the_newest_frame_only() -> None:
    camera = SyntheticCamera(5, width=640, height=360)
    full = FullLayerView(camera)
    frames = [await full.recv() for _ in range(3)]
    small = await asyncio.wait_for(full.low.recv(), 1)
    assert isinstance(small, VideoFrame) and (small.width, small.height) == (320, 180)
    assert small.pts == frames[-1].pts
    camera.stop()


async def test_stopping_the_connection_ends_both_layers_but_not_the_camera() -> None:
    camera = SyntheticCamera(5, width=640, height=480)
    full = FullLayerView(camera)
    waiting = asyncio.ensure_future(full.low.recv())
    await asyncio.sleep(0)  # let it wait: no frame yet
    full.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiting, 1)
    assert camera.readyState == "live"
    camera.stop()


async def test_the_low_layer_sender_encodes_with_the_low_layer_encoder_at_its_bitrate() -> None:
    # guards the aiortc internals use_low_layer_encoder relies on (RTCRtpSender.__encoder, Vp8Encoder's
    # private target bitrate): if the pinned aiortc changes them, this fails
    pc = RTCPeerConnection()
    full = FullLayerView(SyntheticCamera(1, width=640, height=480))
    pc.addTransceiver(full, direction="sendonly")
    sender = pc.addTransceiver(full.low, direction="sendonly").sender
    try:
        encoder = use_low_layer_encoder(sender)
        vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
        await full.recv()
        encoded = await sender._next_encoded_frame(vp8)
        assert encoded is not None and encoded.payloads
        assert getattr(sender, SENDER_ENCODER) is encoder
        assert encoder.codec is not None and encoder.codec.bit_rate == LOW_BITRATE
        assert (encoder.codec.width, encoder.codec.height) == (320, 240)
    finally:
        await pc.close()
        full.source.stop()


@pytest.mark.parametrize(
    ("remb", "target"),
    [(2_000_000, LOW_BITRATE), (LOW_BITRATE, LOW_BITRATE), (100_000, 100_000), (10_000, LOW_LAYER_MIN_BPS)],
)
def test_the_low_layer_follows_remb_below_its_ceiling(remb: int, target: int) -> None:
    encoder = LowLayerEncoder()
    encoder.target_bitrate = remb  # what aiortc's sender does with a REMB for its SSRC
    assert encoder.target_bitrate == target


@pytest.mark.parametrize("pixels", ["bgr24", "rgb24"])
def test_packed_frames_are_scaled_in_their_own_format(pixels: str) -> None:
    frame = SyntheticCamera(5, width=640, height=480).make_frame(1)
    packed = VideoFrame.from_ndarray(frame.to_ndarray(format=pixels), format=pixels)
    small = shrink(packed, 320, 240)
    assert small is not None and small.format.name == pixels and (small.width, small.height) == (320, 240)
    assert decode_marker(small.reformat(format="yuv420p")) == decode_marker(frame)

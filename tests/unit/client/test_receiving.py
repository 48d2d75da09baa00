""":mod:`meetdesk.client.receiving` on real aiortc receivers: frames still arrive, in order, and streams still end."""

from __future__ import annotations

import asyncio
import fractions
import threading

import av
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpCodecParameters
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack

from meetdesk.client.peer import close_peer_connection
from meetdesk.client.receiving import (
    RECEIVER_BITRATE_ESTIMATOR,
    RECEIVER_DECODER_QUEUE,
    RECEIVER_DECODER_THREAD,
    DecodeQueue,
    check_receiver,
    lean_receiver,
)

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


class Counting(VideoStreamTrack):
    """A 160x120 picture whose pts counts frames: the receiver sees them in order."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(160, 120, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts, frame.time_base = pts, time_base
        return frame


async def _connect(
    receive_hook: bool,
) -> tuple[RTCPeerConnection, RTCPeerConnection, list[MediaStreamTrack], list[bool]]:
    config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    sender, receiver = RTCPeerConnection(config), RTCPeerConnection(config)
    sender.addTrack(Counting())
    tracks: list[MediaStreamTrack] = []
    hooked: list[bool] = []

    @receiver.on("track")
    def _track(track: MediaStreamTrack) -> None:
        tracks.append(track)
        if receive_hook:
            transceiver = next(t for t in receiver.getTransceivers() if t.receiver.track is track)
            hooked.append(lean_receiver(transceiver.receiver))

    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)
    return sender, receiver, tracks, hooked


async def test_frames_arrive_decoded_in_order_and_the_track_ends_when_the_connection_closes() -> None:
    sender, receiver, tracks, hooked = await _connect(receive_hook=True)
    try:
        assert hooked == [True]
        rtp_receiver = receiver.getTransceivers()[0].receiver
        queue = getattr(rtp_receiver, RECEIVER_DECODER_QUEUE)
        assert isinstance(queue, DecodeQueue)
        assert getattr(rtp_receiver, RECEIVER_BITRATE_ESTIMATOR) is None  # no REMB computed or sent
        frames = [await asyncio.wait_for(tracks[0].recv(), 10) for _ in range(10)]
        assert all(isinstance(f, av.VideoFrame) and (f.width, f.height) == (160, 120) for f in frames)
        pts = [f.pts for f in frames]
        assert pts == sorted(pts) and len(set(pts)) == len(pts)
        assert queue.frames_decoded >= 10
        thread = getattr(rtp_receiver, RECEIVER_DECODER_THREAD)
        assert isinstance(thread, threading.Thread) and thread.is_alive()  # aiortc's thread runs our get()
    finally:
        await close_peer_connection(receiver)
        await close_peer_connection(sender)
    assert not thread.is_alive()
    with pytest.raises(MediaStreamError):  # the frames left, then the end of the stream
        while True:
            await asyncio.wait_for(tracks[0].recv(), 5)


async def test_a_receiver_already_receiving_is_left_as_it_is() -> None:
    sender, receiver, _, _ = await _connect(receive_hook=False)
    try:
        rtp_receiver = receiver.getTransceivers()[0].receiver
        for _ in range(100):  # receive() runs once DTLS is up
            if getattr(rtp_receiver, RECEIVER_DECODER_THREAD) is not None:
                break
            await asyncio.sleep(0.05)
        check_receiver(rtp_receiver)  # the internals it changes are there
        original = getattr(rtp_receiver, RECEIVER_DECODER_QUEUE)
        assert lean_receiver(rtp_receiver) is False
        assert getattr(rtp_receiver, RECEIVER_DECODER_QUEUE) is original
    finally:
        await close_peer_connection(receiver)
        await close_peer_connection(sender)


async def test_a_frame_that_fails_to_decode_asks_for_a_keyframe_and_decoding_goes_on() -> None:
    loop = asyncio.get_running_loop()
    delivered: asyncio.Queue[av.VideoFrame] = asyncio.Queue()
    error = threading.Event()
    queue = DecodeQueue(loop, delivered, error)
    worker = threading.Thread(target=queue.get)  # as aiortc's decoder thread calls it
    worker.start()
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 160, 120, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    picture = av.VideoFrame(160, 120, "yuv420p")
    for plane in picture.planes:
        plane.update(bytes(plane.buffer_size))
    picture.pts = 0
    keyframe = bytes([*encoder.encode(picture), *encoder.encode(None)][0])  # the first frame, flushed
    queue.put((VP8, JitterFrame(data=b"\xff" * 10, timestamp=0)))  # not VP8
    queue.put((VP8, JitterFrame(data=keyframe, timestamp=3000)))
    queue.put(None)  # the end of the stream: get() returns
    frame = await asyncio.wait_for(delivered.get(), 5)
    await asyncio.to_thread(worker.join, 5)
    assert error.is_set()
    assert (frame.width, frame.height) == (160, 120) and queue.frames_decoded == 1
    assert not worker.is_alive()

""":mod:`meetdesk.client.receiving` on real aiortc receivers: frames still arrive, in order, and streams still end."""

from __future__ import annotations

import asyncio
import fractions
import itertools
import subprocess
import sys
import threading
from collections.abc import Callable

import av
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpCodecParameters
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from aiortc.rate import RemoteBitrateEstimator
from av.frame import Frame

from meetdesk.client.receiving import (
    RECEIVER_BITRATE_ESTIMATOR,
    RECEIVER_DECODER_QUEUE,
    RECEIVER_DECODER_THREAD,
    REMB_FALL,
    REMB_INTERVAL_MS,
    InlineDecoder,
    SparseRemb,
    check_receiver,
    lean_receiver,
)
from meetdesk.rtc.peer import close_peer_connection

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
    receive_hook: bool, deliver: Callable[[Frame], object] | None = None
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
            hooked.append(lean_receiver(transceiver.receiver, deliver))

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
        decoder = getattr(rtp_receiver, RECEIVER_DECODER_QUEUE)
        assert isinstance(decoder, InlineDecoder)
        # the estimator stays: its REMB tells the SFU what this subscriber's downlink carries (when it is news)
        assert isinstance(getattr(rtp_receiver, RECEIVER_BITRATE_ESTIMATOR), SparseRemb)
        frames = [await asyncio.wait_for(tracks[0].recv(), 10) for _ in range(10)]
        assert all(isinstance(f, av.VideoFrame) and (f.width, f.height) == (160, 120) for f in frames)
        pts = [f.pts for f in frames]
        assert pts == sorted(pts) and len(set(pts)) == len(pts)
        assert decoder.frames_decoded >= 10
        thread = getattr(rtp_receiver, RECEIVER_DECODER_THREAD)
        assert isinstance(thread, threading.Thread) and thread.is_alive()  # aiortc's thread waits in get()
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


def test_a_frame_that_fails_to_decode_asks_for_a_keyframe_and_decoding_goes_on() -> None:
    delivered: list[Frame] = []
    error = threading.Event()
    decoder = InlineDecoder(delivered.append, error)
    waiting = threading.Thread(target=decoder.get)  # as aiortc's decoder thread calls it: no work, the end
    waiting.start()
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 160, 120, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    picture = av.VideoFrame(160, 120, "yuv420p")
    for plane in picture.planes:
        plane.update(bytes(plane.buffer_size))
    picture.pts = 0
    keyframe = bytes([*encoder.encode(picture), *encoder.encode(None)][0])  # the first frame, flushed
    decoder.put((VP8, JitterFrame(data=b"\xff" * 10, timestamp=0)))  # not VP8
    assert error.is_set() and not delivered
    decoder.put((VP8, JitterFrame(data=keyframe, timestamp=3000)))
    assert len(delivered) == 1 and isinstance(delivered[0], av.VideoFrame) and delivered[0].width == 160
    assert decoder.frames_decoded == 1
    assert waiting.is_alive()
    decoder.put(None)  # the receiver stopped: aiortc's thread gets its None and ends the track
    waiting.join(5)
    assert not waiting.is_alive()


async def test_frames_can_go_to_a_callback_and_the_track_then_only_ends() -> None:
    frames: asyncio.Queue[Frame] = asyncio.Queue()
    sender, receiver, tracks, hooked = await _connect(receive_hook=True, deliver=frames.put_nowait)
    try:
        assert hooked == [True]
        got = [await asyncio.wait_for(frames.get(), 10) for _ in range(5)]
        assert all(isinstance(f, av.VideoFrame) for f in got)
        ended = asyncio.ensure_future(tracks[0].recv())
        await asyncio.sleep(0.2)
        assert not ended.done()  # the track's queue gets no frames
    finally:
        await close_peer_connection(receiver)
        await close_peer_connection(sender)
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(ended, 5)


def test_an_idle_decoder_thread_never_holds_the_interpreters_exit() -> None:
    """aiortc's decoder thread is not a daemon and waits in ``InlineDecoder.get``; a receiver never stopped
    (its connection dropped with its loop) used to keep the process alive after its work was done — pytest
    printed its summary and never exited."""
    code = (
        "import threading\n"
        "from meetdesk.client.receiving import InlineDecoder\n"
        "decoder = InlineDecoder(lambda frame: None, threading.Event())\n"
        "threading.Thread(target=decoder.get).start()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def _queueing_link(estimator: object, packets: int = 2000) -> list[tuple[int, int]]:
    """Video packets every 5 ms into ``estimator``; after 2 s each arrives 1.5 ms later than the one before (a queue
    growing); the REMBs it returns, (when in ms, bits per second)."""
    rembs = []
    for i in range(packets):
        sent_ms = i * 5
        queued_ms = max(0.0, (sent_ms - 2000) * 0.3)
        abs_send_time = int(sent_ms / 1000 * (1 << 18)) & 0xFFFFFF  # 6.18 fixed point seconds
        remb = estimator.add(  # type: ignore[attr-defined]
            arrival_time_ms=int(1000 + sent_ms + queued_ms), abs_send_time=abs_send_time, payload_size=1200, ssrc=1
        )
        if remb is not None:
            rembs.append((sent_ms, remb[0]))
    return rembs


def test_a_queueing_link_sends_a_remb_when_it_falls_not_with_every_packet() -> None:
    every = _queueing_link(RemoteBitrateEstimator())
    sparse = _queueing_link(SparseRemb(RemoteBitrateEstimator()))
    # aiortc alone: a REMB with nearly every packet once the queue grows (each one an RTCP packet sent)
    assert len(every) > 500
    # passed on: the first fall at once, each further fall of 5%, and otherwise one every 500 ms at most
    assert sparse[0] == every[0]
    assert len(sparse) < 40
    assert min(b for _, b in sparse) == min(b for _, b in every)
    for (at, bps), (next_at, next_bps) in itertools.pairwise(sparse):
        assert next_bps <= REMB_FALL * bps or next_at - at >= REMB_INTERVAL_MS - 120  # 120: the queue's drift
    # nothing fell further than what was passed on, for longer than the interval
    for at, bps in every:
        last = max((s for s in sparse if s[0] <= at), key=lambda s: s[0])
        assert bps > REMB_FALL * last[1] or at == last[0]

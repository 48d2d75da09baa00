"""Forwarder logic on a real (unconnected) aiortc receiver: keyframe gating, throttled PLI, bounded queues.

Frames go in where aiortc would put them (the receiver's jitter-buffer slot, now the assembler);
PLIs are counted by the forwarder (the unconnected transport drops them, as aiortc does).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RtpPacket

from meetdesk.rtc import internals
from meetdesk.server.sfu import Subscription, SubscriptionError, TrackForwarder
from meetdesk.server.sfu.track import ForwardedTrack
from tests.unit.sfu.test_assembler import DELTA, KEY, vp8_packets

INTERVAL = 0.05


@dataclass
class Publisher:
    """Feeds VP8 frames into a tapped receiver, 3000 ticks apart."""

    receiver: RTCRtpReceiver
    seq: int = 1000
    ts: int = 0

    def send(self, *frames: bytes) -> None:
        assembler = getattr(self.receiver, internals.RECEIVER_JITTER_BUFFER)
        for frame in frames:
            for packet in vp8_packets(self.seq, self.ts, frame):
                assembler.add(packet)
            self.seq += 3
            self.ts += 3000


def prepare(receiver: RTCRtpReceiver, codec: RTCRtpCodecParameters) -> None:
    """What RTCPeerConnection and receive() do before packets arrive: the remote track, the codec map."""
    receiver._track = RemoteStreamTrack(kind=codec.mimeType.split("/")[0])
    getattr(receiver, internals.RECEIVER_CODECS)[codec.payloadType] = codec


@pytest.fixture
async def receiver() -> AsyncIterator[RTCRtpReceiver]:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video").receiver
    prepare(receiver, RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97))
    yield receiver
    await pc.close()


@pytest.fixture
def forwarder(receiver: RTCRtpReceiver) -> TrackForwarder:
    track = receiver.track
    assert track is not None
    return TrackForwarder(receiver, track, name="alice/camera", pli_interval=INTERVAL)


def drain(subscription: Subscription) -> list[bytes]:
    """What the subscriber's sender would read now, without waiting."""
    track = subscription.track
    assert isinstance(track, ForwardedTrack)
    return [bytes(packet) for packet in list(track._queue)]


async def test_video_subscribers_start_at_a_keyframe_asked_for_with_a_throttled_pli(receiver: RTCRtpReceiver) -> None:
    forwarder = TrackForwarder(receiver, receiver.track, pli_interval=INTERVAL)  # type: ignore[arg-type]
    publisher = Publisher(receiver)
    publisher.send(KEY, DELTA)
    bob = forwarder.subscribe("bob")
    assert forwarder.stats().plis_sent == 1  # the publisher's SSRC is known: asked at once
    publisher.send(DELTA, DELTA)
    assert forwarder.stats().plis_sent == 1  # throttled
    await asyncio.sleep(INTERVAL)
    publisher.send(DELTA)
    assert forwarder.stats().plis_sent == 2  # repeated while none comes
    assert drain(bob) == []
    publisher.send(KEY, DELTA)
    assert drain(bob) == [KEY, DELTA]
    await asyncio.sleep(INTERVAL)
    publisher.send(DELTA)
    stats = forwarder.stats()
    assert stats.plis_sent == 2 and stats.keyframes_received == 2 and stats.frames_received == 8
    assert stats.subscribers["bob"].frames_skipped == 3
    assert stats.subscribers["bob"].keyframes_requested == 1


async def test_first_pli_waits_for_the_publishers_ssrc(forwarder: TrackForwarder, receiver: RTCRtpReceiver) -> None:
    bob = forwarder.subscribe("bob")
    assert forwarder.stats().plis_sent == 0
    Publisher(receiver).send(DELTA, KEY)
    assert forwarder.stats().plis_sent == 1
    assert drain(bob) == [KEY]


async def test_recv_returns_packets_with_rtp_time(forwarder: TrackForwarder, receiver: RTCRtpReceiver) -> None:
    bob = forwarder.subscribe("bob")
    Publisher(receiver, ts=0xFFFFF000).send(KEY, DELTA)
    first, second = await bob.track.recv(), await bob.track.recv()
    assert (first.pts, second.pts) == (0, 3000)
    assert first.time_base.denominator == 90000
    assert first.is_keyframe and not second.is_keyframe
    assert bob.stats().frames_forwarded == 2


async def test_a_slow_subscriber_drops_to_the_next_keyframe_and_the_others_get_everything(
    forwarder: TrackForwarder, receiver: RTCRtpReceiver
) -> None:
    publisher = Publisher(receiver)
    fast = forwarder.subscribe("fast", max_queue=100)
    slow = forwarder.subscribe("slow", max_queue=2)
    publisher.send(KEY)
    await slow.track.recv()  # it reads a little ...
    publisher.send(DELTA, DELTA, DELTA, DELTA)  # ... then falls behind: overflow at the third delta, the fourth skipped
    assert drain(slow) == []
    stats = slow.stats()
    assert stats.frames_dropped == 4 and stats.keyframes_requested == 2
    await asyncio.sleep(INTERVAL)
    publisher.send(DELTA, KEY, DELTA)
    assert drain(slow) == [KEY, DELTA]
    assert slow.stats().frames_dropped == 5
    assert drain(fast) == [KEY, DELTA, DELTA, DELTA, DELTA, DELTA, KEY, DELTA]
    assert fast.stats().frames_dropped == 0


async def test_a_stalled_subscriber_stops_asking_for_keyframes(
    forwarder: TrackForwarder, receiver: RTCRtpReceiver
) -> None:
    publisher = Publisher(receiver)
    forwarder.subscribe("stalled", max_queue=2)
    for _ in range(5):
        await asyncio.sleep(INTERVAL)
        publisher.send(KEY, DELTA, DELTA, DELTA)
    # asked at subscription and at its first overflow; after that it waits for keyframes others ask for
    assert forwarder.stats().subscribers["stalled"].keyframes_requested == 2


async def test_a_loss_upstream_makes_subscribers_wait_for_a_keyframe(
    forwarder: TrackForwarder, receiver: RTCRtpReceiver
) -> None:
    bob = forwarder.subscribe("bob")
    assembler = getattr(receiver, internals.RECEIVER_JITTER_BUFFER)
    assembler._max_wait = 0.0
    packets = vp8_packets(1, 0, KEY) + vp8_packets(4, 3000, DELTA) + vp8_packets(7, 6000, DELTA)
    del packets[4]
    for packet in packets:
        assembler.add(packet)
    assert drain(bob) == [KEY]
    assert bob.stats().frames_skipped == 1 and forwarder.stats().upstream_losses == 1


async def test_subscriber_pli_is_forwarded_upstream(forwarder: TrackForwarder, receiver: RTCRtpReceiver) -> None:
    pc = RTCPeerConnection()
    try:
        bob = forwarder.subscribe("bob")
        sender = pc.addTrack(bob.track)
        bob.bind_sender(sender)
        Publisher(receiver).send(KEY)
        await asyncio.sleep(INTERVAL)
        before = forwarder.stats().plis_sent
        sender._send_keyframe()  # what aiortc calls on PLI/FIR from the subscriber
        sender._send_keyframe()
        assert forwarder.stats().plis_sent == before + 1
        assert bob.stats().keyframes_requested == 3
    finally:
        await pc.close()


async def test_unsubscribe_ends_the_track_and_keeps_the_others(
    forwarder: TrackForwarder, receiver: RTCRtpReceiver
) -> None:
    bob, carol = forwarder.subscribe("bob"), forwarder.subscribe("carol")
    reader = asyncio.ensure_future(bob.track.recv())
    await asyncio.sleep(0)
    forwarder.unsubscribe("bob")
    with pytest.raises(MediaStreamError):
        await reader
    assert bob.closed and forwarder.subscription("bob") is None
    assert set(forwarder.stats().subscribers) == {"carol"}
    Publisher(receiver).send(KEY)
    assert drain(carol) == [KEY]
    bob2 = forwarder.subscribe("bob")  # the same subscriber may subscribe again
    with pytest.raises(SubscriptionError):
        forwarder.subscribe("bob")
    carol.track.stop()  # as aiortc does when the sender stops
    assert forwarder.subscription("carol") is None and not bob2.closed


async def test_the_publishers_end_ends_every_subscription(forwarder: TrackForwarder, receiver: RTCRtpReceiver) -> None:
    ended: list[TrackForwarder] = []
    forwarder._on_ended = ended.append
    bob = forwarder.subscribe("bob")
    getattr(receiver, internals.RECEIVER_DECODER_QUEUE).put(None)  # aiortc's stop / RTCP BYE / disconnect
    assert ended == [forwarder] and forwarder.ended and bob.closed
    with pytest.raises(SubscriptionError):
        forwarder.subscribe("carol")


async def test_close_ends_every_subscription(forwarder: TrackForwarder) -> None:
    bob = forwarder.subscribe("bob")
    forwarder.close()
    forwarder.close()
    assert bob.closed and forwarder.closed
    with pytest.raises(MediaStreamError):
        await bob.track.recv()


async def test_audio_is_forwarded_from_the_first_frame(receiver: RTCRtpReceiver) -> None:
    pc = RTCPeerConnection()
    try:
        audio = pc.addTransceiver("audio").receiver
        prepare(audio, RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96))
        forwarder = TrackForwarder(audio, audio.track)  # type: ignore[arg-type]
        bob = forwarder.subscribe("bob", max_queue=2)
        assembler = getattr(audio, internals.RECEIVER_JITTER_BUFFER)
        for seq in range(5):
            packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 960, ssrc=7, payload=b"o%d" % seq)
            packet._data = packet.payload  # type: ignore[attr-defined]
            assembler.add(packet)
        assert drain(bob) == [b"o4"]  # overflow drops the stale frames; every audio frame starts anew
        packet = await bob.track.recv()
        assert packet.pts == 4 * 960 and packet.time_base.denominator == 48000
        assert forwarder.stats().plis_sent == 0
    finally:
        await pc.close()


async def test_a_reused_sender_continues_its_timestamps(forwarder: TrackForwarder, receiver: RTCRtpReceiver) -> None:
    pc = RTCPeerConnection()
    try:
        publisher = Publisher(receiver)
        first = forwarder.add_to(pc, "bob")
        sender = next(t.sender for t in pc.getTransceivers())
        publisher.send(KEY, DELTA)
        await first.track.recv()
        last = await first.track.recv()
        first.close()
        assert sender.track is None  # idle, ready for the next subscription
        second = forwarder.add_to(pc, "bob")
        assert [t.sender for t in pc.getTransceivers()] == [sender] and sender.track is second.track
        publisher.send(KEY)
        packet = await second.track.recv()
        assert bytes(packet) == KEY
        assert packet.pts >= last.pts + 2 * 3000  # on from where the sender was, never back or equal
    finally:
        await pc.close()

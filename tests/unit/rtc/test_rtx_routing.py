"""meetdesk.rtc.rtx on real aiortc peer connections: with two video streams on one bundled connection, a
retransmission (RTX) reaches the receiver of its stream; without the hook aiortc dropped it."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack

from meetdesk.rtc.errors import AiortcHookError
from meetdesk.rtc.peer import close_peer_connection
from meetdesk.rtc.rtx import RECEIVER_RTX_SSRC, check_receiver, route_rtx


async def _two_video_streams(hook: bool) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    sender, receiver = RTCPeerConnection(config), RTCPeerConnection(config)
    sender.addTrack(VideoStreamTrack())
    sender.addTrack(VideoStreamTrack())

    @receiver.on("track")
    def _track(track: MediaStreamTrack) -> None:
        if hook:
            route_rtx(next(t.receiver for t in receiver.getTransceivers() if t.receiver.track is track))

    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)
    return sender, receiver


async def _retransmissions_arriving(hook: bool) -> list[int]:
    """RTX packets each of the two receivers got after the sender answered a NACK of its second stream."""
    sender, receiver = await _two_video_streams(hook)
    try:
        receivers = [t.receiver for t in receiver.getTransceivers()]
        rtx_in: list[list[int]] = [[], []]
        for i, rtp_receiver in enumerate(receivers):
            handle = rtp_receiver._handle_rtp_packet

            async def counting(packet: object, arrival_time_ms: int, i: int = i, handle: object = handle) -> None:
                if getattr(packet, "ssrc", None) in getattr(receivers[i], RECEIVER_RTX_SSRC):
                    rtx_in[i].append(packet.sequence_number)  # type: ignore[attr-defined]
                await handle(packet, arrival_time_ms=arrival_time_ms)  # type: ignore[operator]

            rtp_receiver._handle_rtp_packet = counting  # type: ignore[method-assign]
        second = sender.getTransceivers()[1].sender
        history = second._RTCRtpSender__rtp_history  # type: ignore[attr-defined]
        for _ in range(200):  # media flows once DTLS is up: wait for packets of the second stream
            if len(history) >= 5 and all(getattr(r, RECEIVER_RTX_SSRC) for r in receivers):
                break
            await asyncio.sleep(0.05)
        assert len(history) >= 5, "the second stream sent too little"
        for packet in list(history.values())[:5]:
            await second._retransmit(packet.sequence_number)
        for _ in range(40):  # loopback: the packets are there within a few loop turns
            if len(rtx_in[1]) >= 5:
                break
            await asyncio.sleep(0.05)
        return [len(rtx_in[0]), len(rtx_in[1])]
    finally:
        await close_peer_connection(receiver)
        await close_peer_connection(sender)


async def test_with_the_hook_the_retransmissions_reach_their_streams_receiver() -> None:
    assert await _retransmissions_arriving(hook=True) == [0, 5]


async def test_without_it_aiortc_drops_them_which_is_why_the_hook_exists() -> None:
    # if this fails, aiortc routes RTX by itself now: meetdesk.rtc.rtx can go
    assert await _retransmissions_arriving(hook=False) == [0, 0]


def test_the_hook_fails_loudly_on_a_receiver_without_the_internals() -> None:
    with pytest.raises(AiortcHookError, match="RTCRtpReceiver lacks"):
        check_receiver(object())  # type: ignore[arg-type]

"""A closed peer connection lets go at once of what the garbage collector would take long to find."""

from __future__ import annotations

from aiortc import RTCPeerConnection

from meetdesk.rtc.peer import BITRATE_ESTIMATOR, close_peer_connection


async def test_a_closed_connection_drops_its_video_receivers_bitrate_estimators() -> None:
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    receivers = [t.receiver for t in pc.getTransceivers()]
    # the pinned aiortc keeps one per video receiver under this name (a rename fails here)
    assert getattr(receivers[0], BITRATE_ESTIMATOR) is not None
    await close_peer_connection(pc)
    assert [getattr(r, BITRATE_ESTIMATOR) for r in receivers] == [None, None]

"""What :mod:`meetdesk.client.peer` reaches into in aiortc/aioice is still there, and closing stops it."""

from __future__ import annotations

import asyncio

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from meetdesk.client.peer import CONSENT_TASK, ICE_CONNECTION, START_EVENT, close_peer_connection, consent_tasks


async def _connected_pair() -> tuple[RTCPeerConnection, RTCPeerConnection]:
    config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    offerer, answerer = RTCPeerConnection(config), RTCPeerConnection(config)
    offerer.addTrack(AudioStreamTrack())
    connected = asyncio.Event()

    @offerer.on("connectionstatechange")
    def _state() -> None:
        if offerer.connectionState == "connected":
            connected.set()

    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)
    await asyncio.wait_for(connected.wait(), 10)
    return offerer, answerer


async def test_the_ice_internals_it_reaches_are_there_and_closing_stops_the_consent_checks() -> None:
    offerer, answerer = await _connected_pair()
    try:
        ice = offerer.getTransceivers()[0].sender.transport.transport
        assert hasattr(ice, ICE_CONNECTION), "aiortc's RTCIceTransport no longer keeps its aioice connection there"
        assert hasattr(getattr(ice, ICE_CONNECTION), CONSENT_TASK), "aioice renamed its consent-freshness task"
        assert isinstance(getattr(ice, START_EVENT), asyncio.Event), "aiortc no longer marks the end of connect()"
        tasks = consent_tasks(offerer)
        assert len(tasks) == 1  # one bundled transport, checking consent while connected
        await close_peer_connection(offerer)
        assert tasks[0].done() and not consent_tasks(offerer)
    finally:
        await close_peer_connection(answerer)
        await offerer.close()

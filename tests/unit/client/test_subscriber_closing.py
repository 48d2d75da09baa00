"""An offer that arrives while the subscriber connection is closing is dropped quietly (the session asks for a new
connection), not raised: several people leaving at once used to log "could not handle subscribe_offer"."""

from __future__ import annotations

import asyncio

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from meetdesk.client.subscriber import Subscriber
from meetdesk.core.signalling import ClientMessage, SubscribeAnswer, SubscribeOffer


async def test_an_offer_racing_the_connections_close_is_dropped() -> None:
    answers: list[ClientMessage] = []

    async def send(message: ClientMessage) -> None:
        answers.append(message)

    server = RTCPeerConnection()
    server.addTransceiver("video", direction="sendonly")
    subscriber = Subscriber("Cy", RTCConfiguration(iceServers=[]), send, lambda *_: None)
    try:
        await server.setLocalDescription(await server.createOffer())
        await subscriber.on_offer(SubscribeOffer(sdp=server.localDescription.sdp, tracks={}))
        answer = answers.pop()
        assert isinstance(answer, SubscribeAnswer)
        await server.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
        for _ in range(500):  # connected over loopback: closing it then takes a few turns of the loop
            if server.connectionState == "connected":
                break
            await asyncio.sleep(0.01)
        await server.setLocalDescription(await server.createOffer())  # a renegotiation (someone left) ...
        pc = subscriber.pc
        assert pc is not None
        closing = asyncio.ensure_future(pc.close())  # ... while the connection is closing
        await asyncio.sleep(0)
        assert pc.signalingState == "closed" and pc.connectionState != "closed"
        assert await subscriber.on_offer(SubscribeOffer(sdp=server.localDescription.sdp, tracks={})) is False
        assert answers == []
        await closing
    finally:
        await subscriber.close()
        await server.close()

"""A publisher connection rebuilt (a server restart, a network cut) closes the old connection's VP8 encoders at once:
whoever still holds the old uplink control (a task's frame, a reference cycle the garbage collector has not found
yet) holds no encoder buffers with it (~20 MB each for the full layer: the kiosk soak's memory grew by them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from pydantic import BaseModel

from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.client.publisher import Publisher
from meetdesk.core.signalling import PublishOffer
from meetdesk.rtc import adaptations
from meetdesk.rtc.peer import close_peer_connection


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Polled: an encoder's first frame has no event to await (a generous deadline, not a timing)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout:.0f} s: {what}"
        await asyncio.sleep(0.05)


async def test_the_old_connections_encoders_are_closed_when_it_is_rebuilt() -> None:
    assert adaptations.enabled()  # the full layer's encoder is the uplink control's
    servers: list[RTCPeerConnection] = []
    publisher: Publisher

    async def answer(offer: PublishOffer) -> None:  # the server's side: a peer that takes what is offered
        server = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        servers.append(server)
        await server.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        await server.setLocalDescription(await server.createAnswer())
        publisher.take_answer(server.localDescription.sdp)

    async def send(message: BaseModel) -> None:
        assert isinstance(message, PublishOffer)
        asyncio.get_running_loop().create_task(answer(message))

    camera = SyntheticCamera(1, width=640, height=480)
    publisher = Publisher("Cy", RTCConfiguration(iceServers=[]), send, lambda *_: None)
    publisher.use_sources(camera, None)
    try:
        await publisher.publish()
        old = publisher.uplink
        assert old is not None
        encoders = (old._encoder, old._low)
        await wait_until(lambda: all(e is not None and e.codec is not None for e in encoders), "both layers encoding")

        await publisher.publish()  # rebuilt: a new connection, new encoders

        assert publisher.uplink is not None and publisher.uplink is not old
        assert all(e is not None and e.codec is None for e in encoders)  # held here, yet closed
        new = (publisher.uplink._encoder, publisher.uplink._low)
        await wait_until(lambda: all(e is not None and e.codec is not None for e in new), "the new connection encoding")
    finally:
        await publisher.close()
        for server in servers:
            await close_peer_connection(server)

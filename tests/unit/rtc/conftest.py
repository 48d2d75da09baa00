"""Offers and answers made by real aiortc peer connections, as the client makes them."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection


async def _offer(kinds: tuple[str, ...]) -> tuple[str, str]:
    """An offer sending ``kinds`` and the answer a receiving aiortc makes to it."""
    sender, receiver = RTCPeerConnection(), RTCPeerConnection()
    try:
        for kind in kinds:
            sender.addTransceiver(kind, direction="sendonly")
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        return sender.localDescription.sdp, receiver.localDescription.sdp
    finally:
        await sender.close()
        await receiver.close()


@pytest.fixture(scope="session")
def client_offer() -> tuple[str, str]:
    """A camera-and-microphone publish offer (and its answer), as a MeetDesk client sends it."""
    return asyncio.run(_offer(("audio", "video")))


@pytest.fixture(scope="session")
def full_offer() -> str:
    """The most the protocol allows: a microphone, a camera, its second layer and a screen."""
    return asyncio.run(_offer(("audio", "video", "video", "video")))[0]

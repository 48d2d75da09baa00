"""A closed peer connection lets go at once of what the garbage collector would take long to find."""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection
from aiortc.exceptions import InvalidStateError

from meetdesk.rtc.peer import BITRATE_ESTIMATOR, _taken, close_peer_connection, connect_tasks


async def test_a_closed_connection_drops_its_video_receivers_bitrate_estimators() -> None:
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    receivers = [t.receiver for t in pc.getTransceivers()]
    # the pinned aiortc keeps one per video receiver under this name (a rename fails here)
    assert getattr(receivers[0], BITRATE_ESTIMATOR) is not None
    await close_peer_connection(pc)
    assert [getattr(r, BITRATE_ESTIMATOR) for r in receivers] == [None, None]


async def test_aiortcs_connecting_task_is_found_by_its_coroutines_name() -> None:
    """Referenced by nobody, it is found among the loop's tasks (a rename in aiortc fails here)."""
    offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
    offerer.addTransceiver("video", direction="sendrecv")
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)  # both ends start connecting
    assert len(connect_tasks(offerer)) == 1 and len(connect_tasks(answerer)) == 1
    await close_peer_connection(offerer)
    await close_peer_connection(answerer)


async def test_a_connecting_tasks_failure_under_the_close_is_taken_not_logged() -> None:
    async def connect() -> None:
        raise InvalidStateError("RTCIceTransport is closed")  # what aiortc's task raises, closed under it

    task = asyncio.ensure_future(connect())
    task.add_done_callback(_taken)
    await asyncio.wait([task])
    await asyncio.sleep(0)  # the done callbacks run
    assert not task._log_traceback  # type: ignore[attr-defined]  # asyncio would log it at garbage collection


async def test_a_close_cancelled_while_aiortcs_own_close_runs_leaves_that_close_to_finish() -> None:
    """aiortc closes a connection itself when its DTLS transports closed (the other end left); a close of ours
    cancelled meanwhile (a teardown, a timeout) must not cancel what aiortc's close is to complete."""
    pc, other = RTCPeerConnection(), RTCPeerConnection()
    pc.createDataChannel("x")
    await pc.setLocalDescription(await pc.createOffer())
    await other.setRemoteDescription(pc.localDescription)
    await other.setLocalDescription(await other.createAnswer())
    await pc.setRemoteDescription(other.localDescription)
    for _ in range(200):  # connected on loopback in well under a second; polled: aiortc's state has no awaitable
        if pc.connectionState == "connected":
            break
        await asyncio.sleep(0.05)
    assert pc.connectionState == "connected"
    aiortcs_own = asyncio.ensure_future(pc.close())  # as aiortc starts it (its __closeTask)
    await asyncio.sleep(0)  # it runs, and waits in the middle of stopping the transports
    assert not aiortcs_own.done()
    ours = asyncio.ensure_future(close_peer_connection(pc))
    await asyncio.sleep(0)  # ours waits for aiortc's close to end
    ours.cancel()
    await asyncio.wait([ours, aiortcs_own])
    assert aiortcs_own.exception() is None  # before: InvalidStateError, logged as "never retrieved"
    await close_peer_connection(other)

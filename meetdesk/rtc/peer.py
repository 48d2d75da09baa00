"""Closing an aiortc peer connection for good.

What a closed connection no longer needs and the garbage collector would take long to find (a video
receiver's bitrate estimator, thousands of objects) is let go at once.

aioice 0.10 starts an ICE connection's consent-freshness task at the end of ``connect()``; when the
connection is closed while ``connect()`` is finishing (a participant who leaves or is removed just as
its media connects), ``close()`` finds no task to stop and the one started right after runs on, every
five seconds, against closed sockets. :func:`close_peer_connection` closes the connection, lets such a
``connect()`` finish (bounded) and then stops any such task. The race is the same on both ends, so the
client and the SFU both close their connections with it (a bare ``pc.close()`` on the server left such
tasks running in the server for its whole life). tests/unit/rtc/test_peer_close.py fails if the pinned
aiortc/aioice rename what this reaches into.

aiortc's own connecting task (``RTCPeerConnection.__connect``, started by ``setRemoteDescription`` and kept by
nobody) fails with "RTCIceTransport is closed" when the connection closes while it connects, and asyncio then
logs "Task exception was never retrieved" as an error: :func:`close_peer_connection` takes that failure (it
is the close's own doing), so a leave or a kick in that instant is quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiortc import RTCPeerConnection

#: RTCIceTransport's aioice connection, and that connection's consent-freshness task
ICE_CONNECTION = "_connection"
CONSENT_TASK = "_query_consent_task"


#: RTCRtpReceiver's remote bitrate estimator (name-mangled): a thousand rate buckets per video receiver, in a
#: reference cycle with its connection. Dropped at the close, they go at once; left to the garbage collector,
#: a few closed connections made a full collection that kept the server's loop from running for ~50 ms.
BITRATE_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"

#: the qualified name of aiortc's connecting coroutine (its task is referenced by nobody)
CONNECT_COROUTINE = "RTCPeerConnection.__connect"

#: RTCIceTransport's event, set when its connect() returned (name-mangled private attribute)
START_EVENT = "_RTCIceTransport__start"
START_WAIT_S = 2.0


def _ice_transports(pc: RTCPeerConnection) -> list[Any]:
    transports: list[Any] = []
    for transceiver in pc.getTransceivers():
        dtls = transceiver.sender.transport or transceiver.receiver.transport
        ice = getattr(dtls, "transport", None)
        if ice is not None and ice not in transports:
            transports.append(ice)
    return transports


def _start_events(pc: RTCPeerConnection) -> list[asyncio.Event]:
    events = [getattr(ice, START_EVENT, None) for ice in _ice_transports(pc)]
    return [event for event in events if isinstance(event, asyncio.Event)]


def consent_tasks(pc: RTCPeerConnection) -> list[asyncio.Task[None]]:
    """The consent-freshness tasks of ``pc``'s ICE connections that are still running."""
    tasks = []
    for ice in _ice_transports(pc):
        task = getattr(getattr(ice, ICE_CONNECTION, None), CONSENT_TASK, None)
        if task is not None and not task.done():
            tasks.append(task)
    return tasks


def connect_tasks(pc: RTCPeerConnection) -> list[asyncio.Task[Any]]:
    """aiortc's tasks still connecting ``pc``."""
    found: list[asyncio.Task[Any]] = []
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # a step of the loop driven from Qt (qasync) outside run_forever: none can be looked up
        return found
    for task in tasks:
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        mine = frame is not None and frame.f_locals.get("self") is pc
        if getattr(coro, "__qualname__", "") == CONNECT_COROUTINE and mine and not task.done():
            found.append(task)
    return found


def _taken(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # the close's own doing ("RTCIceTransport is closed"): taken, not logged


async def close_peer_connection(pc: RTCPeerConnection) -> None:
    """Close ``pc`` and stop what aioice may have left running."""
    for task in connect_tasks(pc):
        task.add_done_callback(_taken)
    # shielded: when aiortc closes the connection itself (its DTLS transports closed), this close waits on the
    # future aiortc's own close is to complete; cancelled, it would cancel that future with it (aiortc's close
    # then fails with InvalidStateError, logged as "Task exception was never retrieved")
    await asyncio.shield(pc.close())
    # a connect() still running when the connection closed may yet start the task: let it finish first
    starting = [event for event in _start_events(pc) if not event.is_set()]
    if starting:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in starting)), START_WAIT_S)
    for task in consent_tasks(pc):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for transceiver in pc.getTransceivers():
        if getattr(transceiver.receiver, BITRATE_ESTIMATOR, None) is not None:
            setattr(transceiver.receiver, BITRATE_ESTIMATOR, None)

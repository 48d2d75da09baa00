"""The admin's live view: ``GET /internal-api/v1/meetings`` (the meetings under way, with how many people
are in each) and the events socket ``/internal-api/v1/events``, which pushes room and meeting changes.

Both take the credentials of the admin routes (an admin's access token or the API key); a participant
token is refused like no credential or a wrong one (401). The socket is refused at the handshake
with the same status and error body as any route; once open it sends :class:`~meetdesk.core.events.Subscribed`
then every event, and reads nothing (what the client sends is discarded). It closes when the admin's
access token expires (``CLOSE_TOKEN_EXPIRED``) or when the client falls too far behind (``CLOSE_TOO_SLOW``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketState

from meetdesk.core.errors import MeetDeskError
from meetdesk.core.events import CLOSE_TOKEN_EXPIRED, CLOSE_TOO_SLOW, Subscribed
from meetdesk.server.errors import error_response, status_of
from meetdesk.server.events import Listener
from meetdesk.server.security import ADMIN_OR_API_KEY, Caller, context, resolve_caller

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/internal-api/v1", tags=["Events"])
Manager = Annotated[Caller, Depends(ADMIN_OR_API_KEY)]


@router.get("/meetings", summary="The meetings under way and how many people are in each (admins, API keys)")
async def list_meetings(request: Request, _caller: Manager) -> JSONResponse:
    meetings = context(request).meetings.summaries()
    return JSONResponse({"meetings": [meeting.model_dump() for meeting in meetings]})


@router.websocket("/events")
async def events(websocket: WebSocket) -> None:
    try:
        caller = await resolve_caller(websocket)
        caller.require_admin_or_api_key()
    except MeetDeskError as exc:
        await _refuse(websocket, exc)
        return
    ctx = context(websocket)
    await websocket.accept()
    with ctx.events.listen() as listener:
        # The snapshot is taken after the listener is in place: no change falls between the two.
        await websocket.send_text(Subscribed(meetings=ctx.meetings.summaries()).model_dump_json())
        writer = asyncio.create_task(_write(websocket, listener, caller.expires_at))
        reader = asyncio.create_task(_drain(websocket))
        try:
            await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, reader):
                task.cancel()
            await asyncio.gather(writer, reader, return_exceptions=True)
    if websocket.application_state is not WebSocketState.DISCONNECTED:
        with contextlib.suppress(Exception):  # the peer may be gone already
            await websocket.close()


async def _refuse(websocket: WebSocket, exc: MeetDeskError) -> None:
    """Answer the handshake with the route's status and error body (``{error, message}``), as HTTP routes do."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(status_of(exc), exc.error, exc.message))
    else:  # a server without the denial extension: close before accepting (the client sees a 403)
        await websocket.close(1008, exc.message[:120])


async def _write(websocket: WebSocket, listener: Listener, expires_at: float | None) -> None:
    while True:
        timeout = None if expires_at is None else expires_at - time.time()
        try:
            text = await asyncio.wait_for(listener.next(), timeout)
        except TimeoutError:
            await websocket.close(CLOSE_TOKEN_EXPIRED, "Access token expired: refresh it and reconnect")
            return
        if text is None or listener.dropped:  # dropped: what is still queued is stale, the client re-reads
            await websocket.close(CLOSE_TOO_SLOW, "Too far behind: reconnect and read the rooms again")
            return
        await websocket.send_text(text)


async def _drain(websocket: WebSocket) -> None:
    """Read until the client goes away (what it sends means nothing here)."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

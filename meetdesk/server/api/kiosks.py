"""``/internal-api/v1/kiosks``: the kiosk fleet (``FLEET_API.md``).

Admin routes (an admin's access token or the API key, as the other internal routes): add, list, read, change
(name, settings pushed), remove, enrol again, remote actions, logs. Kiosk routes: ``enrol`` (a one-time code for
a credential), ``token`` (a participant token for the kiosk's own room) and the socket ``connect`` (heartbeats up,
commands down), all three with the kiosk's credential as ``Authorization: Bearer`` (``enrol`` with nothing).
A kiosk credential is no credential on any other route (401).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocketState

from meetdesk.core.errors import MeetDeskError, Unauthorized
from meetdesk.core.kiosks import (
    KIOSK_MESSAGE,
    ActionRequest,
    EnrolRequest,
    ErrorMessage,
    Heartbeat,
    Kiosk,
    KioskCreate,
    KioskList,
    KioskUpdate,
)
from meetdesk.server.errors import error_response, status_of
from meetdesk.server.kiosks.links import KioskLink
from meetdesk.server.kiosks.service import FleetService
from meetdesk.server.security import (
    ADMIN_OR_API_KEY,
    ANYONE,
    TOKEN_GENERATION,
    Caller,
    CallerKind,
    Requirement,
    context,
)

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/internal-api/v1/kiosks", tags=["Kiosks"])
Manager = Annotated[Caller, Depends(ADMIN_OR_API_KEY)]


def fleet(request: HTTPConnection) -> FleetService:
    service = context(request).kiosks
    assert service is not None  # set when the server starts
    return service


async def kiosk_caller(request: HTTPConnection) -> Caller:
    """The kiosk whose credential is in ``Authorization: Bearer``; 401 otherwise."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("A kiosk credential is required")
    record = await fleet(request).authenticate(credential.strip())
    return Caller(CallerKind.KIOSK, room_id=record.room_id, identity=record.kiosk_id)


class KioskCredential(Requirement):
    """The kiosks' own routes: a valid kiosk credential, nothing else."""

    def __init__(self) -> None:
        super().__init__("kiosk", [CallerKind.KIOSK], "A kiosk credential is required")

    async def check(self, request: HTTPConnection) -> Caller:
        return await kiosk_caller(request)


KIOSK = KioskCredential()
KioskCaller = Annotated[Caller, Depends(KIOSK)]


# the kiosks' own routes (before /{kioskId}) --------------------------------------------------------


@router.post("/enrol", summary="A kiosk exchanges its one-time enrolment code for its credential")
async def enrol(request: Request, _caller: Annotated[Caller, Depends(ANYONE)], body: EnrolRequest) -> JSONResponse:
    enrolment = await fleet(request).enrol(body.code, context(request).limits.address(request))
    return JSONResponse(enrolment.model_dump(mode="json"))


@router.post("/token", dependencies=[TOKEN_GENERATION], summary="A participant token for the kiosk's own room")
async def kiosk_token(request: Request, caller: KioskCaller) -> JSONResponse:
    service = fleet(request)
    assert caller.identity is not None
    record = await service.store.get(caller.identity)
    if record is None:
        raise Unauthorized("This kiosk's credential is not valid: the kiosk was removed or enrolled again")
    return JSONResponse((await service.token(record)).model_dump())


@router.websocket("/connect")
async def connect(websocket: WebSocket) -> None:
    try:
        caller = await kiosk_caller(websocket)
    except MeetDeskError as exc:
        await _refuse(websocket, exc)
        return
    service = fleet(websocket)
    assert caller.identity is not None
    record = await service.store.get(caller.identity)
    if record is None:
        await _refuse(websocket, Unauthorized("This kiosk's credential is not valid"))
        return
    await websocket.accept()
    link = KioskLink(record.kiosk_id)
    await service.connected(link, record)
    writer = asyncio.create_task(_write(websocket, link))
    reader = asyncio.create_task(_read(websocket, service, link))
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (writer, reader):
            task.cancel()
        await asyncio.gather(writer, reader, return_exceptions=True)
        service.disconnected(link)
    if websocket.application_state is not WebSocketState.DISCONNECTED:
        with contextlib.suppress(Exception):  # the peer may be gone already
            await websocket.close(link.close_code or 1000)


async def _refuse(websocket: WebSocket, exc: MeetDeskError) -> None:
    """The handshake answered with the status and ``{error, message}`` body a route would give."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(status_of(exc), exc.error, exc.message))
    else:
        await websocket.close(1008, exc.message[:120])


async def _write(websocket: WebSocket, link: KioskLink) -> None:
    while True:
        text = await link.next()
        if text is None:
            await websocket.close(link.close_code or 1000)
            return
        await websocket.send_text(text)


async def _read(websocket: WebSocket, service: FleetService, link: KioskLink) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            try:
                message = KIOSK_MESSAGE.validate_json(text)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(part) for part in problem["loc"]) or "message"
                link.send(ErrorMessage(message=f"Message not understood ({where}: {problem['msg']})"))
                continue
            if isinstance(message, Heartbeat):
                await service.heartbeat(link.kiosk_id, message)
            else:
                await service.received_logs(link.kiosk_id, message.text)


# the admin's routes --------------------------------------------------------------------------------


@router.post("", status_code=201, summary="Add a kiosk, with its one-time enrolment code", response_model=Kiosk)
async def create_kiosk(request: Request, _caller: Manager, body: KioskCreate) -> JSONResponse:
    kiosk = await fleet(request).create(body)
    return JSONResponse(kiosk.model_dump(mode="json"), status_code=201)


@router.get("", summary="Every kiosk", response_model=KioskList)
async def list_kiosks(request: Request, _caller: Manager) -> JSONResponse:
    kiosks = await fleet(request).all()
    return JSONResponse({"kiosks": [kiosk.model_dump(mode="json") for kiosk in kiosks]})


@router.get("/{kioskId}", summary="One kiosk", response_model=Kiosk)
async def get_kiosk(request: Request, _caller: Manager, kioskId: str) -> JSONResponse:
    return JSONResponse((await fleet(request).get(kioskId)).model_dump(mode="json"))


@router.patch("/{kioskId}", summary="Rename a kiosk, or push new settings to it", response_model=Kiosk)
async def update_kiosk(request: Request, _caller: Manager, kioskId: str, body: KioskUpdate) -> JSONResponse:
    return JSONResponse((await fleet(request).update(kioskId, body)).model_dump(mode="json"))


@router.delete("/{kioskId}", status_code=204, summary="Remove a kiosk: its credential is void at once")
async def delete_kiosk(request: Request, _caller: Manager, kioskId: str) -> Response:
    await fleet(request).delete(kioskId)
    return Response(status_code=204)


@router.post("/{kioskId}/enrolment", summary="A fresh enrolment code, the old credential void", response_model=Kiosk)
async def renew_enrolment(request: Request, _caller: Manager, kioskId: str) -> JSONResponse:
    return JSONResponse((await fleet(request).renew_enrolment(kioskId)).model_dump(mode="json"))


@router.post("/{kioskId}/actions", status_code=202, summary="Ask the kiosk to join, leave or restart")
async def kiosk_action(request: Request, _caller: Manager, kioskId: str, body: ActionRequest) -> JSONResponse:
    accepted = await fleet(request).act(kioskId, body.action)
    return JSONResponse(accepted.model_dump(), status_code=202)


@router.post("/{kioskId}/logs", status_code=202, summary="Ask the kiosk for its recent logs")
async def ask_logs(request: Request, _caller: Manager, kioskId: str) -> Response:
    await fleet(request).ask_logs(kioskId)
    return Response(status_code=202)


@router.get("/{kioskId}/logs", summary="The logs the kiosk sent last (404 when none yet)")
async def read_logs(request: Request, _caller: Manager, kioskId: str) -> JSONResponse:
    return JSONResponse((await fleet(request).logs(kioskId)).model_dump())

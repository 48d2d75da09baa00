"""``/internal-api/v1/config``: appearance (theme), security and webhook settings."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from meetdesk.core.errors import BadRequest, Conflict
from meetdesk.core.models import AppearanceConfig, SecurityConfig, WebhookConfig, WebhookTest
from meetdesk.server import webhooks
from meetdesk.server.security import ADMIN, ADMIN_OR_PARTICIPANT, EXPENSIVE, Caller, context

router = APIRouter(prefix="/internal-api/v1/config", tags=["Configuration"])
Admin = Annotated[Caller, Depends(ADMIN)]


@router.get("/rooms/appearance", summary="The theme of meeting views")
async def get_appearance(request: Request, _caller: Annotated[Caller, Depends(ADMIN_OR_PARTICIPANT)]) -> JSONResponse:
    # Participants read it too: their meeting window is painted with it.
    stored = await context(request).accounts.config("appearance")
    return JSONResponse(stored or {"appearance": {"themes": []}})


@router.put("/rooms/appearance", summary="Set the theme of meeting views (exactly one theme)")
async def put_appearance(request: Request, _caller: Admin, body: AppearanceConfig) -> JSONResponse:
    await context(request).accounts.set_config("appearance", body.model_dump(exclude_none=True))
    return JSONResponse({"message": "Rooms appearance config updated successfully"})


@router.get("/security", summary="Who must log in to join rooms (public)")
async def get_security(request: Request) -> JSONResponse:
    stored = await context(request).accounts.config("security")
    return JSONResponse(SecurityConfig.model_validate(stored or {}).model_dump())


@router.put("/security", summary="Change who must log in to join rooms")
async def put_security(request: Request, _caller: Admin, body: SecurityConfig) -> JSONResponse:
    await context(request).accounts.set_config("security", body.model_dump())
    return JSONResponse({"message": "Security config updated successfully"})


@router.get("/webhooks", summary="The webhook settings")
async def get_webhooks(request: Request, _caller: Admin) -> JSONResponse:
    stored = await context(request).accounts.config("webhooks")
    return JSONResponse(stored or {"enabled": False})


@router.put("/webhooks", summary="Change the webhook settings")
async def put_webhooks(request: Request, _caller: Admin, body: WebhookConfig) -> JSONResponse:
    await context(request).accounts.set_config("webhooks", body.model_dump(exclude_none=True))
    return JSONResponse({"message": "Webhooks config updated successfully"})


@router.post("/webhooks/test", dependencies=[EXPENSIVE], summary="Send a signed test event to a URL")
async def test_webhook(request: Request, _caller: Admin, body: WebhookTest) -> JSONResponse:
    key = await context(request).accounts.webhook_key()
    if key is None:
        raise Conflict("Webhooks are signed with the API key: create an API key first", error="Webhook Error")
    data = {"message": "This is a test webhook event from MeetDesk"}
    try:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
            status = await webhooks.send_once(client, body.url, "testEvent", data, key)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OverflowError, UnicodeError) as exc:
        raise BadRequest(f"Webhook URL '{body.url}' is unreachable", error="Webhook Error") from exc
    if not 200 <= status < 300:
        raise BadRequest(f"Webhook URL '{body.url}' answered with status {status}", error="Webhook Error")
    return JSONResponse({"message": "Webhook test event delivered"})

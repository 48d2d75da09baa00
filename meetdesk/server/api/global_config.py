"""``/internal-api/v1/config``: appearance (theme), security and webhook settings."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from meetdesk.core.errors import BadRequest, Conflict
from meetdesk.core.models import AppearanceConfig, MeetRoomTheme, SecurityConfig, WebhookConfig, WebhookTest
from meetdesk.server import webhooks
from meetdesk.server.security import ADMIN, EXPENSIVE, Caller, context

router = APIRouter(prefix="/internal-api/v1/config", tags=["Configuration"])
Admin = Annotated[Caller, Depends(ADMIN)]


@router.get("/rooms/appearance", summary="The theme of meeting views (public)")
async def get_appearance(request: Request) -> JSONResponse:
    # Public, as upstream's: a participant's window is painted with it before anyone has a token.
    stored = await context(request).accounts.config("appearance")
    return JSONResponse(stored or {"appearance": {"themes": []}})


@router.put("/rooms/appearance", summary="Set the theme of meeting views (exactly one theme)")
async def put_appearance(request: Request, _caller: Admin, body: AppearanceConfig) -> JSONResponse:
    """The colours sent are merged into the stored theme: a colour not sent keeps its value, one sent as
    null is cleared (the theme's own default applies)."""
    accounts = context(request).accounts
    sent = body.appearance.themes[0].model_dump(exclude_unset=True)
    stored = await accounts.config("appearance") or {}
    stored_themes = stored.get("appearance", {}).get("themes") or [{}]
    merged = {key: value for key, value in {**stored_themes[0], **sent}.items() if value is not None}
    theme = MeetRoomTheme.model_validate(merged)
    await accounts.set_config("appearance", {"appearance": {"themes": [theme.model_dump(exclude_none=True)]}})
    return JSONResponse({"message": "Rooms appearance config updated successfully"})


@router.get("/security", summary="Who must log in to join rooms (public)")
async def get_security(request: Request) -> JSONResponse:
    stored = await context(request).accounts.config("security")
    config = SecurityConfig.model_validate(stored) if stored else SecurityConfig.default()
    return JSONResponse(config.model_dump())


@router.put("/security", summary="Change who must log in to join rooms")
async def put_security(request: Request, _caller: Admin, body: SecurityConfig) -> JSONResponse:
    await context(request).accounts.set_config("security", body.model_dump())
    return JSONResponse({"message": "Security config updated successfully"})


@router.get("/webhooks", summary="The webhook settings")
async def get_webhooks(request: Request, _caller: Admin) -> JSONResponse:
    stored = await context(request).accounts.config("webhooks")
    return JSONResponse(stored or {"enabled": False})


@router.put("/webhooks", summary="Change the webhook settings (a URL not sent keeps the stored one)")
async def put_webhooks(request: Request, _caller: Admin, body: WebhookConfig) -> JSONResponse:
    accounts = context(request).accounts
    config = body.model_dump(exclude_none=True)
    if body.url is None:  # {enabled: false} turns webhooks off and keeps where they go
        stored = await accounts.config("webhooks") or {}
        if stored.get("url"):
            config["url"] = stored["url"]
    await accounts.set_config("webhooks", config)
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

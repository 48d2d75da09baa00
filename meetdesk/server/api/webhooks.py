"""``/api/v1/webhooks``: registered webhooks (OpenVidu Meet 3.9) — create, list, get, replace, delete, test.

At most 20 (409 ``Webhook Error``). Each has a ``url``, an optional ``events`` filter and ``roomId`` scope
(not checked against the rooms: it may name a room to come), and ``enabled``. An update replaces the whole
definition. The global webhook of ``/internal-api/v1/config/webhooks`` stays, next to these. Callers: the API
key or an admin's access token.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from meetdesk.core.errors import BadRequest, Conflict, NotFound
from meetdesk.core.models import now_ms
from meetdesk.core.webhooks import MAX_WEBHOOKS, MeetWebhook, WebhookOptions, new_webhook_id
from meetdesk.server import webhooks
from meetdesk.server.security import ADMIN_OR_API_KEY, EXPENSIVE, Caller, context
from meetdesk.server.store.webhooks import TooManyWebhooks, WebhookStore

router = APIRouter(prefix="/api/v1/webhooks", tags=["Webhooks"])
Manager = Annotated[Caller, Depends(ADMIN_OR_API_KEY)]


def _store(request: Request) -> WebhookStore:
    store = context(request).registered_webhooks
    assert store is not None  # set when the server starts
    return store


def _missing(webhook_id: str) -> NotFound:
    return NotFound(f"Webhook '{webhook_id}' does not exist", error="Webhook Error")


@router.post("", status_code=201, summary="Register a webhook", response_model=MeetWebhook)
async def create_webhook(request: Request, _caller: Manager, body: WebhookOptions) -> JSONResponse:
    try:
        webhook = await _store(request).add(new_webhook_id(), body, now_ms())
    except TooManyWebhooks:
        raise Conflict(
            f"The maximum number of registered webhooks ({MAX_WEBHOOKS}) has been reached", error="Webhook Error"
        ) from None
    return JSONResponse(webhook.view(), status_code=201)


@router.get("", summary="Every registered webhook")
async def list_webhooks(request: Request, _caller: Manager) -> JSONResponse:
    return JSONResponse({"webhooks": [webhook.view() for webhook in await _store(request).all()]})


@router.get("/{webhookId}", summary="One registered webhook", response_model=MeetWebhook)
async def get_webhook(request: Request, _caller: Manager, webhookId: str) -> JSONResponse:
    webhook = await _store(request).get(webhookId)
    if webhook is None:
        raise _missing(webhookId)
    return JSONResponse(webhook.view())


@router.put("/{webhookId}", summary="Replace a webhook's definition (omitted fields are cleared)")
async def update_webhook(request: Request, _caller: Manager, webhookId: str, body: WebhookOptions) -> JSONResponse:
    webhook = await _store(request).replace(webhookId, body)
    if webhook is None:
        raise _missing(webhookId)
    return JSONResponse(webhook.view())


@router.delete("/{webhookId}", summary="Delete a webhook: no more events go to it")
async def delete_webhook(request: Request, _caller: Manager, webhookId: str) -> JSONResponse:
    if not await _store(request).delete(webhookId):
        raise _missing(webhookId)
    return JSONResponse({"message": f"Webhook '{webhookId}' deleted successfully"})


@router.post("/{webhookId}/test", dependencies=[EXPENSIVE], summary="Send a signed test event to the webhook's URL")
async def test_webhook(request: Request, _caller: Manager, webhookId: str) -> JSONResponse:
    webhook = await _store(request).get(webhookId)
    if webhook is None:
        raise _missing(webhookId)
    key = await context(request).accounts.webhook_key()
    if key is None:
        raise Conflict("Webhooks are signed with the API key: create an API key first", error="Webhook Error")
    data = {"message": "This is a test webhook event from MeetDesk"}
    try:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
            status = await webhooks.send_once(client, webhook.url, "testEvent", data, key)
    except httpx.HTTPError as exc:
        raise BadRequest(f'Webhook URL "{webhook.url}" is unreachable', error="Webhook Error") from exc
    if not 200 <= status < 300:
        raise BadRequest(f'Webhook URL "{webhook.url}" answered with status {status}', error="Webhook Error")
    return JSONResponse({"message": f"Test event sent to webhook '{webhookId}'"})

"""Registered webhooks (OpenVidu Meet 3.9's ``/api/v1/webhooks``), mixed into
:class:`~meetdesk.client.api.MeetDeskClient`; the global webhook stays ``get_webhooks`` / ``set_webhooks``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from meetdesk.client.requesting import ApiRequests
from meetdesk.core.webhooks import MeetWebhook, WebhookOptions

PATH = "/api/v1/webhooks"


def _one(webhook_id: str) -> str:
    if not webhook_id:
        raise ValueError("webhook_id cannot be empty")
    return f"{PATH}/{quote(webhook_id, safe='').replace('.', '%2E')}"


def _body(options: WebhookOptions | Mapping[str, Any]) -> dict[str, Any]:
    checked = options if isinstance(options, WebhookOptions) else WebhookOptions.model_validate(options)
    return checked.model_dump(mode="json", exclude_none=True)


class RegisteredWebhooks:
    """Create, list, get, replace, delete and test registered webhooks (the API key or an admin)."""

    async def register_webhook(self: ApiRequests, options: WebhookOptions | Mapping[str, Any]) -> MeetWebhook:
        response = await self._request("POST", PATH, body=_body(options))
        return MeetWebhook.model_validate(self._object(response))

    async def registered_webhooks(self: ApiRequests) -> list[MeetWebhook]:
        listed = self._object(await self._request("GET", PATH)).get("webhooks", [])
        return [MeetWebhook.model_validate(item) for item in listed]

    async def registered_webhook(self: ApiRequests, webhook_id: str) -> MeetWebhook:
        return MeetWebhook.model_validate(self._object(await self._request("GET", _one(webhook_id))))

    async def replace_webhook(
        self: ApiRequests, webhook_id: str, options: WebhookOptions | Mapping[str, Any]
    ) -> MeetWebhook:
        """Replace the whole definition: a field not given is cleared."""
        response = await self._request("PUT", _one(webhook_id), body=_body(options))
        return MeetWebhook.model_validate(self._object(response))

    async def delete_webhook(self: ApiRequests, webhook_id: str) -> None:
        await self._request("DELETE", _one(webhook_id))

    async def test_registered_webhook(self: ApiRequests, webhook_id: str) -> None:
        """Send a signed ``testEvent`` to the webhook's URL (BadRequest when it does not answer 2xx)."""
        await self._request("POST", f"{_one(webhook_id)}/test")

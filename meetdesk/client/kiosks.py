"""The fleet API (issue 17), mixed into :class:`~meetdesk.client.api.MeetDeskClient`: an admin's kiosks — add one
(with its one-time enrolment code), list, rename, push settings, re-enrol, remove, send it a remote action and
fetch its recent logs::

    kiosk = await client.create_kiosk("Board room PC", room_id)
    print(kiosk.enrolmentCode)                      # typed on the kiosk: meetdesk kiosk --enrol CODE ...
    await client.kiosk_action(kiosk.kioskId, "join")
    logs = await client.fetch_kiosk_logs(kiosk.kioskId)

Answers are :mod:`meetdesk.core.kiosks` models; failures are the client's ApiError classes (an action sent to an
offline kiosk is a :class:`~meetdesk.client.errors.Conflict`). Kiosks changing live arrive on
:meth:`~meetdesk.client.api.MeetDeskClient.events` as ``KioskUpdated`` / ``KioskRemoved``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pydantic
from pydantic import BaseModel

from meetdesk.client.errors import ApiError, UnexpectedResponse
from meetdesk.client.requesting import ApiRequests
from meetdesk.core.kiosks import ActionAccepted, Kiosk, KioskAction, KioskList, KioskLogs, KioskSettings

KIOSKS = "/internal-api/v1/kiosks"
#: how often the logs are read again while waiting for a kiosk to send them
LOGS_POLL_S = 0.5

_M = TypeVar("_M", bound=BaseModel)


class KioskLogsTimeout(ApiError):
    """The kiosk did not send its logs in time (it may be busy, or have gone offline meanwhile)."""

    def __init__(self, waited: float) -> None:
        super().__init__(None, "Timeout", f"The kiosk did not send its logs within {waited:g} s. Try again.")


def _one(kiosk_id: str) -> str:
    if not kiosk_id.strip():
        raise ValueError("a kiosk id cannot be empty")
    return f"{KIOSKS}/{quote(kiosk_id.strip(), safe='').replace('.', '%2E')}"  # ``..`` cannot climb out


def _parse(client: ApiRequests, model: type[_M], response: httpx.Response) -> _M:
    try:
        return model.model_validate(client._json(response))
    except pydantic.ValidationError as exc:
        problems = f"{exc.error_count()} problem(s) in {model.__name__}"
        raise UnexpectedResponse(
            response.status_code, "Unexpected Response", f"The server's answer does not match this client ({problems})"
        ) from exc


def _settings(settings: KioskSettings | Mapping[str, Any]) -> Any:
    """A KioskSettings whole (every setting, an unset device as null); a dict as given (the server validates it)."""
    return settings.model_dump(mode="json") if isinstance(settings, KioskSettings) else dict(settings)


class KiosksApi:
    """The admin's side of the fleet API."""

    async def create_kiosk(
        self: ApiRequests, name: str, room_id: str, settings: KioskSettings | Mapping[str, Any] | None = None
    ) -> Kiosk:
        """Add a kiosk for a room: the answer holds its one-time ``enrolmentCode`` (valid 24 h)."""
        body: dict[str, Any] = {"name": name, "roomId": room_id}
        if settings is not None:
            body["settings"] = _settings(settings)
        return _parse(self, Kiosk, await self._request("POST", KIOSKS, body=body))

    async def list_kiosks(self: ApiRequests) -> list[Kiosk]:
        return _parse(self, KioskList, await self._request("GET", KIOSKS)).kiosks

    async def get_kiosk(self: ApiRequests, kiosk_id: str) -> Kiosk:
        return _parse(self, Kiosk, await self._request("GET", _one(kiosk_id)))

    async def update_kiosk(
        self: ApiRequests,
        kiosk_id: str,
        *,
        name: str | None = None,
        settings: KioskSettings | Mapping[str, Any] | None = None,
    ) -> Kiosk:
        """Rename a kiosk and/or push new settings (applied at once when it is idle, else after its meeting;
        ``pendingSettings`` until it reports them)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if settings is not None:
            body["settings"] = _settings(settings)
        return _parse(self, Kiosk, await self._request("PATCH", _one(kiosk_id), body=body))

    async def delete_kiosk(self: ApiRequests, kiosk_id: str) -> None:
        """Remove a kiosk: its credential is refused at once and its meeting connection ended."""
        await self._request("DELETE", _one(kiosk_id))

    async def reenrol_kiosk(self: ApiRequests, kiosk_id: str) -> Kiosk:
        """A fresh one-time code for a kiosk (its old credential stops working)."""
        return _parse(self, Kiosk, await self._request("POST", f"{_one(kiosk_id)}/enrolment"))

    async def kiosk_action(self: ApiRequests, kiosk_id: str, action: KioskAction) -> ActionAccepted:
        """Tell an online kiosk to join its room's meeting, leave it, or restart (Conflict when it is offline)."""
        response = await self._request("POST", f"{_one(kiosk_id)}/actions", body={"action": action})
        return _parse(self, ActionAccepted, response)

    async def request_kiosk_logs(self: ApiRequests, kiosk_id: str) -> None:
        """Ask the kiosk to send its recent logs (they arrive later: :meth:`kiosk_logs`)."""
        await self._request("POST", f"{_one(kiosk_id)}/logs")

    async def kiosk_logs(self: ApiRequests, kiosk_id: str) -> KioskLogs | None:
        """The logs the kiosk last sent, or None when it never sent any (NotFound for an unknown kiosk)."""
        response = await self._request("GET", f"{_one(kiosk_id)}/logs", accept=(404,))
        if response.status_code == 404:
            await self._request("GET", _one(kiosk_id))  # NotFound when the kiosk itself is the one not found
            return None
        return _parse(self, KioskLogs, response)

    async def fetch_kiosk_logs(self: ApiRequests, kiosk_id: str, timeout: float = 20.0) -> KioskLogs:
        """Ask for the kiosk's recent logs and wait for them (KioskLogsTimeout after ``timeout`` s).

        The server has no event for logs arriving, so the logs are read again every LOGS_POLL_S until newer
        ones than those there before the asking arrive (compared by the server's own ``receivedAt``).
        """
        before = await KiosksApi.kiosk_logs(self, kiosk_id)
        await KiosksApi.request_kiosk_logs(self, kiosk_id)
        deadline = time.monotonic() + timeout
        while True:
            logs = await KiosksApi.kiosk_logs(self, kiosk_id)
            if logs is not None and (before is None or logs.receivedAt > before.receivedAt):
                return logs
            if time.monotonic() > deadline:
                raise KioskLogsTimeout(timeout)
            await asyncio.sleep(LOGS_POLL_S)

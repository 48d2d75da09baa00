"""The client end of the events socket (``/internal-api/v1/events``): the server's room and meeting changes as
an async stream that reconnects by itself.

Use it through :meth:`meetdesk.client.api.MeetDeskClient.events`::

    async for event in client.events():
        if isinstance(event, Subscribed):   # (re)connected: the meetings now; re-read what you show
            ...
        elif isinstance(event, EventsLost): # the socket dropped; the stream reconnects on its own
            ...

Every connection starts with :class:`~meetdesk.core.events.Subscribed`. Between an :class:`EventsLost` and
the next ``Subscribed`` events may have been missed. An expired access token is refreshed (as a request's
401 would be) and the stream goes on; credentials the server refuses for good end the stream with
:class:`~meetdesk.client.errors.Unauthorized` or :class:`~meetdesk.client.errors.Forbidden`, a certificate that
is not the pinned one with :class:`~meetdesk.client.errors.CertificateMismatch`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import websockets
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection

from meetdesk.client.errors import ApiError, ConnectionFailed, Forbidden, Unauthorized, UnexpectedResponse
from meetdesk.core.events import CLOSE_TOKEN_EXPIRED, CLOSE_TOO_SLOW, SERVER_EVENT, ServerEvent

if TYPE_CHECKING:
    from meetdesk.client.api import MeetDeskClient

logger = logging.getLogger(__name__)

EVENTS_PATH = "/internal-api/v1/events"
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class EventsLost:
    """The events socket dropped (or could not be opened): ``reason`` in words. The stream retries."""

    reason: str


def events_url(base_url: str) -> str:
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{EVENTS_PATH}"


def _refusal(status: int, body: bytes) -> ApiError:
    try:
        data = json.loads(body)
        error, message = str(data["error"]), str(data["message"])
    except (ValueError, KeyError, TypeError):
        error, message = "Unexpected Response", f"The server refused the events socket ({status})"
    if status == 401:
        return Unauthorized(status, error, message)
    if status == 403:
        return Forbidden(status, error, message)
    return UnexpectedResponse(status, error, message)


async def stream_events(
    client: MeetDeskClient, *, retry_delay: float = 0.5, max_retry_delay: float = 10.0
) -> AsyncIterator[ServerEvent | EventsLost]:
    """See the module's docstring. ``retry_delay`` doubles up to ``max_retry_delay`` while the server is away."""
    delay = retry_delay
    lost = False  # said once per outage, not once per failed attempt
    while True:
        sent_token = client.credentials.access_token
        try:
            context = await client.ssl_context()  # the same trust (and pin) as the client's requests
            ws = await asyncio.wait_for(
                websockets.connect(
                    events_url(client.base_url),
                    additional_headers=client._auth_headers(),
                    max_size=2**22,
                    ssl=context,
                ),
                CONNECT_TIMEOUT_S,
            )
        except ConnectionFailed as exc:
            reason = exc.message
        except websockets.InvalidStatus as exc:
            refused = _refusal(exc.response.status_code, bytes(exc.response.body or b""))
            if isinstance(refused, Unauthorized) and sent_token and await client._refresh_after_401(sent_token):
                continue
            if isinstance(refused, Unauthorized | Forbidden):
                raise refused from exc
            reason = refused.message
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            reason = str(exc) or type(exc).__name__
        else:
            delay = retry_delay
            lost = False
            try:
                async for event in _receive(ws):
                    yield event
            finally:
                await ws.close()
            code = ws.close_code
            if code == CLOSE_TOKEN_EXPIRED and sent_token and await client._refresh_after_401(sent_token):
                yield EventsLost("The sign-in was renewed; reconnecting.")
                continue
            if code == CLOSE_TOO_SLOW:
                yield EventsLost("This client fell behind the server's changes; reconnecting.")
                continue
            reason = ws.close_reason or f"the connection closed ({code})"
        logger.info("Events socket to %s lost: %s; retrying in %.1f s", client.base_url, reason, delay)
        if not lost:
            lost = True
            yield EventsLost(reason)
        await asyncio.sleep(delay)
        delay = min(max_retry_delay, delay * 2)


async def _receive(ws: ClientConnection) -> AsyncIterator[ServerEvent]:
    try:
        async for text in ws:
            try:
                yield SERVER_EVENT.validate_json(text)
            except ValidationError:
                logger.warning("Ignoring an event this client does not understand")
    except websockets.ConnectionClosed:
        return

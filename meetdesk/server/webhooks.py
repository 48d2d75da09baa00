"""Webhook events: ``{event, creationDate, data}`` POSTed with an HMAC-SHA256 signature.

``X-Signature`` is the hex HMAC-SHA256 of ``"{X-Timestamp}.{body}"`` keyed with the API key, over exactly
the bytes sent, so a receiver that knows the key can check both origin and integrity.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from meetdesk.core.models import now_ms

logger = logging.getLogger(__name__)


def signature(timestamp: int, body: bytes, key: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def encode_event(event: str, data: dict[str, Any], timestamp: int) -> bytes:
    """The body as OpenVidu Meet sends it, JavaScript's ``JSON.stringify``: UTF-8 text without ``\\uXXXX``
    escapes of non-ASCII characters and without spaces. Upstream's receivers sign what they parse back
    with ``JSON.stringify``, so any other form fails their check (a room named "Reunión" did)."""
    body = {"event": event, "creationDate": timestamp, "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def send_once(client: httpx.AsyncClient, url: str, event: str, data: dict[str, Any], key: str) -> int:
    """POST one signed event; returns the receiver's status. Raises httpx.HTTPError when unreachable."""
    timestamp = now_ms()
    body = encode_event(event, data, timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": str(timestamp),
        "X-Signature": signature(timestamp, body, key),
    }
    response = await client.post(url, content=body, headers=headers)
    return response.status_code


class WebhookDispatcher:
    """Delivers events in the background, in order, with retries; ``emit`` never waits.

    Reads the webhook settings and the API key at delivery time, so a change applies to the next
    event. A receiver that keeps failing costs retries, never a meeting's time.
    """

    def __init__(
        self,
        settings: Callable[[], Awaitable[tuple[str | None, str | None]]],
        *,
        attempts: int = 5,
        first_delay_s: float = 0.3,
        timeout_s: float = 5.0,
        queue_limit: int = 1000,
    ) -> None:
        self._settings = settings
        self._attempts = attempts
        self._first_delay_s = first_delay_s
        self._timeout_s = timeout_s
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(queue_limit)
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def emit(self, event: str, data: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((event, data))
        except asyncio.QueueFull:
            logger.warning("Webhook queue full: dropping the %s event", event)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False) as client:
            while True:
                event, data = await self._queue.get()
                url, key = await self._settings()
                if url is None or key is None:
                    continue  # disabled, or no API key to sign with
                await self._deliver(client, url, key, event, data)

    async def _deliver(self, client: httpx.AsyncClient, url: str, key: str, event: str, data: dict[str, Any]) -> None:
        delay = self._first_delay_s
        for attempt in range(1, self._attempts + 1):
            try:
                status = await send_once(client, url, event, data, key)
                if 200 <= status < 300:
                    self.delivered += 1
                    return
                problem = f"status {status}"
            except Exception as exc:  # unreachable, bad URL, anything: retry, and never end the dispatcher
                problem = type(exc).__name__
            logger.info("Webhook %s attempt %d/%d failed (%s)", event, attempt, self._attempts, problem)
            if attempt < self._attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self.failed += 1
        logger.warning("Webhook %s not delivered after %d attempts", event, self._attempts)

"""Webhook events: ``{event, creationDate, data}`` POSTed with an HMAC-SHA256 signature, to the global webhook
and to every registered webhook that wants the event.

``X-Signature`` is the hex HMAC-SHA256 of ``"{X-Timestamp}.{body}"`` keyed with the API key, over exactly
the bytes sent, so a receiver that knows the key can check both origin and integrity.

Delivery never blocks a meeting: :meth:`WebhookDispatcher.emit` only queues (bounded). A router task finds the
event's receivers and hands it to one bounded queue per receiver, each drained by its own worker (5 s timeout,
5 attempts with a backoff doubling from 300 ms), so a dead or slow receiver delays only its own events.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from meetdesk.core.models import now_ms

logger = logging.getLogger(__name__)

#: events waiting for the router, and per receiver: beyond these, events are dropped (and logged)
QUEUE_LIMIT = 1000
RECEIVER_QUEUE_LIMIT = 200


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


@dataclass(frozen=True)
class Receiver:
    """Where an event goes: ``key`` names the receiver ("global", or a registered webhook's id)."""

    key: str
    url: str


#: the receivers of an event: ``(event, roomId or None) -> receivers``
Receivers = Callable[[str, str | None], Awaitable[list[Receiver]]]


@dataclass(frozen=True)
class _Delivery:
    url: str
    event: str
    data: dict[str, Any]
    key: str


class WebhookDispatcher:
    """Delivers events in the background, in order per receiver, with retries; ``emit`` never waits.

    ``receivers`` and ``signing_key`` are read as each event is routed, so a change applies to the next event.
    This is the one way out for every webhook event (meetings, participants, recordings): call :meth:`emit`.
    """

    def __init__(
        self,
        receivers: Receivers,
        signing_key: Callable[[], Awaitable[str | None]],
        *,
        attempts: int = 5,
        first_delay_s: float = 0.3,
        timeout_s: float = 5.0,
        queue_limit: int = QUEUE_LIMIT,
        receiver_queue_limit: int = RECEIVER_QUEUE_LIMIT,
    ) -> None:
        self._receivers = receivers
        self._signing_key = signing_key
        self._attempts = attempts
        self._first_delay_s = first_delay_s
        self._timeout_s = timeout_s
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(queue_limit)
        self._receiver_queue_limit = receiver_queue_limit
        self._pending: dict[str, asyncio.Queue[_Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        self._task = asyncio.create_task(self._route(), name="webhooks")

    async def stop(self) -> None:
        tasks = [task for task in (self._task, *self._workers.values()) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Queue ``event`` for everyone who wants it (``data["roomId"]`` is the room it is about, if any)."""
        try:
            self._queue.put_nowait((event, data))
        except asyncio.QueueFull:
            self.dropped += 1
            logger.warning("Webhook queue full: dropping the %s event", event)

    async def _route(self) -> None:
        while True:
            event, data = await self._queue.get()
            try:
                key = await self._signing_key()
                if key is None:
                    continue  # no API key to sign with
                room_id = data.get("roomId")
                for receiver in await self._receivers(event, room_id if isinstance(room_id, str) else None):
                    self._hand_over(receiver, _Delivery(receiver.url, event, data, key))
            except Exception:  # a store that cannot be read: this event is lost, the next ones are not
                logger.exception("Webhook %s could not be routed", event)

    def _hand_over(self, receiver: Receiver, delivery: _Delivery) -> None:
        pending = self._pending.setdefault(receiver.key, asyncio.Queue(self._receiver_queue_limit))
        try:
            pending.put_nowait(delivery)
        except asyncio.QueueFull:
            self.dropped += 1
            logger.warning("Webhook receiver %s is behind: dropping the %s event", receiver.key, delivery.event)
            return
        if receiver.key not in self._workers:
            worker = asyncio.create_task(self._work(receiver.key, pending), name=f"webhooks-{receiver.key}")
            self._workers[receiver.key] = worker

    async def _work(self, receiver_key: str, pending: asyncio.Queue[_Delivery]) -> None:
        """Deliver what is queued for one receiver, then end (the next event starts a new worker)."""
        try:
            while not pending.empty():
                await self._deliver(pending.get_nowait())
        finally:
            self._workers.pop(receiver_key, None)
            if pending.empty():
                self._pending.pop(receiver_key, None)

    async def _deliver(self, delivery: _Delivery) -> None:
        assert self._client is not None
        delay = self._first_delay_s
        for attempt in range(1, self._attempts + 1):
            try:
                status = await send_once(self._client, delivery.url, delivery.event, delivery.data, delivery.key)
                if 200 <= status < 300:
                    self.delivered += 1
                    return
                problem = f"status {status}"
            except Exception as exc:  # unreachable, bad URL, anything: retry, and never end the worker
                problem = type(exc).__name__
            logger.info("Webhook %s attempt %d/%d failed (%s)", delivery.event, attempt, self._attempts, problem)
            if attempt < self._attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self.failed += 1
        logger.warning("Webhook %s not delivered after %d attempts", delivery.event, self._attempts)

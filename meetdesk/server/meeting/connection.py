"""A participant's signalling socket, as the engine sees it: send a message, close.

Sends go through a bounded queue drained by a writer task, so a broadcast never waits on one slow
client; a client that falls hopelessly behind is disconnected rather than buffered without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketState

logger = logging.getLogger(__name__)

SEND_QUEUE_LIMIT = 2000


class Connection(Protocol):
    def send(self, message: BaseModel) -> None: ...

    async def close(self, code: int = 1000) -> None: ...

    @property
    def open(self) -> bool: ...


class WebSocketConnection:
    def __init__(self, websocket: WebSocket, label: str) -> None:
        self._ws = websocket
        self._label = label
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name=f"ws-writer-{label}")
        self._open = True

    @property
    def open(self) -> bool:
        return self._open

    def send(self, message: BaseModel) -> None:
        if not self._open:
            return
        if self._queue.qsize() >= SEND_QUEUE_LIMIT:
            logger.warning("Connection(%s) is too slow to keep up: disconnecting it", self._label)
            self._open = False
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait(message.model_dump_json(exclude_none=True))

    async def close(self, code: int = 1000) -> None:
        """Send what is queued, then close the socket."""
        if self._open:
            self._open = False
            self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._writer), timeout=5)
        if self._ws.application_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):  # already closed by the peer: nothing left to do
                await self._ws.close(code)

    async def _write(self) -> None:
        while True:
            text = await self._queue.get()
            if text is None:
                return
            try:
                await self._ws.send_text(text)
            except Exception:  # the peer went away; the reader side notices and handles it
                self._open = False
                return

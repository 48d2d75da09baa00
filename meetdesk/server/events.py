"""The event hub: the rooms service and the meeting engine publish, every listening admin socket receives.

Publishing never waits: each event is serialized once and put on every listener's bounded queue. A
listener whose queue is full (a client that stopped reading, a link too slow for the rate of changes)
is dropped on the spot instead of slowing the server or buffering without bound; its socket is then
closed with ``CLOSE_TOO_SLOW`` and the client reconnects and re-reads what it shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

from meetdesk.core.events import ServerEvent

logger = logging.getLogger(__name__)

#: events a listener may have waiting before it is dropped (a burst, such as a bulk delete of 100 rooms, fits)
QUEUE_LIMIT = 500


class Listener:
    """One subscriber's queue of serialized events. :meth:`next` returns None once it was dropped."""

    def __init__(self, label: str, limit: int) -> None:
        self.label = label
        self.dropped = False
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=limit + 1)  # +1: room for the end marker
        self._limit = limit

    def offer(self, text: str) -> bool:
        """Queue ``text``; False (and the listener is dropped) when it is already ``limit`` events behind."""
        if self.dropped:
            return False
        if self._queue.qsize() >= self._limit:
            self.dropped = True
            self._queue.put_nowait(None)
            return False
        self._queue.put_nowait(text)
        return True

    async def next(self) -> str | None:
        return await self._queue.get()


class EventHub:
    """Fan-out of :mod:`meetdesk.core.events` to the listeners of this server process."""

    def __init__(self, queue_limit: int = QUEUE_LIMIT) -> None:
        self._listeners: set[Listener] = set()
        self._queue_limit = queue_limit
        self._ids = count(1)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    @contextmanager
    def listen(self) -> Iterator[Listener]:
        listener = Listener(f"events-{next(self._ids)}", self._queue_limit)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    def publish(self, event: ServerEvent) -> None:
        if not self._listeners:
            return
        text = event.model_dump_json(exclude_none=True)
        for listener in list(self._listeners):
            if not listener.offer(text):
                self._listeners.discard(listener)
                logger.warning("Listener(%s) fell %d events behind: dropping it", listener.label, self._queue_limit)

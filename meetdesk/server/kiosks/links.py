"""The kiosks' open sockets: one :class:`KioskLink` per connected kiosk, each with its own bounded outbox.

Sending never waits: a message is put on the link's queue and the socket's writer sends it. A kiosk that
connects again replaces its older link (which is closed). Commands for a kiosk that is online (a recent
heartbeat) but has no socket at the moment — its server just restarted — wait for it, newest kept.
"""

from __future__ import annotations

import asyncio
import logging

from pydantic import BaseModel

from meetdesk.core.kiosks import Command

logger = logging.getLogger(__name__)

#: messages a link may have waiting; beyond, the kiosk is not reading and the link is closed
OUTBOX_LIMIT = 100


class KioskLink:
    """One kiosk's socket, as the service sees it: a queue of texts to send, and a way to close it."""

    def __init__(self, kiosk_id: str) -> None:
        self.kiosk_id = kiosk_id
        self.close_code: int | None = None
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()

    def send(self, message: BaseModel) -> None:
        if self.close_code is not None:
            return
        if self._outbox.qsize() >= OUTBOX_LIMIT:
            logger.warning("Kiosk(%s) is not reading its socket: closing it", self.kiosk_id)
            self.close(1011)
            return
        self._outbox.put_nowait(message.model_dump_json())

    def close(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
            self._outbox.put_nowait(None)

    async def next(self) -> str | None:
        """The next text to send; None once the link is closed."""
        return await self._outbox.get()


class Links:
    """The connected kiosks, and the commands waiting for the ones that are not connected right now."""

    def __init__(self) -> None:
        self._links: dict[str, KioskLink] = {}
        self._waiting: dict[str, dict[str, Command]] = {}

    def attach(self, link: KioskLink) -> None:
        old = self._links.get(link.kiosk_id)
        if old is not None:
            old.close(1000)
        self._links[link.kiosk_id] = link
        for command in self._waiting.pop(link.kiosk_id, {}).values():
            link.send(command)

    def detach(self, link: KioskLink) -> None:
        if self._links.get(link.kiosk_id) is link:
            del self._links[link.kiosk_id]

    def get(self, kiosk_id: str) -> KioskLink | None:
        return self._links.get(kiosk_id)

    def command(self, kiosk_id: str, command: Command) -> None:
        """Send now, or keep it (one per action) until the kiosk connects."""
        link = self._links.get(kiosk_id)
        if link is not None:
            link.send(command)
        else:
            waiting = self._waiting.setdefault(kiosk_id, {})
            if command.action in ("join", "leave"):  # the later of the two wins
                waiting.pop("join", None)
                waiting.pop("leave", None)
            waiting[command.action] = command

    def drop(self, kiosk_id: str, close_code: int) -> None:
        """The kiosk's credential is void: close its socket, forget what waited for it."""
        self._waiting.pop(kiosk_id, None)
        link = self._links.pop(kiosk_id, None)
        if link is not None:
            link.close(close_code)

"""The kiosks' open sockets: one :class:`KioskLink` per connected kiosk, each with its own bounded outbox.

Sending never waits: a message is put on the link's queue and the socket's writer sends it. A kiosk that
connects again replaces its older link (which is closed). (Commands for a kiosk that has no socket at the moment
wait in the store, see :meth:`~meetdesk.server.kiosks.service.FleetService.act`.)
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
    """The connected kiosks."""

    def __init__(self) -> None:
        self._links: dict[str, KioskLink] = {}

    def attach(self, link: KioskLink) -> None:
        old = self._links.get(link.kiosk_id)
        if old is not None:
            old.close(1000)
        self._links[link.kiosk_id] = link

    def detach(self, link: KioskLink) -> None:
        if self._links.get(link.kiosk_id) is link:
            del self._links[link.kiosk_id]

    def get(self, kiosk_id: str) -> KioskLink | None:
        return self._links.get(kiosk_id)

    def command(self, kiosk_id: str, command: Command) -> bool:
        """Send now; False when the kiosk has no socket."""
        link = self._links.get(kiosk_id)
        if link is None:
            return False
        link.send(command)
        return True

    def drop(self, kiosk_id: str, close_code: int) -> None:
        """The kiosk's credential is void: close its socket."""
        link = self._links.pop(kiosk_id, None)
        if link is not None:
            link.close(close_code)

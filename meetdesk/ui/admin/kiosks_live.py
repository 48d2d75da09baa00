"""Keeps the kiosks table in step with the server: its ``KioskUpdated`` / ``KioskRemoved`` events
(``MeetDeskClient.events()``) applied to the ``KiosksModel`` as they come, so that a kiosk coming online, going
offline (the server says so within seconds of its 60 s of silence), joining, leaving or losing its camera shows
without a Refresh.

When the events socket drops the list is read again; when it is back the list is read again too, since changes
made meanwhile were not heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import shiboken6
from PySide6.QtCore import QObject, Signal

from meetdesk.client.api import EventsLost, MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.events import KioskRemoved, KioskUpdated, Subscribed
from meetdesk.ui.admin.kiosks_model import KiosksModel

logger = logging.getLogger(__name__)


class KiosksFollower(QObject):
    """Applies a server's kiosk events to ``model`` while it follows that server.

    Signals:
        liveChanged(bool): the events socket is open (True) or not (False).
        applied(): one kiosk event was applied to the model (tests and views wait on it).
    """

    liveChanged = Signal(bool)
    applied = Signal()

    def __init__(self, model: KiosksModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.live = False
        self._client: MeetDeskClient | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def following(self) -> bool:
        """Whether a server's events are being followed (the socket may be open or being opened again)."""
        return self._task is not None and not self._task.done()

    def follow(self, client: MeetDeskClient | None) -> None:
        """Follow ``client``'s server (again if it is another one; nothing to do if it is this one)."""
        if client is self._client and self._task is not None and not self._task.done():
            return
        self.stop()
        self._client = client
        if client is not None:
            self._task = asyncio.ensure_future(self._run(client))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._client = None
        if shiboken6.isValid(self):  # may be called as its page goes
            self._set_live(False)

    def _set_live(self, live: bool) -> None:
        if live != self.live:
            self.live = live
            self.liveChanged.emit(live)

    async def _run(self, client: MeetDeskClient) -> None:
        missed = False  # whether changes may have been missed since the list was last read
        try:
            # closed here, on this loop, however the loop below ends (see rooms_live)
            async with contextlib.aclosing(client.events()) as events:
                async for event in events:
                    if not shiboken6.isValid(self) or not shiboken6.isValid(self.model):
                        return  # the page went while the socket was open
                    if isinstance(event, EventsLost):
                        logger.info("Kiosks page: live updates paused (%s)", event.reason)
                        self._set_live(False)
                        missed = True
                        await self._read_again()
                    elif isinstance(event, Subscribed):
                        self._set_live(True)
                        if missed:
                            missed = False
                            await self._read_again()
                    elif isinstance(event, KioskUpdated):
                        self.model.upsert(event.kiosk)
                        self.applied.emit()
                    elif isinstance(event, KioskRemoved):
                        self.model.remove(event.kioskId)
                        self.applied.emit()
        except ApiError as exc:  # credentials refused for good, or a certificate that is not the pinned one
            logger.info("Kiosks page: no live updates: %r", exc)
            self._set_live(False)

    async def _read_again(self) -> None:
        with contextlib.suppress(Exception):  # a failure is the model's to show (its error, in the page)
            await self.model.reload()

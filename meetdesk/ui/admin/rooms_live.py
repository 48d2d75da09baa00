"""Keeps the rooms table in step with the server: its events (``MeetDeskClient.events()``) applied to the
``RoomsModel`` as they come, so that meetings starting and ending, rooms created, closed or deleted
elsewhere show without a refresh.

When the events socket drops, the list is read again: either the server answers (and nothing was missed)
or it does not, and the model keeps the rows last seen, greyed, with the reason. When the socket is back
the list is read again, since changes made meanwhile were not heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import shiboken6
from PySide6.QtCore import QObject, Signal

from meetdesk.client.api import EventsLost, MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.events import (
    MeetingEnded,
    MeetingUpdated,
    RoomCreated,
    RoomDeleted,
    RoomUpdated,
    ServerEvent,
    Subscribed,
)
from meetdesk.ui.admin.rooms_model import RoomsModel

logger = logging.getLogger(__name__)


class RoomsFollower(QObject):
    """Applies a server's events to ``model`` while :meth:`follow` runs.

    Signals:
        liveChanged(bool): the events socket is open (True) or not (False).
        applied(): one event was applied to the model (tests and views wait on it).
    """

    liveChanged = Signal(bool)
    applied = Signal()

    def __init__(self, model: RoomsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.live = False
        self._client: MeetDeskClient | None = None
        self._task: asyncio.Task[None] | None = None

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
        self._set_live(False)

    def _set_live(self, live: bool) -> None:
        if live != self.live:
            self.live = live
            self.liveChanged.emit(live)

    async def _run(self, client: MeetDeskClient) -> None:
        missed = False  # whether changes may have been missed since the list was last read
        try:
            # closed here, on this loop, however the loop below ends (cancelled, the page gone): left suspended,
            # the stream would be finalised later by the garbage collector, outside any loop
            async with contextlib.aclosing(client.events()) as events:
                async for event in events:
                    if not shiboken6.isValid(self) or not shiboken6.isValid(self.model):
                        return  # the page went (its window closed) while the socket was open: nothing to show it in
                    if isinstance(event, EventsLost):
                        logger.info("Rooms page: live updates paused (%s)", event.reason)
                        self._set_live(False)
                        missed = True
                        await self._read_again()
                    elif isinstance(event, Subscribed):
                        self._set_live(True)
                        self.model.set_people(event.meetings)
                        if missed:
                            missed = False
                            await self._read_again()
                    else:
                        self._apply(event)
                    if shiboken6.isValid(self):
                        self.applied.emit()
        except ApiError as exc:  # credentials refused for good, or a certificate that is not the pinned one
            logger.info("Rooms page: no live updates: %r", exc)
            self._set_live(False)
            self.model.problem.emit(exc)

    def _apply(self, event: ServerEvent) -> None:
        if isinstance(event, RoomCreated | RoomUpdated):
            self.model.upsert(event.room)
        elif isinstance(event, RoomDeleted):
            self.model.remove(event.roomId)
        elif isinstance(event, MeetingUpdated):
            self.model.meeting_changed(event.meeting.roomId, event.meeting.participants)
        elif isinstance(event, MeetingEnded):
            self.model.meeting_changed(event.roomId, 0)

    async def _read_again(self) -> None:
        with contextlib.suppress(Exception):  # a failure is the model's to show (its error, the banner)
            await self.model.reload()

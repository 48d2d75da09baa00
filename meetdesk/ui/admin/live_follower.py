"""One follower of a server's events (``MeetDeskClient.events()``) for a table the admin app keeps live: the
rooms and the kiosks pages each say which events they take and how (``rooms_live``, ``kiosks_live``); the
socket's own life is handled here once.

When the events socket drops, the list is read again: either the server answers (and nothing was missed) or it
does not, and the model keeps the rows last seen with the reason. When the socket is back the list is read again,
since changes made meanwhile were not heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

import shiboken6
from PySide6.QtCore import QObject, Signal

from meetdesk.client.api import EventsLost, MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.events import ServerEvent, Subscribed

logger = logging.getLogger(__name__)


class LiveModel(Protocol):
    """What a follower needs of the model it keeps live."""

    async def reload(self) -> None: ...


class LiveFollower(QObject):
    """Applies a server's events to ``model`` while :meth:`follow` runs; what each event does is the subclass's
    :meth:`apply` (and :meth:`subscribed`, :meth:`refused`).

    Signals:
        liveChanged(bool): the events socket is open (True) or not (False).
        applied(): one event was taken in: applied to the model, or the list read again (tests and views wait
            on it).
    """

    liveChanged = Signal(bool)
    applied = Signal()

    #: who follows, in the log ("Rooms page")
    name = "Live follower"

    def __init__(self, model: LiveModel, parent: QObject | None = None) -> None:
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
        if client is self._client and self.following:
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

    # --- what the events do (the subclass's) ------------------------------------------------------------------

    def apply(self, event: ServerEvent) -> None:
        """Apply one event of the server's to the model (those it does not follow: nothing to do)."""

    def subscribed(self, event: Subscribed) -> None:
        """The socket is open: ``event`` says how things stand now (before the list is read again, if it is)."""

    def refused(self, exc: ApiError) -> None:
        """The server refused the events for good (credentials, a certificate that is not the pinned one)."""

    # --- the socket -------------------------------------------------------------------------------------------

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
                        logger.info("%s: live updates paused (%s)", self.name, event.reason)
                        self._set_live(False)
                        missed = True
                        await self._read_again()
                    elif isinstance(event, Subscribed):
                        self._set_live(True)
                        self.subscribed(event)
                        if missed:
                            missed = False
                            await self._read_again()
                    else:
                        self.apply(event)
                    if shiboken6.isValid(self):
                        self.applied.emit()
        except ApiError as exc:
            logger.info("%s: no live updates: %r", self.name, exc)
            self._set_live(False)
            self.refused(exc)

    async def _read_again(self) -> None:
        with contextlib.suppress(Exception):  # a failure is the model's to show (its error, in the page)
            await self.model.reload()

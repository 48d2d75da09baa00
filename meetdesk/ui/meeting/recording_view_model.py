"""The recording view's state: one room's recordings, what the participant's role may do with them, and how the
list stays live.

:class:`RoomRecordingsModel` is the shared recordings table (:mod:`meetdesk.ui.recordings.model`) narrowed to one
room, with :meth:`~RoomRecordingsModel.refresh` merging the server's first page into the rows shown (new ones
come in, changed ones change, deleted ones go) without a reset, so the highlighted row stays highlighted.

Live status (``active`` → ``ending`` → ``complete`` without Refresh) comes from two sources, one at a time:

- in the meeting, the signalling ``recording`` events the meeting model already receives
  (:meth:`RecordingViewModel.recording_event`): each one re-reads the list, and nothing is polled;
- from the join view or a recordings link (no signalling: the events socket is for administrators), the list
  is read again every :data:`WATCH_MS` while the view is shown.

Everything goes through :mod:`meetdesk.client` with the participant's own token (the meeting session's, which a
role change replaces, or a browse-only token from the room link, asked for again when the server no longer takes
it), never blocking the window.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, Unauthorized
from meetdesk.client.lobby import RoomInfo
from meetdesk.core.recordings import MeetRecording
from meetdesk.core.signalling import RecordingState
from meetdesk.ui.recordings.model import RecordingQuery, RecordingsModel

logger = logging.getLogger(__name__)

#: how often the list is read again outside a meeting (no event tells a participant of a new recording there)
WATCH_MS = 3000
#: a room's recordings come in pages of this many (the API's largest page)
ROOM_PAGE = 100


class RoomRecordingsModel(RecordingsModel):
    """One room's recordings, newest first, kept live by :meth:`refresh` (see the module's docstring).

    ``by_events``: the owner calls :meth:`refresh` on the meeting's ``recording`` events; the shared model's own
    polling of recordings in progress is then off.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(None, parent, page_size=ROOM_PAGE)
        self.by_events = False
        self._refreshing: asyncio.Task[None] | None = None
        self._again = False
        #: a refresh asked for while a page was loading: done once it is in (the page may predate the change)
        self._after_load = False
        self.pageLoaded.connect(self._loaded)

    def _follow_progress(self) -> None:
        if self.by_events:
            self._poll.stop()
        else:
            super()._follow_progress()

    def refresh(self) -> None:
        """Read the first page again and merge it into the rows (one read at a time; a call during one reads
        again after it, and a call while a page loads reads once it is in)."""
        if self.loading or not self.loaded_once:
            self._after_load = True
            return
        if self._refreshing is not None and not self._refreshing.done():
            self._again = True
            return
        self._refreshing = self._spawn(self._refresh())

    def _loaded(self) -> None:
        if self._after_load and not self.loading:
            self._after_load = False
            self.refresh()

    async def _refresh(self) -> None:
        client, query, generation = self.client, self.query, self._generation
        if client is None:
            return
        try:
            page = await client.list_recordings(
                room_id=query.room_id or None,
                max_items=self.page_size,
                sort_field=query.sort_field,
                sort_order="asc" if query.sort_order == "asc" else "desc",
            )
        except ApiError as exc:
            logger.info("Recording view: the list could not be read again: %s", exc)
            self._set_error(exc)
            return
        finally:
            if self._again:
                self._again = False
                QTimer.singleShot(0, self, self.refresh)
        if generation != self._generation or query != self.query:
            return
        self._set_error(None)
        self.merge(page.recordings, whole=not page.pagination.isTruncated)

    def merge(self, fresh: list[MeetRecording], *, whole: bool) -> None:
        """The rows as ``fresh`` (the first page, in the query's order) says; ``whole``: it is every recording
        of the room, so a row it lacks was deleted."""
        known = {r.recordingId for r in self.recordings}
        for recording in fresh:
            if recording.recordingId in known:
                self.replace(recording)
        if whole:
            present = {r.recordingId for r in fresh}
            for gone in [r.recordingId for r in self.recordings if r.recordingId not in present]:
                self.remove(gone)
        new = [r for r in fresh if r.recordingId not in known]
        if new:
            # the first page is the query's first rows: the new ones go where the server puts them
            for recording in new:
                row = fresh.index(recording)
                row = min(row, len(self.recordings))
                self.beginInsertRows(QModelIndex(), row, row)
                self.recordings.insert(row, recording)
                self.endInsertRows()
                self.recordingChanged.emit(recording.recordingId)
        self._follow_progress()
        self.pageLoaded.emit()


class RecordingViewModel(QObject):
    """The room, the role's recording permissions, where the view was opened from, and its list.

    Signals:
        permissionsChanged(): :attr:`can_see` or :attr:`can_delete` changed.
        roomChanged(str): the room's name.
        originChanged(str): where Back leads: "join", "meeting" or "" (a recordings link: nowhere).
        highlightRequested(str): a recording to highlight once its row is in (from "Open" on the meeting's
            notice).
    """

    permissionsChanged = Signal()
    roomChanged = Signal(str)
    originChanged = Signal(str)
    highlightRequested = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recordings = RoomRecordingsModel(self)
        self.info: RoomInfo | None = None
        self._room = ""
        self._origin = ""
        self._can_see = False
        self._can_delete = False
        self._token: Callable[[], str | None] = lambda: None
        self._renew: Callable[[], Awaitable[str]] | None = None
        self._renewing = False
        self._by_link = False
        self.recordings.errorChanged.connect(self._error)
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self.recordings.refresh)

    # properties -----------------------------------------------------------------------------------------

    @property
    def room(self) -> str:
        return self._room

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def can_see(self) -> bool:
        """Whether the role may list, play, download and share the room's recordings."""
        return self._can_see

    @property
    def can_delete(self) -> bool:
        return self._can_delete

    @property
    def client(self) -> MeetDeskClient | None:
        """The client of the view's server, with the participant's current token."""
        client = self.recordings.client
        if client is not None:
            self._set_token(client, self._token())
        return client

    def _set_token(self, client: MeetDeskClient, token: str | None) -> None:
        """The token as the credential it is: a recordings link's recording token, else a participant token."""
        if self._by_link:
            client.credentials.recording_token = token
        else:
            client.credentials.participant_token = token

    def set_permissions(self, *, can_see: bool, can_delete: bool) -> None:
        if (can_see, can_delete) != (self._can_see, self._can_delete):
            self._can_see, self._can_delete = can_see, can_delete
            self.permissionsChanged.emit()

    def _set_room(self, name: str) -> None:
        if name != self._room:
            self._room = name
            self.roomChanged.emit(name)

    def _set_origin(self, origin: str) -> None:
        if origin != self._origin:
            self._origin = origin
            self.originChanged.emit(origin)

    # opening --------------------------------------------------------------------------------------------

    def open(
        self,
        info: RoomInfo,
        token: Callable[[], str | None],
        *,
        origin: str,
        by_events: bool,
        can_see: bool,
        can_delete: bool,
        renew: Callable[[], Awaitable[str]] | None = None,
        by_link: bool = False,
    ) -> None:
        """Show ``info``'s room's recordings with the token ``token()`` gives at each request. ``by_events``: the
        meeting's events keep the list live (see :meth:`recording_event`); else it is read again while shown.
        ``renew``: asks for a new token when the server refuses this one (expired, or its signing key changed).
        ``by_link``: the token is a recordings link's recording token (sent as ``X-Recording-Token``)."""
        self._token = token
        self._by_link = by_link
        self._renew = renew
        self._set_room(info.room_name)
        self._set_origin(origin)
        self.set_permissions(can_see=can_see, can_delete=can_delete)
        self.recordings.by_events = by_events
        same_room = self.info is not None and self.info.link.room_id == info.link.room_id
        self.info = info
        client = self.recordings.client
        if client is None or client.base_url != info.link.base_url or not same_room:
            if client is not None:
                self._close(client)
            client = MeetDeskClient(info.link.base_url, pin=info.link.pin)
            self._set_token(client, token())
            self.recordings.client = client
            self.recordings.query = RecordingQuery(room_id=info.link.room_id)
            self.recordings.set_client(client)
        else:
            client.credentials.participant_token = client.credentials.recording_token = None
            self._set_token(client, token())
            self.recordings.reload()  # opened again: as the server has it now (the rows shown stay until then)
        if by_events:
            self._watch.stop()
        else:
            self._watch.start()
        self.recordings._follow_progress()

    def _error(self, error: BaseException | None) -> None:
        if isinstance(error, Unauthorized) and self._renew is not None and not self._renewing:
            self._renewing = True
            task: asyncio.Task[Any] = asyncio.ensure_future(self._renew_token(self._renew))
            self.recordings._tasks.add(task)
            task.add_done_callback(self.recordings._tasks.discard)

    async def _renew_token(self, renew: Callable[[], Awaitable[str]]) -> None:
        try:
            token = await renew()
        except ApiError as exc:
            logger.info("Recording view: no new token: %s", exc)  # the list says it cannot be read
            return
        finally:
            self._renewing = False
        self._token = lambda: token
        client = self.recordings.client
        if client is not None:
            self._set_token(client, token)
            self.recordings.reload()

    def hidden(self) -> None:
        """The view is no longer shown: nothing is read for it until it is opened again."""
        self._watch.stop()
        self.recordings._poll.stop()

    def recording_event(self, recording: RecordingState | None) -> None:
        """The meeting's recording moved on (a signalling ``recording`` event): the list follows."""
        if self.recordings.by_events and self.recordings.client is not None:
            self.recordings.refresh()

    def highlight(self, recording_id: str) -> None:
        if recording_id:
            self.highlightRequested.emit(recording_id)

    def close(self) -> None:
        """Stop reading and release the connection (the window closes)."""
        self.hidden()
        client = self.recordings.client
        if client is not None:
            self.recordings.client = None
            self._close(client)

    def _close(self, client: MeetDeskClient) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(client.aclose())
        self.recordings._tasks.add(task)
        task.add_done_callback(self.recordings._tasks.discard)

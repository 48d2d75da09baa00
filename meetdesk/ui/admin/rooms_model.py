"""The rooms table's model: pages of rooms fetched from the server as the view scrolls.

Search, status filter and sort run on the server (they must cover rooms not loaded yet); the view asks
for more rows through Qt's ``canFetchMore``/``fetchMore`` and the model follows ``nextPageToken``.
A query change starts a new generation: answers to older queries are dropped, never mixed in.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.models import MeetingEndAction, MeetRoom, RoomStatus

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
LIST_FIELDS = (
    "roomId",
    "roomName",
    "creationDate",
    "autoDeletionDate",
    "autoDeletionPolicy",
    "config",
    "status",
    "meetingEndAction",
    "moderatorUrl",
    "speakerUrl",
)

COL_NAME, COL_STATUS, COL_CREATED, COL_AUTO_DELETION, COL_RECORDING = range(5)
SORT_FIELDS = {COL_NAME: "roomName", COL_CREATED: "creationDate", COL_AUTO_DELETION: "autoDeletionDate"}

#: the room of a row, for views and delegates
RoomRole = Qt.ItemDataRole.UserRole + 1
#: the room's status value (``open``, ``active_meeting``, ``closed``) for the chip delegate
StatusRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RoomQuery:
    name: str = ""
    status: RoomStatus | None = None
    sort_field: str = "creationDate"
    sort_order: str = "desc"


def format_timestamp(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


class RoomsModel(QAbstractTableModel):
    """Rooms of one server, fetched lazily.

    Signals:
        loadingChanged(bool): a page request started (True) or ended (False).
        pageLoaded(): a page arrived and its rows are in the model.
        problem(object): a request failed with this exception (the page shows it in the banner).
        checkedChanged(int): how many rooms are ticked for a bulk action.
    """

    loadingChanged = Signal(bool)
    pageLoaded = Signal()
    problem = Signal(object)
    checkedChanged = Signal(int)

    def __init__(self, client: MeetDeskClient | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.client = client
        self.query = RoomQuery()
        self.rooms: list[MeetRoom] = []
        self.checked: set[str] = set()
        self.loaded_once = False
        self._next_token: str | None = None
        self._truncated = False
        self._generation = 0
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._headers = [self.tr("Name"), self.tr("Status"), self.tr("Created"), self.tr("Auto-deletion"),
                         self.tr("Recording")]  # fmt: skip

    # --- Qt model API -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rooms)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.column() == COL_NAME:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rooms):
            return None
        room = self.rooms[index.row()]
        column = index.column()
        if role == RoomRole:
            return room
        if role == StatusRole:
            return room.status.value if room.status else None
        if role == Qt.ItemDataRole.CheckStateRole and column == COL_NAME:
            return Qt.CheckState.Checked if room.roomId in self.checked else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(room, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_NAME:
            return self.tr("Room ID: {id}").format(id=room.roomId)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != COL_NAME:
            return False
        room_id = self.rooms[index.row()].roomId
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self.checked.add(room_id)
        else:
            self.checked.discard(room_id)
        self.dataChanged.emit(index, index, [role])
        self.checkedChanged.emit(len(self.checked))
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        field = SORT_FIELDS.get(column)
        if field is None:
            return
        direction = "asc" if order == Qt.SortOrder.AscendingOrder else "desc"
        self.set_query(replace(self.query, sort_field=field, sort_order=direction))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._truncated and self._next_token is not None and not self.loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._start(self.fetch_next())

    # --- text -----------------------------------------------------------------------------------------

    def _text(self, room: MeetRoom, column: int) -> str:
        if column == COL_NAME:
            return room.roomName or room.roomId
        if column == COL_STATUS:
            return self.status_text(room)
        if column == COL_CREATED:
            return format_timestamp(room.creationDate)
        if column == COL_AUTO_DELETION:
            return format_timestamp(room.autoDeletionDate) or self.tr("Never")
        if column == COL_RECORDING:
            on = room.config is None or room.config.recording.enabled
            return self.tr("On") if on else self.tr("Off")
        return ""

    def status_text(self, room: MeetRoom) -> str:
        if room.status == RoomStatus.ACTIVE_MEETING:
            if room.meetingEndAction == MeetingEndAction.DELETE:
                return self.tr("Active meeting · deleted when it ends")
            if room.meetingEndAction == MeetingEndAction.CLOSE:
                return self.tr("Active meeting · closed when it ends")
            return self.tr("Active meeting")
        if room.status == RoomStatus.CLOSED:
            return self.tr("Closed")
        return self.tr("Open")

    # --- loading -------------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """A page is being fetched or about to be (a task scheduled, not yet running)."""
        return self._in_flight > 0 or bool(self._tasks)

    @property
    def has_more(self) -> bool:
        return self._truncated and self._next_token is not None

    def room_at(self, row: int) -> MeetRoom:
        return self.rooms[row]

    def checked_rooms(self) -> list[MeetRoom]:
        return [room for room in self.rooms if room.roomId in self.checked]

    def set_client(self, client: MeetDeskClient | None) -> None:
        self.client = client
        self._reset()

    def set_query(self, query: RoomQuery) -> None:
        if query != self.query:
            self.query = query
            self._reset()  # at once: no row of the old question stays under the new one
            self._start(self._fetch(self._generation, None))

    def set_all_checked(self, checked: bool) -> None:
        self.checked = {room.roomId for room in self.rooms} if checked else set()
        if self.rooms:
            self.dataChanged.emit(self.index(0, COL_NAME), self.index(len(self.rooms) - 1, COL_NAME))
        self.checkedChanged.emit(len(self.checked))

    def _start(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: the failure was reported through `problem`

    def _reset(self) -> None:
        self._generation += 1
        self.beginResetModel()
        self.rooms = []
        self.checked = set()
        self._next_token = None
        self._truncated = False
        self.endResetModel()
        self.checkedChanged.emit(0)

    async def reload(self) -> None:
        """Start over with the current query: the first page replaces every row."""
        self._reset()
        await self._fetch(self._generation, None)

    async def fetch_next(self) -> None:
        """Append the next page (no-op when everything is loaded)."""
        if self.has_more:
            await self._fetch(self._generation, self._next_token)

    async def _fetch(self, generation: int, token: str | None) -> None:
        if self.client is None:
            return
        self._in_flight += 1
        self.loadingChanged.emit(True)
        query = self.query
        try:
            page = await self.client.list_rooms(
                max_items=PAGE_SIZE,
                next_page_token=token,
                room_name=query.name or None,
                status=query.status,
                sort_field=query.sort_field,  # type: ignore[arg-type]
                sort_order=query.sort_order,  # type: ignore[arg-type]
                fields=LIST_FIELDS,
            )
        except Exception as exc:
            logger.info("Listing rooms failed: %r", exc)
            if generation == self._generation:
                self.problem.emit(exc)
            raise
        finally:
            self._in_flight -= 1
            self.loadingChanged.emit(self.loading)
        if generation != self._generation:
            return  # the query changed meanwhile: this page belongs to an older question
        known = {room.roomId for room in self.rooms}
        fresh = [room for room in page.rooms if room.roomId not in known]
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.rooms), len(self.rooms) + len(fresh) - 1)
            self.rooms.extend(fresh)
            self.endInsertRows()
        self._next_token = page.pagination.nextPageToken
        self._truncated = page.pagination.isTruncated
        self.loaded_once = True
        self.pageLoaded.emit()

    def replace_room(self, room: MeetRoom) -> None:
        """Show a room's new state (after an edit or a status change) without a reload."""
        for row, known in enumerate(self.rooms):
            if known.roomId == room.roomId:
                merged = known.model_copy(update={k: getattr(room, k) for k in room.model_fields_set})
                self.rooms[row] = merged
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
                return


class RoomsProxy(QSortFilterProxyModel):
    """Between the table and the model: sorting goes to the server (through the model), and while a search
    is on its way the rows already loaded are narrowed at once, so typing feels instant."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(COL_NAME)
        self.setDynamicSortFilter(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if isinstance(source, RoomsModel):
            source.sort(column, order)

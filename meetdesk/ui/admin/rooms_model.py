"""The rooms table's model: pages of rooms fetched from the server as the view scrolls, kept live.

Search, status filter and sort run on the server (they must cover rooms not loaded yet); the view asks
for more rows through Qt's ``canFetchMore``/``fetchMore`` and the model follows ``nextPageToken``.
A query change starts a new generation: answers to older queries are dropped, never mixed in.

Changes made elsewhere arrive as events (``rooms_live.RoomsFollower``) and are applied in place
(:meth:`RoomsModel.upsert`, :meth:`RoomsModel.remove`, :meth:`RoomsModel.set_people`): a row is inserted,
moved or removed where the server's own order and filter would put it, so that the view keeps its
selection and scroll position. A failed request keeps the rows last seen and sets :attr:`RoomsModel.error`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import NotFound
from meetdesk.core.events import MeetingInfo
from meetdesk.core.models import MeetingEndAction, MeetRoom, RoomStatus
from meetdesk.ui.table_model import Column, Index, ItemRole, TableModel

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

COL_NAME, COL_STATUS, COL_PEOPLE, COL_CREATED, COL_AUTO_DELETION, COL_RECORDING = range(6)
SORT_FIELDS = {COL_NAME: "roomName", COL_CREATED: "creationDate", COL_AUTO_DELETION: "autoDeletionDate"}
#: rooms without an auto-deletion date sort as the server sorts them: as if it were this far away
_NEVER = 2**62

#: the room of a row, for views and delegates
RoomRole = ItemRole
#: the room's status value (``open``, ``active_meeting``, ``closed``) for the chip delegate
StatusRole = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class RoomQuery:
    name: str = ""
    status: RoomStatus | None = None
    sort_field: str = "creationDate"
    sort_order: str = "desc"


def sort_key(room: MeetRoom, field: str) -> tuple[int | str, str]:
    """Where the server puts ``room`` when sorting by ``field`` (its key, then the room id)."""
    if field == "roomName":
        return (room.roomName or "").casefold(), room.roomId
    if field == "autoDeletionDate":
        return (room.autoDeletionDate if room.autoDeletionDate is not None else _NEVER), room.roomId
    return room.creationDate or 0, room.roomId


def matches(room: MeetRoom, query: RoomQuery) -> bool:
    """Whether the server would list ``room`` for ``query`` (the same case-insensitive name search)."""
    if query.status is not None and room.status != query.status:
        return False
    return not query.name or query.name.casefold() in (room.roomName or "").casefold()


def format_timestamp(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


class RoomsModel(TableModel[MeetRoom]):
    """Rooms of one server, fetched lazily.

    Signals:
        loadingChanged(bool): a page request started (True) or ended (False).
        pageLoaded(): a page arrived and its rows are in the model.
        problem(object): a request failed with this exception (the page shows it in the banner).
        checkedChanged(int): how many rooms are ticked for a bulk action.
        errorChanged(object): the list could not be (re)loaded (the exception; rows last seen are kept, greyed),
            or None once it could again.
    """

    pageLoaded = Signal()
    problem = Signal(object)
    checkedChanged = Signal(int)

    greyed_on_error = True

    def __init__(self, client: MeetDeskClient | None = None, parent: Any = None) -> None:
        columns = [
            Column(self.tr("Name"), SORT_FIELDS.get(COL_NAME)),
            Column(self.tr("Status")),
            Column(self.tr("People"), numeric=True),
            Column(self.tr("Created"), SORT_FIELDS.get(COL_CREATED)),
            Column(self.tr("Auto-deletion"), SORT_FIELDS.get(COL_AUTO_DELETION)),
            Column(self.tr("Recording")),
        ]
        super().__init__(columns, key=lambda room: room.roomId, parent=parent)
        self.client = client
        self.query = RoomQuery()
        self.checked: set[str] = set()
        #: people in each room's meeting, by room id (rooms without a meeting are not in it)
        self.people: dict[str, int] = {}
        self._next_token: str | None = None
        self._truncated = False
        self._generation = 0
        self._in_flight = 0
        #: while a reload is on its way, the changes heard meanwhile (applied again once it is in)
        self._heard: list[tuple[Any, tuple[Any, ...]]] | None = None
        #: the first page of the current query, while it is on its way
        self._first_page: asyncio.Future[None] | None = None

    @property
    def rooms(self) -> list[MeetRoom]:
        return self.rows

    # --- Qt model API -------------------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.column() == COL_NAME:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def cell(self, room: MeetRoom, column: int, role: int) -> Any:
        if role == StatusRole:
            return room.status.value if room.status else None
        if role == Qt.ItemDataRole.CheckStateRole and column == COL_NAME:
            return Qt.CheckState.Checked if room.roomId in self.checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.AccessibleTextRole and column == COL_PEOPLE:
            count = self.people.get(room.roomId, 0)
            return self.tr("%n people in the meeting", "", count) if count else self.tr("No meeting")
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_NAME:
            # the full name: the column may elide it
            return self.tr("{name}\nRoom ID: {id}").format(name=room.roomName or room.roomId, id=room.roomId)
        return super().cell(room, column, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != COL_NAME:
            return False
        room_id = self.rows[index.row()].roomId
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self.checked.add(room_id)
        else:
            self.checked.discard(room_id)
        self.dataChanged.emit(index, index, [role])
        self.checkedChanged.emit(len(self.checked))
        return True

    def sort_by(self, field: str, order: str) -> None:
        self.set_query(replace(self.query, sort_field=field, sort_order=order))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._truncated and self._next_token is not None and not self.loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._spawn(self.fetch_next(), reported=True)

    # --- text -----------------------------------------------------------------------------------------

    def text(self, room: MeetRoom, column: int) -> str:
        if column == COL_NAME:
            return room.roomName or room.roomId
        if column == COL_STATUS:
            return self.status_text(room)
        if column == COL_PEOPLE:
            count = self.people.get(room.roomId)
            return "" if count is None else str(count)
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
        self.people = {}
        self._set_error(None)
        self._reset()

    def set_query(self, query: RoomQuery) -> None:
        if query != self.query:
            self.query = query
            self._reset()  # at once: no row of the old question stays under the new one
            self._first_page = self._spawn(self._load_first(self._generation), reported=True)

    def set_checked(self, room_ids: set[str]) -> None:
        """Tick exactly these rooms (of those loaded)."""
        self.checked = {room.roomId for room in self.rooms if room.roomId in room_ids}
        self._columns_changed(COL_NAME, COL_NAME)
        self.checkedChanged.emit(len(self.checked))

    def _reset(self, rooms: list[MeetRoom] | None = None, *, new_generation: bool = True) -> None:
        if new_generation:  # answers still on their way belong to the old rows
            self._generation += 1
            self._first_page = None
        self.beginResetModel()
        self.rows = list(rooms or [])
        known = {room.roomId for room in self.rooms}
        self.checked &= known
        self._next_token = None
        self._truncated = False
        self.endResetModel()
        self.checkedChanged.emit(len(self.checked))

    async def reload(self) -> None:
        """Start over with the current query. The rows shown stay until the first page replaces them all;
        if it cannot be had, they stay (greyed, with :attr:`error` set) and the exception is raised.
        A reload asked for while one is on its way waits for that one (the same question, asked once)."""
        task = self._first_page
        if task is None or task.done():
            self._generation += 1
            task = self._first_page = self._spawn(self._load_first(self._generation), reported=True)
        await asyncio.shield(task)

    async def _load_first(self, generation: int) -> None:
        if self._heard is None:
            self._heard = []
        try:
            await self._fetch(generation, None, replace_all=True)
        finally:
            if generation == self._generation:
                self._heard = None

    async def fetch_next(self) -> None:
        """Append the next page (no-op when everything is loaded)."""
        if self.has_more:
            await self._fetch(self._generation, self._next_token)

    async def _fetch(self, generation: int, token: str | None, *, replace_all: bool = False) -> None:
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
                extra_fields=("access",),  # which links work: the page offers only those
            )
            meetings = await self._meetings() if token is None else None
        except Exception as exc:
            logger.info("Listing rooms failed: %r", exc)
            if generation == self._generation:
                self._set_error(exc)
                self.problem.emit(exc)
            raise
        finally:
            self._in_flight -= 1
            self.loadingChanged.emit(self.loading)
        if generation != self._generation:
            return  # the query changed meanwhile: this page belongs to an older question
        if meetings is not None:
            self._set_people(meetings)
        if replace_all:
            self._reset(page.rooms, new_generation=False)
            # Changes heard while the page was on its way may be missing from it: apply them again.
            heard, self._heard = self._heard, None
            for apply, args in heard or []:
                apply(*args)
        else:
            known = {room.roomId for room in self.rooms}
            fresh = [room for room in page.rooms if room.roomId not in known]
            if fresh:
                self.beginInsertRows(QModelIndex(), len(self.rooms), len(self.rooms) + len(fresh) - 1)
                self.rooms.extend(fresh)
                self.endInsertRows()
        self._next_token = page.pagination.nextPageToken
        self._truncated = page.pagination.isTruncated
        self.loaded_once = True
        self._set_error(None)
        self.pageLoaded.emit()

    async def _meetings(self) -> list[MeetingInfo]:
        assert self.client is not None
        try:
            return await self.client.list_meetings()
        except NotFound:  # a server from before the people count: no column to fill
            return []

    # --- changes made elsewhere (applied in place) --------------------------------------------------------

    def set_people(self, meetings: list[MeetingInfo]) -> None:
        """How many people are in each meeting now (rooms not listed have none)."""
        self._set_people(meetings)

    def _set_people(self, meetings: list[MeetingInfo]) -> None:
        before, self.people = self.people, {m.roomId: m.participants for m in meetings if m.participants}
        for room_id in before.keys() | self.people.keys():
            if before.get(room_id) != self.people.get(room_id):
                self._people_changed(room_id)

    def meeting_changed(self, room_id: str, people: int) -> None:
        """Someone joined or left the room's meeting (0: it ended)."""
        if self._heard is not None:
            self._heard.append((self.meeting_changed, (room_id, people)))
        if self.people.get(room_id, 0) == people:
            return
        if people:
            self.people[room_id] = people
        else:
            self.people.pop(room_id, None)
        self._people_changed(room_id)

    def _people_changed(self, room_id: str) -> None:
        row = self.row_of(room_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, COL_PEOPLE), self.index(row, COL_PEOPLE))

    def upsert(self, room: MeetRoom) -> None:
        """A room created or changed elsewhere: put it where the server would list it for this query, or take
        it out when it no longer belongs. A room that sorts after the loaded rows waits for its page."""
        if self._heard is not None:
            self._heard.append((self.upsert, (room,)))
        row = self.row_of(room.roomId)
        if row is not None:
            known = self.rooms[row]
            room = known.model_copy(update={k: getattr(room, k) for k in room.model_fields_set})
        if not matches(room, self.query):
            if row is not None:
                self._remove_row(room.roomId)
            return
        others = [r for r in self.rooms if r.roomId != room.roomId]
        target = self._position(others, room)
        if target == len(others) and self.has_more:  # beyond what is loaded: the next page brings it
            if row is not None:
                self._remove_row(room.roomId)
            return
        if row is None:
            self.beginInsertRows(QModelIndex(), target, target)
            self.rooms.insert(target, room)
            self.endInsertRows()
            return
        if target != row:
            # beginMoveRows wants the destination in the list *before* the move
            destination = target + 1 if target > row else target
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
            self.rooms.pop(row)
            self.rooms.insert(target, room)
            self.endMoveRows()
        else:
            self.rooms[row] = room
        self._row_changed(target)

    def _position(self, rooms: list[MeetRoom], room: MeetRoom) -> int:
        field, descending = self.query.sort_field, self.query.sort_order == "desc"
        key = sort_key(room, field)
        for position, other in enumerate(rooms):
            other_key = sort_key(other, field)
            if (key > other_key) if descending else (key < other_key):
                return position
        return len(rooms)

    def remove(self, room_id: str) -> None:
        """A room deleted elsewhere (or gone from this query's results)."""
        if self._heard is not None:
            self._heard.append((self.remove, (room_id,)))
        self._remove_row(room_id)

    def _remove_row(self, room_id: str) -> bool:
        if not super()._remove_row(room_id):
            return False
        if room_id in self.checked:
            self.checked.discard(room_id)
            self.checkedChanged.emit(len(self.checked))

    def replace_room(self, room: MeetRoom) -> None:
        """Show a room's new state (after an edit or a status change made here) without a reload."""
        if self.row_of(room.roomId) is not None:
            self.upsert(room)


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

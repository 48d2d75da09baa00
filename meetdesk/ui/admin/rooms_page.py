"""The Rooms page: the rooms of the connected server in a table, searched, filtered and sorted by the server,
kept live by its events, with per-room actions and a bulk delete of the ticked rooms.

The actions (bar, context menu, shortcuts) act on one room only: the one highlighted, and only while its
row is shown. When that row goes away (a search, a filter, a refresh, a deletion here or elsewhere, another
server) the highlight, the bar's name and the actions clear; they never slide onto a neighbouring row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import qasync
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.models import MeetRoom, RoomStatus
from meetdesk.ui.admin.rooms_actions import RoomActions
from meetdesk.ui.admin.rooms_live import RoomsFollower
from meetdesk.ui.admin.rooms_model import (
    COL_CREATED,
    COL_NAME,
    COL_STATUS,
    SORT_FIELDS,
    RoomQuery,
    RoomRole,
    RoomsModel,
    RoomsProxy,
)
from meetdesk.ui.admin.rooms_view import EmptyState, RoomsTable, SelectAllHeader, StaleBar, StatusChipDelegate
from meetdesk.ui.elided import ElidedLabel
from meetdesk.ui.icons import icon
from meetdesk.ui.messages import describe_error

logger = logging.getLogger(__name__)

SEARCH_DELAY_MS = 300
BUSY_DELAY_MS = 300


class RoomsPage(RoomActions, QWidget):
    """Rooms of one server (what its per-room actions do: :mod:`.rooms_actions`).

    Signals:
        problem(object, object): a server call failed: (exception, coroutine function to retry) for the banner.
        notice(str): something done the user should hear about (link copied, room closed) for the status bar.
        joinRequested(object): the user asked to join a room as moderator (the MeetRoom).
        recordingsRequested(object): the user asked for a room's recordings (the MeetRoom).
    """

    problem = Signal(object, object)
    notice = Signal(str)
    joinRequested = Signal(object)
    recordingsRequested = Signal(object)

    def __init__(self, client: MeetDeskClient | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.client = client
        self._tasks: set[asyncio.Task[bool]] = set()
        self.model = RoomsModel(client, self)
        self.proxy = RoomsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.live = RoomsFollower(self.model, self)
        #: the highlighted room (by id): what the actions act on, while its row is shown
        self.selected_id: str | None = None
        #: why the server cannot be asked now (the window's banner says so): None while it can
        self.unavailable: str | None = None
        self._build()
        self._connect()

    # --- construction ------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        title = QLabel(self.tr("Rooms"), self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)

        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search rooms by name"))
        self.search.setAccessibleName(self.tr("Search rooms by name"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.status_filter = QComboBox(self)
        self.status_filter.setAccessibleName(self.tr("Show rooms with status"))
        for text, status in (
            (self.tr("All statuses"), None),
            (self.tr("Open"), RoomStatus.OPEN),
            (self.tr("Active meeting"), RoomStatus.ACTIVE_MEETING),
            (self.tr("Closed"), RoomStatus.CLOSED),
        ):
            self.status_filter.addItem(text, status)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setAccessibleName(self.tr("Refresh the list of rooms"))
        self.refresh_button.setShortcut(QKeySequence.StandardKey.Refresh)
        self.delete_checked_button = QPushButton(self.tr("Delete selected"), self)
        self.delete_checked_button.setAccessibleName(self.tr("Delete the ticked rooms"))
        self.delete_checked_button.setEnabled(False)
        self.new_button = QPushButton(self.tr("New room"), self)
        self.new_button.setObjectName("primaryButton")
        self.new_button.setAccessibleName(self.tr("Create a room"))
        self.new_button.setShortcut(QKeySequence.StandardKey.New)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.status_filter, 1)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        bar.addWidget(self.delete_checked_button)
        bar.addWidget(self.new_button)
        layout.addLayout(bar)

        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(4)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Loading rooms"))
        self.busy.hide()
        layout.addWidget(self.busy)

        # Shown while the list cannot be (re)loaded: the rows below are the ones last seen.
        self.stale_bar = StaleBar(self)
        self.stale_text, self.stale_retry = self.stale_bar.text, self.stale_bar.retry
        layout.addWidget(self.stale_bar)

        self.stack = QStackedWidget(self)
        self.table = RoomsTable(self)
        self.table.setAccessibleName(self.tr("Rooms"))
        self.header = SelectAllHeader(COL_NAME, self.table)
        self.header.setAccessibleName(self.tr("Columns; the box ticks every room shown"))
        self.table.setHorizontalHeader(self.header)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(COL_CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setItemDelegateForColumn(COL_STATUS, StatusChipDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.stack.addWidget(self.table)

        self.empty = EmptyState(self)
        self.empty_title, self.empty_text, self.empty_action = self.empty.title, self.empty.text, self.empty.action
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.actions_bar = QHBoxLayout()
        self.selection_label = ElidedLabel("", self)  # a long name shrinks into "…", never widens the window
        self.selection_label.setAccessibleName(self.tr("Highlighted room"))
        self.actions_bar.addWidget(self.selection_label, 1)
        self.act_join = self._action("join", self.tr("Join as moderator"), "Ctrl+J")
        self.act_edit = self._action("edit", self.tr("Edit…"), "Ctrl+E")
        self.act_copy_moderator = self._action("copy-link", self.tr("Copy moderator link"), "Ctrl+Shift+M")
        self.act_copy_speaker = self._action("copy-link", self.tr("Copy speaker link"), "Ctrl+Shift+S")
        self.act_close = self._action("close-room", self.tr("Close room"), "Ctrl+Shift+L")
        self.act_delete = self._action("delete", self.tr("Delete…"), QKeySequence.StandardKey.Delete)
        # in the context menu (and its shortcut), not the bar: the Recordings page lists them
        self.act_recordings = self._action("recording", self.tr("View recordings"), "Ctrl+Shift+R")
        for action in self.row_actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAccessibleName(action.text().rstrip("…"))
            self.actions_bar.addWidget(button)
        layout.addLayout(self.actions_bar)
        self._update_actions()
        self._show_state()

    def _action(self, icon_name: str, text: str, shortcut: Any) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        return action

    @property
    def row_actions(self) -> list[QAction]:
        return [self.act_join, self.act_edit, self.act_copy_moderator, self.act_copy_speaker, self.act_close,
                self.act_delete]  # fmt: skip

    @property
    def server_actions(self) -> list[QAction]:
        """The row actions that ask the server (disabled while it is away)."""
        return [self.act_join, self.act_edit, self.act_close, self.act_delete]

    def _connect(self) -> None:
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.busy.setVisible(self.model.loading))
        self.search.textChanged.connect(self._search_changed)
        self.status_filter.currentIndexChanged.connect(self._filter_changed)
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.new_button.clicked.connect(self._create_clicked)
        self.empty_action.clicked.connect(self._empty_action_clicked)
        self.delete_checked_button.clicked.connect(self._delete_checked_clicked)
        self.model.loadingChanged.connect(self._loading_changed)
        self.model.pageLoaded.connect(self._show_state)
        self.model.modelReset.connect(self._show_state)
        self.model.rowsInserted.connect(lambda *_: self._show_state())  # the first room, created elsewhere
        self.model.rowsRemoved.connect(lambda *_: self._show_state())  # the last one, deleted elsewhere
        self.model.checkedChanged.connect(lambda _count: self._checked_changed())
        self.model.errorChanged.connect(lambda _error: self._show_state())
        self.model.problem.connect(lambda exc: self.problem.emit(exc, self.reload))
        self.stale_retry.clicked.connect(self._refresh_clicked)
        self.header.toggled.connect(self._tick_all)
        self.header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        # Rows come and go under the view (pages, events, filters): the highlight follows its room or clears.
        for signal in (self.proxy.modelReset, self.proxy.layoutChanged, self.proxy.rowsMoved):
            signal.connect(lambda *_: self._keep_selection())
        for signal in (self.proxy.rowsRemoved, self.proxy.rowsInserted):
            signal.connect(lambda *_: self._keep_selection())
        self.proxy.dataChanged.connect(lambda *_: self._update_actions())
        proxy = self.proxy
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset, proxy.layoutChanged):
            signal.connect(lambda *_: self._checked_changed())
        self.table.doubleClicked.connect(lambda _index: self._edit_clicked())
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.act_join.triggered.connect(self._join_clicked)
        self.act_edit.triggered.connect(self._edit_clicked)
        self.act_copy_moderator.triggered.connect(lambda: self.copy_link("moderator"))
        self.act_copy_speaker.triggered.connect(lambda: self.copy_link("speaker"))
        self.act_close.triggered.connect(self._close_clicked)
        self.act_delete.triggered.connect(self._delete_clicked)
        self.act_recordings.triggered.connect(
            lambda: (room := self.current_room()) is not None and self.recordingsRequested.emit(room)
        )

    # --- state ----------------------------------------------------------------------------------------------

    def set_client(self, client: MeetDeskClient | None) -> None:
        self.client = client
        self.live.stop()
        self.model.set_client(client)

    async def reload(self) -> None:
        """Read the list again (and from now on follow the server's changes)."""
        self.live.follow(self.client)
        await self.model.reload()

    def set_unavailable(self, reason: str | None) -> None:
        """While the server is away (restarting, not answering, not connected) the window's banner is the one
        message, saying what the app does about it: the page keeps the rooms last seen without an error or a
        Retry of its own, and what needs the server is disabled with ``reason`` as its tooltip."""
        self.unavailable = reason
        for widget in (self.new_button, self.refresh_button, self.delete_checked_button):
            widget.setToolTip(reason or "")
        self._checked_changed()
        self._update_actions()
        self._show_state()

    def current_room(self) -> MeetRoom | None:
        """The highlighted room, if its row is shown; the one room the actions act on."""
        row = self._shown_row(self.selected_id)
        if row is None:
            return None
        room = self.proxy.index(row, COL_NAME).data(RoomRole)
        return room if isinstance(room, MeetRoom) else None

    def _shown_row(self, room_id: str | None) -> int | None:
        """The view's row of a room, if it is shown."""
        if room_id is None:
            return None
        source = self.model.row_of(room_id)
        if source is None:
            return None
        index = self.proxy.mapFromSource(self.model.index(source, COL_NAME))
        return index.row() if index.isValid() else None

    def shown_rooms(self) -> list[MeetRoom]:
        return [self.proxy.index(row, COL_NAME).data(RoomRole) for row in range(self.proxy.rowCount())]

    # --- the highlight follows its room, or clears ----------------------------------------------------------

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows(COL_NAME)
        room = rows[0].data(RoomRole) if rows else None
        self.selected_id = room.roomId if isinstance(room, MeetRoom) else None
        self._update_actions()

    def _keep_selection(self) -> None:
        """After rows changed: highlight the same room if it is still shown, else nothing (never a neighbour,
        which Qt would make current)."""
        row = self._shown_row(self.selected_id)
        selection = self.table.selectionModel()
        if row is None:
            self.selected_id = None
            selection.clear()  # also the current index: keyboard focus does not land on a stranger
        else:
            index = self.proxy.index(row, COL_NAME)
            selected = selection.selectedRows(COL_NAME)
            if [i.row() for i in selected] != [row]:
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                selection.setCurrentIndex(index, flags)
        self._update_actions()

    def _loading_changed(self, loading: bool) -> None:
        if loading:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()

    def _show_state(self) -> None:
        error, away = self.model.error, self.unavailable
        self.new_button.setEnabled(away is None)
        self.refresh_button.setEnabled(away is None)
        self.stale_bar.setVisible(error is not None and bool(self.model.rooms) and away is None)
        if error is not None:
            self.stale_text.setText(self.tr("Can't load rooms: {reason}").format(reason=describe_error(error)))
        if self.model.rooms or (not self.model.loaded_once and error is None and away is None):
            self.stack.setCurrentWidget(self.table)
            return
        self.empty_action.setVisible(away is None)
        if away is not None:  # the banner says what is happening; nothing here to click that could help
            self.empty_title.setText(self.tr("Rooms can't be shown now"))
            self.empty_text.setText(self.tr("They show here once the server answers."))
            self.stack.setCurrentWidget(self.empty)
            return
        if error is not None:  # nothing seen yet, or nothing for this search: never "No rooms yet"
            self.empty_title.setText(self.tr("Can't load rooms"))
            self.empty_text.setText(describe_error(error))
            self.empty_action.setText(self.tr("Retry"))
            self.empty_action.setAccessibleName(self.tr("Load the rooms again"))
            self.stack.setCurrentWidget(self.empty)
            return
        filtered = bool(self.model.query.name or self.model.query.status)
        if filtered:
            self.empty_title.setText(self.tr("No rooms match"))
            self.empty_text.setText(self.tr("No room matches this search or status. Try other words."))
            self.empty_action.setText(self.tr("Clear the search"))
        else:
            self.empty_title.setText(self.tr("No rooms yet"))
            self.empty_text.setText(
                self.tr("A room is a persistent space for meetings, with its own links for moderators and speakers.")
            )
            self.empty_action.setText(self.tr("Create your first room"))
        self.empty_action.setAccessibleName(self.empty_action.text())
        self.stack.setCurrentWidget(self.empty)

    def _update_actions(self) -> None:
        room, away = self.current_room(), self.unavailable
        for action in self.row_actions:
            action.setEnabled(room is not None)
        for action in self.server_actions:
            action.setToolTip(away or action.text().rstrip("…"))
        if room is None:
            self.selection_label.setText(self.tr("Select a room to act on it."))
            self.act_close.setText(self.tr("Close room"))
            self.act_close.setIcon(icon("close-room"))
            return
        self.selection_label.setText(room.roomName or room.roomId)
        # a link turned off lets nobody in (OpenVidu Meet 3.8's room access): it is not offered
        links = room.access.anonymous if room.access is not None else None
        moderator_on = links is None or links.moderator.enabled
        speaker_on = links is None or links.speaker.enabled
        off = self.tr("This link is turned off: nobody can join with it. Edit the room to turn it on.")
        self.act_copy_moderator.setEnabled(bool(room.moderatorUrl) and moderator_on)
        self.act_copy_moderator.setToolTip(self.tr("Copy moderator link") if moderator_on else off)
        self.act_copy_speaker.setEnabled(bool(room.speakerUrl) and speaker_on)
        self.act_copy_speaker.setToolTip(self.tr("Copy speaker link") if speaker_on else off)
        closed = room.status == RoomStatus.CLOSED
        self.act_close.setText(self.tr("Reopen room") if closed else self.tr("Close room"))
        self.act_close.setIcon(icon("reopen" if closed else "close-room"))
        self.act_join.setEnabled(not closed and bool(room.moderatorUrl) and moderator_on)
        for action in self.server_actions:  # the links are known: copying them needs no server
            action.setEnabled(action.isEnabled() and away is None)

    def ticked_rooms(self) -> list[MeetRoom]:
        """The ticked rooms among those shown (a search hides the others: they are not acted on)."""
        return [room for room in self.shown_rooms() if room.roomId in self.model.checked]

    def _checked_changed(self) -> None:
        count, shown = len(self.ticked_rooms()), self.proxy.rowCount()
        self.delete_checked_button.setEnabled(count > 0 and self.unavailable is None)
        self.delete_checked_button.setText(
            self.tr("Delete %n room(s)", "", count) if count else self.tr("Delete selected")
        )
        if count == 0:
            state = Qt.CheckState.Unchecked
        elif count == shown:
            state = Qt.CheckState.Checked
        else:
            state = Qt.CheckState.PartiallyChecked
        self.header.set_state(state)
        self.header.setEnabled(shown > 0)

    def _tick_all(self, tick: bool) -> None:
        """The header's box: tick every room shown, or untick them all."""
        self.model.set_checked({room.roomId for room in self.shown_rooms()} if tick else set())

    def _sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        # Only some columns can be sorted by the server: the arrow stays on the one the list is sorted by.
        if column not in SORT_FIELDS:
            current = next(c for c, field in SORT_FIELDS.items() if field == self.model.query.sort_field)
            descending = self.model.query.sort_order == "desc"
            self.header.blockSignals(True)
            self.header.setSortIndicator(
                current, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            )
            self.header.blockSignals(False)

    # --- search and filter -----------------------------------------------------------------------------

    def _search_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())  # narrow what is loaded at once...
        self._search_timer.start()  # ...and ask the server once typing pauses

    def _apply_search(self) -> None:
        self.proxy.setFilterFixedString("")
        self.model.set_query(replace(self.model.query, name=self.search.text().strip()))

    def _filter_changed(self, _index: int) -> None:
        self.model.set_query(replace(self.model.query, status=self.status_filter.currentData()))

    def set_query(self, query: RoomQuery) -> None:
        self.model.set_query(query)

    # --- actions --------------------------------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        # The menu acts on the row under the pointer: highlight it first, as file managers do.
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        menu = QMenu(self)
        for action in self.row_actions:
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.act_recordings)
        self.context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    @qasync.asyncSlot()
    async def _refresh_clicked(self) -> None:
        await self._guard(self.reload())

    def _empty_action_clicked(self) -> None:
        if self.model.error is not None:
            self._background(self.reload())
        elif self.model.query.name or self.model.query.status:
            self.search.clear()
            self.status_filter.setCurrentIndex(0)
            self._search_timer.stop()
            self.model.set_query(
                RoomQuery(sort_field=self.model.query.sort_field, sort_order=self.model.query.sort_order)
            )
        else:
            self._create_clicked()

    async def _guard(self, coro: Any) -> bool:
        """Await a request; failures go to the banner (the model reports its own). True when it worked."""
        try:
            await coro
        except Exception as exc:
            if not isinstance(exc, asyncio.CancelledError):
                logger.info("Rooms page request failed: %r", exc)
            return False
        return True

    def _background(self, coro: Any) -> None:
        """Run a request without waiting for it (failures reach the banner through the model)."""
        task = asyncio.ensure_future(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

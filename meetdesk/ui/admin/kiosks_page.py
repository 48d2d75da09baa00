"""The Kiosks page of the admin app (issue 17): every meeting-room kiosk of the server in a table kept live by the
server's events, "Add kiosk…", and the remote actions on the highlighted kiosk — Join now, Leave, Restart, Edit
settings…, Fetch logs…, Re-enrol… and Remove… — as buttons and as the row's context menu.

An action a kiosk cannot take now (offline, not enrolled yet, already in the meeting) is disabled and the line
beside the buttons says why. What an action did, or why the server refused it, is said on the same line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, NotFound
from meetdesk.core.kiosks import Kiosk, KioskAction
from meetdesk.ui.admin.form_messages import set_error_colour
from meetdesk.ui.admin.kiosks_enrol import AddKioskDialog, EnrolmentDialog
from meetdesk.ui.admin.kiosks_live import KiosksFollower
from meetdesk.ui.admin.kiosks_logs import KioskLogsDialog
from meetdesk.ui.admin.kiosks_model import (
    COL_DEVICES,
    COL_LAST_SEEN,
    COL_NAME,
    COL_ROOM,
    COL_STATE,
    COL_STATUS,
    COL_VERSION,
    KioskRole,
    KiosksModel,
    SortRole,
    kiosk_error_text,
)
from meetdesk.ui.admin.kiosks_settings import KioskSettingsDialog
from meetdesk.ui.messages import describe_error

logger = logging.getLogger(__name__)


class KiosksPage(QWidget):
    """The kiosks table, its empty state in words, and the actions on the highlighted kiosk.

    Signals:
        notice(str): a sentence for the window's status bar.
        actionDone(str): a remote action's outcome was shown (the sentence); tests wait on it.
    """

    notice = Signal(str)
    actionDone = Signal(str)

    def __init__(self, client: MeetDeskClient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kiosksPage")
        self.client: MeetDeskClient | None = None
        self.model = KiosksModel(None, self)
        self.live = KiosksFollower(self.model, self)
        self._tasks: set[asyncio.Future[Any]] = set()
        self.dialog: Any = None  # the dialog opened last (tests drive it)

        column = QVBoxLayout(self)
        column.setContentsMargins(16, 12, 16, 12)
        em = self.fontMetrics().horizontalAdvance("M")
        top = QHBoxLayout()
        title = QLabel(self.tr("Kiosks"))
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        self.add_button = QPushButton(self.tr("Add kiosk…"))
        self.add_button.setObjectName("addKioskButton")
        self.add_button.clicked.connect(self.open_add_dialog)
        self.search = QLineEdit()
        self.search.setObjectName("kiosksSearch")
        self.search.setPlaceholderText(self.tr("Search by kiosk or room name"))
        self.search.setAccessibleName(self.tr("Search kiosks by kiosk or room name"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(em * 24)
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.search, 1)
        top.addWidget(self.add_button)
        column.addLayout(top)

        self.stack = QStackedWidget()
        self.table = QTableView()
        self.table.setObjectName("kiosksTable")
        self.table.setAccessibleName(self.tr("Kiosks"))
        self.proxy = KiosksProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        header = self.table.horizontalHeader()
        for col, width in ((COL_ROOM, 14), (COL_STATE, 18), (COL_DEVICES, 18)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, em * width)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)  # names are what people scan
        for fitted in (COL_STATUS, COL_LAST_SEEN, COL_VERSION):  # short words, shown whole
            header.setSectionResizeMode(fitted, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel()
        self.empty.setObjectName("kiosksEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        column.addWidget(self.stack, 1)
        self.stale = QLabel()
        self.stale.setObjectName("kiosksStale")
        self.stale.setWordWrap(True)
        self.stale.hide()
        column.addWidget(self.stale)

        self.reason = QLabel()
        self.reason.setObjectName("kioskActionsReason")
        self.reason.setWordWrap(True)
        column.addWidget(self.reason)
        self.action_bar = QWidget()
        buttons = QHBoxLayout(self.action_bar)
        buttons.setContentsMargins(0, 0, 0, 0)
        self.actions: dict[str, QAction] = {}
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("join", self.tr("Join now"), lambda: self._send_action("join")),
            ("leave", self.tr("Leave"), lambda: self._send_action("leave")),
            ("restart", self.tr("Restart"), self.confirm_restart),
            ("settings", self.tr("Edit settings…"), self.open_settings_dialog),
            ("logs", self.tr("Fetch logs…"), self.open_logs_dialog),
            ("reenrol", self.tr("Re-enrol…"), self.confirm_reenrol),
            ("remove", self.tr("Remove…"), self.confirm_remove),
        ):
            action = QAction(text, self)
            action.triggered.connect(slot)
            self.actions[key] = action
            button = QPushButton(text)
            button.setObjectName(f"kiosk_{key}")
            button.clicked.connect(action.trigger)
            self.buttons[key] = button
            buttons.addWidget(button)
            if key == "restart":
                buttons.addSpacing(em)
        buttons.addStretch(1)
        column.addWidget(self.action_bar)
        self.outcome = QLabel()
        self.outcome.setObjectName("kioskActionOutcome")
        self.outcome.setWordWrap(True)
        column.addWidget(self.outcome)

        for signal in (self.model.loaded, self.model.modelReset, self.model.rowsRemoved, self.model.rowsInserted):
            signal.connect(self._show_state)
        self.model.errorChanged.connect(lambda _error: self._show_state())
        self.model.loadingChanged.connect(lambda _loading: self._show_state())
        self.search.textChanged.connect(self._search_changed)
        self.table.selectionModel().selectionChanged.connect(lambda _new, _old: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsRemoved.connect(lambda *_args: self._update_actions())
        self.model.kioskChanged.connect(lambda _id: self._update_actions())
        self.set_client(client)

    # --- the server -----------------------------------------------------------------------------------------

    def set_client(self, client: MeetDeskClient | None) -> None:
        if client is self.client and client is not None:
            return
        self.client = client
        self.model.set_client(client)
        self.live.stop()
        self.add_button.setEnabled(client is not None)
        self.search.setEnabled(client is not None)
        self._show_state()
        self._update_actions()
        if self.isVisible():
            self._start()

    # a page not on screen holds no socket and reads nothing: it reads the list again when it is shown
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.live.stop()
        self.model.pause()

    def _start(self) -> None:
        if self.client is not None and not self.live.following:
            self.live.follow(self.client)
            self._spawn(self._load())

    async def reload(self) -> None:
        await self.model.reload()

    async def _load(self) -> None:
        with contextlib.suppress(Exception):  # the page says why (the model's error) and the next event reads again
            await self.model.reload()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- what is shown --------------------------------------------------------------------------------------

    def current(self) -> Kiosk | None:
        """The highlighted kiosk as last heard of."""
        rows = self.table.selectionModel().selectedRows()
        return self.proxy.data(rows[0], KioskRole) if rows else None

    def select(self, kiosk_id: str) -> None:
        row = self.model.row_of(kiosk_id)
        if row is not None:
            shown = self.proxy.mapFromSource(self.model.index(row, 0))
            if shown.isValid():
                self.table.selectRow(shown.row())

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._show_state()
        self._update_actions()

    def _show_state(self) -> None:
        model = self.model
        stale = model.error is not None and model.rowCount() > 0
        if stale:
            self.stale.setText(
                self.tr("The kiosks could not be read again. {reason} What is shown may be out of date.").format(
                    reason=describe_error(model.error)
                )
            )
        set_error_colour(self.stale, stale)
        self.stale.setVisible(stale)
        self.action_bar.setVisible(model.rowCount() > 0)  # nothing to act on: the empty page's sentence alone
        if self.proxy.rowCount() > 0:
            self.stack.setCurrentWidget(self.table)
            return
        if model.rowCount() > 0:
            self.empty.setText(self.tr("No kiosk or room name matches “{text}”.").format(text=self.search.text()))
            self.stack.setCurrentWidget(self.empty)
            return
        if self.client is None:
            text = self.tr("Connect to a server to see its kiosks.")
        elif isinstance(model.error, NotFound):
            text = self.tr("This server does not manage kiosks: it is an older MeetDesk server, or another kind.")
        elif model.error is not None:
            text = self.tr("The kiosks could not be loaded. {reason}").format(reason=describe_error(model.error))
        elif not model.loaded_once:
            text = self.tr("Loading the kiosks…")
        else:
            text = self.tr("No kiosks yet. Add one to let a meeting-room PC join its room by itself.")
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)

    def why_not(self, key: str, kiosk: Kiosk | None) -> str:
        """Why action ``key`` cannot be taken on ``kiosk`` now, or "" when it can."""
        if kiosk is None:
            return self.tr("Highlight a kiosk to act on it.")
        if key in ("settings", "reenrol", "remove"):
            return ""
        if not kiosk.enrolled:
            return self.tr("“{name}” is not enrolled yet: type its code on the kiosk first.").format(name=kiosk.name)
        if not kiosk.online and key != "logs":  # the logs it sent last are kept by the server
            return self.tr("“{name}” is offline: Join now, Leave and Restart need it online.").format(name=kiosk.name)
        if key == "join" and kiosk.state == "meeting":
            return self.tr("“{name}” is in the meeting already.").format(name=kiosk.name)
        if key == "leave" and kiosk.state == "home":
            return self.tr("“{name}” is on its home screen: there is no meeting to leave.").format(name=kiosk.name)
        return ""

    def _update_actions(self) -> None:
        kiosk = self.current()
        reasons = []
        for key, action in self.actions.items():
            why = self.why_not(key, kiosk)
            action.setEnabled(not why and self.client is not None)
            self.buttons[key].setEnabled(action.isEnabled())
            self.buttons[key].setToolTip(why)
            if why and why not in reasons:
                reasons.append(why)
        self.reason.setText(reasons[0] if kiosk is not None and reasons else "")
        self.reason.setVisible(bool(self.reason.text()))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        for key, action in self.actions.items():
            menu.addAction(action)
            if key in ("restart", "logs"):
                menu.addSeparator()
        self.menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _say(self, text: str, *, error: bool = False) -> None:
        set_error_colour(self.outcome, error)
        self.outcome.setText(text)
        self.actionDone.emit(text)

    # --- remote actions -------------------------------------------------------------------------------------

    def _send_action(self, action: KioskAction) -> None:
        kiosk = self.current()
        if kiosk is not None:
            self._spawn(self.send_action(kiosk, action))

    def confirm_restart(self) -> QMessageBox | None:
        """Restart at once on the home screen; in a meeting, ask first (the room's people lose it for a moment)."""
        kiosk = self.current()
        if kiosk is None:
            return None
        if kiosk.state != "meeting":
            self._send_action("restart")
            return None
        box = self._question(
            self.tr("Restart “{name}” during its meeting?").format(name=kiosk.name),
            self.tr("The room leaves the meeting while the kiosk restarts, and joins again when it is back."),
            self.tr("Restart"),
            lambda: self._spawn(self.send_action(kiosk, "restart")),
        )
        box.setObjectName("confirmRestartKiosk")
        return box

    async def send_action(self, kiosk: Kiosk, action: KioskAction) -> bool:
        """Send ``action`` to ``kiosk``; say what happened. Returns whether the server passed it on."""
        if self.client is None:
            return False
        try:
            await self.client.kiosk_action(kiosk.kioskId, action)
        except ApiError as exc:
            self._say(
                self.tr("Nothing was sent to “{name}”. {reason}").format(name=kiosk.name, reason=kiosk_error_text(exc)),
                error=True,
            )
            return False
        texts = {
            "join": self.tr("“{name}” was told to join its room's meeting."),
            "leave": self.tr("“{name}” was told to leave the meeting."),
            "restart": self.tr("“{name}” was told to restart; it is back in a few seconds."),
        }
        self._say(texts[action].format(name=kiosk.name))
        return True

    def open_add_dialog(self) -> AddKioskDialog | None:
        if self.client is None:
            return None
        dialog = AddKioskDialog(self.client, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.created.connect(self._created)
        self.dialog = dialog
        dialog.rooms_loaded = self._spawn(dialog.load_rooms())
        dialog.open()
        return dialog

    def _created(self, kiosk: Kiosk) -> None:
        self.model.upsert(kiosk)  # the event may come later: show it now
        self.select(kiosk.kioskId)
        self.notice.emit(self.tr("Kiosk “{name}” added.").format(name=kiosk.name))
        self.show_enrolment(kiosk)

    def show_enrolment(self, kiosk: Kiosk) -> EnrolmentDialog | None:
        if self.client is None:
            return None
        dialog = EnrolmentDialog(kiosk, self.client.base_url, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_settings_dialog(self) -> KioskSettingsDialog | None:
        kiosk = self.current()
        if kiosk is None or self.client is None:
            return None
        dialog = KioskSettingsDialog(self.client, kiosk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._settings_saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _settings_saved(self, kiosk: Kiosk) -> None:
        self.model.upsert(kiosk)
        if kiosk.pendingSettings:
            text = self.tr("Settings sent to “{name}”. It applies them when it is not in a meeting.")
        else:
            text = self.tr("Settings of “{name}” saved.")
        self._say(text.format(name=kiosk.name))

    def open_logs_dialog(self) -> KioskLogsDialog | None:
        kiosk = self.current()
        if kiosk is None or self.client is None:
            return None
        dialog = KioskLogsDialog(self.client, kiosk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        dialog.start()
        return dialog

    def confirm_reenrol(self) -> QMessageBox | None:
        kiosk = self.current()
        if kiosk is None:
            return None
        box = self._question(
            self.tr("Re-enrol “{name}”?").format(name=kiosk.name),
            self.tr("It gets a new one-time code and its present credential stops working at once."),
            self.tr("Re-enrol"),
            lambda: self._spawn(self.reenrol(kiosk)),
        )
        box.setObjectName("confirmReenrol")
        return box

    async def reenrol(self, kiosk: Kiosk) -> EnrolmentDialog | None:
        if self.client is None:
            return None
        try:
            fresh = await self.client.reenrol_kiosk(kiosk.kioskId)
        except ApiError as exc:
            self._say(
                self.tr("“{name}” was not re-enrolled. {reason}").format(name=kiosk.name, reason=kiosk_error_text(exc)),
                error=True,
            )
            return None
        self.model.upsert(fresh)
        self._say(self.tr("“{name}” has a new enrolment code.").format(name=kiosk.name))
        return self.show_enrolment(fresh)

    def confirm_remove(self) -> QMessageBox | None:
        kiosk = self.current()
        if kiosk is None:
            return None
        box = self._question(
            self.tr("Remove the kiosk “{name}”?").format(name=kiosk.name),
            self.tr("It leaves its meeting and the server refuses it from now on. Enrol it again to use it."),
            self.tr("Remove"),
            lambda: self._spawn(self.remove(kiosk)),
        )
        box.setObjectName("confirmRemoveKiosk")
        return box

    async def remove(self, kiosk: Kiosk) -> bool:
        if self.client is None:
            return False
        try:
            await self.client.delete_kiosk(kiosk.kioskId)
        except ApiError as exc:
            self._say(
                self.tr("“{name}” was not removed. {reason}").format(name=kiosk.name, reason=kiosk_error_text(exc)),
                error=True,
            )
            return False
        self.model.remove(kiosk.kioskId)
        self._say(self.tr("Kiosk “{name}” removed.").format(name=kiosk.name))
        return True

    def _question(self, text: str, informative: str, yes: str, then: Any) -> QMessageBox:
        """Ask first (a window-modal box: no nested event loop); ``then()`` on yes."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Kiosks"))
        box.setText(text)
        box.setInformativeText(informative)
        accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: box.clickedButton() is accept and then())
        self.dialog = box
        box.open()
        return box


class KiosksProxy(QSortFilterProxyModel):
    """The kiosks sorted by the column clicked (by what is behind the words: times, counts) and searched by kiosk
    or room name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self._search = ""

    def set_search(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+, where invalidateFilter() is deprecated
            self.beginFilterChange()
            self._search = text.strip().casefold()
            self.endFilterChange()
        else:
            self._search = text.strip().casefold()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._search:
            return True
        model = self.sourceModel()
        kiosk = model.index(source_row, 0, source_parent).data(KioskRole)
        if kiosk is None:
            return False
        return self._search in kiosk.name.casefold() or self._search in (kiosk.roomName or kiosk.roomId).casefold()

"""The Recordings page of the admin app: every recording of the connected server, across rooms, in a table
searched by room, filtered by status and sorted by the server (a page at a time as the table scrolls), with
statuses in words that follow a recording in progress without a Refresh, and empty states in words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.recordings import MeetRecording, RecordingStatus
from meetdesk.ui.messages import as_sentence, describe_error
from meetdesk.ui.recordings.download import DownloadBar
from meetdesk.ui.recordings.model import (
    COL_DURATION,
    COL_ROOM,
    COL_SIZE,
    COL_STARTED,
    COL_STATUS,
    RecordingRole,
    RecordingsModel,
    format_start,
)
from meetdesk.ui.recordings.player_window import PlayerWindow

logger = logging.getLogger(__name__)

SEARCH_DELAY_MS = 300
#: recordings whose file can be downloaded
READY = {RecordingStatus.COMPLETE, RecordingStatus.LIMIT_REACHED}


class RecordingsPage(QWidget):
    """The recordings table with its search, status filter and empty states."""

    def __init__(self, client: MeetDeskClient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingsPage")
        self.model = RecordingsModel(None, self)
        self._tasks: set[asyncio.Future[None]] = set()
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 12, 16, 12)
        title = QLabel(self.tr("Recordings"))
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        column.addWidget(title)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search by room name"))
        self.search.setAccessibleName(self.tr("Search recordings by room name"))
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox()
        self.status.setAccessibleName(self.tr("Show recordings that are"))
        for text, value in (
            (self.tr("Any status"), None),
            (self.tr("Recording…"), RecordingStatus.ACTIVE),
            (self.tr("Finishing…"), RecordingStatus.ENDING),
            (self.tr("Ready"), RecordingStatus.COMPLETE),
            (self.tr("Failed"), RecordingStatus.FAILED),
        ):
            self.status.addItem(text, value)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status)
        column.addLayout(filters)
        self.room_bar = QWidget()
        room_row = QHBoxLayout(self.room_bar)
        room_row.setContentsMargins(0, 0, 0, 0)
        self.room_label = QLabel()
        self.room_label.setWordWrap(True)
        self.show_all = QPushButton(self.tr("Show every room's recordings"))
        self.show_all.clicked.connect(lambda: self.show_room("", ""))
        room_row.addWidget(self.room_label, 1)
        room_row.addWidget(self.show_all)
        self.room_bar.hide()
        column.addWidget(self.room_bar)

        self.stack = QStackedWidget()
        self.table = QTableView()
        self.table.setObjectName("recordingsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(COL_STARTED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_ROOM, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COL_STATUS, self.fontMetrics().horizontalAdvance("M") * 16)
        for fitted in (COL_STARTED, COL_DURATION, COL_SIZE):  # dates, times and sizes whole, never "2026-12-…"
            header.setSectionResizeMode(fitted, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel()
        self.empty.setObjectName("recordingsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        column.addWidget(self.stack, 1)

        actions = QHBoxLayout()
        self.play = QPushButton(self.tr("Play"))
        self.play.setObjectName("playRecording")
        self.play.setEnabled(False)
        self.play.clicked.connect(lambda: self.play_recording())
        self.table.doubleClicked.connect(lambda index: self.play_recording(self.model.data(index, RecordingRole)))
        self.player_window: PlayerWindow | None = None
        self.download = QPushButton(self.tr("Download…"))
        self.download.setEnabled(False)
        self.download.setToolTip(self.tr("Save the highlighted recording's video on this computer."))
        self.download.clicked.connect(self._download_clicked)
        self.share_text = QLabel()
        self.share_text.setObjectName("shareText")
        self.share_text.setWordWrap(True)
        self.share = QToolButton()
        self.share.setText(self.tr("Copy share link"))
        self.share.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        share_menu = QMenu(self.share)
        self.share_public = share_menu.addAction(
            self.tr("Public link: anyone who has it"), lambda: self._spawn(self.copy_share_link(private=False))
        )
        self.share_private = share_menu.addAction(
            self.tr("Private link: signed-in administrators only"),
            lambda: self._spawn(self.copy_share_link(private=True)),
        )
        self.share.setMenu(share_menu)
        self.share.setEnabled(False)
        actions.addWidget(self.share_text, 1)
        self.delete = QPushButton(self.tr("Delete…"))
        self.delete.setEnabled(False)
        self.delete.clicked.connect(self.confirm_delete)
        actions.addWidget(self.play)
        actions.addWidget(self.share)
        self.download_zip = QPushButton(self.tr("Download as ZIP…"))
        self.download_zip.setEnabled(False)
        self.download_zip.clicked.connect(self._zip_clicked)
        actions.addWidget(self.download)
        actions.addWidget(self.download_zip)
        actions.addWidget(self.delete)
        column.addLayout(actions)
        self.download_bar = DownloadBar(self)
        column.addWidget(self.download_bar)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filters)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.status.currentIndexChanged.connect(lambda _index: self._apply_filters())
        for signal in (self.model.pageLoaded, self.model.modelReset, self.model.rowsRemoved):
            signal.connect(self._show_state)
        self.model.errorChanged.connect(lambda _error: self._show_state())
        self.table.selectionModel().selectionChanged.connect(lambda _new, _old: self._update_actions())
        self.model.rowsRemoved.connect(lambda *_args: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self.model.dataChanged.connect(lambda *_args: self._update_actions())
        self.set_client(client)

    def current(self) -> MeetRecording | None:
        """The highlighted recording, if its row is shown."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.data(rows[0], RecordingRole) if len(rows) == 1 else None

    def _update_actions(self) -> None:
        recording = self.current()
        ready = recording is not None and recording.status in READY
        self.play.setEnabled(ready)
        self.play.setToolTip(
            self.tr("Watch the highlighted recording (or double-click it).")
            if ready
            else self.tr("Highlight one recording that is ready to watch it.")
        )
        self.download.setEnabled(ready)
        self.share.setEnabled(ready)
        self.delete.setEnabled(bool(self.selected()))
        self.download_zip.setEnabled(len([r for r in self.selected() if r.status in READY]) > 1)
        self.download.setToolTip(
            self.tr("Save the highlighted recording's video on this computer.")
            if ready
            else self.tr("Highlight one recording that is ready to download it.")
        )

    def play_recording(self, recording: MeetRecording | None = None) -> PlayerWindow | None:
        """Play ``recording`` (the highlighted one by default) in the player window, if it is ready."""
        recording = recording or self.current()
        client = self.model.client
        if recording is None or client is None or recording.status not in READY:
            return None
        if self.player_window is None:
            self.player_window = PlayerWindow(self)
        self.player_window.play(client, recording)
        return self.player_window

    def selected(self) -> list[MeetRecording]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.data(row, RecordingRole) for row in rows]

    def confirm_delete(self) -> QMessageBox | None:
        """Ask before deleting the highlighted recordings (a window-modal box: no nested event loop)."""
        chosen = self.selected()
        if not chosen:
            return None
        box = QMessageBox(self)
        box.setObjectName("confirmDeleteRecordings")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Delete recordings"))
        box.setText(self.tr("Delete %n recording(s) and their files?", "", len(chosen)))
        box.setInformativeText(self.tr("Nobody can watch or download them afterwards, share links included."))
        delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: box.clickedButton() is delete and self._spawn(self.delete_now(chosen)))
        self.delete_box = box
        box.open()
        return box

    delete_box: QMessageBox | None = None

    async def delete_now(self, chosen: list[MeetRecording]) -> None:
        """Delete them; say how many were, and for each one that was not, why."""
        client = self.model.client
        if client is None:
            return
        try:
            outcome = await client.bulk_delete_recordings(r.recordingId for r in chosen)
        except ApiError as exc:
            self.share_text.setText(self.tr("Nothing was deleted. {reason}").format(reason=describe_error(exc)))
            return
        for recording_id in outcome.deleted:
            self.model.remove(recording_id)
        names = {r.recordingId: f"{r.roomName} ({format_start(r.startDate)})" for r in chosen}
        text = self.tr("%n recording(s) deleted.", "", len(outcome.deleted))
        for failure in outcome.failed:
            text += " " + self.tr("Not deleted: {name}: {reason}").format(
                name=names.get(failure.recordingId, failure.recordingId), reason=as_sentence(failure.error)
            )
        self.share_text.setText(text)

    def _zip_clicked(self) -> None:
        ready = [r for r in self.selected() if r.status in READY]
        if len(ready) > 1 and self.model.client is not None:
            self.download_bar.ask_zip(self.model.client, ready)

    def _download_clicked(self) -> None:
        recording = self.current()
        if recording is not None and self.model.client is not None:
            self.download_bar.ask(self.model.client, recording)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def copy_share_link(self, *, private: bool) -> str | None:
        """Copy the highlighted recording's share link, and say who can open it."""
        recording, client = self.current(), self.model.client
        if recording is None or client is None:
            return None
        try:
            url = await client.recording_url(recording.recordingId, private=private)
        except ApiError as exc:
            self.share_text.setText(self.tr("No link was copied. {reason}").format(reason=describe_error(exc)))
            return None
        QGuiApplication.clipboard().setText(url)
        self.share_text.setText(
            self.tr("Private link copied: only administrators signed in to this server can open it.")
            if private
            else self.tr("Public link copied: anyone who has it can watch and download this recording.")
        )
        return url

    def set_client(self, client: MeetDeskClient | None) -> None:
        if self.player_window is not None and client is not self.model.client:
            self.player_window.close()  # it plays from the server the page no longer shows
        self.model.set_client(client)
        self._show_state()

    def show_room(self, room_id: str, room_name: str) -> None:
        """Only the recordings of this room ("View recordings" on the Rooms page); "" shows every room's."""
        self.status.blockSignals(True)
        self.status.setCurrentIndex(0)
        self.status.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._search_timer.stop()
        self.room_label.setText(self.tr("The recordings of “{room}”.").format(room=room_name))
        self.room_bar.setVisible(bool(room_id))
        self.model.set_query(replace(self.model.query, room="", status=None, room_id=room_id))
        self._show_state()

    def _apply_filters(self) -> None:
        status = self.status.currentData()
        query = replace(self.model.query, room=self.search.text().strip(), status=status)
        self.model.set_query(query)
        self._show_state()

    def _show_state(self) -> None:
        """The table, or a sentence saying why it is empty."""
        model = self.model
        if model.rowCount() > 0:
            self.stack.setCurrentWidget(self.table)
            return
        if model.client is None:
            text = self.tr("Connect to a server to see its recordings.")
        elif model.error is not None:
            text = self.tr("The recordings could not be loaded. {reason}").format(reason=describe_error(model.error))
        elif not model.loaded_once:
            text = self.tr("Loading the recordings…")
        elif model.query.room_id and not model.query.room and model.query.status is None:
            text = self.tr("This room has no recordings yet.")
        elif model.query.room or model.query.status is not None:
            text = self.tr("No recording matches this search. Clear the search or choose another status.")
        else:
            text = self.tr("No recordings yet. Start one from a meeting's Record button; it shows here.")
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)

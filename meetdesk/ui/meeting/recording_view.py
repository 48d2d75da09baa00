"""The recording view of the participant window (OpenVidu Meet's "Recording view"): the room's recordings with
their status in words, date, duration and size, kept live; Play (the recordings player, under the list), Download
(with progress), Copy share link (public or private, with a sentence saying who can open it) and Delete (only where
the role may, asked first).

Reached from the join view ("View recordings", when the role may see recordings) and from the meeting ("Open" on
the ended-recording notice, "Recordings" in the toolbar's More menu); Back leads where it was opened from. The
view observes a :class:`~meetdesk.ui.meeting.recording_view_model.RecordingViewModel`; every request is a task
through :mod:`meetdesk.client` with the participant's token, and what comes of it is said next to the buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.errors import ApiError, Conflict, Forbidden, NotFound, Unauthorized
from meetdesk.core.recordings import MeetRecording, RecordingStatus
from meetdesk.ui.meeting.recording_view_model import RecordingViewModel
from meetdesk.ui.messages import as_sentence, describe_error
from meetdesk.ui.recordings.download import DownloadBar
from meetdesk.ui.recordings.model import (
    COL_DURATION,
    COL_ROOM,
    COL_SIZE,
    COL_STARTED,
    COL_STATUS,
    RecordingRole,
    format_start,
)
from meetdesk.ui.recordings.player import RecordingPlayer
from meetdesk.ui.theme.theming import set_variant

logger = logging.getLogger(__name__)

#: recordings whose file can be played, downloaded and shared
READY = frozenset({RecordingStatus.COMPLETE, RecordingStatus.LIMIT_REACHED})


class RecordingView(QWidget):
    """The room's recordings and what the role may do with them.

    Signals:
        backRequested(): the user pressed Back (the window goes where the view was opened from).
    """

    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingView")
        self.model = RecordingViewModel(self)
        self.table_model = self.model.recordings
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending_highlight = ""
        self._build()
        self._observe()
        self._show_state()
        self._sync_actions()

    # building --------------------------------------------------------------------------------------------

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(20, 14, 20, 14)
        column.setSpacing(10)
        top = QHBoxLayout()
        self.back = QPushButton(self.tr("Back"))
        self.back.setObjectName("recordingsBack")
        self.back.clicked.connect(self.backRequested.emit)
        set_variant(self.back, "secondary")
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setMinimumWidth(1)  # a long room name is shortened, never grows the window
        top.addWidget(self.back)
        top.addWidget(self.title, 1)
        column.addLayout(top)
        self.intro = QLabel()
        self.intro.setObjectName("recordingsIntro")
        self.intro.setWordWrap(True)
        column.addWidget(self.intro)

        self.stack = QStackedWidget()
        self.table = QTableView()
        self.table.setObjectName("roomRecordingsTable")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(COL_STARTED, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setColumnHidden(COL_ROOM, True)  # one room: its name is the title
        header = self.table.horizontalHeader()
        header.moveSection(header.visualIndex(COL_STARTED), 0)  # when first: a list is read by its dates
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Stretch)
        for fitted in (COL_STARTED, COL_DURATION, COL_SIZE):  # dates, times and sizes whole
            header.setSectionResizeMode(fitted, QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(lambda _index: self.play_current())  # double-click or Enter
        self.empty = QLabel()
        self.empty.setObjectName("recordingsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        # the player under the list, once a recording is played (the list stays in view to pick another)
        self.player_panel = QWidget()
        self.player_panel.setObjectName("recordingPlayerPanel")
        panel = QVBoxLayout(self.player_panel)
        panel.setContentsMargins(0, 6, 0, 0)
        heading = QHBoxLayout()
        self.playing = QLabel()
        self.playing.setObjectName("playingRecording")
        self.playing.setMinimumWidth(1)
        self.close_player = QPushButton(self.tr("Close the player"))
        self.close_player.setObjectName("closePlayer")
        set_variant(self.close_player, "secondary")
        self.close_player.clicked.connect(self.hide_player)
        heading.addWidget(self.playing, 1)
        heading.addWidget(self.close_player)
        panel.addLayout(heading)
        self.player = RecordingPlayer()
        panel.addWidget(self.player, 1)
        self.player_panel.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.player_panel)
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 4)
        column.addWidget(self.splitter, 1)

        actions = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("recordingsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.play = QPushButton(self.tr("Play"))
        self.play.setObjectName("playRecording")
        self.play.clicked.connect(self.play_current)
        self.download = QPushButton(self.tr("Download…"))
        self.download.setObjectName("downloadRecording")
        self.download.clicked.connect(self._download_clicked)
        self.share = QPushButton(self.tr("Copy share link"))  # a push button with a menu: it looks like the others
        self.share.setObjectName("shareRecording")
        share_menu = QMenu(self.share)
        self.share_public = share_menu.addAction(
            self.tr("Public link: anyone who has it"), lambda: self._run(self.copy_share_link(private=False))
        )
        self.share_private = share_menu.addAction(
            self.tr("Private link: signed-in administrators only"),
            lambda: self._run(self.copy_share_link(private=True)),
        )
        self.share.setMenu(share_menu)
        self.delete = QPushButton(self.tr("Delete…"))
        self.delete.setObjectName("deleteRecording")
        self.delete.clicked.connect(self.confirm_delete)
        set_variant(self.delete, "danger")
        for secondary in (self.download, self.share):  # Play is the main action
            set_variant(secondary, "secondary")
        actions.addWidget(self.message, 1)
        for button in (self.play, self.download, self.share, self.delete):
            actions.addWidget(button)
        column.addLayout(actions)
        self.download_bar = DownloadBar(self)
        column.addWidget(self.download_bar)

    def _observe(self) -> None:
        model, rows = self.model, self.table_model
        model.roomChanged.connect(lambda _name: self._show_title())
        model.originChanged.connect(self._show_origin)
        self._show_origin(model.origin)  # a recordings link opens it with no origin: no Back from the start
        model.permissionsChanged.connect(self._permissions_changed)
        model.highlightRequested.connect(self._highlight)
        for signal in (rows.pageLoaded, rows.modelReset, rows.rowsRemoved, rows.rowsInserted):
            signal.connect(self._show_state)
        rows.errorChanged.connect(self._error_changed)
        rows.modelAboutToBeReset.connect(self._keep_highlight)  # the list read again keeps the row highlighted
        rows.pageLoaded.connect(self._apply_pending_highlight)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(lambda _new, _old: self._sync_actions())
        # the arrow keys move the current row without selecting it when nothing was: the current row is the one
        # the buttons and Enter act on, so it is selected too
        selection.currentRowChanged.connect(self._current_row_changed)
        for signal in (rows.modelReset, rows.rowsRemoved, rows.dataChanged):
            signal.connect(lambda *_args: self._sync_actions())

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.table.setFocus()  # the arrows move through the recordings, Enter plays one

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._show_title()

    # what is shown ----------------------------------------------------------------------------------------

    def _show_title(self) -> None:
        room = self.model.room
        whole = self.tr("Recordings of “{room}”").format(room=room) if room else self.tr("Recordings")
        width = max(1, self.title.width())
        self.title.setText(QFontMetrics(self.title.font()).elidedText(whole, Qt.TextElideMode.ElideMiddle, width))
        self.title.setToolTip(whole if self.title.text() != whole else "")
        self.title.setAccessibleName(whole)

    def _show_origin(self, origin: str) -> None:
        self.back.setVisible(bool(origin))
        self.back.setText(self.tr("Back to the meeting") if origin == "meeting" else self.tr("Back"))
        self.back.setToolTip(
            self.tr("Return to the meeting: you are still in it.")
            if origin == "meeting"
            else self.tr("Return to the join view.")
        )

    def _permissions_changed(self) -> None:
        can_see = self.model.can_see
        self.intro.setText(
            self.tr("Play, download or share this room's recordings. New ones show here as they are made.")
            if can_see
            else ""
        )
        self.intro.setVisible(can_see)
        self._show_state()
        self._sync_actions()

    def _show_state(self) -> None:
        """The table, or a sentence saying why it is empty."""
        rows = self.table_model
        if not self.model.can_see:
            text = self.tr("Your role may not see this room's recordings. A moderator or an administrator can.")
        elif rows.rowCount() > 0:
            self.stack.setCurrentWidget(self.table)
            return
        elif rows.error is not None:
            text = self.tr("The recordings could not be loaded. {reason}").format(reason=self._reason(rows.error))
        elif not rows.loaded_once:
            text = self.tr("Loading the recordings…")
        elif self.model.origin == "meeting":
            text = self.tr("This room has no recordings yet. A recording of the meeting shows here as it is made.")
        else:
            text = self.tr("This room has no recordings yet.")
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)

    def _error_changed(self, error: BaseException | None) -> None:
        """The list could not be read (again): with rows shown, say so next to the buttons (they are what was
        there before); once it can be read again, that sentence goes."""
        self._show_state()
        stale = self.tr("The list could not be read again and may be out of date. {reason}")
        if error is not None and self.table_model.rowCount() > 0:
            self._stale = stale.format(reason=self._reason(error))
            self.say(self._stale)
        elif self._stale and self.message.text() == self._stale:
            self._stale = ""
            self.say("")

    _stale = ""

    def _current_row_changed(self, current: Any, _previous: Any) -> None:
        if current.isValid() and not self.table.selectionModel().isRowSelected(current.row()):
            self.table.selectRow(current.row())

    def current(self) -> MeetRecording | None:
        """The highlighted recording."""
        rows = self.table.selectionModel().selectedRows()
        return self.table_model.data(rows[0], RecordingRole) if rows else None

    def _sync_actions(self) -> None:
        can_see = self.model.can_see
        recording = self.current()
        ready = recording is not None and recording.status in READY
        for button in (self.play, self.download, self.share):
            button.setVisible(can_see)
            button.setEnabled(ready)
        self.delete.setVisible(can_see and self.model.can_delete)
        self.delete.setEnabled(recording is not None)
        why = (
            self.tr("Highlight a recording first.")
            if recording is None
            else self.tr("This recording is not ready yet: it can be played once it is finished.")
        )
        self.play.setToolTip(self.tr("Play the highlighted recording.") if ready else why)
        self.download.setToolTip(self.tr("Save the highlighted recording on this computer.") if ready else why)
        self.share.setToolTip(self.tr("Copy a link to the highlighted recording.") if ready else why)
        self.delete.setToolTip(
            self.tr("Delete the highlighted recording (you are asked first).")
            if recording is not None
            else self.tr("Highlight a recording first.")
        )

    def say(self, text: str) -> None:
        """A sentence next to the buttons about what the user just did."""
        self.message.setText(text)

    def _reason(self, exc: BaseException) -> str:
        by_link = not self.model.origin  # opened by a room's recordings link: no role, no Back
        if by_link and isinstance(exc, Forbidden):
            return self.tr("This room's recordings are no longer shared by link.")
        if by_link and isinstance(exc, Unauthorized):
            return self.tr("The server no longer takes this recordings link. Ask whoever sent it for a new one.")
        if isinstance(exc, Forbidden):
            return self.tr("Your role may not do this with this room's recordings.")
        if isinstance(exc, Unauthorized):
            return self.tr("The server no longer takes this window's access to the room. Go Back and try again.")
        if isinstance(exc, NotFound):
            return self.tr("The recording no longer exists: someone deleted it.")
        if isinstance(exc, Conflict):
            return as_sentence(exc.message)
        return describe_error(exc)

    # highlighting ------------------------------------------------------------------------------------------

    def _highlight(self, recording_id: str) -> None:
        self._pending_highlight = recording_id
        self._apply_pending_highlight()

    def _keep_highlight(self) -> None:
        current = self.current()
        if current is not None and not self._pending_highlight:
            self._pending_highlight = current.recordingId

    def _apply_pending_highlight(self) -> None:
        wanted = self._pending_highlight
        if not wanted:
            return
        for row, recording in enumerate(self.table_model.recordings):
            if recording.recordingId == wanted:
                self.table.selectRow(row)
                self.table.scrollTo(self.table_model.index(row, COL_STATUS))
                self._pending_highlight = ""
                return

    # actions -----------------------------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Recording view action failed", exc_info=task.exception())
            self.say(self.tr("That did not work: {reason}").format(reason=task.exception()))

    def play_current(self) -> None:
        recording = self.current()
        if recording is not None and recording.status in READY:
            self._run(self.play_recording(recording))

    async def play_recording(self, recording: MeetRecording) -> None:
        """Play ``recording`` in the player under the list, streamed with the participant's token (what goes
        wrong is said on the player)."""
        client = self.model.client
        if client is None or recording.status not in READY:
            return
        self.playing.setText(self.tr("Recorded {date}").format(date=format_start(recording.startDate)))
        if not self.player_panel.isVisible():
            self.player_panel.show()
            # the list keeps two fifths: enough rows to pick another recording (the player asks for all it can)
            total = max(1, sum(self.splitter.sizes()))
            self.splitter.setSizes([total * 2 // 5, total - total * 2 // 5])
        await self.player.open(client, recording)

    def hide_player(self) -> None:
        """Stop playing and put the player away."""
        if self.player_panel.isVisible() or self.player.model.recording is not None:
            self.player_panel.hide()
            self._closing_player = asyncio.ensure_future(self._release_player())
            self.table.setFocus()

    _closing_player: asyncio.Future[None] | None = None

    async def _release_player(self) -> None:
        """Stop the player and close its loopback stream; when the window went first (its player's Qt side
        deleted with it), the stream is closed all the same."""
        stream = self.player.model.stream
        try:
            await self.player.close_recording()
        except RuntimeError:  # "Internal C++ object already deleted": the window closed before this ran
            if stream is not None:
                await stream.aclose()

    def hidden(self) -> None:
        """The view is no longer shown: nothing plays and nothing is read for it."""
        self.model.hidden()
        self.hide_player()

    def _download_clicked(self) -> None:
        recording, client = self.current(), self.model.client
        if recording is not None and recording.status in READY and client is not None:
            self.download_bar.ask(client, recording)

    async def copy_share_link(self, *, private: bool) -> str | None:
        """Copy the highlighted recording's share link, and say who can open it."""
        recording, client = self.current(), self.model.client
        if recording is None or recording.status not in READY or client is None:
            return None
        try:
            url = await client.recording_url(recording.recordingId, private=private)
        except ApiError as exc:
            if isinstance(exc, Forbidden) and not private:
                self.say(
                    self.tr(
                        "No link was copied: this room does not allow public links to its recordings. "
                        "Copy a private link, or ask an administrator to allow them."
                    )
                )
            else:
                self.say(self.tr("No link was copied. {reason}").format(reason=self._reason(exc)))
            return None
        QGuiApplication.clipboard().setText(url)
        self.say(
            self.tr("Private link copied: only administrators signed in to this server can open it.")
            if private
            else self.tr("Public link copied: anyone who has it can watch and download this recording.")
        )
        return url

    def confirm_delete(self) -> QMessageBox | None:
        """Ask before deleting the highlighted recording (a window-modal box: no nested event loop)."""
        recording = self.current()
        if recording is None or not self.model.can_delete:
            return None
        box = QMessageBox(self)
        box.setObjectName("confirmDeleteRecording")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Delete the recording"))
        box.setText(self.tr("Delete this recording and its file?"))
        box.setInformativeText(self.tr("Nobody can watch or download it afterwards, share links included."))
        delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.AcceptRole)
        set_variant(delete, "danger")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: box.clickedButton() is delete and self._run(self.delete_now(recording)))
        self.delete_box = box
        box.open()
        return box

    delete_box: QMessageBox | None = None

    async def delete_now(self, recording: MeetRecording) -> bool:
        """Delete it; say so, or why not."""
        client = self.model.client
        if client is None:
            return False
        try:
            await client.delete_recording(recording.recordingId)
        except NotFound:
            self.table_model.remove(recording.recordingId)
            self.say(self.tr("The recording was already deleted."))
            return False
        except ApiError as exc:
            self.say(self.tr("The recording was not deleted. {reason}").format(reason=self._reason(exc)))
            return False
        self.table_model.remove(recording.recordingId)
        self.say(self.tr("The recording was deleted."))
        return True

    def stop(self) -> None:
        """The window goes: playing, downloads and reads in progress stop."""
        self.hide_player()
        self.download_bar.stop()
        self.model.close()
        for task in list(self._tasks):
            task.cancel()

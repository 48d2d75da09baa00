"""Deleting rooms, one or many: choose what happens to live meetings and to recordings, then see, room by
room, what the server did.

The policies are OpenVidu Meet's ``withMeeting`` (force / when_meeting_ends / fail) and ``withRecordings``
(force / close / fail), both ``fail`` by default as in its API. What each server code means to a person is
decided in one place, :func:`describe_outcome`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import qasync
from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QButtonGroup, QDialog, QDialogButtonBox, QHeaderView, QWidget

from meetdesk.client.api import BulkDeletionResult, DeletionResult, MeetDeskClient
from meetdesk.client.errors import ApiError, Conflict, NotFound
from meetdesk.core.models import MeetRoom
from meetdesk.ui.admin.form_messages import mark_as_error, show_message
from meetdesk.ui.elided import NAME_CHARS, elide_name
from meetdesk.ui.forms.ui_delete_rooms import Ui_DeleteRooms
from meetdesk.ui.icons import icon
from meetdesk.ui.messages import describe_error
from meetdesk.ui.theme.theming import set_variant

logger = logging.getLogger(__name__)

CONTEXT = "DeleteRoomsDialog"
#: how many room names the question lists before saying "and N more"
NAMES_SHOWN = 6


class OutcomeKind(StrEnum):
    """What became of a room, as far as the person deleting it cares."""

    DELETED = "deleted"
    CLOSED = "closed"  # kept, closed, because it has recordings
    SCHEDULED = "scheduled"  # happens when the meeting ends
    REFUSED = "refused"  # nothing done: the policy said no
    FAILED = "failed"  # nothing done: not found, or an error

    @property
    def icon_name(self) -> str:
        return _ICONS[self]

    @property
    def tint(self) -> QColor:
        """A translucent row background: tells kinds apart on light and dark palettes alike."""
        red, green, blue = _TINTS[self]
        return QColor(red, green, blue, 48)


_ICONS = {
    OutcomeKind.DELETED: "check",
    OutcomeKind.CLOSED: "close-room",
    OutcomeKind.SCHEDULED: "clock",
    OutcomeKind.REFUSED: "warning",
    OutcomeKind.FAILED: "error",
}
_TINTS = {
    OutcomeKind.DELETED: (46, 125, 50),
    OutcomeKind.CLOSED: (96, 125, 139),
    OutcomeKind.SCHEDULED: (30, 136, 229),
    OutcomeKind.REFUSED: (249, 168, 37),
    OutcomeKind.FAILED: (211, 47, 47),
}

#: every success and error code of the deletion matrix (meetdesk.core.rooms), plus bulk's room_not_found
_CODES: dict[str, tuple[OutcomeKind, str]] = {
    "room_deleted": (OutcomeKind.DELETED, QT_TRANSLATE_NOOP(CONTEXT, "Deleted")),
    "room_and_recordings_deleted": (OutcomeKind.DELETED, QT_TRANSLATE_NOOP(CONTEXT, "Deleted with its recordings")),
    "room_with_active_meeting_deleted": (
        OutcomeKind.DELETED,
        QT_TRANSLATE_NOOP(CONTEXT, "Meeting ended, then deleted"),
    ),
    "room_with_active_meeting_and_recordings_deleted": (
        OutcomeKind.DELETED,
        QT_TRANSLATE_NOOP(CONTEXT, "Meeting ended, then deleted with its recordings"),
    ),
    "room_closed": (OutcomeKind.CLOSED, QT_TRANSLATE_NOOP(CONTEXT, "Closed (has recordings)")),
    "room_with_active_meeting_closed": (
        OutcomeKind.CLOSED,
        QT_TRANSLATE_NOOP(CONTEXT, "Meeting ended, then closed (has recordings)"),
    ),
    "room_with_active_meeting_scheduled_to_be_deleted": (
        OutcomeKind.SCHEDULED,
        QT_TRANSLATE_NOOP(CONTEXT, "Will be deleted when the meeting ends"),
    ),
    "room_with_active_meeting_and_recordings_scheduled_to_be_deleted": (
        OutcomeKind.SCHEDULED,
        QT_TRANSLATE_NOOP(CONTEXT, "Will be deleted with its recordings when the meeting ends"),
    ),
    "room_with_active_meeting_scheduled_to_be_closed": (
        OutcomeKind.SCHEDULED,
        QT_TRANSLATE_NOOP(CONTEXT, "Will be closed when the meeting ends (has recordings)"),
    ),
    "room_has_active_meeting": (
        OutcomeKind.REFUSED,
        QT_TRANSLATE_NOOP(CONTEXT, "Not deleted: a meeting is in progress"),
    ),
    "room_with_recordings_has_active_meeting": (
        OutcomeKind.REFUSED,
        QT_TRANSLATE_NOOP(CONTEXT, "Not deleted: a meeting is in progress"),
    ),
    "room_has_recordings": (OutcomeKind.REFUSED, QT_TRANSLATE_NOOP(CONTEXT, "Not deleted: it has recordings")),
    "room_with_active_meeting_has_recordings": (
        OutcomeKind.REFUSED,
        QT_TRANSLATE_NOOP(CONTEXT, "Not deleted: it has recordings (its meeting goes on)"),
    ),
    "room_with_active_meeting_has_recordings_cannot_schedule_deletion": (
        OutcomeKind.REFUSED,
        QT_TRANSLATE_NOOP(CONTEXT, "Not deleted: it has recordings, so its deletion cannot wait for the meeting"),
    ),
    "room_not_found": (
        OutcomeKind.FAILED,
        QT_TRANSLATE_NOOP(CONTEXT, "Not found: it may already have been deleted"),
    ),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def describe_outcome(code: str, server_message: str = "") -> tuple[OutcomeKind, str]:
    """What a deletion code means: its kind and a short sentence for the outcome table.

    A code this version does not know is a failure described by the server's own message.
    """
    known = _CODES.get(code)
    if known is not None:
        kind, text = known
        return kind, _tr(text)
    return OutcomeKind.FAILED, _tr("Not deleted: {reason}").format(reason=server_message or code)


@dataclass(frozen=True)
class Outcome:
    """What happened to one room: the server's ``code`` and ``message``, and their plain-words ``text``."""

    room_id: str
    room_name: str
    code: str
    kind: OutcomeKind
    text: str
    message: str = ""

    @classmethod
    def of(cls, room_id: str, room_name: str, code: str, message: str = "") -> Outcome:
        kind, text = describe_outcome(code, message)
        return cls(room_id, room_name, code, kind, text, message)


class OutcomeModel(QAbstractTableModel):
    """The outcome table: room name, room id, outcome (icon, words, tinted by kind; the server's
    sentence as tooltip)."""

    COLUMNS = (
        QT_TRANSLATE_NOOP(CONTEXT, "Room"),
        QT_TRANSLATE_NOOP(CONTEXT, "Room ID"),
        QT_TRANSLATE_NOOP(CONTEXT, "Outcome"),
    )
    ROOM, ROOM_ID, OUTCOME = range(3)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.outcomes: list[Outcome] = []

    def set_outcomes(self, outcomes: list[Outcome]) -> None:
        self.beginResetModel()
        self.outcomes = list(outcomes)
        self.endResetModel()

    def rowCount(self, parent: Any = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.outcomes)

    def columnCount(self, parent: Any = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(self.COLUMNS[section])
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        outcome = self.outcomes[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (outcome.room_name, outcome.room_id, outcome.text)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == self.OUTCOME:
            return icon(outcome.kind.icon_name)
        if role == Qt.ItemDataRole.BackgroundRole:
            return outcome.kind.tint
        if role == Qt.ItemDataRole.ToolTipRole and column == self.OUTCOME and outcome.message:
            return outcome.message
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.ROOM, self.ROOM_ID):
            return (outcome.room_name, outcome.room_id)[column]  # the column may elide it
        return None


class DeleteRoomsDialog(QDialog):
    """Delete ``rooms`` (one: ``DELETE /rooms/{id}``; several: the bulk delete) with the chosen policies.

    ``await run_deletion()`` is what the Delete button runs. Afterwards ``outcomes`` holds one
    :class:`Outcome` per room, the table shows them and the only button left is Close. A request that
    fails as a whole (server unreachable, 5xx) leaves the dialog as it was, with a sentence saying why.

    Signals:
        finished_deleting(list): the list of Outcome, once the server has answered for every room.
    """

    finished_deleting = Signal(list)

    def __init__(self, client: MeetDeskClient, rooms: list[MeetRoom], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not rooms:
            raise ValueError("there is no room to delete")
        self.client = client
        self.rooms = list(rooms)
        self.outcomes: list[Outcome] = []
        self._busy = False
        self.ui = Ui_DeleteRooms()
        self.ui.setupUi(self)
        ui = self.ui
        self._meeting = QButtonGroup(self)
        self._recordings = QButtonGroup(self)
        self._meeting_values = {"fail": ui.meetingFailRadio, "when_meeting_ends": ui.meetingWhenEndsRadio}
        self._meeting_values["force"] = ui.meetingForceRadio
        self._recordings_values = {"fail": ui.recordingsFailRadio, "close": ui.recordingsCloseRadio}
        self._recordings_values["force"] = ui.recordingsForceRadio
        for button in self._meeting_values.values():
            self._meeting.addButton(button)
        for button in self._recordings_values.values():
            self._recordings.addButton(button)

        self.model = OutcomeModel(self)
        ui.outcomeTable.setModel(self.model)
        header = ui.outcomeTable.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        mark_as_error(ui.errorLabel)

        count = len(self.rooms)
        self._ok = ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        if count == 1:
            self.setWindowTitle(self.tr("Delete room"))
            name = self._name(self.rooms[0])
            ui.questionLabel.setText(self.tr("Delete the room “{name}”?").format(name=self._short(name)))
            self._ok.setText(self.tr("Delete"))
            ui.meetingGroup.setTitle(self.tr("If the room has a meeting in progress"))
            ui.recordingsGroup.setTitle(self.tr("If the room has recordings"))
        else:
            self.setWindowTitle(self.tr("Delete rooms"))
            ui.questionLabel.setText(self._bulk_question())
            self._ok.setText(self.tr("Delete %n room(s)", "", count))
        # Long names are cut in the question (the dialog never outgrows the screen); the tooltip has them all.
        names = [self._name(room) for room in self.rooms[:NAMES_SHOWN]]
        if any(self._short(name) != name for name in names):
            ui.questionLabel.setToolTip("\n".join(names))
        # Delete is never the default button: Enter (or a key press meant for another window) keeps the rooms
        self._ok.setAutoDefault(False)
        set_variant(self._ok, "danger")
        cancel = ui.buttonBox.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        set_variant(cancel, "secondary")
        ui.buttonBox.accepted.connect(self._delete_clicked)
        ui.buttonBox.rejected.connect(self.reject)
        self._set_busy(False)
        ui.pages.setCurrentWidget(ui.policyPage)
        cancel.setFocus()

    @staticmethod
    def _name(room: MeetRoom) -> str:
        return room.roomName or room.roomId

    def _short(self, name: str) -> str:
        return elide_name(name, self.ui.questionLabel.fontMetrics())

    def _bulk_question(self) -> str:
        names = [f"• {self._short(self._name(room))}" for room in self.rooms[:NAMES_SHOWN]]
        hidden = len(self.rooms) - NAMES_SHOWN
        if hidden > 0:
            names.append(self.tr("and %n more", "", hidden))
        return "\n".join([self.tr("Delete these %n rooms?", "", len(self.rooms)), *names])

    # policies ----------------------------------------------------------------------------------------

    def policies(self) -> tuple[str, str]:
        """The chosen ``(withMeeting, withRecordings)``."""
        meeting = next(value for value, radio in self._meeting_values.items() if radio.isChecked())
        recordings = next(value for value, radio in self._recordings_values.items() if radio.isChecked())
        return meeting, recordings

    def set_policies(self, with_meeting: str, with_recordings: str) -> None:
        self._meeting_values[with_meeting].setChecked(True)
        self._recordings_values[with_recordings].setChecked(True)

    # deleting --------------------------------------------------------------------------------------

    @qasync.asyncSlot()
    async def _delete_clicked(self) -> None:
        await self.run_deletion()

    async def run_deletion(self) -> list[Outcome] | None:
        """Delete with the chosen policies and show the outcome table; None if the request failed as a whole."""
        if self._busy or self.outcomes:
            return None
        with_meeting, with_recordings = self.policies()
        show_message(self.ui.errorLabel, "")
        self._set_busy(True)
        try:
            if len(self.rooms) == 1:
                outcomes = [await self._delete_one(self.rooms[0], with_meeting, with_recordings)]
            else:
                outcomes = await self._delete_many(with_meeting, with_recordings)
        except ApiError as exc:
            logger.info("Deleting %d room(s) failed: %r", len(self.rooms), exc)
            show_message(self.ui.errorLabel, describe_error(exc))
            self.adjustSize()
            return None
        finally:
            self._set_busy(False)
        self._show_outcomes(outcomes)
        self.finished_deleting.emit(outcomes)
        return outcomes

    async def _delete_one(self, room: MeetRoom, with_meeting: str, with_recordings: str) -> Outcome:
        name = self._name(room)
        try:
            result: DeletionResult = await self.client.delete_room(room.roomId, with_meeting, with_recordings)
        except Conflict as exc:  # refused by the policy: a per-room outcome, not a failure of the request
            return Outcome.of(room.roomId, name, exc.error, exc.message)
        except NotFound as exc:
            return Outcome.of(room.roomId, name, "room_not_found", exc.message)
        return Outcome.of(room.roomId, name, result.successCode, result.message)

    async def _delete_many(self, with_meeting: str, with_recordings: str) -> list[Outcome]:
        ids = [room.roomId for room in self.rooms]
        result: BulkDeletionResult = await self.client.bulk_delete_rooms(ids, with_meeting, with_recordings)
        answers = {item.roomId: (item.successCode, item.message) for item in result.successful}
        answers.update({item.roomId: (item.code, item.message) for item in result.failed})
        outcomes = []
        for room in self.rooms:
            code, message = answers.get(room.roomId, ("", _tr("The server did not say what it did with this room.")))
            outcomes.append(Outcome.of(room.roomId, self._name(room), code, message))
        return outcomes

    def _show_outcomes(self, outcomes: list[Outcome]) -> None:
        ui = self.ui
        self.outcomes = outcomes
        self.model.set_outcomes(outcomes)
        ui.summaryLabel.setText(self._summary(outcomes))
        ui.pages.setCurrentWidget(ui.resultPage)
        ui.buttonBox.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        close = ui.buttonBox.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        close.setFocus()
        # wide enough for the table's columns (never wider than most of the screen)
        table = ui.outcomeTable
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        # a long room name (or id) is elided in its column (the tooltip has it all), not widening the dialog
        widest = table.fontMetrics().averageCharWidth() * NAME_CHARS
        caps = {OutcomeModel.ROOM: widest, OutcomeModel.ROOM_ID: widest}
        for column, cap in caps.items():
            if header.sectionSize(column) > cap:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(column, cap)
        # the content's width, not the sections' (the stretched last one is only as wide as the view is now)
        columns = range(self.model.columnCount())
        wanted = sum(
            min(caps.get(c, 1 << 20), max(table.sizeHintForColumn(c), header.sectionSizeHint(c))) for c in columns
        )
        # the stretched last section is never narrower than the header's default: count that much at least
        last = self.model.columnCount() - 1
        wanted += max(0, header.defaultSectionSize() - max(table.sizeHintForColumn(last), header.sectionSizeHint(last)))
        wanted += table.frameWidth() * 2
        if table.verticalScrollBar().isVisible():
            wanted += table.verticalScrollBar().sizeHint().width()
        screen = self.screen() or QGuiApplication.primaryScreen()
        limit = int(screen.availableGeometry().width() * 0.8) if screen is not None else wanted
        table.setMinimumWidth(min(wanted, limit))
        # The page changed under the dialog's layout, whose cached sizes are still the policy page's.
        for widget in (table, ui.resultPage, ui.pages):
            widget.updateGeometry()
        layout = self.layout()
        layout.invalidate()
        layout.activate()
        self.adjustSize()

    def _summary(self, outcomes: list[Outcome]) -> str:
        counts = {kind: sum(1 for o in outcomes if o.kind is kind) for kind in OutcomeKind}
        phrases = {
            OutcomeKind.DELETED: self.tr("%n deleted", "", counts[OutcomeKind.DELETED]),
            OutcomeKind.CLOSED: self.tr("%n closed instead (recordings kept)", "", counts[OutcomeKind.CLOSED]),
            OutcomeKind.SCHEDULED: self.tr("%n waiting for a meeting to end", "", counts[OutcomeKind.SCHEDULED]),
            OutcomeKind.REFUSED: self.tr("%n not deleted", "", counts[OutcomeKind.REFUSED]),
            OutcomeKind.FAILED: self.tr("%n could not be deleted", "", counts[OutcomeKind.FAILED]),
        }
        return "; ".join(phrases[kind] for kind in OutcomeKind if counts[kind]) + "."

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._ok.setEnabled(not busy)
        cancel = self.ui.buttonBox.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setEnabled(not busy)
        self.ui.meetingGroup.setEnabled(not busy)
        self.ui.recordingsGroup.setEnabled(not busy)
        self.ui.busyBar.setVisible(busy)
        self.ui.busyLabel.setVisible(busy)

    def reject(self) -> None:
        # Once sent, a deletion runs to its answer, so that the outcome is shown and the page refreshed.
        if not self._busy:
            super().reject()

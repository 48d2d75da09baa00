"""The room dialog: quick create (a name), advanced setup (auto-deletion, recording, features), and edit.

The form itself is ``ui/room_form.ui``; this module fills it, checks what can be checked before sending
(the auto-deletion date is at least an hour ahead, the name fits), sends the request, and puts every
answer where the user acted: a server's field error next to its field, anything else as a sentence at
the bottom of the dialog, which stays open with the user's input untouched.

After creation a room's name and auto-deletion settings cannot change (the API has no endpoint for
it), so in edit mode they are shown read-only and only the config is sent, through
``PUT /rooms/{id}/config``.
"""

from __future__ import annotations

import logging
from typing import Any

import qasync
from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, Conflict
from meetdesk.core.models import (
    MIN_AUTO_DELETION_DELAY_MS,
    ROOM_NAME_MAX,
    AutoDeletionPolicy,
    MeetRoom,
    RoomConfig,
    now_ms,
)
from meetdesk.ui.forms.ui_room_form import Ui_RoomForm
from meetdesk.ui.messages import describe_error, field_errors

logger = logging.getLogger(__name__)


def mark_as_error(label: QLabel) -> None:
    """Make ``label`` an error message (red that reads on the light or dark palette), hidden until used.

    The ``messageKind`` property lets a theme's style sheet restyle it.
    """
    label.setProperty("messageKind", "error")
    palette = label.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#ef9a9a" if dark else "#c62828"))
    label.setPalette(palette)
    label.clear()
    label.hide()


def show_message(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class RoomFormDialog(QDialog):
    """Create a room (``room`` is None) or edit the config of ``room`` (which must carry its config).

    ``await submit()`` is what the OK button runs; on success ``result_room`` holds the room the server
    returned and the dialog is accepted.

    Signals:
        saved(object): the created or updated MeetRoom, emitted just before the dialog accepts.
    """

    saved = Signal(object)

    def __init__(self, client: MeetDeskClient, room: MeetRoom | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if room is not None and room.config is None:
            raise ValueError("editing a room needs its config: get it with client.get_room(room_id)")
        self.client = client
        self.room = room
        self.result_room: MeetRoom | None = None
        self._busy = False
        self.ui = Ui_RoomForm()
        self.ui.setupUi(self)
        ui = self.ui
        self._ok = ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        self._ok.setDefault(True)  # Enter anywhere in the form submits
        ui.nameEdit.setMaxLength(ROOM_NAME_MAX)
        # wide enough to show a name of the longest length in the user's font (follows DPI and font size)
        ui.nameEdit.setMinimumWidth(ui.nameEdit.fontMetrics().averageCharWidth() * ROOM_NAME_MAX)
        self._fill_choices()
        # dotted field path as the server names it -> the label next to that field (longest prefix wins)
        self._error_labels: dict[str, tuple[QLabel, QWidget]] = {
            "roomName": (ui.nameError, ui.nameEdit),
            "autoDeletionDate": (ui.dateError, ui.autoDeletionEdit),
            "autoDeletionPolicy": (ui.policyError, ui.withMeetingCombo),
            "config.recording": (ui.recordingError, ui.recordingCheck),
            "config.chat": (ui.chatError, ui.chatCheck),
            "config.virtualBackground": (ui.virtualBackgroundError, ui.virtualBackgroundCheck),
        }
        for label, _field in self._error_labels.values():
            mark_as_error(label)
        mark_as_error(ui.formError)
        self._set_busy(False)

        ui.advancedToggle.toggled.connect(self._show_advanced)
        ui.autoDeleteCheck.toggled.connect(self._update_enabled)
        ui.recordingCheck.toggled.connect(self._update_enabled)
        ui.nameEdit.textEdited.connect(lambda _text: self._clear_error("roomName"))
        ui.autoDeletionEdit.dateTimeChanged.connect(lambda _value: self._clear_error("autoDeletionDate"))
        ui.buttonBox.accepted.connect(self._ok_clicked)
        ui.buttonBox.rejected.connect(self.reject)

        if room is None:
            self._prefill_new()
        else:
            self._prefill_edit(room)
        self._update_enabled()
        self._show_advanced(ui.advancedToggle.isChecked())

    # set-up ------------------------------------------------------------------------------------------

    def _fill_choices(self) -> None:
        ui = self.ui
        ui.withMeetingCombo.addItem(self.tr("Wait until the meeting ends, then delete"), "when_meeting_ends")
        ui.withMeetingCombo.addItem(self.tr("End the meeting and delete"), "force")
        ui.withRecordingsCombo.addItem(self.tr("Close the room and keep its recordings"), "close")
        ui.withRecordingsCombo.addItem(self.tr("Delete the room and its recordings"), "force")
        ui.recordingAccessCombo.addItem(self.tr("Admins only"), "admin")
        ui.recordingAccessCombo.addItem(self.tr("Admins and moderators"), "admin_moderator")
        ui.recordingAccessCombo.addItem(self.tr("Admins, moderators and speakers"), "admin_moderator_speaker")

    def _prefill_new(self) -> None:
        ui = self.ui
        self.setWindowTitle(self.tr("New room"))
        self._ok.setText(self.tr("Create room"))
        ui.autoDeletionNote.hide()
        # OpenVidu Meet's wizard proposes the end of a day; tomorrow's is always more than an hour away.
        ui.autoDeletionEdit.setDateTime(QDateTime(QDate.currentDate().addDays(1), QTime(23, 59)))
        policy = AutoDeletionPolicy()
        _select(ui.withMeetingCombo, policy.withMeeting)
        _select(ui.withRecordingsCombo, policy.withRecordings)
        self._set_config(RoomConfig())
        ui.advancedToggle.setChecked(False)

    def _prefill_edit(self, room: MeetRoom) -> None:
        ui = self.ui
        name = room.roomName or room.roomId
        self.setWindowTitle(self.tr("Edit room “{name}”").format(name=name))
        self._ok.setText(self.tr("Save changes"))
        ui.nameEdit.setText(name)
        ui.nameEdit.setReadOnly(True)
        ui.nameEdit.setClearButtonEnabled(False)
        ui.nameHint.setText(self.tr("A room's name cannot be changed after it is created."))
        if room.autoDeletionDate is not None:
            ui.autoDeleteCheck.setChecked(True)
            ui.autoDeletionEdit.setDateTime(QDateTime.fromMSecsSinceEpoch(room.autoDeletionDate))
        else:
            ui.autoDeleteCheck.setChecked(False)
            ui.autoDeleteCheck.setText(self.tr("This room is not deleted automatically"))
        policy = room.autoDeletionPolicy or AutoDeletionPolicy()
        _select(ui.withMeetingCombo, policy.withMeeting)
        _select(ui.withRecordingsCombo, policy.withRecordings)
        for widget in (ui.autoDeleteCheck, ui.autoDeletionEdit, ui.withMeetingCombo, ui.withRecordingsCombo):
            widget.setEnabled(False)
        assert room.config is not None
        self._set_config(room.config)
        # the settings are what there is to edit: show them, without the toggle
        ui.advancedToggle.setChecked(True)
        ui.advancedToggle.hide()
        ui.chatCheck.setFocus()

    def _set_config(self, config: RoomConfig) -> None:
        ui = self.ui
        ui.recordingCheck.setChecked(config.recording.enabled)
        _select(ui.recordingAccessCombo, config.recording.allowAccessTo)
        ui.chatCheck.setChecked(config.chat.enabled)
        ui.virtualBackgroundCheck.setChecked(config.virtualBackground.enabled)

    def _show_advanced(self, shown: bool) -> None:
        ui = self.ui
        ui.advancedPanel.setVisible(shown)
        ui.advancedToggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.adjustSize()

    def _update_enabled(self) -> None:
        ui = self.ui
        editable = self.room is None
        dated = ui.autoDeleteCheck.isChecked() and editable
        for widget in (ui.autoDeletionEdit, ui.withMeetingCombo, ui.withRecordingsCombo):
            widget.setEnabled(dated)
        ui.recordingAccessCombo.setEnabled(ui.recordingCheck.isChecked())
        if not ui.autoDeleteCheck.isChecked():
            self._clear_error("autoDeletionDate")

    # what the form says --------------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        return self.room is not None

    def config(self) -> RoomConfig:
        """The config the form describes."""
        ui = self.ui
        return RoomConfig.model_validate(
            {
                "chat": {"enabled": ui.chatCheck.isChecked()},
                "recording": {
                    "enabled": ui.recordingCheck.isChecked(),
                    "allowAccessTo": ui.recordingAccessCombo.currentData(),
                },
                "virtualBackground": {"enabled": ui.virtualBackgroundCheck.isChecked()},
            }
        )

    def auto_deletion_date(self) -> int | None:
        """The chosen auto-deletion time (ms since the epoch), or None when the room is kept."""
        if not self.ui.autoDeleteCheck.isChecked():
            return None
        return self.ui.autoDeletionEdit.dateTime().toMSecsSinceEpoch()

    def create_body(self) -> dict[str, Any]:
        """The ``POST /rooms`` body: only what the user chose (the server fills in its defaults)."""
        body: dict[str, Any] = {}
        name = self.ui.nameEdit.text().strip()
        if name:
            body["roomName"] = name
        date = self.auto_deletion_date()
        if date is not None:
            body["autoDeletionDate"] = date
            body["autoDeletionPolicy"] = {
                "withMeeting": self.ui.withMeetingCombo.currentData(),
                "withRecordings": self.ui.withRecordingsCombo.currentData(),
            }
        config = self.config()
        if config != RoomConfig():
            body["config"] = config.model_dump()
        return body

    def local_errors(self) -> dict[str, str]:
        """Problems found before sending, keyed like the server's field errors."""
        errors: dict[str, str] = {}
        if self.editing:
            return errors
        if len(self.ui.nameEdit.text().strip()) > ROOM_NAME_MAX:
            errors["roomName"] = self.tr("A room name can have at most {n} characters.").format(n=ROOM_NAME_MAX)
        date = self.auto_deletion_date()
        if date is not None and date < now_ms() + MIN_AUTO_DELETION_DELAY_MS:
            errors["autoDeletionDate"] = self.tr("Pick a time at least 1 hour from now.")
        return errors

    # submitting ----------------------------------------------------------------------------------

    @qasync.asyncSlot()
    async def _ok_clicked(self) -> None:
        await self.submit()

    async def submit(self) -> bool:
        """Check, send, and on success accept the dialog. Returns whether the room was saved."""
        if self._busy:
            return False  # already saving
        self._clear_errors()
        problems = self.local_errors()
        if problems:
            self._show_field_errors(problems)
            return False
        self._set_busy(True)
        try:
            room = await self._send()
        except ApiError as exc:
            logger.info("Saving the room failed: %r", exc)
            self._show_failure(exc)
            return False
        finally:
            self._set_busy(False)
        if room is None:  # nothing changed
            room = self.room
        self.result_room = room
        self.saved.emit(room)
        self.accept()
        return True

    async def _send(self) -> MeetRoom | None:
        if self.room is None:
            return await self.client.create_room(self.create_body())
        config = self.config()
        if config == self.room.config:
            return None
        return await self.client.update_room_config(self.room.roomId, config)

    def reject(self) -> None:
        # A sent request runs to its answer (at most the client's timeout), so that the user learns
        # whether the room was saved.
        if not self._busy:
            super().reject()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._ok.setEnabled(not busy)
        cancel = self.ui.buttonBox.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setEnabled(not busy)
        self.ui.busyBar.setVisible(busy)
        self.ui.busyLabel.setVisible(busy)

    # errors ----------------------------------------------------------------------------------------

    def _route(self, path: str) -> tuple[QLabel, QWidget] | None:
        matches = [key for key in self._error_labels if path == key or path.startswith(key + ".")]
        return self._error_labels[max(matches, key=len)] if matches else None

    def _humane(self, path: str, message: str) -> str:
        """The server's field message, speaking of the field as the form names it ("roomName cannot be
        empty" -> "The name cannot be empty")."""
        names = {"roomName": self.tr("The name"), "autoDeletionDate": self.tr("The date")}
        field = path.rsplit(".", 1)[-1]
        if field in names and message.startswith(field + " "):
            return names[field] + message[len(field) :]
        return message

    def _show_field_errors(self, errors: dict[str, str]) -> None:
        unplaced = []
        first: QWidget | None = None
        for path, message in errors.items():
            route = self._route(path)
            if route is None:
                unplaced.append(f"{path}: {message}")
                continue
            label, field = route
            message = self._humane(path, message)
            show_message(label, message)
            field.setAccessibleDescription(message)
            if self.ui.advancedPanel.isAncestorOf(field):
                self.ui.advancedToggle.setChecked(True)
            first = first or field
        summary = self.tr("Some settings need a change before the room can be saved.")
        show_message(self.ui.formError, "\n".join([summary, *unplaced]))
        if first is not None and first.isEnabled():
            first.setFocus()
        self.adjustSize()

    def _show_failure(self, exc: ApiError) -> None:
        errors = field_errors(exc)
        if errors:
            self._show_field_errors(errors)
        elif isinstance(exc, Conflict) and self.editing:
            show_message(
                self.ui.formError,
                self.tr("This room has a meeting in progress. Its settings can be changed once the meeting ends."),
            )
        else:
            show_message(self.ui.formError, describe_error(exc))
        self.adjustSize()

    def _clear_error(self, path: str) -> None:
        label, field = self._error_labels[path]
        show_message(label, "")
        field.setAccessibleDescription("")

    def _clear_errors(self) -> None:
        for path in self._error_labels:
            self._clear_error(path)
        show_message(self.ui.formError, "")

"""The room dialog: quick create (a name), advanced setup (auto-deletion, recording, features, limits,
permissions, links), and edit.

The form itself is ``ui/room_form.ui``; this module fills it, checks what can be checked before sending
(the auto-deletion date is at least an hour ahead, the name fits: a live counter, never a silent cut),
sends the request, and puts every answer where the user acted: a server's field error next to its
field, anything else as a sentence at the bottom of the dialog, which stays open with the user's input
untouched (where: :mod:`.room_form_errors`; the Limits, Permissions and Links sections are modules of their
own).

Editing offers what creating does: the name and the auto-deletion settings go through
``PATCH /rooms/{id}`` (only what changed; the room id and its links stay), the config through
``PUT /rooms/{id}/config``. A room without an auto-deletion date shows "Never".
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.access import LINK_KINDS, RoomAccess
from meetdesk.core.models import (
    MIN_AUTO_DELETION_DELAY_MS,
    ROOM_NAME_MAX,
    AutoDeletionPolicy,
    MeetRoom,
    RoomConfig,
    now_ms,
)
from meetdesk.core.permissions import DEFAULT_ROLES, Role, RoomRoles
from meetdesk.ui.admin.form_messages import mark_as_error, set_error_colour, show_message
from meetdesk.ui.admin.form_submit import SubmitForm
from meetdesk.ui.admin.room_form_errors import FormErrors
from meetdesk.ui.admin.room_limits import LimitsSection
from meetdesk.ui.admin.room_links import LinksSection
from meetdesk.ui.admin.room_permissions import PermissionsSection
from meetdesk.ui.elided import elide_chars
from meetdesk.ui.forms.ui_room_form import Ui_RoomForm
from meetdesk.ui.messages import describe_error

logger = logging.getLogger(__name__)


def _stored_access(room: MeetRoom) -> RoomAccess | None:
    """Which links of ``room`` work, when it says (a room from the list does; an older server's does not)."""
    if room.access is None:
        return None
    anonymous = room.access.anonymous
    return RoomAccess.model_validate({"anonymous": {k: {"enabled": anonymous.of(k).enabled} for k in LINK_KINDS}})


#: The auto-deletion field shows "Never" at this value (QDateTimeEdit's special value: its minimum).
_NEVER = QDateTime(QDate(2000, 1, 1), QTime(0, 0))


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class RoomFormDialog(FormErrors, SubmitForm, QDialog):
    """Create a room (``room`` is None) or edit ``room`` (which must carry its config).

    ``await submit()`` is what the OK button runs; on success ``result_room`` holds the room the server
    returned and the dialog is accepted.

    Signals:
        saved(object): the created or updated MeetRoom, emitted whenever the server stored a change
            (just before the dialog accepts, or when a second request of an edit failed after the first
            was saved, so that a list shows what the server has).
    """

    saved = Signal(object)
    action = "Saving the room"

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
        # no maxLength: a pasted long name is kept whole, counted and explained, never cut mid-word
        # wide enough to show a name of the longest length in the user's font (follows DPI and font size)
        ui.nameEdit.setMinimumWidth(ui.nameEdit.fontMetrics().averageCharWidth() * ROOM_NAME_MAX)
        self._fill_choices()
        self.limits = LimitsSection(ui.advancedPanel)
        ui.advancedLayout.addWidget(self.limits)
        self.permissions = PermissionsSection(ui.advancedPanel)
        ui.advancedLayout.addWidget(self.permissions)
        self.links = LinksSection(ui.advancedPanel)
        ui.advancedLayout.addWidget(self.links)
        #: which links work, as the server has them (None until an edit knows)
        self._access: RoomAccess | None = RoomAccess() if room is None else _stored_access(room)
        #: the room's roles as the server has them (the defaults for a new room; None until an edit loads them)
        self._roles: RoomRoles | None = DEFAULT_ROLES if room is None else room.roles
        # dotted field path as the server names it -> the label next to that field (longest prefix wins)
        self._error_labels: dict[str, tuple[QLabel, QWidget]] = {
            "roomName": (ui.nameError, ui.nameEdit),
            "autoDeletionDate": (ui.dateError, ui.autoDeletionEdit),
            "autoDeletionPolicy": (ui.policyError, ui.withMeetingCombo),
            "config.recording": (ui.recordingError, ui.recordingCheck),
            "config.chat": (ui.chatError, ui.chatCheck),
            "config.virtualBackground": (ui.virtualBackgroundError, ui.virtualBackgroundCheck),
            "roles": (self.permissions.error, self.permissions),
            "access": (self.links.error, self.links),
            **self.limits.error_labels,
        }
        for label, _field in self._error_labels.values():
            mark_as_error(label)
        mark_as_error(ui.formError)
        ui.autoDeletionEdit.setMinimumDateTime(_NEVER)
        ui.autoDeletionEdit.setSpecialValueText(self.tr("Never"))
        # the date shown when automatic deletion is ticked (the room's, or a proposal)
        self._chosen_date = QDateTime(QDate.currentDate().addDays(1), QTime(23, 59))
        self._name_was_too_long = False
        self._set_busy(False)

        ui.advancedToggle.toggled.connect(self._show_advanced)
        ui.autoDeleteCheck.toggled.connect(self._auto_delete_toggled)
        ui.recordingCheck.toggled.connect(self._update_enabled)
        ui.nameEdit.textEdited.connect(lambda _text: self._clear_error("roomName"))
        ui.nameEdit.textChanged.connect(self._count_name)
        ui.autoDeletionEdit.dateTimeChanged.connect(lambda _value: self._clear_error("autoDeletionDate"))
        limits = self.limits
        for path, changed in (
            ("config.maxParticipants", (limits.participants_spin.valueChanged, limits.participants_check.toggled)),
            ("config.maxDurationMinutes", (limits.duration_spin.valueChanged, limits.duration_check.toggled)),
        ):
            for signal in changed:
                signal.connect(lambda *_args, p=path: self._clear_error(p))
        ui.buttonBox.accepted.connect(self._ok_clicked)
        ui.buttonBox.rejected.connect(self.reject)

        if room is None:
            self._prefill_new()
        else:
            self._prefill_edit(room)
        self._update_enabled()
        self._count_name()
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
        # OpenVidu Meet's wizard proposes the end of a day; tomorrow's is always more than an hour away.
        ui.autoDeleteCheck.setChecked(False)
        ui.autoDeletionEdit.setDateTime(_NEVER)
        policy = AutoDeletionPolicy()
        _select(ui.withMeetingCombo, policy.withMeeting)
        _select(ui.withRecordingsCombo, policy.withRecordings)
        self._set_config(RoomConfig())
        ui.advancedToggle.setChecked(False)

    def _prefill_edit(self, room: MeetRoom) -> None:
        ui = self.ui
        name = room.roomName or room.roomId
        self.setWindowTitle(self.tr("Edit room “{name}”").format(name=elide_chars(name)))
        self._ok.setText(self.tr("Save changes"))
        ui.nameEdit.setText(name)
        ui.nameHint.setText(self.tr("Renaming keeps the room's links: links already shared still work."))
        if room.autoDeletionDate is not None:
            self._chosen_date = QDateTime.fromMSecsSinceEpoch(room.autoDeletionDate)
            ui.autoDeletionEdit.setDateTime(self._chosen_date)
            ui.autoDeleteCheck.setChecked(True)
        else:
            ui.autoDeleteCheck.setChecked(False)
            ui.autoDeletionEdit.setDateTime(_NEVER)
        policy = room.autoDeletionPolicy or AutoDeletionPolicy()
        _select(ui.withMeetingCombo, policy.withMeeting)
        _select(ui.withRecordingsCombo, policy.withRecordings)
        assert room.config is not None
        self._set_config(room.config)
        if self._access is not None:
            self.links.set_enabled_links(self._access)
        else:
            self.links.setEnabled(False)
        if room.roles is not None:
            self.permissions.set_roles(room.roles)
        else:  # the rooms list does not carry them: load_roles() reads them (the section waits, saying so)
            self.permissions.setEnabled(False)
            self.permissions.hint.setText(self.tr("Reading the room's permissions…"))
        # the settings are what there is to edit: show them, without the toggle
        ui.advancedToggle.setChecked(True)
        ui.advancedToggle.hide()
        ui.nameEdit.setFocus()

    async def load_roles(self) -> None:
        """Read the edited room's roles into the Permissions section (when the room came without them)."""
        if self.room is None or (self._roles is not None and self._access is not None):
            return
        try:
            room = await self.client.get_room(self.room.roomId, fields=("roomId",), extra_fields=("roles", "access"))
            assert room.roles is not None
            roles = room.roles
        except ApiError as exc:
            logger.info("Reading the room's permissions failed: %r", exc)
            self.permissions.hint.setText(
                self.tr("The room's permissions could not be read: {reason} Close and open the room again.").format(
                    reason=describe_error(exc)
                )
            )
            self.fit_to_screen()
            return
        self._roles = roles
        self.permissions.set_roles(roles)
        self._access = _stored_access(room)
        if self._access is not None:
            self.links.set_enabled_links(self._access)
            self.links.setEnabled(True)
        self.permissions.setEnabled(True)
        self.permissions.hint.setText(self.tr("What each role may do here. Changes apply at once."))
        self.fit_to_screen()  # the hint's new text may take another line

    def _set_config(self, config: RoomConfig) -> None:
        ui = self.ui
        ui.recordingCheck.setChecked(config.recording.enabled)
        _select(ui.recordingAccessCombo, config.recording.allowAccessTo)
        ui.chatCheck.setChecked(config.chat.enabled)
        ui.virtualBackgroundCheck.setChecked(config.virtualBackground.enabled)
        self.limits.set_config(config)

    def _show_advanced(self, shown: bool) -> None:
        ui = self.ui
        ui.advancedPanel.setVisible(shown)
        ui.advancedToggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Take the size the content asks for, but stay on the screen: when the dialog would be taller than its
        screen the permissions list (which scrolls) gives up rows, and a dialog that grew downwards (the advanced
        setup opened, errors shown) moves up so that its buttons stay in reach."""
        self.adjustSize()
        screen = self.screen()
        if screen is None:
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        excess = frame.height() - area.height()
        scroll = self.permissions.scroll
        spare = scroll.height() - scroll.fontMetrics().height() * 4  # rows the list can give up, keeping four
        if 0 < excess <= spare:  # (a screen smaller still: the dialog keeps its size and Qt fits it as it can)
            scroll.setFixedHeight(scroll.height() - excess)
            self.adjustSize()
            frame = self.frameGeometry()
        if self.isVisible() and frame.bottom() > area.bottom():
            self.move(frame.x(), max(area.top(), area.bottom() - frame.height()))

    def _auto_delete_toggled(self, dated: bool) -> None:
        edit = self.ui.autoDeletionEdit
        if dated:
            edit.setDateTime(self._chosen_date)
        else:
            if edit.dateTime() != _NEVER:
                self._chosen_date = edit.dateTime()  # given back if the box is ticked again
            edit.setDateTime(_NEVER)
        self._update_enabled()

    def _count_name(self) -> None:
        """The live counter next to the name, and a sentence while the name is too long."""
        ui = self.ui
        length = len(ui.nameEdit.text().strip())
        ui.nameCounter.setText(f"{length}/{ROOM_NAME_MAX}")
        ui.nameCounter.setAccessibleDescription(
            self.tr("{length} of at most {n} characters").format(length=length, n=ROOM_NAME_MAX)
        )
        too_long = length > ROOM_NAME_MAX
        if too_long != (ui.nameCounter.property("messageKind") == "error"):
            set_error_colour(ui.nameCounter, too_long)
        if too_long:
            text = self._name_too_long_text(length)
            if ui.nameError.text() != text:
                show_message(ui.nameError, text)
                ui.nameEdit.setAccessibleDescription(text)
                self.fit_to_screen()
        elif self._name_was_too_long:
            self._clear_error("roomName")
        self._name_was_too_long = too_long

    def _name_too_long_text(self, length: int) -> str:
        return self.tr("The name has {length} characters: a room name can have at most {n}.").format(
            length=length, n=ROOM_NAME_MAX
        )

    def _update_enabled(self) -> None:
        ui = self.ui
        dated = ui.autoDeleteCheck.isChecked()
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
        """The config the form describes: an edited room's own, with what the form shows changed (what it does
        not show, such as the recording layout, stays as the room has it)."""
        ui = self.ui
        base = self.room.config if self.room is not None and self.room.config is not None else RoomConfig()
        data = base.model_dump()
        data["chat"] = {**data["chat"], "enabled": ui.chatCheck.isChecked()}
        data["recording"] = {
            **data["recording"],
            "enabled": ui.recordingCheck.isChecked(),
            "allowAccessTo": ui.recordingAccessCombo.currentData(),
        }
        data["virtualBackground"] = {**data["virtualBackground"], "enabled": ui.virtualBackgroundCheck.isChecked()}
        data.update(self.limits.values())
        return RoomConfig.model_validate(data)

    def auto_deletion_date(self) -> int | None:
        """The chosen auto-deletion time (ms since the epoch), or None when the room is kept."""
        if not self.ui.autoDeleteCheck.isChecked():
            return None
        return self.ui.autoDeletionEdit.dateTime().toMSecsSinceEpoch()

    def policy(self) -> AutoDeletionPolicy:
        return AutoDeletionPolicy.model_validate(
            {
                "withMeeting": self.ui.withMeetingCombo.currentData(),
                "withRecordings": self.ui.withRecordingsCombo.currentData(),
            }
        )

    def update_body(self) -> dict[str, Any]:
        """The ``PATCH /rooms/{id}`` body of an edit: only what differs from the room (may be empty)."""
        assert self.room is not None
        body: dict[str, Any] = {}
        name = self.ui.nameEdit.text().strip()
        if name != (self.room.roomName or self.room.roomId):
            body["roomName"] = name
        date = self.auto_deletion_date()
        if date != self.room.autoDeletionDate:
            body["autoDeletionDate"] = date  # None clears it
        if date is not None and self.policy() != (self.room.autoDeletionPolicy or AutoDeletionPolicy()):
            body["autoDeletionPolicy"] = self.policy().model_dump()
        return body

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
        problems = self.limits.problems()
        config = self.config() if not problems else RoomConfig()
        if config != RoomConfig():
            body["config"] = config.model_dump()
        roles = {role.value: {"permissions": diff} for role, diff in self.permissions.changes(DEFAULT_ROLES).items()}
        if roles:
            body["roles"] = roles
        links = {kind: {"enabled": on} for kind, on in self.links.changes(RoomAccess()).items()}
        if links:
            body["access"] = {"anonymous": links}
        return body

    def local_errors(self) -> dict[str, str]:
        """Problems found before sending, keyed like the server's field errors."""
        errors: dict[str, str] = {}
        name = self.ui.nameEdit.text().strip()
        if len(name) > ROOM_NAME_MAX:
            errors["roomName"] = self._name_too_long_text(len(name))
        elif self.editing and not name:
            errors["roomName"] = self.tr("Type a name for the room.")
        date = self.auto_deletion_date()
        # an edit sends the date only when it changed: a kept date that is now close is not refused
        changed = not self.editing or "autoDeletionDate" in self.update_body()
        if date is not None and changed and date < now_ms() + MIN_AUTO_DELETION_DELAY_MS:
            errors["autoDeletionDate"] = self.tr("Pick a time at least 1 hour from now.")
        errors.update(self.limits.problems())
        return errors

    # submitting ----------------------------------------------------------------------------------

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._show_field_errors(errors)

    def _sent(self, room: MeetRoom | None) -> None:
        if room is None:  # nothing changed
            room = self.room
        self.result_room = room
        self.saved.emit(room)

    async def _send(self) -> MeetRoom | None:
        if self.room is None:
            return await self.client.create_room(self.create_body())
        saved: MeetRoom | None = None
        changes = self.update_body()
        if changes:
            saved = await self.client.update_room(self.room.roomId, changes)
            self.room = saved  # what the server has now: a retry sends only what is left
        config = self.config()
        try:
            if config != self.room.config:
                saved = await self.client.update_room_config(self.room.roomId, config)
                self.room = saved
            changes = self.permissions.changes(self._roles) if self._roles is not None else {}
            if changes:
                self._roles = await self.client.update_room_roles(
                    self.room.roomId, moderator=changes.get(Role.MODERATOR), speaker=changes.get(Role.SPEAKER)
                )
            links = self.links.changes(self._access) if self._access is not None else {}
            if links:
                view = await self.client.update_room_access(self.room.roomId, **links)
                self._access = _stored_access(self.room.model_copy(update={"access": view}))
                saved = self.room = self.room.model_copy(update={"access": view})  # the list shows the links' state
        except ApiError:
            if saved is not None:
                self.saved.emit(saved)  # the name, date or config was stored: let the list show it
            raise
        return saved

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

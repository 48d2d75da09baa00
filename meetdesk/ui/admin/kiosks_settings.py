"""Edit a kiosk's settings from the admin app: its name, the name it shows in meetings, its devices by name, its
join policy, when it leaves a meeting it is alone in, its maintenance hour and its volume.

What is typed is checked with the same model the server checks it with (``core.kiosks.KioskSettings``) before
it is sent; a refusal of either kind is shown next to the field at fault. The settings are pushed to the kiosk:
it applies them at once when it is idle, after its meeting otherwise (``pendingSettings`` until then).
"""

from __future__ import annotations

from typing import Any

import pydantic
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.kiosks import Kiosk, KioskSettings
from meetdesk.ui.admin.form_messages import mark_as_error, show_message
from meetdesk.ui.admin.form_submit import SubmitForm
from meetdesk.ui.admin.kiosks_devices import DeviceCombo
from meetdesk.ui.admin.kiosks_enrol import NAME_MAX
from meetdesk.ui.admin.kiosks_model import kiosk_error_text
from meetdesk.ui.messages import as_sentence, field_errors

DEVICES = ("camera", "microphone", "speaker")


class KioskSettingsDialog(SubmitForm, QDialog):
    """The form; saves on OK and stays open, input kept, with the errors next to their fields when refused.

    Signals:
        saved(object): the Kiosk as the server has it after the change.
    """

    saved = Signal(object)
    action = "Saving a kiosk's settings"

    def __init__(self, client: MeetDeskClient, kiosk: Kiosk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskSettingsDialog")
        self.setWindowTitle(self.tr("Settings of “{name}”").format(name=kiosk.name))
        self.client = client
        self.kiosk = kiosk
        self.result_kiosk: Kiosk | None = None
        self._busy = False
        self.errors: dict[str, QLabel] = {}
        settings = kiosk.settings
        column = QVBoxLayout(self)
        form = QFormLayout()
        column.addLayout(form)

        self.name_edit = QLineEdit(kiosk.name)
        self.name_edit.setMinimumWidth(self.name_edit.fontMetrics().averageCharWidth() * 36)
        self._row(form, self.tr("&Kiosk name:"), self.name_edit, "name")
        self.display_edit = QLineEdit(settings.displayName or "")
        self.display_edit.setPlaceholderText(self.tr("The kiosk's name"))
        self._row(form, self.tr("&Name in meetings:"), self.display_edit, "displayName")
        for edit in (self.name_edit, self.display_edit):
            edit.setCursorPosition(0)  # a long name shows its beginning
        self.device_edits: dict[str, DeviceCombo] = {}
        reported = {"camera": kiosk.devices.camera, "microphone": kiosk.devices.microphone}
        reported["speaker"] = kiosk.devices.speaker
        labels = {"camera": self.tr("&Camera:"), "microphone": self.tr("&Microphone:"), "speaker": self.tr("S&peaker:")}
        firsts = {
            "camera": self.tr("The first camera found"),
            "microphone": self.tr("The first microphone found"),
            "speaker": self.tr("The first speaker found"),
        }
        for device in DEVICES:
            in_use = reported[device].name if reported[device].found else None
            first = (
                self.tr("{first} (now: {name})").format(first=firsts[device], name=in_use) if in_use else firsts[device]
            )
            combo = DeviceCombo(kiosk, reported[device], getattr(settings, device), first)
            combo.setToolTip(
                self.tr(
                    "The devices the kiosk reported, or any name typed as the kiosk's system names the device "
                    "(case does not matter)."
                )
            )
            self.device_edits[device] = combo
            self._row(form, labels[device], combo, device)
        self.policy_combo = QComboBox()
        self.policy_combo.addItem(self.tr("Always in the meeting"), "always")
        self.policy_combo.addItem(self.tr("One touch: joins when someone taps Join"), "one-touch")
        self.policy_combo.setCurrentIndex(max(0, self.policy_combo.findData(settings.joinPolicy)))
        self._row(form, self.tr("&Joins:"), self.policy_combo, "joinPolicy")

        self.leave_check = QCheckBox(self.tr("Leave a meeting it is alone in after"))
        self.leave_minutes = QSpinBox()
        self.leave_minutes.setRange(1, 24 * 60)
        self.leave_minutes.setSuffix(self.tr(" min"))
        self.leave_check.setChecked(bool(settings.leaveWhenAloneMinutes))
        self.leave_minutes.setValue(settings.leaveWhenAloneMinutes or 10)
        self.leave_minutes.setEnabled(self.leave_check.isChecked())
        self.leave_check.toggled.connect(self.leave_minutes.setEnabled)
        self._row(form, self.tr("Alone:"), _pair(self.leave_check, self.leave_minutes), "leaveWhenAloneMinutes")

        self.maintenance_combo = QComboBox()
        self.maintenance_combo.addItem(self.tr("Never"), None)
        for hour in range(24):
            self.maintenance_combo.addItem(f"{hour:02}:00", hour)
        self.maintenance_combo.setCurrentIndex(max(0, self.maintenance_combo.findData(settings.maintenanceHour)))
        self.maintenance_combo.setToolTip(
            self.tr("The kiosk restarts itself at this hour, when it is not in a meeting.")
        )
        self._row(form, self.tr("&Restart daily at:"), self.maintenance_combo, "maintenanceHour")

        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setRange(0, 100)
        self.volume_spin = QSpinBox()
        self.volume_spin.setRange(0, 100)
        self.volume_spin.setSuffix(" %")
        self.volume_slider.valueChanged.connect(self.volume_spin.setValue)
        self.volume_spin.valueChanged.connect(self.volume_slider.setValue)
        self.volume_spin.setValue(settings.volume)
        self.volume_spin.setAccessibleName(self.tr("Volume"))
        self._row(form, self.tr("&Volume:"), _pair(self.volume_slider, self.volume_spin, stretch_first=True), "volume")

        self.note = QLabel(
            self.tr("The kiosk applies new settings at once when it is not in a meeting, otherwise after the meeting.")
        )
        self.note.setWordWrap(True)
        column.addWidget(self.note)
        self._add_submit_row(column, self.tr("Save and send"), "kioskSettingsError")

    def _row(self, form: QFormLayout, text: str, field: QWidget, key: str) -> None:
        label = QLabel(text)
        label.setBuddy(_focus(field))
        error = QLabel()
        error.setObjectName(f"{key}Error")
        error.setWordWrap(True)
        mark_as_error(error)
        self.errors[key] = error
        form.addRow(label, field)
        form.addRow("", error)

    # --- what the form says ---------------------------------------------------------------------------------

    def settings_body(self) -> dict[str, Any]:
        """The settings as typed (not yet checked)."""
        body: dict[str, Any] = {
            "displayName": self.display_edit.text().strip() or None,
            "joinPolicy": self.policy_combo.currentData(),
            "leaveWhenAloneMinutes": self.leave_minutes.value() if self.leave_check.isChecked() else None,
            "maintenanceHour": self.maintenance_combo.currentData(),
            "volume": self.volume_spin.value(),
        }
        for device, combo in self.device_edits.items():
            body[device] = combo.name()
        return body

    def local_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        name = self.name_edit.text().strip()
        if not name:
            errors["name"] = self.tr("Type a name for the kiosk.")
        elif len(name) > NAME_MAX:
            errors["name"] = self.tr("A kiosk's name has at most {max} characters; this one has {n}.").format(
                max=NAME_MAX, n=len(name)
            )
        try:
            KioskSettings.model_validate(self.settings_body())
        except pydantic.ValidationError as exc:
            for problem in exc.errors():
                field = str(problem["loc"][0]) if problem["loc"] else ""
                errors.setdefault(field, self._problem_text(field, problem))
        return errors

    def _problem_text(self, field: str, problem: Any) -> str:
        if field == "displayName":
            return self.tr("The name in meetings has at most 64 characters.")
        if field in DEVICES:
            return self.tr("A device name has at most 200 characters.")
        return as_sentence(str(problem["msg"]))

    # --- saving ---------------------------------------------------------------------------------------------

    async def _send(self) -> Kiosk:
        name = self.name_edit.text().strip()
        settings = KioskSettings.model_validate(self.settings_body())  # checked by local_errors already
        return await self.client.update_kiosk(
            self.kiosk.kioskId, name=name if name != self.kiosk.name else None, settings=settings
        )

    def _sent(self, kiosk: Kiosk) -> None:
        self.result_kiosk = kiosk
        self.saved.emit(kiosk)

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.error):
            show_message(label, "")

    def _show_failure(self, exc: ApiError) -> None:
        fields = {key.split(".")[-1]: message for key, message in field_errors(exc).items()}
        known = {key: message for key, message in fields.items() if key in self.errors}
        if known:
            self._show_errors(known)
        else:
            show_message(
                self.error, self.tr("The settings were not saved. {reason}").format(reason=kiosk_error_text(exc))
            )

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            label = self.errors.get(key, self.error)
            show_message(label, as_sentence(message))


def _focus(widget: QWidget) -> QWidget:
    """The widget a label's mnemonic should focus (the first input of a pair)."""
    inputs = widget.findChildren(QWidget)
    return inputs[0] if inputs and isinstance(widget, _Pair) else widget


class _Pair(QWidget):
    pass


def _pair(first: QWidget, second: QWidget, *, stretch_first: bool = False) -> QWidget:
    pair = _Pair()
    row = QHBoxLayout(pair)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(first, 1 if stretch_first else 0)
    row.addWidget(second)
    if not stretch_first:
        row.addStretch(1)
    return pair

"""Adding a kiosk and enrolling it: the "Add kiosk" dialog (a name and the room it joins) and the dialog that
shows a kiosk's one-time enrolment code — as big text, as a QR code (``segno``, drawn into a QImage here) and as
the command line to type on the kiosk.

The QR code holds that command line, so that a phone held up to the screen can carry it to the kiosk. It is drawn
black on white with its quiet zone whatever the theme: scanners need that contrast.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from ipaddress import ip_address
from urllib.parse import urlsplit

import segno
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.kiosks import Kiosk
from meetdesk.ui.admin.form_messages import mark_as_error, show_message
from meetdesk.ui.admin.form_submit import SubmitForm
from meetdesk.ui.messages import as_sentence, describe_error, field_errors

#: as the server counts a kiosk's name
NAME_MAX = 100
#: pixels per QR module on screen
QR_SCALE = 6
QR_BORDER = 4


def enrol_command(server_url: str, code: str) -> str:
    """What to type on the kiosk to enrol it."""
    return f"meetdesk kiosk --enrol {code} --server {server_url}"


def qr_image(text: str, scale: int = QR_SCALE, border: int = QR_BORDER) -> QImage:
    """``text`` as a QR code: dark modules black, light ones and the quiet zone white, ``scale`` pixels each."""
    code = segno.make(text, error="m")
    size = code.symbol_size(scale=1, border=border)[0]
    small = QImage(size, size, QImage.Format.Format_Mono)
    small.setColor(0, QColor("white").rgb())
    small.setColor(1, QColor("black").rgb())
    small.fill(0)
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            if dark:
                small.setPixel(x + border, y + border, 1)
    return small.scaled(size * scale, size * scale, Qt.AspectRatioMode.IgnoreAspectRatio)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class AddKioskDialog(SubmitForm, QDialog):
    """A name and a room for a new kiosk; creates it on OK and stays open (input kept) when that fails.

    Signals:
        created(object): the Kiosk the server made, with its one-time enrolment code.
    """

    created = Signal(object)
    action = "Adding a kiosk"

    def __init__(self, client: MeetDeskClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addKioskDialog")
        self.setWindowTitle(self.tr("Add kiosk"))
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self.client = client
        self.result_kiosk: Kiosk | None = None
        self.rooms_loaded: asyncio.Future[None] | None = None  # the rooms being read, set by who opens it
        self._busy = False
        column = QVBoxLayout(self)
        intro = QLabel(
            self.tr("A kiosk is a meeting-room PC that joins its room's meetings by itself. Name it and pick its room.")
        )
        intro.setWordWrap(True)
        column.addWidget(intro)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("kioskName")
        self.name_edit.setPlaceholderText(self.tr("e.g. Board room PC"))
        self.name_edit.setMinimumWidth(self.name_edit.fontMetrics().averageCharWidth() * 36)
        self.name_error = QLabel()
        self.name_error.setWordWrap(True)
        mark_as_error(self.name_error)
        self.room_combo = QComboBox()
        self.room_combo.setObjectName("kioskRoom")
        self.room_combo.setMinimumContentsLength(24)
        self.room_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.room_error = QLabel()
        self.room_error.setWordWrap(True)
        mark_as_error(self.room_error)
        name_label = QLabel(self.tr("&Name:"))
        name_label.setBuddy(self.name_edit)
        room_label = QLabel(self.tr("&Room:"))
        room_label.setBuddy(self.room_combo)
        form.addRow(name_label, self.name_edit)
        form.addRow("", self.name_error)
        form.addRow(room_label, self.room_combo)
        form.addRow("", self.room_error)
        column.addLayout(form)
        self._add_submit_row(column, self.tr("Add kiosk"), "addKioskError")

    async def load_rooms(self) -> None:
        """Fill the room picker with the server's rooms (by name); says so when there are none or they fail."""
        self.room_combo.clear()
        self.room_combo.setEnabled(False)
        self.room_combo.addItem(self.tr("Loading the rooms…"), "")
        try:
            rooms = [room async for room in self.client.iter_rooms(fields=["roomName"], sort_field="roomName")]
        except ApiError as exc:
            self.room_combo.clear()
            show_message(
                self.room_error, self.tr("The rooms could not be loaded. {reason}").format(reason=describe_error(exc))
            )
            return
        self.room_combo.clear()
        for room in sorted(rooms, key=lambda r: (r.roomName or r.roomId).casefold()):
            self.room_combo.addItem(room.roomName or room.roomId, room.roomId)
        self.room_combo.setEnabled(bool(rooms))
        if not rooms:
            show_message(self.room_error, self.tr("This server has no rooms yet. Add one on the Rooms page first."))

    def choose_room(self, room_id: str) -> None:
        self.room_combo.setCurrentIndex(max(0, self.room_combo.findData(room_id)))

    def local_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        name = self.name_edit.text().strip()
        if not name:
            errors["name"] = self.tr("Type a name for the kiosk, such as the room it stands in.")
        elif len(name) > NAME_MAX:
            errors["name"] = self.tr("A kiosk's name has at most {max} characters; this one has {n}.").format(
                max=NAME_MAX, n=len(name)
            )
        if not self.room_combo.currentData():
            errors["roomId"] = self.tr("Choose the room whose meetings the kiosk joins.")
        return errors

    # --- sending (``SubmitForm``) ------------------------------------------------------------------------------

    async def _send(self) -> Kiosk:
        return await self.client.create_kiosk(self.name_edit.text().strip(), str(self.room_combo.currentData()))

    def _sent(self, kiosk: Kiosk) -> None:
        self.result_kiosk = kiosk
        self.created.emit(kiosk)

    def _clear_errors(self) -> None:
        for label in (self.name_error, self.room_error, self.error):
            show_message(label, "")

    def _show_failure(self, exc: ApiError) -> None:
        fields = {name.split(".")[-1]: message for name, message in field_errors(exc).items()}
        if fields.keys() & {"name", "roomId"}:
            self._show_errors(fields)
        else:
            show_message(self.error, self.tr("The kiosk was not added. {reason}").format(reason=describe_error(exc)))

    def _show_errors(self, errors: dict[str, str]) -> None:
        if "name" in errors:
            show_message(self.name_error, as_sentence(errors["name"]))
            self.name_edit.setFocus()
        if "roomId" in errors:
            show_message(self.room_error, as_sentence(errors["roomId"]))


class EnrolmentDialog(QDialog):
    """A kiosk's one-time code: big text, a QR code and the command line to type on the kiosk, with Copy."""

    def __init__(self, kiosk: Kiosk, server_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enrolmentDialog")
        self.setWindowTitle(self.tr("Enrol “{name}”").format(name=kiosk.name))
        self.kiosk = kiosk
        code = kiosk.enrolmentCode or ""
        self.command = enrol_command(server_url, code)
        column = QVBoxLayout(self)
        column.setSpacing(10)
        intro = QLabel(self.tr("On the kiosk “{name}”, enter this one-time code:").format(name=kiosk.name))
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.code_label = QLabel(code)
        self.code_label.setObjectName("enrolmentCode")
        self.code_label.setAccessibleName(self.tr("Enrolment code"))
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10) * 2.6)
        font.setWeight(QFont.Weight.Bold)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
        self.code_label.setFont(font)
        column.addWidget(self.code_label)
        self.qr_image = qr_image(self.command)
        self.qr_label = QLabel()
        self.qr_label.setObjectName("enrolmentQr")
        self.qr_label.setAccessibleName(self.tr("QR code of the enrolment command"))
        self.qr_label.setPixmap(QPixmap.fromImage(self.qr_image))
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.qr_label)
        if kiosk.enrolmentExpiresAt:
            expires = datetime.fromtimestamp(kiosk.enrolmentExpiresAt / 1000).astimezone().strftime("%Y-%m-%d %H:%M")
            valid = self.tr("The code works once, until {time}.").format(time=expires)
        else:
            valid = self.tr("The code works once.")
        self.valid_label = QLabel(valid)
        self.valid_label.setWordWrap(True)
        column.addWidget(self.valid_label)
        column.addWidget(QLabel(self.tr("Or run this on the kiosk:")))
        row = QHBoxLayout()
        self.command_edit = QLineEdit(self.command)
        self.command_edit.setObjectName("enrolmentCommand")
        self.command_edit.setReadOnly(True)
        self.command_edit.setAccessibleName(self.tr("Command to enrol the kiosk"))
        self.command_edit.setMinimumWidth(self.command_edit.fontMetrics().horizontalAdvance(self.command) + 16)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.clicked.connect(self.copy_command)
        row.addWidget(self.command_edit, 1)
        row.addWidget(self.copy_button)
        column.addLayout(row)
        self.note = QLabel()
        self.note.setWordWrap(True)
        if is_loopback(server_url):
            self.note.setText(
                self.tr(
                    "This server is reached from this computer only. Share it on the network first (the header's "
                    "“Share on the network…”) and use the shared address on the kiosk."
                )
            )
        self.note.setVisible(bool(self.note.text()))
        column.addWidget(self.note)
        self.copied = QLabel()
        self.copied.setVisible(False)
        column.addWidget(self.copied)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    def copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command)
        show_message(self.copied, self.tr("The command is on the clipboard."))

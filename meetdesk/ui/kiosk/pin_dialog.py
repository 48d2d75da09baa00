"""The admin PIN dialog: the only way out of kiosk mode from the room.

A keypad for touch screens (the keyboard works too), the digits hidden, and a :class:`~meetdesk.kiosk.pin.PinGuard`
behind it: after three wrong PINs the dialog refuses further tries for a while and says until when.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QRegularExpressionValidator
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from meetdesk.kiosk.pin import PinGuard
from meetdesk.ui.theme.theming import set_variant


class PinDialog(QDialog):
    """Asks for the admin PIN (window-modal, frameless). ``unlocked`` when the right PIN is entered.

    ``guard`` is None when the kiosk has no PIN: the dialog then says how to stop it from its computer.

    Signals:
        unlocked(): the right PIN was entered (the dialog is accepted too).
    """

    unlocked = Signal()

    def __init__(self, guard: PinGuard | None, parent: QWidget | None = None) -> None:
        flags = Qt.WindowType.FramelessWindowHint | Qt.WindowType.Dialog | Qt.WindowType.WindowStaysOnTopHint
        super().__init__(parent, flags)
        self.setObjectName("kioskPinDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        # frameless over a page of the same colour: its own edge (a kiosk may have no window manager to draw one)
        self.setStyleSheet("QDialog#kioskPinDialog { border: 2px solid palette(highlight); }")
        self.guard = guard
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(14)
        title = QLabel(self.tr("Leave kiosk mode"))
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.prompt = QLabel()
        self.prompt.setWordWrap(True)
        layout.addWidget(self.prompt)
        self.entry = QLineEdit()
        self.entry.setObjectName("pinEntry")
        self.entry.setEchoMode(QLineEdit.EchoMode.Password)
        self.entry.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9]{0,16}"), self.entry))
        self.entry.setAccessibleName(self.tr("Admin PIN"))
        big = QFont(self.entry.font())
        big.setPointSizeF(big.pointSizeF() * 2)
        self.entry.setFont(big)
        layout.addWidget(self.entry)
        self.error = QLabel()
        self.error.setObjectName("pinError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        keypad = QGridLayout()
        keypad.setSpacing(8)
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]):
            text = self.tr("OK") if key == "OK" else key
            button = QPushButton(text)
            button.setFont(big)
            button.setMinimumSize(96, 72)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoDefault(False)
            if key == "⌫":
                button.setAccessibleName(self.tr("Delete the last digit"))
                button.clicked.connect(self.entry.backspace)
            elif key == "OK":
                button.setDefault(True)  # Return in the entry: OK (never Cancel)
                button.clicked.connect(self.submit)
            else:
                set_variant(button, "secondary")
                button.clicked.connect(lambda _=False, k=key: self.entry.insert(k))
            self.keys[key] = button
            keypad.addWidget(button, index // 3, index % 3)
        layout.addLayout(keypad)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel = QPushButton(self.tr("Cancel"))
        set_variant(self.cancel, "secondary")
        self.cancel.setAutoDefault(False)
        self.cancel.clicked.connect(self.reject)
        row.addWidget(self.cancel)
        layout.addLayout(row)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._show_wait)
        if guard is None:
            self.prompt.setText(
                self.tr(
                    "This kiosk has no admin PIN, so it cannot be left from here. Stop it from its computer "
                    "(systemctl --user stop meetdesk-kiosk), or give it a PIN in its configuration."
                )
            )
            self.entry.hide()
            for button in self.keys.values():
                button.hide()
        else:
            self.prompt.setText(self.tr("Enter the admin PIN to close the kiosk."))
            self._show_wait()

    def submit(self) -> None:
        guard = self.guard
        if guard is None:
            return
        pin = self.entry.text()
        if not pin or guard.wait_left() > 0:
            self._show_wait() if pin else None
            return
        if guard.check(pin):
            self.unlocked.emit()
            self.accept()
            return
        self.entry.clear()
        if guard.wait_left() > 0:
            self._show_wait()
        else:
            self._say(self.tr("That PIN is not right. Try again."))

    def _show_wait(self) -> None:
        guard = self.guard
        wait = guard.wait_left() if guard is not None else 0.0
        locked = wait > 0
        self.entry.setEnabled(not locked)
        for button in self.keys.values():
            button.setEnabled(not locked)
        if locked:
            seconds = math.ceil(wait)
            self._say(self.tr("Too many wrong PINs. Try again in %n second(s).", "", seconds))
            self._ticker.start()
        elif self._ticker.isActive():
            self._ticker.stop()
            self._say(self.tr("You can try again now."))
            self.entry.setFocus()

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

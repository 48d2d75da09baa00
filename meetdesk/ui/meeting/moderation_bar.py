"""The moderator's bar at the foot of the participants panel: mute everyone (after a confirmation), lock or
unlock the meeting.

Only a moderator sees it. It shows whether the meeting is locked and asks the window, through its
signals, to act; the window answers with :meth:`ModerationBar.set_locked` once the server says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QPushButton, QSizePolicy, QWidget

from meetdesk.ui.theme.theming import VARIANT


class ModerationBar(QWidget):
    """ "Mute everyone" and "Lock meeting" / "Unlock meeting".

    Signals:
        muteEveryoneRequested(): mute everyone but you (after the moderator confirmed it).
        lockRequested(bool): lock the meeting (True) or unlock it.
    """

    muteEveryoneRequested = Signal()
    lockRequested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationBar")
        self._locked = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.mute_all = QPushButton(self.tr("Mute everyone"))
        self.mute_all.setObjectName("muteEveryoneButton")
        self.mute_all.setToolTip(self.tr("Turn off everyone's microphone but yours. Each of them can unmute."))
        self.mute_all.clicked.connect(self.confirm_mute_everyone)
        self.lock = QPushButton()
        self.lock.setObjectName("lockButton")
        self.lock.clicked.connect(lambda: self.lockRequested.emit(not self._locked))
        for button in (self.mute_all, self.lock):
            button.setProperty(VARIANT, "secondary")  # the window's primary button is Leave
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            layout.addWidget(button)
        self.set_locked(False)

    #: the open "Mute everyone?" question (None when none is open)
    mute_box: QMessageBox | None = None

    def confirm_mute_everyone(self) -> QMessageBox:
        """Ask before muting everyone (window-modal: no nested event loop); each of them can unmute."""
        box = QMessageBox(self)
        box.setObjectName("confirmMuteEveryone")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Mute everyone"))
        box.setText(self.tr("Mute everyone else in the meeting?"))
        box.setInformativeText(self.tr("Each of them is told, and can unmute when they want to speak."))
        mute = box.addButton(self.tr("Mute everyone"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(mute)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if self.mute_box is box:
                self.mute_box = None
            if box.clickedButton() is mute:
                self.muteEveryoneRequested.emit()

        box.finished.connect(answered)
        self.mute_box = box
        box.open()
        return box

    @property
    def locked(self) -> bool:
        return self._locked

    def set_locked(self, locked: bool) -> None:
        """Show the meeting as locked (the button then unlocks it) or not."""
        self._locked = locked
        self.lock.setText(self.tr("Unlock meeting") if locked else self.tr("Lock meeting"))
        self.lock.setToolTip(
            self.tr("Let new participants join again.")
            if locked
            else self.tr("Nobody new can join until you unlock it. Those in the meeting stay.")
        )
        self.lock.setAccessibleName(self.lock.text())

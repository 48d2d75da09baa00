"""The moderator's bar at the foot of the participants panel: mute everyone, lock or unlock the meeting.

Only a moderator sees it. It shows whether the meeting is locked and asks the window, through its
signals, to act; the window answers with :meth:`ModerationBar.set_locked` once the server says so.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QWidget

from meetdesk.ui.theme.theming import VARIANT


class ModerationBar(QWidget):
    """ "Mute everyone" and "Lock meeting" / "Unlock meeting".

    Signals:
        muteEveryoneRequested(): mute everyone but you.
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
        self.mute_all.clicked.connect(self.muteEveryoneRequested.emit)
        self.lock = QPushButton()
        self.lock.setObjectName("lockButton")
        self.lock.clicked.connect(lambda: self.lockRequested.emit(not self._locked))
        for button in (self.mute_all, self.lock):
            button.setProperty(VARIANT, "secondary")  # the window's primary button is Leave
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            layout.addWidget(button)
        self.set_locked(False)

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

"""The kiosk's own pages: the home screen, the "Reconnecting in N s" page and the bad-configuration page.

Everything on them is sized to be read from across a meeting room: the text scales with the screen's height.
"""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPalette, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from meetdesk.kiosk.health import DeviceState
from meetdesk.ui.theme.theming import set_variant


def _scaled(label: QWidget, points: float, *, bold: bool = False) -> None:
    font = QFont(label.font())
    font.setPointSizeF(max(8.0, points))
    font.setBold(bold)
    label.setFont(font)


class KioskPage(QWidget):
    """A page with a lock button in its top-right corner (it asks for the admin PIN).

    Signals:
        adminRequested(): the lock button was pressed.
    """

    adminRequested = Signal()

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.root = QVBoxLayout(self)
        self.root.setContentsMargins(48, 24, 24, 48)
        top = QHBoxLayout()
        top.addStretch(1)
        self.admin = QToolButton()
        self.admin.setObjectName("kioskAdminButton")
        self.admin.setText(self.tr("Admin"))
        self.admin.setAccessibleName(self.tr("Admin: enter the PIN to leave kiosk mode"))
        self.admin.setAutoRaise(True)
        self.admin.clicked.connect(self.adminRequested.emit)
        top.addWidget(self.admin)
        self.root.addLayout(top)

    def unit(self) -> float:
        """One hundredth of the page's height in points (what "from across the room" is measured in)."""
        return max(self.height(), 480) / 100


class HomePage(KioskPage):
    """Room name, clock, who is in the meeting, a big Join button and the health line.

    Signals:
        joinRequested(): Join was pressed.
    """

    joinRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("kioskHome", parent)
        self.room = QLabel()
        self.room.setObjectName("kioskRoomName")
        self.room.setWordWrap(True)
        self.room.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clock = QLabel()
        self.clock.setObjectName("kioskClock")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.presence = QLabel()
        self.presence.setObjectName("kioskPresence")
        self.presence.setWordWrap(True)
        self.presence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.join = QPushButton(self.tr("Join"))
        self.join.setObjectName("kioskJoin")
        self.join.clicked.connect(self.joinRequested.emit)
        self.status = QLabel()
        self.status.setObjectName("kioskStatus")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.health = QLabel()
        self.health.setObjectName("kioskHealth")
        self.health.setWordWrap(True)
        self.health.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.health.setTextFormat(Qt.TextFormat.RichText)
        #: what the health line shows in the danger colour, in words
        self.problems: list[str] = []
        self.root.addStretch(1)
        self.root.addWidget(self.clock)
        self.root.addWidget(self.room)
        self.root.addSpacing(12)
        self.root.addWidget(self.presence)
        self.root.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.join, 2)
        row.addStretch(1)
        self.root.addLayout(row)
        self.root.addWidget(self.status)
        self.root.addStretch(1)
        self.root.addWidget(self.health)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        self._tick()
        self.set_presence(None)

    def _tick(self) -> None:
        text = time.strftime("%H:%M")
        if self.clock.text() != text:
            self.clock.setText(text)

    def set_room(self, name: str) -> None:
        self.room.setText(name)

    def set_presence(self, names: list[str] | None) -> None:
        """Who is in the meeting now (None: not known)."""
        if names is None:
            self.presence.setText("")
        elif not names:
            self.presence.setText(self.tr("Nobody is in the meeting yet."))
        else:
            shown = ", ".join(names[:6]) + (" …" if len(names) > 6 else "")
            self.presence.setText(self.tr("In the meeting now (%n): {names}", "", len(names)).format(names=shown))

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def set_health(self, server: bool | None, devices: dict[str, DeviceState]) -> None:
        """The health line: server reachable, and each device found or missing (by name)."""
        danger = self.palette().color(QPalette.ColorRole.BrightText).name()  # the theme's danger colour

        def part(text: str, bad: bool) -> str:
            text = html.escape(text)
            return f'<b style="color:{danger}">{text}</b>' if bad else text

        parts = [
            part(self.tr("Server: not checked yet"), False)
            if server is None
            else part(self.tr("Server: reachable"), False)
            if server
            else part(self.tr("Server: not reachable"), True)
        ]
        parts += [part(device_text(self, state), state.missing) for state in devices.values()]
        self.health.setText(" &nbsp;·&nbsp; ".join(parts))
        self.problems = [device_text(self, s) for s in devices.values() if s.missing]
        if server is False:
            self.problems.insert(0, self.tr("Server: not reachable"))

    def resizeEvent(self, event: QResizeEvent) -> None:
        u = self.unit()
        _scaled(self.clock, u * 9, bold=True)
        _scaled(self.room, u * 5.5, bold=True)
        _scaled(self.presence, u * 2.6)
        _scaled(self.join, u * 4.5, bold=True)
        self.join.setMinimumHeight(int(u * 12))
        _scaled(self.status, u * 2.4)
        _scaled(self.health, u * 2.0)
        super().resizeEvent(event)


def device_text(widget: QWidget, state: DeviceState) -> str:
    """ "Camera: Logitech MeetUp" or "Camera 'Logitech MeetUp' not found"."""
    what = {"camera": widget.tr("Camera"), "microphone": widget.tr("Microphone"), "speaker": widget.tr("Speaker")}
    kind = what[state.kind]
    if state.found is not None:
        return widget.tr("{kind}: {name}").format(kind=kind, name=state.found)
    if state.wanted is None:
        return widget.tr("{kind}: none found").format(kind=kind)
    return widget.tr("{kind} “{name}” not found").format(kind=kind, name=state.wanted)


class WaitingPage(KioskPage):
    """ "Reconnecting in N s", counting down, with why.

    Signals:
        retryNow(): "Try now" was pressed.
        cancelRequested(): "Back to the home screen" was pressed.
    """

    retryNow = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("kioskWaiting", parent)
        self.title = QLabel()
        self.title.setObjectName("kioskWaitingTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setObjectName("kioskWaitingReason")
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason.setWordWrap(True)
        self.try_now = QPushButton(self.tr("Try now"))
        self.try_now.clicked.connect(self.retryNow.emit)
        self.cancel = QPushButton(self.tr("Back to the home screen"))
        set_variant(self.cancel, "secondary")
        self.cancel.clicked.connect(self.cancelRequested.emit)
        self.root.addStretch(1)
        self.root.addWidget(self.title)
        self.root.addSpacing(12)
        self.root.addWidget(self.reason)
        self.root.addSpacing(24)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.try_now)
        row.addWidget(self.cancel)
        row.addStretch(1)
        self.root.addLayout(row)
        self.root.addStretch(2)

    def show_countdown(self, seconds: int, reason: str) -> None:
        self.title.setText(
            self.tr("Reconnecting in %n s", "", max(0, seconds)) if seconds > 0 else self.tr("Reconnecting…")
        )
        self.reason.setText(reason)

    def resizeEvent(self, event: QResizeEvent) -> None:
        u = self.unit()
        _scaled(self.title, u * 6, bold=True)
        _scaled(self.reason, u * 2.6)
        for button in (self.try_now, self.cancel):
            _scaled(button, u * 2.4)
            button.setMinimumHeight(int(u * 7))
        super().resizeEvent(event)


class ProblemPage(KioskPage):
    """The configuration cannot be used: which field, why, and where the file is (or another reason the kiosk
    cannot go on by itself: :meth:`show_notice`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("kioskProblem", parent)
        self.title = QLabel(self.tr("This kiosk is not set up correctly"))
        self.title.setObjectName("kioskProblemTitle")
        self.title.setWordWrap(True)
        self.field = QLabel()
        self.field.setObjectName("kioskProblemField")
        self.field.setWordWrap(True)
        self.field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel()
        self.hint.setObjectName("kioskProblemHint")
        self.hint.setWordWrap(True)
        self.root.addStretch(1)
        self.root.addWidget(self.title)
        self.root.addSpacing(16)
        self.root.addWidget(self.field)
        self.root.addSpacing(16)
        self.root.addWidget(self.hint)
        self.root.addStretch(2)

    def show_notice(self, title: str, message: str, hint: str) -> None:
        """Another reason the kiosk cannot go on by itself (removed from its server, not enrolled)."""
        self.title.setText(title)
        self.field.setText(message)
        self.hint.setText(hint)

    def show_problem(self, field: str, message: str, source: str) -> None:
        self.title.setText(self.tr("This kiosk is not set up correctly"))
        if field:
            self.field.setText(self.tr("The setting “{field}”: {message}").format(field=field, message=message))
        else:
            self.field.setText(message)
        if source and source != "command line":
            self.hint.setText(
                self.tr("Fix it in {file}. The kiosk starts by itself as soon as the file is saved.").format(
                    file=source
                )
            )
        else:
            self.hint.setText(self.tr("Fix the command-line options, then start the kiosk again."))

    def resizeEvent(self, event: QResizeEvent) -> None:
        u = self.unit()
        _scaled(self.title, u * 5, bold=True)
        _scaled(self.field, u * 3)
        _scaled(self.hint, u * 2.4)
        super().resizeEvent(event)

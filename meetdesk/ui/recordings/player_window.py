"""A window that plays one recording at a time: its room and date above the player. Opened by Play (or a
double-click) on a list of recordings; playing another recording reuses it; closing it stops the playing and
lets go of the stream."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.recordings import MeetRecording
from meetdesk.ui.recordings.player import RecordingPlayer, format_time


def _started(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


class PlayerWindow(QWidget):
    """The player in a window of its own (module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("playerWindow")
        self.setWindowTitle(self.tr("Recording"))
        self.title = QLabel()
        self.title.setObjectName("playerTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        # a long room name wraps (anywhere, if it must) instead of widening the window off the screen
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setObjectName("playerDetails")
        self.player = RecordingPlayer(self)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 10, 12, 10)
        column.addWidget(self.title)
        column.addWidget(self.details)
        column.addWidget(self.player, 1)
        self.resize(960, 640)
        self._closing: asyncio.Task[None] | None = None

    def play(self, client: MeetDeskClient, recording: MeetRecording) -> asyncio.Task[None]:
        """Show the window (raised) and play ``recording``."""
        self.title.setText(recording.roomName)
        self.title.setToolTip(recording.roomName)
        started = _started(recording.startDate)
        if recording.duration is not None:
            self.details.setText(
                self.tr("Recorded {date}, {length} long").format(
                    date=started, length=format_time(round(recording.duration * 1000))
                )
            )
        else:
            self.details.setText(self.tr("Recorded {date}").format(date=started))
        self.setWindowTitle(self.tr("{room} — recording").format(room=recording.roomName))
        self.show()
        self.raise_()
        self.activateWindow()
        return self.player.open(client, recording)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = asyncio.ensure_future(self.player.close_recording())
        super().closeEvent(event)

    async def closed(self) -> None:
        """Until what closing started has ended (tests)."""
        if self._closing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._closing

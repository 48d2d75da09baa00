"""What floats over the meeting's stage: the "Reconnecting…" cover, the toasts (reactions, arrivals,
departures), and the banner that says you are sharing your screen.

:class:`StageOverlays` keeps the cover and the toasts placed over the stage widget as it resizes; the cover
follows the :class:`~meetdesk.ui.meeting.model.MeetingModel`'s connection state, the banner its ``sharing``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from meetdesk.ui.meeting.model import Connection, MeetingModel

TOAST_MS = 4000
#: toasts shown at once (the oldest goes first)
TOAST_LINES = 4


class StageOverlays(QObject):
    """The reconnecting cover, the toasts and the preview of a chat message, over ``stage``.

    Signals:
        chatPreviewClicked(): the preview of a new message was clicked (open the chat).
    """

    chatPreviewClicked = Signal()

    def __init__(self, model: MeetingModel, stage: QWidget) -> None:
        super().__init__(stage)
        self.model = model
        self.stage = stage
        self.overlay = QLabel(self.tr("Reconnecting…"), stage)
        self.overlay.setObjectName("reconnectingOverlay")
        self.overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.overlay.setWordWrap(True)
        self.overlay.setStyleSheet(
            "#reconnectingOverlay { background: rgba(0,0,0,170); color: white; font-size: 20px; padding: 24px; }"
        )
        self.overlay.hide()
        self.toasts = QLabel(stage)
        self.toasts.setObjectName("toasts")
        self.toasts.setStyleSheet(
            "#toasts { background: rgba(0,0,0,160); color: white; border-radius: 8px; padding: 8px 14px; }"
        )
        self.toasts.hide()
        self._lines: list[str] = []
        # a message that came while the chat is closed, at the bottom right as in Zoom: a click opens the chat
        self.chat_preview = QPushButton(stage)
        self.chat_preview.setObjectName("chatPreview")
        self.chat_preview.setCursor(Qt.CursorShape.PointingHandCursor)
        self.chat_preview.setToolTip(self.tr("Open the chat."))
        self.chat_preview.setStyleSheet(
            "#chatPreview { background: rgba(0,0,0,160); color: white; border: none; border-radius: 8px;"
            " padding: 8px 14px; text-align: left; }"
            "#chatPreview:hover { background: rgba(0,0,0,200); text-decoration: underline; }"
        )
        self.chat_preview.clicked.connect(self._chat_preview_clicked)
        self.chat_preview.hide()
        stage.installEventFilter(self)
        model.connectionChanged.connect(self._connection_changed)

    def _connection_changed(self, state: str) -> None:
        reconnecting = state == Connection.RECONNECTING
        if reconnecting:
            self.overlay.setText(self.tr("Reconnecting…"))
            self.place()
            self.overlay.raise_()
        self.overlay.setVisible(reconnecting)

    def attempt(self, number: int) -> None:
        """Say which attempt at reconnecting this is."""
        self.overlay.setText(self.tr("Reconnecting… (attempt {n})").format(n=number))

    def toast(self, text: str) -> None:
        self._lines = [*self._lines[-(TOAST_LINES - 1) :], text]
        self._show_lines()
        self.toasts.show()
        self.toasts.raise_()
        QTimer.singleShot(TOAST_MS, self, lambda: self._expire(text))  # gone with the page

    def show_chat_preview(self, text: str) -> None:
        """Show the newest message's preview (it replaces the previous one) for a few seconds."""
        self.chat_preview.setText(text)
        self.chat_preview.setAccessibleName(self.tr("New message: {text}. Open the chat.").format(text=text))
        self.chat_preview.adjustSize()
        self.place()
        self.chat_preview.show()
        self.chat_preview.raise_()
        QTimer.singleShot(TOAST_MS, self, lambda: self.chat_preview.text() == text and self.chat_preview.hide())

    def _chat_preview_clicked(self) -> None:
        self.chat_preview.hide()
        self.chatPreviewClicked.emit()

    def _expire(self, text: str) -> None:
        if text in self._lines:
            self._lines.remove(text)
        if self._lines:
            self._show_lines()
        else:
            self.toasts.hide()

    def _show_lines(self) -> None:
        self.toasts.setText("\n".join(self._lines))
        self.toasts.adjustSize()
        self.place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.stage and event.type() == QEvent.Type.Resize:
            self.place()
        return False

    def place(self) -> None:
        self.overlay.setGeometry(self.stage.rect())
        self.toasts.move(16, 16)
        preview, stage = self.chat_preview, self.stage.rect()
        preview.setMaximumWidth(max(120, stage.width() - 32))
        preview.move(stage.right() - preview.width() - 16, stage.bottom() - preview.height() - 16)

    def hide_all(self) -> None:
        self.overlay.hide()
        self.chat_preview.hide()


class SharingBanner(QWidget):
    """ "You are sharing your screen" with a Stop button, shown while the model says you share.

    Signals:
        stopRequested(): the user pressed "Stop sharing".
    """

    stopRequested = Signal()

    def __init__(self, model: MeetingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sharingBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the theme's secondary colour
        banner = QHBoxLayout(self)
        banner.setContentsMargins(12, 6, 12, 6)
        self.text = QLabel(self.tr("You are sharing your screen with everyone."))
        self.stop = QPushButton(self.tr("Stop sharing"))
        self.stop.clicked.connect(self.stopRequested.emit)
        banner.addWidget(self.text, 1)
        banner.addWidget(self.stop)
        self.setVisible(model.sharing)
        model.sharingChanged.connect(self.setVisible)

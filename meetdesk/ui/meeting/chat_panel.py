"""The meeting's chat: the messages as bubbles in a list (painted by :mod:`.chat_delegate`), and a box to write one.

:class:`ChatModel` holds the messages, each once (the server echoes your own message back to you, and a
resumed session receives the whole history again). :class:`ChatPanel` shows them, counts the ones from
others that arrive while it is hidden (``unread``, for a badge on the button that opens it) and asks the
window to send what the user writes (``sendRequested``); the window answers a refusal with
:meth:`ChatPanel.show_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.core.signalling import CHAT_MAX_CHARS, ChatMessage
from meetdesk.ui.meeting.chat_delegate import GROUP_MS, ChatDelegate, MessageRole, OwnRole, SenderRole, TimeRole
from meetdesk.ui.meeting.chat_links import LinkOpener, find_links, preview

__all__ = ["GROUP_MS", "ChatModel", "ChatPanel", "MessageRole", "OwnRole", "SenderRole", "TimeRole"]

logger = logging.getLogger(__name__)

#: lines of text the input shows before it scrolls
INPUT_LINES = 3

Index = QModelIndex | QPersistentModelIndex


def local_time(ms: int) -> str:
    """``ms`` (milliseconds since the epoch) as local hh:mm."""
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%H:%M")


class ChatModel(QAbstractListModel):
    """The meeting's messages in the order they arrived, each id once."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.messages: list[ChatMessage] = []
        self._own: set[str] = set()  # ids of the messages the local participant wrote

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.messages)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.messages):
            return None
        message = self.messages[index.row()]
        if role == MessageRole:
            return message
        if role == OwnRole:
            return message.id in self._own
        if role == SenderRole:
            return self.sender_text(message)
        if role == TimeRole:
            return local_time(message.time)
        if role == Qt.ItemDataRole.DisplayRole:
            return message.text
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return self.tr("{sender} at {time}: {text}").format(
                sender=self.sender_text(message), time=local_time(message.time), text=message.text
            )
        return None

    def sender_text(self, message: ChatMessage) -> str:
        if message.id in self._own:
            return self.tr("You")
        return message.name or message.identity

    def append(self, message: ChatMessage, own: bool = False) -> bool:
        """Add ``message`` at the end; False (and nothing changes) if a message with its id is already here."""
        return bool(self.extend([message], own_identity=message.identity if own else None))

    def extend(self, messages: Iterable[ChatMessage], own_identity: str | None = None) -> list[ChatMessage]:
        """Add the messages not here yet (by id), in their order; those from ``own_identity`` are the local
        participant's. Returns the ones added."""
        known = {message.id for message in self.messages}
        fresh: list[ChatMessage] = []
        for message in messages:
            if message.id not in known:
                known.add(message.id)
                fresh.append(message)
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.messages), len(self.messages) + len(fresh) - 1)
            self.messages.extend(fresh)
            if own_identity is not None:
                self._own.update(message.id for message in fresh if message.identity == own_identity)
            self.endInsertRows()
        return fresh

    def clear(self) -> None:
        self.beginResetModel()
        self.messages = []
        self._own = set()
        self.endResetModel()


class ChatListView(QListView):
    """The message list: says so when there is no message yet, copies the current message on Ctrl+C and opens its
    first link on Enter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = self.tr("No messages yet. Say hello!")

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            margin = self.fontMetrics().height()
            painter.drawText(
                self.viewport().rect().adjusted(margin, margin, -margin, -margin),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        index = self.indexAt(event.position().toPoint())
        delegate = self.itemDelegate()
        over_link = (
            index.isValid()
            and isinstance(delegate, ChatDelegate)
            and delegate.link_at(index, event.position().toPoint()) is not None
        )
        if over_link:
            self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.viewport().unsetCursor()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.currentIndex().isValid():
            QGuiApplication.clipboard().setText(self.currentIndex().data() or "")
            event.accept()
            return
        delegate = self.itemDelegate()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(delegate, ChatDelegate):
            links = find_links(self.currentIndex().data() or "") if self.currentIndex().isValid() else []
            if links:  # the keyboard's way to a link: Enter opens the current message's first one
                delegate.linkClicked.emit(links[0].url)
                event.accept()
                return
        super().keyPressEvent(event)


class ChatInput(QPlainTextEdit):
    """Where a message is written: Enter sends it, Shift+Enter starts a new line.

    Signals:
        submitted(): the user pressed Enter to send what is written.
    """

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.ensurePolished()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() in (QEvent.Type.Polish, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_height()
        return handled

    def _fit_height(self) -> None:
        # the style sheet's border and padding are in the contents margins once the widget is polished
        margins = self.contentsMargins()
        frame = margins.top() + margins.bottom() or 2 * self.frameWidth()
        line = self.fontMetrics().lineSpacing() + 1  # a QTextLine is one pixel taller than the line spacing
        self.setFixedHeight(int(line * INPUT_LINES + 2 * self.document().documentMargin() + frame) + 2)


class ChatPanel(QWidget):
    """The chat side panel: the messages, a box to write one and a Send button.

    Signals:
        sendRequested(str): the user sent this text (trimmed, not empty, at most CHAT_MAX_CHARS); the input
            is already cleared.
        unreadChanged(int): how many messages from others arrived while the panel was hidden.
        previewRequested(str): a message from someone else arrived while the panel is hidden: a short line
            to show in its place ("Bo: the text…").

    Links in messages open when clicked (web addresses at once, others after a confirmation: :attr:`links`).
    """

    sendRequested = Signal(str)
    unreadChanged = Signal(int)
    previewRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None, you: str | None = None) -> None:
        super().__init__(parent)
        self.you = you
        self._unread = 0
        self._length_error = False
        self._stick_to_bottom = True
        self.model = ChatModel(self)
        self._build()
        self._connect()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = ChatListView(self)
        self.list.setAccessibleName(self.tr("Chat messages"))
        self.list.setModel(self.model)
        self.delegate = ChatDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setMouseTracking(True)  # the pointer becomes a hand over links
        self.links = LinkOpener(self)
        self.delegate.linkClicked.connect(self.links.open)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # rows re-wrap when the panel is resized
        self.list.setUniformItemSizes(False)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        layout.addWidget(self.list, 1)

        bottom = QVBoxLayout()
        bottom.setContentsMargins(8, 8, 8, 8)
        self.input = ChatInput(self)
        self.input.setPlaceholderText(self.tr("Write a message…"))
        self.input.setAccessibleName(self.tr("Message"))
        self.input.setAccessibleDescription(self.tr("Enter sends the message, Shift+Enter starts a new line."))
        self.input.setToolTip(self.tr("Enter sends, Shift+Enter starts a new line"))
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setAccessibleName(self.tr("Send message"))
        self.send_button.setEnabled(False)
        bottom.addWidget(self.input)
        # under the input, beside the button: the panel is often narrow, the input keeps its whole width
        row = QHBoxLayout()
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setProperty("messageKind", "error")
        self.error_label.setAccessibleName(self.tr("Chat problem"))
        self.error_label.hide()
        row.addWidget(self.error_label, 1, Qt.AlignmentFlag.AlignTop)
        row.addStretch(0)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
        bottom.addLayout(row)
        layout.addLayout(bottom)
        self._colour_error()

    def set_can_write(self, can: bool) -> None:
        """Whether the local role may send chat messages: without, the input says so instead of taking text."""
        self.input.setReadOnly(not can)
        self.input.setEnabled(can)
        self.input.setPlaceholderText(
            self.tr("Write a message…") if can else self.tr("Your role may not send messages in this meeting.")
        )
        self.list.empty_text = self.tr("No messages yet. Say hello!") if can else self.tr("No messages yet.")
        self.list.viewport().update()
        if not can:
            self.input.clear()
        self.send_button.setEnabled(can and bool(self.text()))

    def _connect(self) -> None:
        self.input.submitted.connect(self.submit)
        self.send_button.clicked.connect(self.submit)
        self.input.textChanged.connect(self._text_changed)
        bar = self.list.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)

    # --- sending ---------------------------------------------------------------------------------------

    def text(self) -> str:
        """What would be sent: the input without leading and trailing blanks."""
        return self.input.toPlainText().strip()

    def submit(self) -> bool:
        """Send what is written (what Enter and the Send button do); False if there is nothing to send or it
        is too long, which the sentence under the input then explains."""
        text = self.text()
        if not text:
            return False
        if len(text) > CHAT_MAX_CHARS:
            self._show(self._too_long(len(text)), length=True)
            return False
        self._show("")
        self.input.clear()
        self._stick_to_bottom = True  # the echo of your own message should come into view
        self.sendRequested.emit(text)
        return True

    def _too_long(self, length: int) -> str:
        return self.tr("This message has {length} characters; the limit is {limit}. Shorten it to send it.").format(
            length=length, limit=CHAT_MAX_CHARS
        )

    def _text_changed(self) -> None:
        text = self.text()
        self.send_button.setEnabled(bool(text) and not self.input.isReadOnly())
        if len(text) > CHAT_MAX_CHARS:
            self._show(self._too_long(len(text)), length=True)
        elif self._length_error:
            self._show("")  # shortened enough: the sentence about the length no longer applies

    def show_error(self, text: str) -> None:
        """Say under the input why a message was not sent ("Chat is disabled in this room"); "" hides it."""
        self._show(text)

    def _show(self, text: str, length: bool = False) -> None:
        self._length_error = length and bool(text)
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        """The sentence under the input, "" when none is shown."""
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def _colour_error(self) -> None:
        palette = self.error_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, self.palette().color(QPalette.ColorRole.BrightText))
        self.error_label.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._colour_error()  # the theme changed: the error colour follows it

    # --- messages ----------------------------------------------------------------------------------------

    def set_you(self, identity: str | None) -> None:
        """The local participant's identity, to tell own messages in :meth:`set_history`."""
        self.you = identity

    def add_message(self, message: ChatMessage, own: bool) -> None:
        """Show a message that just arrived (``own``: the local participant wrote it). A message already shown
        (same id) is ignored."""
        if own:
            self._stick_to_bottom = True
        if self.model.append(message, own) and not own and not self.isVisible():
            self._set_unread(self._unread + 1)
            self.previewRequested.emit(preview(message))

    def set_history(self, messages: Iterable[ChatMessage], you: str | None = None) -> None:
        """Show the messages of a (re)join; those already shown are skipped. On the first join the history
        is not "unread"; messages a resumed session missed while the panel is hidden are."""
        if you is not None:
            self.you = you
        first = self.model.rowCount() == 0
        fresh = self.model.extend(messages, own_identity=self.you)
        if first:
            self._stick_to_bottom = True
            self.list.scrollToBottom()
            return
        missed = sum(1 for message in fresh if message.identity != self.you)
        if missed and not self.isVisible():
            self._set_unread(self._unread + missed)

    def clear(self) -> None:
        self.model.clear()
        self.mark_read()

    # --- unread -------------------------------------------------------------------------------------------

    @property
    def unread(self) -> int:
        """Messages from others that arrived while the panel was hidden, since it was last shown."""
        return self._unread

    def _set_unread(self, count: int) -> None:
        if count != self._unread:
            self._unread = count
            self.unreadChanged.emit(count)

    def mark_read(self) -> None:
        self._set_unread(0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.mark_read()
        if self._stick_to_bottom:
            self.list.scrollToBottom()

    # --- following the conversation -----------------------------------------------------------------------

    def at_bottom(self) -> bool:
        bar = self.list.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2

    def _scrolled(self, _value: int) -> None:
        self._stick_to_bottom = self.at_bottom()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        # new rows (or re-wrapped ones) grew the list: follow them if the reader was at the bottom
        if self._stick_to_bottom:
            self.list.verticalScrollBar().setValue(maximum)

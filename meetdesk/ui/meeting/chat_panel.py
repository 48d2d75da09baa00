"""The meeting's chat: the messages as bubbles in a list, and a box to write one.

:class:`ChatModel` holds the messages, each once (the server echoes your own message back to you, and a
resumed session receives the whole history again). :class:`ChatPanel` shows them, counts the ones from
others that arrive while it is hidden (``unread``, for a badge on the button that opens it) and asks the
window to send what the user writes (``sendRequested``); the window answers a refusal with
:meth:`ChatPanel.show_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QShowEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from meetdesk.core.signalling import CHAT_MAX_CHARS, ChatMessage

logger = logging.getLogger(__name__)

#: the ChatMessage of a row
MessageRole = Qt.ItemDataRole.UserRole + 1
#: whether the local participant wrote it
OwnRole = Qt.ItemDataRole.UserRole + 2
#: who wrote it, as shown: "You" or the sender's name
SenderRole = Qt.ItemDataRole.UserRole + 3
#: when, as shown: local hh:mm
TimeRole = Qt.ItemDataRole.UserRole + 4

#: consecutive messages of one sender closer together than this share one header
GROUP_MS = 2 * 60 * 1000
#: lines of text the input shows before it scrolls
INPUT_LINES = 3

Index = QModelIndex | QPersistentModelIndex


def local_time(ms: int) -> str:
    """``ms`` (milliseconds since the epoch) as local hh:mm."""
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%H:%M")


def blend(colour: QColor, backdrop: QColor, amount: float) -> QColor:
    """``amount`` of ``colour`` over ``backdrop`` (0: the backdrop, 1: the colour)."""
    keep = 1.0 - amount
    return QColor.fromRgbF(
        colour.redF() * amount + backdrop.redF() * keep,
        colour.greenF() * amount + backdrop.greenF() * keep,
        colour.blueF() * amount + backdrop.blueF() * keep,
    )


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


@dataclass
class Bubble:
    """Where a message is painted, in a row whose top-left is (0, 0)."""

    rect: QRect
    height: int  # of the whole row
    text: QTextLayout  # laid out, to draw at the top-left of the text
    header: int  # height of the sender-and-time line, 0 when the message shares the one before
    pad: int
    bold: QFont
    sender: str
    time: str


class ChatDelegate(QStyledItemDelegate):
    """Paints a message as a bubble: the sender and the time over the wrapped text. Your own messages sit on
    the right, tinted with the highlight colour; the others on the left. A message that follows one of the
    same sender within :data:`GROUP_MS` leaves out the header."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    # --- geometry, shared by sizeHint and paint -------------------------------------------------------

    def _metrics(self, font: QFont) -> tuple[int, int, int, int]:
        """(outer margin, indent on the far side, padding inside the bubble, gap between bubbles) for ``font``."""
        em = QFontMetrics(font).height()
        indent = min(3 * em, self._view.viewport().width() // 8)  # a narrow panel keeps its width for the text
        return max(6, em // 2), indent, max(6, em // 2), max(4, em // 2)

    def _grouped(self, index: Index) -> bool:
        if index.row() == 0:
            return False
        previous = index.model().index(index.row() - 1, 0)
        before, message = previous.data(MessageRole), index.data(MessageRole)
        return (
            before is not None
            and before.identity == message.identity
            and bool(previous.data(OwnRole)) == bool(index.data(OwnRole))
            and 0 <= message.time - before.time < GROUP_MS
        )

    @staticmethod
    def _text_layout(text: str, font: QFont, width: float) -> tuple[QTextLayout, float, float]:
        """The wrapped text, its widest line and its height. A long URL breaks anywhere rather than overflow."""
        # QTextLayout breaks lines only at U+2028
        layout = QTextLayout(text.replace("\r\n", "\n").replace("\n", "\u2028"), font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        height = widest = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, height))
            height += line.height()
            widest = max(widest, line.naturalTextWidth())
        layout.endLayout()
        return layout, widest, height

    def _geometry(self, option: QStyleOptionViewItem, index: Index) -> Bubble:
        font = option.font
        bold = QFont(font)
        bold.setBold(True)
        metrics, bold_metrics = QFontMetrics(font), QFontMetrics(bold)
        margin, indent, pad, gap = self._metrics(font)
        width = self._view.viewport().width()
        grouped = self._grouped(index)
        available = max(4 * pad, width - 2 * margin - indent)
        layout, widest, text_height = self._text_layout(index.data() or "", font, available - 2 * pad)
        sender, time = index.data(SenderRole) or "", index.data(TimeRole) or ""
        header_height = 0
        content = widest
        if not grouped:
            header_height = max(bold_metrics.height(), metrics.height()) + pad // 2
            content = max(content, bold_metrics.horizontalAdvance(sender) + pad + metrics.horizontalAdvance(time) + 2)
        bubble_width = min(available, int(content) + 2 * pad + 1)
        bubble_height = int(pad + header_height + text_height + pad + 0.999)
        top = gap // 3 if grouped else gap
        left = width - margin - bubble_width if index.data(OwnRole) else margin
        last = index.row() == index.model().rowCount() - 1
        return Bubble(
            rect=QRect(left, top, bubble_width, bubble_height),
            height=top + bubble_height + (gap if last else 0),
            text=layout,
            header=header_height,
            pad=pad,
            bold=bold,
            sender=sender,
            time=time,
        )

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(self._view.viewport().width(), self._geometry(option, index).height)

    # --- painting ---------------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        geometry = self._geometry(option, index)
        palette = option.palette
        own = bool(index.data(OwnRole))
        base = palette.color(QPalette.ColorRole.Base)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        if own:
            fill, border = blend(highlight, base, 0.16), blend(highlight, base, 0.5)
        else:
            fill, border = palette.color(QPalette.ColorRole.AlternateBase), palette.color(QPalette.ColorRole.Mid)
        bubble = geometry.rect.translated(option.rect.topLeft())
        pad = geometry.pad
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus) and self._view.hasFocus()
        painter.setPen(QPen(highlight if focused else border, 2 if focused else 1))
        painter.setBrush(fill)
        radius = pad * 1.2
        painter.drawRoundedRect(QRectF(bubble).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        inner = bubble.adjusted(pad, pad, -pad, -pad)
        if geometry.header:
            metrics = QFontMetrics(option.font)
            time_width = metrics.horizontalAdvance(geometry.time)
            bold_metrics = QFontMetrics(geometry.bold)
            sender = bold_metrics.elidedText(
                geometry.sender, Qt.TextElideMode.ElideRight, max(0, inner.width() - time_width - pad)
            )
            line = QRect(inner.left(), inner.top(), inner.width(), max(bold_metrics.height(), metrics.height()))
            painter.setFont(geometry.bold)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sender)
            painter.setFont(option.font)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, geometry.time)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        geometry.text.draw(painter, QPointF(inner.left(), inner.top() + geometry.header))
        painter.restore()


class ChatListView(QListView):
    """The message list: says so when there is no message yet, and copies the current message on Ctrl+C."""

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

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.currentIndex().isValid():
            QGuiApplication.clipboard().setText(self.currentIndex().data() or "")
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
    """

    sendRequested = Signal(str)
    unreadChanged = Signal(int)

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
        self.list.setItemDelegate(ChatDelegate(self.list))
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
        self.send_button.setEnabled(bool(text))
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

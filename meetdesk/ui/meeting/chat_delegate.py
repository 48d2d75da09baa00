"""How a chat message is painted: a bubble with the sender, the time and the wrapped text, links underlined.

:class:`ChatDelegate` lays a message out once per size (shared by ``sizeHint`` and ``paint``), finds the
link under a click or the pointer, and says which link was clicked (``linkClicked``); the chat panel
decides how to open it (:mod:`.chat_links`). The item roles the chat's model answers are defined here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from meetdesk.ui.meeting.chat_links import find_links

Index = QModelIndex | QPersistentModelIndex

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


def shown_text(text: str) -> str:
    """``text`` as the bubble lays it out: line breaks as U+2028, the only break QTextLayout makes."""
    return text.replace("\r\n", "\n").replace("\n", "\u2028")


def blend(colour: QColor, backdrop: QColor, amount: float) -> QColor:
    """``amount`` of ``colour`` over ``backdrop`` (0: the backdrop, 1: the colour)."""
    keep = 1.0 - amount
    return QColor.fromRgbF(
        colour.redF() * amount + backdrop.redF() * keep,
        colour.greenF() * amount + backdrop.greenF() * keep,
        colour.blueF() * amount + backdrop.blueF() * keep,
    )


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
    """Paints a message as a bubble: the sender and the time over the wrapped text, links underlined. Your own
    messages sit on the right, tinted with the highlight colour; the others on the left. A message that
    follows one of the same sender within :data:`GROUP_MS` leaves out the header.

    Signals:
        linkClicked(str): a link in a message was clicked: its address.
    """

    linkClicked = Signal(str)

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
    def _text_layout(text: str, font: QFont, width: float, link: QColor) -> tuple[QTextLayout, float, float]:
        """The wrapped text, its widest line and its height. A long URL breaks anywhere rather than overflow.
        Links are underlined in the ``link`` colour."""
        # QTextLayout breaks lines only at U+2028
        text = shown_text(text)
        layout = QTextLayout(text, font)
        formats = []
        for found in find_links(text):
            look = QTextCharFormat()
            look.setForeground(link)
            look.setFontUnderline(True)
            span = QTextLayout.FormatRange()
            span.start, span.length, span.format = found.start, found.end - found.start, look
            formats.append(span)
        layout.setFormats(formats)
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
        link = option.palette.color(QPalette.ColorRole.Link)
        layout, widest, text_height = self._text_layout(index.data() or "", font, available - 2 * pad, link)
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

    # --- links ------------------------------------------------------------------------------------------

    def _text_origin(self, geometry: Bubble, row: QRect) -> QPoint:
        """Where the message's text starts, in the view's coordinates."""
        bubble = geometry.rect.translated(row.topLeft())
        return QPoint(bubble.left() + geometry.pad, bubble.top() + geometry.pad + geometry.header)

    def _option(self, index: QModelIndex) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self._view.initViewItemOption(option)
        option.rect = self._view.visualRect(index)
        return option

    def link_at(self, index: QModelIndex, pos: QPoint) -> str | None:
        """The address of the link under ``pos`` (viewport coordinates) in the message of ``index``, if any."""
        option = self._option(index)
        geometry = self._geometry(option, index)
        point = pos - self._text_origin(geometry, option.rect)
        layout = geometry.text
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            if line.y() <= point.y() < line.y() + line.height() and 0 <= point.x() <= line.naturalTextWidth():
                at = line.xToCursor(point.x(), QTextLine.CursorPosition.CursorOnCharacter)
                found = next((link for link in find_links(layout.text()) if link.start <= at < link.end), None)
                return found.url if found is not None else None
        return None

    def link_rects(self, index: QModelIndex) -> list[tuple[str, QRect]]:
        """Where the links of the message of ``index`` are drawn (viewport coordinates): one rectangle per link
        and line it runs on."""
        option = self._option(index)
        geometry = self._geometry(option, index)
        origin = self._text_origin(geometry, option.rect)
        layout, out = geometry.text, []
        for found in find_links(layout.text()):
            for number in range(layout.lineCount()):
                line = layout.lineAt(number)
                start, end = max(found.start, line.textStart()), min(found.end, line.textStart() + line.textLength())
                if start < end:
                    left, right = line.cursorToX(start)[0], line.cursorToX(end)[0]
                    rect = QRectF(left, line.y(), right - left, line.height()).toAlignedRect()
                    out.append((found.url, rect.translated(origin)))
        return out

    def editorEvent(self, event: QEvent, model: Any, option: QStyleOptionViewItem, index: Index) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
            and isinstance(index, QModelIndex)
        ):
            url = self.link_at(index, event.position().toPoint())
            if url is not None:
                self.linkClicked.emit(url)
                return True
        return super().editorEvent(event, model, option, index)

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

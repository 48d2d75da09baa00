"""A painted miniature of a meeting in a given theme: participant tiles with names, the round toolbar buttons,
the chat panel and a dialog, each in the colours the theme gives it.

Everything is measured in the widget's font height, so the picture scales with the font and the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from meetdesk.core.theme import DEFAULT_LIGHT, Slot, ThemeTokens, derive_tokens


@dataclass(frozen=True)
class _Layout:
    em: float
    tiles: list[QRectF]
    dialog: QRectF
    panel: QRectF
    buttons: list[QRectF]
    leave: QRectF


class MeetingPreview(QWidget):
    """Paints :attr:`tokens` as a meeting view; :meth:`set_tokens` repaints it."""

    #: Toolbar buttons: (icon, fill token, icon token).
    _BUTTONS = (
        ("mic", "primary", "on_primary"),
        ("camera", "primary", "on_primary"),
        ("screen", "secondary", "on_secondary"),
        ("chat", "accent", "on_accent"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tokens = derive_tokens(DEFAULT_LIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(self.tr("Meeting preview"))
        self.setAccessibleDescription(
            self.tr("How a meeting looks in this theme: participant tiles, toolbar, chat panel and a dialog.")
        )

    @property
    def tokens(self) -> ThemeTokens:
        return self._tokens

    def set_tokens(self, tokens: ThemeTokens) -> None:
        if tokens != self._tokens:
            self._tokens = tokens
            self.update()

    def _em(self) -> float:
        return float(QFontMetrics(self.font()).height())

    def sizeHint(self) -> QSize:
        em = self._em()
        return QSize(round(42 * em), round(30 * em))

    def minimumSizeHint(self) -> QSize:
        em = self._em()
        return QSize(round(30 * em), round(22 * em))

    # geometry ------------------------------------------------------------------------------------

    def _layout(self) -> _Layout:
        em = self._em()
        margin, gap = 0.8 * em, 0.6 * em
        width, height = float(self.width()), float(self.height())
        diameter = 2.6 * em
        toolbar_top = height - margin - diameter
        panel_width = min(max(width * 0.32, 13 * em), 19 * em)
        panel = QRectF(width - margin - panel_width, margin, panel_width, toolbar_top - gap - margin)
        main = QRectF(margin, margin, panel.left() - gap - margin, panel.height())
        cell_w, cell_h = (main.width() - gap) / 2, (main.height() - gap) / 2
        cells = [
            QRectF(main.left() + col * (cell_w + gap), main.top() + row * (cell_h + gap), cell_w, cell_h)
            for row in (0, 1)
            for col in (0, 1)
        ]
        # The dialog floats in the fourth cell, as tall as its content.
        dialog_height = min(9.2 * em, cells[3].height())
        dialog = QRectF(cells[3].left(), cells[3].center().y() - dialog_height / 2, cells[3].width(), dialog_height)
        leave_width = QFontMetrics(self._bold()).horizontalAdvance(self.tr("Leave")) + 2.4 * em
        row_width = len(self._BUTTONS) * (diameter + gap) + leave_width
        x = main.center().x() - row_width / 2
        buttons = []
        for _ in self._BUTTONS:
            buttons.append(QRectF(x, toolbar_top, diameter, diameter))
            x += diameter + gap
        leave = QRectF(x, toolbar_top, leave_width, diameter)
        return _Layout(em, cells[:3], dialog, panel, buttons, leave)

    def sample_point(self, slot: Slot) -> QPoint:
        """A point painted in exactly ``slot``'s colour (for tests and screenshots)."""
        layout = self._layout()
        if slot == "backgroundColor":
            return QPoint(round(layout.em * 0.4), round(layout.em * 0.4))
        if slot == "surfaceColor":
            corner = layout.panel.topRight()
            return QPoint(round(corner.x() - layout.em), round(corner.y() + layout.em * 0.8))
        index = {"primaryColor": 0, "secondaryColor": 2, "accentColor": 3}[slot]
        button = layout.buttons[index]
        return QPoint(round(button.left() + button.width() * 0.14), round(button.center().y()))

    # painting ------------------------------------------------------------------------------------

    def _bold(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _c(self, token: str) -> QColor:
        return QColor(getattr(self._tokens, token))

    def paintEvent(self, event: QPaintEvent) -> None:
        layout = self._layout()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self._c("background"))
        names = [self.tr("Ana Silva"), self.tr("Ben Okafor"), self.tr("You")]
        for index, (tile, name) in enumerate(zip(layout.tiles, names, strict=True)):
            self._tile(painter, layout.em, tile, name, speaking=index == 0)
        self._panel(painter, layout.em, layout.panel)
        self._dialog(painter, layout.em, layout.dialog)
        for (icon, fill, ink), rect in zip(self._BUTTONS, layout.buttons, strict=True):
            self._round_button(painter, rect, fill, ink, icon)
        self._pill(painter, layout.leave, "danger", "on_danger", self.tr("Leave"))
        painter.end()

    def _rounded(self, painter: QPainter, rect: QRectF, radius: float, fill: str, border: str | None = None) -> None:
        painter.setPen(QPen(self._c(border), 1) if border else Qt.PenStyle.NoPen)
        painter.setBrush(self._c(fill))
        painter.drawRoundedRect(rect, radius, radius)

    def _text(self, painter: QPainter, rect: QRectF, text: str, token: str, *, bold: bool = False) -> None:
        font = self._bold() if bold else self.font()
        painter.setFont(font)
        painter.setPen(self._c(token))
        metrics = QFontMetrics(font)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        bounds = metrics.boundingRect(rect.toRect(), int(flags), text)
        if bounds.height() > rect.height() + 1:  # would spill: one elided line instead
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))
        painter.drawText(rect, int(flags), text)

    def _tile(self, painter: QPainter, em: float, rect: QRectF, name: str, *, speaking: bool) -> None:
        self._rounded(painter, rect, 0.5 * em, "surface", "border")
        radius = min(rect.width(), rect.height()) * 0.2
        centre = QPointF(rect.center().x(), rect.center().y() - 0.6 * em)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._c("secondary"))
        painter.drawEllipse(centre, radius, radius)
        initials = "".join(part[0] for part in name.split()[:2]).upper()
        painter.setFont(self._bold())
        painter.setPen(self._c("on_secondary"))
        painter.drawText(
            QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius),
            Qt.AlignmentFlag.AlignCenter,
            initials,
        )
        label = QRectF(rect.left() + 0.6 * em, rect.bottom() - 1.6 * em, rect.width() - 1.2 * em, 1.2 * em)
        self._text(painter, label, name, "on_surface", bold=False)
        if speaking:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(self._c("accent"), 0.2 * em))
            inset = 0.1 * em
            painter.drawRoundedRect(rect.adjusted(inset, inset, -inset, -inset), 0.45 * em, 0.45 * em)

    def _panel(self, painter: QPainter, em: float, rect: QRectF) -> None:
        self._rounded(painter, rect, 0.5 * em, "surface", "border")
        pad = 0.8 * em
        inner = rect.adjusted(pad, pad, -pad, -pad)
        self._text(
            painter,
            QRectF(inner.left(), inner.top(), inner.width(), 1.3 * em),
            self.tr("Chat"),
            "on_surface",
            bold=True,
        )
        painter.setPen(QPen(self._c("border"), 1))
        line_y = inner.top() + 1.6 * em
        painter.drawLine(QPointF(rect.left(), line_y), QPointF(rect.right(), line_y))
        y = line_y + 0.6 * em
        messages = [
            (self.tr("Ana Silva"), self.tr("Shall we start with the roadmap?"), False),
            (self.tr("You"), self.tr("Yes, sharing my screen now."), True),
        ]
        for sender, text, own in messages:
            self._text(painter, QRectF(inner.left(), y, inner.width(), 1.2 * em), sender, "muted_on_surface", bold=True)
            y += 1.3 * em
            bubble = QRectF(inner.left(), y, inner.width(), 3.6 * em)
            fill, ink = ("primary", "on_primary") if own else ("surface_alt", "on_surface")
            self._rounded(painter, bubble, 0.5 * em, fill)
            self._text(painter, bubble.adjusted(0.5 * em, 0.4 * em, -0.5 * em, -0.3 * em), text, ink)
            y += bubble.height() + 0.8 * em
        field = QRectF(inner.left(), inner.bottom() - 2.2 * em, inner.width(), 2.2 * em)
        if field.top() > y:  # only when there is room for it
            self._rounded(painter, field, 0.4 * em, "surface", "input_border")
            text_rect = field.adjusted(0.6 * em, 0, -0.6 * em, 0)
            painter.setFont(self.font())
            painter.setPen(self._c("muted_on_surface"))
            painter.drawText(
                text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.tr("Write a message…")
            )

    def _dialog(self, painter: QPainter, em: float, rect: QRectF) -> None:
        shadow = QColor(0, 0, 0, 60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shadow)
        painter.drawRoundedRect(rect.translated(0, 0.25 * em), 0.6 * em, 0.6 * em)
        self._rounded(painter, rect, 0.6 * em, "surface", "input_border")
        pad = 0.9 * em
        inner = rect.adjusted(pad, pad, -pad, -pad)
        self._text(
            painter,
            QRectF(inner.left(), inner.top(), inner.width(), 1.3 * em),
            self.tr("Leave the meeting?"),
            "on_surface",
            bold=True,
        )
        body = QRectF(inner.left(), inner.top() + 1.7 * em, inner.width(), inner.height() - 4.4 * em)
        self._text(painter, body, self.tr("The others can carry on without you."), "on_surface")
        metrics = QFontMetrics(self._bold())
        height = 2.0 * em
        right = inner.right()
        for label, fill, ink in (
            (self.tr("Leave"), "primary", "on_primary"),
            (self.tr("Stay"), "secondary", "on_secondary"),
        ):
            width = metrics.horizontalAdvance(label) + 1.8 * em
            button = QRectF(right - width, inner.bottom() - height, width, height)
            self._pill(painter, button, fill, ink, label, radius=0.35 * em)
            right = button.left() - 0.5 * em

    def _pill(
        self, painter: QPainter, rect: QRectF, fill: str, ink: str, label: str, radius: float | None = None
    ) -> None:
        corner = rect.height() / 2 if radius is None else radius
        self._rounded(painter, rect, corner, fill)
        painter.setFont(self._bold())
        painter.setPen(self._c(ink))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def _round_button(self, painter: QPainter, rect: QRectF, fill: str, ink: str, icon: str) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._c(fill))
        painter.drawEllipse(rect)
        d = rect.width()
        c = rect.center()
        pen = QPen(self._c(ink), max(1.5, 0.07 * d))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if icon == "mic":
            capsule = QRectF(c.x() - 0.09 * d, c.y() - 0.24 * d, 0.18 * d, 0.3 * d)
            painter.drawRoundedRect(capsule, 0.09 * d, 0.09 * d)
            arc = QRectF(c.x() - 0.17 * d, c.y() - 0.1 * d, 0.34 * d, 0.28 * d)
            painter.drawArc(arc, 180 * 16, 180 * 16)
            painter.drawLine(QPointF(c.x(), c.y() + 0.18 * d), QPointF(c.x(), c.y() + 0.26 * d))
        elif icon == "camera":
            painter.drawRoundedRect(QRectF(c.x() - 0.24 * d, c.y() - 0.13 * d, 0.32 * d, 0.26 * d), 0.05 * d, 0.05 * d)
            lens = QPainterPath(QPointF(c.x() + 0.1 * d, c.y() - 0.03 * d))
            lens.lineTo(c.x() + 0.24 * d, c.y() - 0.11 * d)
            lens.lineTo(c.x() + 0.24 * d, c.y() + 0.11 * d)
            lens.lineTo(c.x() + 0.1 * d, c.y() + 0.03 * d)
            painter.drawPath(lens)
        elif icon == "screen":
            painter.drawRoundedRect(QRectF(c.x() - 0.23 * d, c.y() - 0.17 * d, 0.46 * d, 0.3 * d), 0.04 * d, 0.04 * d)
            painter.drawLine(QPointF(c.x() - 0.1 * d, c.y() + 0.23 * d), QPointF(c.x() + 0.1 * d, c.y() + 0.23 * d))
            painter.drawLine(QPointF(c.x(), c.y() + 0.08 * d), QPointF(c.x(), c.y() - 0.08 * d))
            painter.drawLine(QPointF(c.x() - 0.06 * d, c.y() - 0.03 * d), QPointF(c.x(), c.y() - 0.09 * d))
            painter.drawLine(QPointF(c.x() + 0.06 * d, c.y() - 0.03 * d), QPointF(c.x(), c.y() - 0.09 * d))
        else:  # chat: a speech bubble with a tail
            bubble = QPainterPath()
            bubble.addRoundedRect(QRectF(c.x() - 0.22 * d, c.y() - 0.18 * d, 0.44 * d, 0.3 * d), 0.07 * d, 0.07 * d)
            painter.drawPath(bubble)
            tail = QPainterPath(QPointF(c.x() - 0.1 * d, c.y() + 0.12 * d))
            tail.lineTo(c.x() - 0.14 * d, c.y() + 0.23 * d)
            tail.lineTo(c.x() + 0.02 * d, c.y() + 0.12 * d)
            painter.drawPath(tail)

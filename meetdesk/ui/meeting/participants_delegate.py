"""How a participant's row looks and answers: the delegate that paints it and the list view around it.

:class:`ParticipantDelegate` paints initials, the name, the role and the badges, and the "⋮" button of a
moderator; :class:`ParticipantsView` opens a row's actions from the keyboard or a right click;
:func:`elide_name` shortens a name while " (you)" stays.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from meetdesk.core.names import initials
from meetdesk.core.signalling import ParticipantInfo
from meetdesk.ui.meeting.participants_model import BadgesRole, CanModerateRole, Index, ParticipantRole, RoleTextRole

HAND = "\N{RAISED HAND}"
_R = QPalette.ColorRole
#: the palette roles a badge is painted with: (fill, border, text)
CHIP_ROLES = {
    "hand": (_R.Highlight, _R.Highlight, _R.HighlightedText),
    "speaking": (_R.Base, _R.Highlight, _R.Text),
    "reconnecting": (_R.Base, _R.BrightText, _R.BrightText),
    "other": (_R.AlternateBase, _R.Mid, _R.Text),
}
MENU = "\N{VERTICAL ELLIPSIS}"


class Row(NamedTuple):
    """Where the parts of a participant's row go, in a row whose top-left is (0, 0)."""

    avatar: QRect
    menu: QRect | None  # the "⋮" button, None without actions
    name: QRect
    role: QRect
    role_text: str
    chips: list[tuple[QRect, str, str]]  # (where, kind, text)
    height: int


class ParticipantDelegate(QStyledItemDelegate):
    """Paints a participant: initials in a circle, the name, the role, badges (hand raised, mic off, ...) that
    wrap onto more lines when the panel is narrow, and for a moderator a "⋮" button that opens the actions.

    Signals:
        menuClicked(QModelIndex, QPoint): the "⋮" of this row was clicked; the point (global) is where the
            menu should open.
    """

    menuClicked = Signal(QModelIndex, QPoint)

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def _geometry(self, font: QFont, index: Index) -> Row:
        """Where everything goes in a row whose top-left is (0, 0)."""
        metrics = QFontMetrics(font)
        em = metrics.height()
        pad = max(6, em // 2)
        width = self._view.viewport().width()
        avatar = QRect(pad, pad, 2 * em, 2 * em)
        menu = QRect(width - pad - round(1.6 * em), pad, round(1.6 * em), round(1.6 * em))
        can_moderate = bool(index.data(CanModerateRole))
        left = avatar.right() + 1 + pad
        right = (menu.left() - pad // 2) if can_moderate else width - pad
        name = QRect(left, pad, max(0, right - left), em)
        chip_height = em + 4
        x, y = left, name.bottom() + 1 + pad // 3
        role_text = index.data(RoleTextRole) or ""
        role = QRect(x, y, metrics.horizontalAdvance(role_text) + 2, chip_height)
        x = role.right() + 1 + pad
        chips = []
        for kind, text in index.data(BadgesRole) or []:
            label = f"{HAND} {text}" if kind == "hand" and metrics.inFontUcs4(ord(HAND)) else text
            chip_width = min(metrics.horizontalAdvance(label) + em, width - pad - left)
            if x + chip_width > width - pad and x > left:
                x, y = left, y + chip_height + pad // 3  # wrap
            chips.append((QRect(x, y, chip_width, chip_height), kind, label))
            x += chip_width + pad // 2
        bottom = max(avatar.bottom(), y + chip_height - 1) + 1 + pad
        return Row(avatar, menu if can_moderate else None, name, role, role_text, chips, bottom)

    def menu_rect(self, index: QModelIndex, row: QRect | None = None) -> QRect | None:
        """The "⋮" button of the row of ``index`` (at ``row``, else where the view shows it) in the viewport's
        coordinates; None when the row has no actions."""
        rect = self._geometry(self._view.font(), index).menu
        if rect is None:
            return None
        return rect.translated((row if row is not None else self._view.visualRect(index)).topLeft())

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(self._view.viewport().width(), self._geometry(option.font, index).height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        geometry = self._geometry(option.font, index)
        palette = option.palette
        origin = option.rect.topLeft()
        participant: ParticipantInfo | None = index.data(ParticipantRole)
        if participant is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_role = QPalette.ColorRole.Text
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, palette.color(QPalette.ColorRole.AlternateBase))
        if option.state & QStyle.StateFlag.State_HasFocus and self._view.hasFocus():
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(option.rect.adjusted(1, 1, -1, -1))

        # initials in a circle
        avatar = geometry.avatar.translated(origin)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawEllipse(avatar)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, initials(participant.name or participant.identity))

        # name and role
        name_rect = geometry.name.translated(origin)
        painter.setPen(palette.color(text_role))
        name = elide_name(index.data() or "", participant.name or participant.identity, bold, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        role = geometry.role.translated(origin)
        painter.drawText(role, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, geometry.role_text)

        # badges
        metrics = QFontMetrics(option.font)
        for rect, kind, label in geometry.chips:
            chip = rect.translated(origin)
            fill, border, text = CHIP_ROLES.get(kind, CHIP_ROLES["other"])
            painter.setPen(QPen(palette.color(border), 1))
            painter.setBrush(palette.color(fill))
            radius = chip.height() / 2
            painter.drawRoundedRect(chip.adjusted(0, 0, -1, -1), radius, radius)
            painter.setPen(palette.color(text))
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, chip.width() - metrics.height() // 2)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, shown)

        # the actions button
        menu = geometry.menu
        if menu is not None:
            button = menu.translated(origin)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.setBrush(palette.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(button.adjusted(0, 0, -1, -1), 4, 4)
            painter.setFont(bold)
            painter.setPen(palette.color(text_role))
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, MENU)
        painter.restore()

    def editorEvent(self, event: QEvent, model: Any, option: QStyleOptionViewItem, index: Index) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and isinstance(index, QModelIndex)
        ):
            button = self.menu_rect(index, option.rect)
            if (
                button is not None
                and event.button() == Qt.MouseButton.LeftButton
                and button.contains(event.position().toPoint())
            ):
                self.menuClicked.emit(index, self._view.viewport().mapToGlobal(button.bottomLeft() + QPoint(0, 1)))
                return True
        return super().editorEvent(event, model, option, index)


def elide_name(text: str, name: str, font: QFont, width: int) -> str:
    """``text`` (the name with maybe " (you)") fitted to ``width``: the name gives way, the " (you)" stays."""
    metrics = QFontMetrics(font)
    if metrics.horizontalAdvance(text) <= width:
        return text
    room = width - metrics.horizontalAdvance(text) + metrics.horizontalAdvance(name)
    if name in text and text != name and room >= 3 * metrics.horizontalAdvance("…"):
        return text.replace(name, metrics.elidedText(name, Qt.TextElideMode.ElideRight, room), 1)
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


class ParticipantsView(QListView):
    """The list; the menu key, Shift+F10, Enter or a right click open the actions of a participant.

    Signals:
        menuRequested(QModelIndex, QPoint): open the actions of this row at this global point.
    """

    menuRequested = Signal(QModelIndex, QPoint)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            index = self.currentIndex()
            if index.isValid():
                self.menuRequested.emit(index, self.viewport().mapToGlobal(self.visualRect(index).center()))
        else:
            index = self.indexAt(event.pos())
            if index.isValid():
                self.menuRequested.emit(index, event.globalPos())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        shift_f10 = event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        if index.isValid() and (shift_f10 or event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.menuRequested.emit(index, self.viewport().mapToGlobal(self.visualRect(index).center()))
            event.accept()
            return
        super().keyPressEvent(event)

"""How the rooms table looks and behaves: the table, the status chips and the header's select-all box; and
what shows instead of it or above it: the empty state and the bar saying the rows are the ones last seen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from meetdesk.core.models import MeetRoom
from meetdesk.ui.admin.rooms_model import RoomRole, RoomsModel

#: chip colours per status: (background, text) — readable in light and dark themes alike
CHIP_COLOURS = {
    "open": ("#d3f5dd", "#0b5d27"),
    "active_meeting": ("#d7e7ff", "#0b3d91"),
    "closed": ("#e6e7ea", "#3b3f46"),
}


class StatusChipDelegate(QStyledItemDelegate):
    """Paints the status as a rounded, coloured chip."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        room: MeetRoom | None = index.data(RoomRole)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        status = room.status.value if room is not None and room.status else "open"
        background, foreground = CHIP_COLOURS.get(status, CHIP_COLOURS["open"])
        painter.save()
        model = index.model()
        source = model.sourceModel() if hasattr(model, "sourceModel") else model
        if isinstance(source, RoomsModel) and source.error is not None:
            painter.setOpacity(0.45)  # rows last seen while the server does not answer: greyed like the text
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.brush(QPalette.ColorRole.Highlight))
        metrics = option.fontMetrics
        pad = max(6, metrics.height() // 3)
        width = min(metrics.horizontalAdvance(text) + 2 * pad + 2, option.rect.width() - 8)  # +2: sub-pixel advance
        height = metrics.height() + pad // 2
        chip = QRect(option.rect.left() + 4, option.rect.center().y() - height // 2 + 1, width, height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setFont(option.font)
        painter.setPen(QColor(foreground))
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, chip.width() - 2 * pad)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        metrics = option.fontMetrics
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        width = metrics.horizontalAdvance(text) + 2 * max(6, metrics.height() // 3) + 16
        return QSize(width, max(hint.height(), metrics.height() + 12))


class SelectAllHeader(QHeaderView):
    """The table's header, with a box in the ``column`` section that ticks or unticks every row shown;
    partly checked when only some are. Clicking elsewhere in the header sorts, as usual.

    Signals:
        toggled(bool): the user clicked the box: tick all (True) or none (False).
    """

    toggled = Signal(bool)

    def __init__(self, column: int, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.column = column
        self.state = Qt.CheckState.Unchecked
        self._icons: dict[tuple[Qt.CheckState, bool], QIcon] = {}
        self.setSectionsClickable(True)

    def set_state(self, state: Qt.CheckState) -> None:
        if state != self.state:
            self.state = state
            self.updateSection(self.column)

    def box_rect(self) -> QRect:
        """Where the box is, in the header's coordinates."""
        size = self._box_size()
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self)
        left = self.sectionViewportPosition(self.column) + margin
        return QRect(left, (self.height() - size.height()) // 2, size.width(), size.height())

    def _box_size(self) -> QSize:
        style = self.style()
        width = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, self)
        height = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorHeight, None, self)
        return QSize(width, height)

    def _icon(self) -> QIcon:
        key = (self.state, self.isEnabled())
        if key not in self._icons:
            size = self._box_size()
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(size * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            option = QStyleOptionButton()
            option.initFrom(self)
            option.rect = QRect(QPoint(0, 0), size)
            option.state |= {
                Qt.CheckState.Checked: QStyle.StateFlag.State_On,
                Qt.CheckState.PartiallyChecked: QStyle.StateFlag.State_NoChange,
                Qt.CheckState.Unchecked: QStyle.StateFlag.State_Off,
            }[self.state]
            painter = QPainter(pixmap)
            self.style().drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorCheckBox, option, painter, self)
            painter.end()
            self._icons[key] = QIcon(pixmap)
        return self._icons[key]

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logicalIndex: int) -> None:
        super().initStyleOptionForIndex(option, logicalIndex)
        if logicalIndex == self.column:
            option.icon = self._icon()
            option.iconAlignment = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

    def changeEvent(self, event: Any) -> None:
        self._icons.clear()  # style, palette or enabled state changed
        super().changeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.box_rect().adjusted(-3, -3, 3, 3).contains(
            event.position().toPoint()
        ):
            self.toggled.emit(self.state != Qt.CheckState.Checked)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.box_rect().adjusted(-3, -3, 3, 3).contains(event.position().toPoint()):
            event.accept()  # the press ticked: this release must not sort too
            return
        super().mouseReleaseEvent(event)


class RoomsTable(QTableView):
    """A table whose highlight never jumps to another row on its own, nor do the rows in sight.

    In single selection, Qt highlights the next row when the highlighted one is removed ("ensure one
    selected item"): a room the user never chose, that Delete would then delete. Here the highlight
    clears instead. Rows inserted or removed above the first one in sight (a room created or deleted
    elsewhere) scroll the view by as many rows, so that what the user is looking at stays where it is.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scroll_to: int | None = None

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        # connected after the view's own handling, so that the rows' positions are up to date
        model.rowsInserted.connect(self._rows_inserted)
        model.rowsAboutToBeRemoved.connect(self._rows_leaving)
        model.rowsRemoved.connect(self._rows_left)

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        top, bar = self.rowAt(0), self.verticalScrollBar()
        if top >= 0 and first <= top and bar.value() > 0:
            bar.setValue(bar.value() + self._scroll_units(last - first + 1))

    def _rows_leaving(self, _parent: QModelIndex, first: int, last: int) -> None:
        above = self.rowAt(0) > last
        self._scroll_to = self.verticalScrollBar().value() - self._scroll_units(last - first + 1) if above else None

    def _rows_left(self) -> None:
        if self._scroll_to is not None:
            self.verticalScrollBar().setValue(max(0, self._scroll_to))
            self._scroll_to = None

    def _scroll_units(self, rows: int) -> int:
        if self.verticalScrollMode() == QTableView.ScrollMode.ScrollPerItem:
            return rows
        return rows * self.verticalHeader().defaultSectionSize()

    def rowsAboutToBeRemoved(self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int) -> None:
        current = self.currentIndex()
        if current.isValid() and current.parent() == parent and start <= current.row() <= end:
            self.selectionModel().clear()
        super().rowsAboutToBeRemoved(parent, start, end)


class StaleBar(QFrame):
    """Above the rows last seen while the list cannot be (re)loaded: why, and Retry."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("staleBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        self.text = QLabel(self)
        self.text.setObjectName("staleText")
        self.text.setWordWrap(True)
        self.text.setAccessibleName(self.tr("Why the rooms are not up to date"))
        self.retry = QPushButton(self.tr("Retry"), self)
        self.retry.setAccessibleName(self.tr("Load the rooms again"))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.retry)
        self.hide()


class EmptyState(QWidget):
    """In place of the table when it has no row to show: a title, a sentence and the one action that helps."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel(self)
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(self)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.action = QPushButton(self)
        self.action.setObjectName("primaryButton")
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.action)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

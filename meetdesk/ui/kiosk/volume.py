"""The kiosk's volume in the meeting: a view-model (:class:`VolumeModel`, 0..100 %) and a control big enough for a
finger (:class:`VolumeControl`: quieter, a slider, louder, the level in percent).

The window applies the model's level to what the speaker plays and remembers it (:mod:`meetdesk.kiosk.volume`).
"""

from __future__ import annotations

from PySide6.QtCore import Property, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)

from meetdesk.ui.icons import tinted_icon
from meetdesk.ui.messages import as_sentence

#: what one touch on quieter / louder changes, in percent
STEP = 10
#: the smallest side of anything touched: a fingertip (about 9 mm on a 24" screen at 1080p)
TOUCH_PX = 56


class VolumeModel(QObject):
    """How loud the meeting plays, in percent (0..100).

    Signals:
        volumeChanged(int): the level, only on a real change.
    """

    volumeChanged = Signal(int)

    def __init__(self, volume: int = 100, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._volume = max(0, min(100, volume))

    def _get_volume(self) -> int:
        return self._volume

    def set_volume(self, volume: int) -> None:
        """Set the level (clamped to 0..100)."""
        volume = max(0, min(100, int(volume)))
        if volume != self._volume:
            self._volume = volume
            self.volumeChanged.emit(volume)

    def step(self, steps: int) -> None:
        """Louder (positive) or quieter by ``steps`` of :data:`STEP`, to the next multiple of it."""
        if steps > 0:
            self.set_volume((self._volume // STEP + steps) * STEP)
        elif steps < 0:
            self.set_volume(-((-self._volume) // STEP + -steps) * STEP)

    volume = Property(int, _get_volume, set_volume, notify=volumeChanged)  # type: ignore[assignment]


class TouchSlider(QSlider):
    """A slider that goes where it is touched (Qt's moves a page towards the touch), then follows the finger."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            groove = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
            )
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
            )
            if not handle.contains(event.position().toPoint()):
                span = max(1, groove.width() - handle.width())
                x = round(event.position().x()) - groove.x() - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span))
        super().mousePressEvent(event)  # the handle is under the finger now: a drag goes on from there


class VolumeControl(QWidget):
    """Quieter, the level as a slider, louder, and the level in words ("80%"); observes ``model``."""

    def __init__(self, model: VolumeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskVolume")
        self.model = model
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.icon = QLabel()
        self.icon.setObjectName("kioskVolumeIcon")
        self.quieter = self._button("−", self.tr("Quieter"), "kioskVolumeDown")
        self.quieter.clicked.connect(lambda: model.step(-1))
        self.slider = TouchSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("kioskVolumeSlider")
        self.slider.setRange(0, 100)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(STEP)
        self.slider.setMinimumSize(QSize(TOUCH_PX * 2, TOUCH_PX))
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setAccessibleName(self.tr("Volume"))
        self.slider.valueChanged.connect(model.set_volume)
        self.louder = self._button("+", self.tr("Louder"), "kioskVolumeUp")
        self.louder.clicked.connect(lambda: model.step(1))
        self.level = QLabel()
        self.level.setObjectName("kioskVolumeLevel")
        self.level.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        font = self.level.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.level.setFont(font)
        self.level.setMinimumWidth(self.level.fontMetrics().horizontalAdvance("100%") + 4)
        for widget in (self.icon, self.quieter, self.slider, self.louder, self.level):
            row.addWidget(widget)
        model.volumeChanged.connect(self._show)
        self._style()
        self._show(model.volume)

    def _button(self, text: str, name: str, object_name: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(object_name)
        button.setText(text)
        button.setAccessibleName(name)
        button.setToolTip(name)
        button.setAutoRepeat(True)  # held down, it goes on
        button.setFixedSize(QSize(TOUCH_PX, TOUCH_PX))
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        button.setFont(font)
        return button

    def set_note(self, note: str | None) -> None:
        """Why nothing can be heard (the speaker is gone; None: it is there): the control is off, and says so."""
        self.setEnabled(note is None)
        text = as_sentence(note) if note else ""
        for widget in (self.slider, self.quieter, self.louder, self.level, self.icon):
            widget.setToolTip(text or widget.accessibleName())

    def _show(self, volume: int) -> None:
        if self.slider.value() != volume:
            self.slider.blockSignals(True)
            self.slider.setValue(volume)
            self.slider.blockSignals(False)
        self.level.setText(self.tr("{percent}%").format(percent=volume))
        self.slider.setAccessibleDescription(self.tr("{percent}%").format(percent=volume))
        self.quieter.setEnabled(volume > 0)
        self.louder.setEnabled(volume < 100)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange, QEvent.Type.EnabledChange):
            self._style()  # the theme's colours, greyed when off
        super().changeEvent(event)

    def _style(self) -> None:
        palette = self.palette()
        group = QPalette.ColorGroup.Normal if self.isEnabled() else QPalette.ColorGroup.Disabled
        ink = palette.color(group, QPalette.ColorRole.WindowText).name()
        self.icon.setPixmap(tinted_icon("speaker", ink, size=32).pixmap(32, 32))
        handle = TOUCH_PX * 2 // 3
        groove = 10
        sheet = (
            f"#kioskVolumeSlider::groove:horizontal {{ height: {groove}px; border-radius: {groove // 2}px;"
            f" background: {palette.color(QPalette.ColorRole.Mid).name()}; }}"
            f"#kioskVolumeSlider::sub-page:horizontal {{ height: {groove}px; border-radius: {groove // 2}px;"
            f" background: {palette.color(QPalette.ColorRole.Highlight).name()}; }}"
            f"#kioskVolumeSlider::handle:horizontal {{ width: {handle}px; height: {handle}px;"
            f" margin: -{(handle - groove) // 2}px 0; border-radius: {handle // 2}px;"
            f" background: {palette.color(QPalette.ColorRole.Highlight).name()};"
            f" border: 3px solid {palette.color(QPalette.ColorRole.Base).name()}; }}"
            f"#kioskVolumeSlider::handle:horizontal:disabled, #kioskVolumeSlider::sub-page:horizontal:disabled"
            f" {{ background: {palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()}; }}"
        )
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)

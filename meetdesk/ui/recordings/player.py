"""The recordings player widget: the picture, play/pause, a seek bar with elapsed and total time, volume and
mute, full screen, keyboard shortcuts, and what went wrong in words. It observes a :class:`PlayerModel` and
knows nothing of the page that holds it (the admin app's Recordings page, the participant window's recording
view)::

    player = RecordingPlayer()
    player.open(client, recording)  # plays it, streamed from the server

Keys (anywhere in the player): Space play/pause, ←/→ 5 s back/forward, ↑/↓ volume, M mute, F full screen,
Esc leaves full screen.
"""

from __future__ import annotations

import asyncio
from typing import Final

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
)
from PySide6.QtMultimedia import QVideoFrame
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.recordings import MeetRecording
from meetdesk.ui.icons import tinted_icon
from meetdesk.ui.recordings.player_model import SKIP_MS, VOLUME_STEP, PlayerModel, PlayerState

#: behind the picture, in every theme (video reads best on dark)
BACKDROP: Final = QColor(16, 18, 22)


def format_time(ms: int) -> str:
    """0:07, 12:34, 1:02:03."""
    whole = max(0, ms) // 1000
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def fit(source: QSize, target: QRect) -> QRect:
    """``source`` scaled to fit inside ``target``, centred, its aspect kept."""
    if source.isEmpty() or target.isEmpty():
        return QRect(target)
    scale = min(target.width() / source.width(), target.height() / source.height())
    width, height = max(1, round(source.width() * scale)), max(1, round(source.height() * scale))
    return QRect(
        target.x() + (target.width() - width) // 2, target.y() + (target.height() - height) // 2, width, height
    )


def _drawn_icon(kind: str, ink: str, grey: str, size: int = 24) -> QIcon:
    """``play`` (a triangle), ``pause`` (two bars) or ``muted`` (a speaker struck through), in ``ink`` (``grey``
    when disabled), sharp up to twice ``size``."""
    out = QIcon()
    for colour, mode in ((ink, QIcon.Mode.Normal), (grey, QIcon.Mode.Disabled)):
        for pixels in (size, 2 * size):
            pixmap = QPixmap(pixels, pixels)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            u = pixels / 24
            if kind == "play":
                painter.drawPolygon(QPolygonF([QPointF(7 * u, 4 * u), QPointF(20 * u, 12 * u), QPointF(7 * u, 20 * u)]))
            elif kind == "pause":
                painter.drawRoundedRect(QRectF(6 * u, 4 * u, 4 * u, 16 * u), u, u)
                painter.drawRoundedRect(QRectF(14 * u, 4 * u, 4 * u, 16 * u), u, u)
            else:
                speaker = [(3, 9), (7, 9), (12, 4), (12, 20), (7, 15), (3, 15)]
                painter.drawPolygon(QPolygonF([QPointF(x * u, y * u) for x, y in speaker]))
                pen = QPen(QColor(colour), 2 * u)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawLine(QPointF(15 * u, 9 * u), QPointF(21 * u, 15 * u))
                painter.drawLine(QPointF(21 * u, 9 * u), QPointF(15 * u, 15 * u))
            painter.end()
            out.addPixmap(pixmap, mode)
    return out


class VideoSurface(QWidget):
    """The latest frame of the player's video sink, letterboxed on a dark backdrop; converted when painted.

    Signals:
        framePainted(int): a new frame was painted: its time in the recording (ms). The first one after
            Play or a seek is what a person waits for (``bench/player_bench.py`` times it).
    """

    framePainted = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(160, 90)
        self._frame: QVideoFrame | None = None
        self._painted: QVideoFrame | None = None
        self.frames_painted = 0

    def show_frame(self, frame: QVideoFrame) -> None:
        self._frame = frame if frame.isValid() else None
        self.update()

    def clear(self) -> None:
        self._frame = self._painted = None
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        frame = self._frame
        if frame is not None:
            image = frame.toImage()
            if not image.isNull():
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(fit(image.size(), self.rect()), image)
        painter.end()
        if frame is not None and frame is not self._painted:
            self._painted = frame
            self.frames_painted += 1
            self.framePainted.emit(frame.startTime() // 1000 if frame.startTime() >= 0 else 0)


class RecordingPlayer(QWidget):
    """A recording's picture and controls (module docstring).

    Signals:
        fullScreenChanged(bool)
    """

    fullScreenChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None, model: PlayerModel | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingPlayer")
        self.model = model or PlayerModel(self)
        self.surface = VideoSurface(self)
        self.surface.setObjectName("playerSurface")
        self.surface.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.surface.setAccessibleName(self.tr("Recording"))
        self.model.sink.videoFrameChanged.connect(self.surface.show_frame)

        self.error = QLabel()
        self.error.setObjectName("playerError")
        self.error.setProperty("messageKind", "error")  # the theme's error colour
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.note = QLabel()
        self.note.setObjectName("playerNote")
        self.note.setWordWrap(True)
        self.note.hide()

        self._make_icons()
        self.play_button = QToolButton()
        self.play_button.setObjectName("playButton")
        self.play_button.setIcon(self._play_icon)
        self.play_button.setIconSize(QSize(24, 24))
        self.play_button.clicked.connect(self.model.toggle)
        self.elapsed = QLabel(format_time(0))
        self.elapsed.setObjectName("playerElapsed")
        self.seek_bar = QSlider(Qt.Orientation.Horizontal)
        self.seek_bar.setObjectName("seekBar")
        self.seek_bar.setAccessibleName(self.tr("Position in the recording"))
        self.seek_bar.setRange(0, 0)
        self.seek_bar.setSingleStep(SKIP_MS)
        self.seek_bar.setPageStep(SKIP_MS * 6)
        self.total = QLabel(format_time(0))
        self.total.setObjectName("playerTotal")
        self.mute_button = QToolButton()
        self.mute_button.setObjectName("muteButton")
        self.mute_button.setCheckable(True)
        self.mute_button.setIcon(self._volume_icon)
        self.mute_button.toggled.connect(self.model.set_muted)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setObjectName("volumeSlider")
        self.volume.setAccessibleName(self.tr("Volume"))
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(VOLUME_STEP)
        self.volume.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 8)
        self.volume.valueChanged.connect(self.model.set_volume)
        self.full_screen_button = QToolButton()
        self.full_screen_button.setObjectName("fullScreenButton")
        self.full_screen_button.setIcon(self._full_screen_icon)
        self.full_screen_button.clicked.connect(self.toggle_full_screen)
        for button in (self.play_button, self.mute_button, self.full_screen_button):
            button.setAutoRaise(True)
        # the time labels keep their width as the digits change (the bar does not wobble)
        widest = self.fontMetrics().horizontalAdvance("0:00:00") + 4
        for label in (self.elapsed, self.total):
            label.setMinimumWidth(widest)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 4)
        controls.addWidget(self.play_button)
        controls.addWidget(self.elapsed)
        controls.addWidget(self.seek_bar, 1)
        controls.addWidget(self.total)
        controls.addSpacing(8)
        controls.addWidget(self.mute_button)
        controls.addWidget(self.volume)
        controls.addWidget(self.full_screen_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.surface, 1)
        column.addWidget(self.error)
        column.addLayout(controls)
        column.addWidget(self.note)

        self.seek_bar.sliderMoved.connect(lambda value: self.elapsed.setText(format_time(value)))
        self.seek_bar.sliderReleased.connect(lambda: self.model.seek(self.seek_bar.value()))
        self.seek_bar.actionTriggered.connect(self._seek_action)
        self._shortcuts: list[QShortcut] = []
        for keys, action in (
            (Qt.Key.Key_Space, self.model.toggle),
            (Qt.Key.Key_Left, lambda: self.model.skip(-SKIP_MS)),
            (Qt.Key.Key_Right, lambda: self.model.skip(SKIP_MS)),
            (Qt.Key.Key_Up, lambda: self.model.change_volume(VOLUME_STEP)),
            (Qt.Key.Key_Down, lambda: self.model.change_volume(-VOLUME_STEP)),
            (Qt.Key.Key_M, lambda: self.model.set_muted(not self.model.muted)),
            (Qt.Key.Key_F, self.toggle_full_screen),
            (Qt.Key.Key_Escape, self.leave_full_screen),
        ):
            shortcut = QShortcut(QKeySequence(keys), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
            self._shortcuts.append(shortcut)

        model = self.model
        model.stateChanged.connect(self._show_state)
        model.positionChanged.connect(self._show_position)
        model.durationChanged.connect(self._show_duration)
        model.volumeChanged.connect(self._show_volume)
        model.mutedChanged.connect(self._show_volume)
        model.errorChanged.connect(self._show_error)
        model.noteChanged.connect(self._show_note)
        model.seekableChanged.connect(lambda _seekable: self._show_state())
        model.recordingChanged.connect(lambda _recording: self.surface.clear())
        self._full_screen = False
        self._show_state()
        self._show_duration(model.duration)
        self._show_volume()
        self._show_note(model.note)
        self._show_error(model.error)

    def _make_icons(self) -> None:
        """The controls' icons in the palette's text colour (the style's own media icons are dark whatever the
        theme: unreadable on a dark one), greyed when disabled."""
        palette = self.palette()
        ink = palette.color(QPalette.ColorGroup.Normal, QPalette.ColorRole.WindowText).name()  # they sit on the window
        grey = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
        self._play_icon = _drawn_icon("play", ink, grey)
        self._pause_icon = _drawn_icon("pause", ink, grey)
        self._volume_icon = tinted_icon("speaker", ink, disabled=grey)
        self._muted_icon = _drawn_icon("muted", ink, grey)
        self._full_screen_icon = tinted_icon("fullscreen", ink, disabled=grey)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc leaves full screen even before the full-screen window has the focus its shortcut needs (a key
        pressed as it appears reaches the picture, then the player)."""
        if event.key() == Qt.Key.Key_Escape and self._full_screen:
            self.leave_full_screen()
            event.accept()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(self, "volume"):
            self._make_icons()
            self.full_screen_button.setIcon(self._full_screen_icon)
            self._show_state()
            self._show_volume()

    # API -----------------------------------------------------------------------------------------

    def open(self, client: MeetDeskClient, recording: MeetRecording, *, autoplay: bool = True) -> asyncio.Task[None]:
        """Play ``recording`` (see :meth:`PlayerModel.open`); keys go to the player from now on."""
        self.surface.setFocus(Qt.FocusReason.OtherFocusReason)
        return self.model.open(client, recording, autoplay=autoplay)

    async def close_recording(self) -> None:
        """Stop and let go of the recording (the window holding the player closes)."""
        self.leave_full_screen()
        await self.model.close()

    @property
    def full_screen(self) -> bool:
        return self._full_screen

    def toggle_full_screen(self) -> None:
        if self._full_screen:
            self.leave_full_screen()
        else:
            self.enter_full_screen()

    def enter_full_screen(self) -> None:
        """The player alone on the whole screen (a window of its own until Esc or F)."""
        if self._full_screen:
            return
        self._full_screen = True
        screen = self.screen().geometry()
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setGeometry(screen)  # covers the screen where no window manager does full screen (a kiosk-like PC)
        self.showFullScreen()
        self.activateWindow()  # its keys (Esc, Space...) come to it, a window of its own now
        self.surface.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_full_screen()

    def leave_full_screen(self) -> None:
        """Back where it was (in its page or window)."""
        if not self._full_screen:
            return
        self._full_screen = False
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowFullScreen)
        self.setWindowFlag(Qt.WindowType.Window, False)
        self.show()
        self.window().activateWindow()  # the keys go on coming to the player (no window manager gives focus back)
        self.surface.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_full_screen()

    # showing the model ---------------------------------------------------------------------------

    def _show_full_screen(self) -> None:
        self._show_full_screen_button()
        self.fullScreenChanged.emit(self._full_screen)

    def _show_state(self, _state: object = None) -> None:
        model = self.model
        playing = model.state is PlayerState.PLAYING
        self.play_button.setIcon(self._pause_icon if playing else self._play_icon)
        self.play_button.setToolTip(self.tr("Pause (Space)") if playing else self.tr("Play (Space)"))
        self.play_button.setAccessibleName(self.play_button.toolTip())
        has_recording = model.recording is not None
        self.play_button.setEnabled(has_recording)
        self.seek_bar.setEnabled(has_recording and model.seekable and model.state is not PlayerState.FAILED)
        self._show_full_screen_button()

    def _show_full_screen_button(self) -> None:
        self.full_screen_button.setToolTip(
            self.tr("Leave full screen (Esc)") if self._full_screen else self.tr("Full screen (F)")
        )
        self.full_screen_button.setAccessibleName(self.full_screen_button.toolTip())

    def _show_position(self, position: int) -> None:
        if not self.seek_bar.isSliderDown():
            self.seek_bar.setValue(position)
            self.elapsed.setText(format_time(position))

    def _show_duration(self, duration: int) -> None:
        self.seek_bar.setMaximum(max(0, duration))
        self.total.setText(format_time(duration))

    def _show_volume(self, _value: object = None) -> None:
        model = self.model
        sound = model.has_sound_output
        self.volume.blockSignals(True)
        self.volume.setValue(model.volume)
        self.volume.blockSignals(False)
        self.mute_button.blockSignals(True)
        self.mute_button.setChecked(model.muted or not sound)
        self.mute_button.blockSignals(False)
        self.mute_button.setIcon(self._muted_icon if model.muted or not sound else self._volume_icon)
        self.mute_button.setToolTip(self.tr("Sound on (M)") if model.muted else self.tr("Mute (M)"))
        self.mute_button.setAccessibleName(self.mute_button.toolTip())
        self.mute_button.setEnabled(sound)
        self.volume.setEnabled(sound)
        self.volume.setToolTip(self.tr("Volume: {percent}% (↑/↓)").format(percent=model.volume))

    def _show_error(self, error: str) -> None:
        self.error.setText(error)
        self.error.setVisible(bool(error))
        self._show_note()
        self._show_state()

    def _show_note(self, _note: object = None) -> None:
        """The note (no sound output), unless an error says more."""
        self.note.setText(self.model.note)
        self.note.setVisible(bool(self.model.note) and not self.model.error)
        self._show_volume()

    def _seek_action(self, action: int) -> None:
        """A click on the bar beside the handle, or its keys: go where the handle now is."""
        if action in (QSlider.SliderAction.SliderMove.value, QSlider.SliderAction.SliderNoAction.value):
            return
        self.model.seek(self.seek_bar.sliderPosition())

"""The device view: camera preview, device pickers, microphone level, speaker test, virtual background.

Devices are listed and opened off the GUI thread (probing a camera blocks); choices are remembered by
name. Nothing is sent from here: the window hands :attr:`DevicePage.local` to the meeting on Join.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.effects.background import BackgroundMode
from meetdesk.client.effects.track import EffectUnavailable, effects_available
from meetdesk.client.media.devices import list_cameras, list_microphones, list_speakers
from meetdesk.client.media.local import LocalMedia
from meetdesk.ui.backgrounds import bundled_backgrounds, load_background

logger = logging.getLogger(__name__)

DEFAULT_DEVICE = "System default"


class Speaker(Protocol):
    def test_tone(self) -> None: ...

    def use_speaker(self, name: str | None) -> None: ...

    @property
    def notes(self) -> list[str]: ...


class DevicePage(QWidget):
    """``joinRequested`` when the user presses Join; ``backRequested`` to change the name."""

    joinRequested = Signal()
    backRequested = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("devicePage")
        self.settings = settings
        self.local: LocalMedia | None = None
        self.speaker: Speaker | None = None
        self._preview_task: asyncio.Task[None] | None = None
        self._preview_track: MediaStreamTrack | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._build()

    def _build(self) -> None:
        from meetdesk.ui.meeting.video_view import VideoView

        root = QHBoxLayout(self)
        root.setContentsMargins(24, 24, 24, 24)
        root.setSpacing(24)
        left = QVBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        left.addWidget(self.title)
        self.preview = VideoView(cover=True)
        self.preview.mirrored = True
        self.preview.setObjectName("preview")
        self.preview.setMinimumSize(480, 270)
        left.addWidget(self.preview, 1)
        toggles = QHBoxLayout()
        self.mic_toggle = QPushButton()
        self.mic_toggle.setObjectName("micToggle")
        self.mic_toggle.setCheckable(True)
        self.mic_toggle.toggled.connect(self._toggle_labels)
        self.camera_toggle = QPushButton()
        self.camera_toggle.setObjectName("cameraToggle")
        self.camera_toggle.setCheckable(True)
        self.camera_toggle.toggled.connect(self._toggle_labels)
        toggles.addWidget(self.mic_toggle)
        toggles.addWidget(self.camera_toggle)
        toggles.addStretch(1)
        left.addLayout(toggles)
        root.addLayout(left, 3)

        right = QVBoxLayout()
        form = QFormLayout()
        self.camera_box = QComboBox()
        self.camera_box.setObjectName("cameraBox")
        self.camera_box.setAccessibleName(self.tr("Camera"))
        self.camera_box.activated.connect(lambda: self._run(self._camera_chosen()))
        self.microphone_box = QComboBox()
        self.microphone_box.setObjectName("microphoneBox")
        self.microphone_box.setAccessibleName(self.tr("Microphone"))
        self.microphone_box.activated.connect(lambda: self._run(self._microphone_chosen()))
        self.speaker_box = QComboBox()
        self.speaker_box.setObjectName("speakerBox")
        self.speaker_box.setAccessibleName(self.tr("Speaker"))
        self.speaker_box.activated.connect(self._speaker_chosen)
        self.level = QProgressBar()
        self.level.setObjectName("micLevel")
        self.level.setAccessibleName(self.tr("Microphone level"))
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setMaximumHeight(10)
        self.test_speaker = QPushButton(self.tr("Test speaker"))
        self.test_speaker.setObjectName("testSpeaker")
        self.test_speaker.clicked.connect(self._test_tone)
        form.addRow(self.tr("Camera"), self.camera_box)
        form.addRow(self.tr("Microphone"), self.microphone_box)
        form.addRow(self.tr("Level"), self.level)
        speaker_row = QHBoxLayout()
        speaker_row.addWidget(self.speaker_box, 1)
        speaker_row.addWidget(self.test_speaker)
        form.addRow(self.tr("Speaker"), speaker_row)
        right.addLayout(form)
        self.notes = QLabel()
        self.notes.setObjectName("deviceNotes")
        self.notes.setWordWrap(True)
        self.notes.hide()
        right.addWidget(self.notes)

        self.backgrounds = QWidget()
        self.backgrounds.setObjectName("backgrounds")
        bg_layout = QVBoxLayout(self.backgrounds)
        bg_layout.setContentsMargins(0, 8, 0, 0)
        bg_layout.addWidget(QLabel(self.tr("Background")))
        grid = QGridLayout()
        self.background_group = QButtonGroup(self)
        self.background_group.setExclusive(True)
        self.background_buttons: dict[str, QToolButton] = {}
        choices: list[tuple[str, str]] = [
            ("none", self.tr("None")),
            ("blur_light", self.tr("Light blur")),
            ("blur_strong", self.tr("Strong blur")),
        ]
        bundled = bundled_backgrounds()
        choices += [(f"image:{path}", name) for name, path in bundled]
        choices.append(("file", self.tr("Choose a file…")))
        thumbnails = _thumbnails(bundled)
        for index, (key, text) in enumerate(choices):
            button = QToolButton()
            button.setText(text)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(THUMBNAIL)
            button.setIcon(thumbnails.get(key, QIcon()))
            button.setCheckable(key != "file")
            button.setAccessibleName(self.tr("Background: {name}").format(name=text))
            button.setMinimumWidth(110)
            button.clicked.connect(lambda _=False, k=key: self._background_chosen(k))
            if key != "file":
                self.background_group.addButton(button)
            self.background_buttons[key] = button
            grid.addWidget(button, index // 3, index % 3)
        self.background_buttons["none"].setChecked(True)
        bg_layout.addLayout(grid)
        self.background_note = QLabel()
        self.background_note.setObjectName("backgroundNote")
        self.background_note.setWordWrap(True)
        self.background_note.hide()
        bg_layout.addWidget(self.background_note)
        right.addWidget(self.backgrounds)
        right.addStretch(1)
        self.join_error = QLabel()
        self.join_error.setObjectName("joinError")
        self.join_error.setWordWrap(True)
        self.join_error.hide()
        right.addWidget(self.join_error)
        buttons = QHBoxLayout()
        self.back = QPushButton(self.tr("Back"))
        self.back.clicked.connect(self.backRequested.emit)
        self.join = QPushButton(self.tr("Join meeting"))
        self.join.setObjectName("joinButton")
        self.join.setDefault(True)
        self.join.clicked.connect(self.joinRequested.emit)
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.join)
        right.addLayout(buttons)
        root.addLayout(right, 2)
        self._meter = QTimer(self)
        self._meter.setInterval(100)
        self._meter.timeout.connect(self._show_level)
        self._toggle_labels()

    # opening ---------------------------------------------------------------------------------------

    async def open(self, local: LocalMedia, speaker: Speaker | None, *, room_name: str, backgrounds: bool) -> None:
        """Open the remembered devices (or the first ones) and start the preview."""
        self.local, self.speaker = local, speaker
        self.title.setText(self.tr("Get ready for {room}").format(room=room_name))
        self.join.setEnabled(False)
        self.join.setText(self.tr("Opening devices…"))
        self.backgrounds.setVisible(backgrounds)
        reason = effects_available() if backgrounds else None
        for key, button in self.background_buttons.items():
            button.setEnabled(reason is None or key == "none")
        self.background_note.setText(reason or "")
        self.background_note.setVisible(bool(reason))
        cameras, microphones, speakers = await asyncio.gather(
            asyncio.to_thread(_names, list_cameras),
            asyncio.to_thread(_names, list_microphones),
            asyncio.to_thread(_names, list_speakers),
        )
        self._fill(self.camera_box, cameras, "camera", self.tr("No camera"))
        self._fill(self.microphone_box, microphones, "microphone", self.tr("No microphone"))
        self._fill(self.speaker_box, [DEFAULT_DEVICE, *speakers], "speaker", self.tr("No speaker"))
        if speaker is not None:
            speaker.use_speaker(self._chosen(self.speaker_box))
        await local.use_camera(self._chosen(self.camera_box))
        await local.use_microphone(self._chosen(self.microphone_box))
        self._after_devices()
        self._start_preview()
        self._meter.start()
        self.join.setEnabled(True)
        self.join.setText(self.tr("Join meeting"))
        self.join.setFocus()

    def _fill(self, box: QComboBox, names: list[str], key: str, empty: str) -> None:
        box.clear()
        if self.local is not None and self.local.synthetic and key != "speaker":
            names = [self.tr("Test pattern") if key == "camera" else self.tr("Test tone")]
        for name in names:
            box.addItem(name, name)
        if not names:
            box.addItem(empty, None)
        box.setEnabled(bool(names))
        remembered = self.settings.value(f"devices/{key}", "", str)
        index = box.findData(remembered)
        if index >= 0:
            box.setCurrentIndex(index)

    @staticmethod
    def _chosen(box: QComboBox) -> str | None:
        data = box.currentData()
        return None if data in (None, DEFAULT_DEVICE) or not box.isEnabled() else str(data)

    def _after_devices(self) -> None:
        local = self.local
        assert local is not None
        notes = list(local.notes)
        if self.speaker is not None:
            notes += self.speaker.notes
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self.mic_toggle.setEnabled(local.has_microphone)
        self.camera_toggle.setEnabled(local.has_camera)
        if not local.has_camera:
            self.preview.clear()
        self._toggle_labels()

    def _start_preview(self) -> None:
        self._stop_preview()
        if self.local is None:
            return
        self._preview_track = self.local.preview()
        self._preview_task = asyncio.create_task(self._pump(self._preview_track), name="device-preview")

    async def _pump(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if self.camera_toggle.isChecked():
                    continue
                self.preview.show_frame(frame)  # type: ignore[arg-type]

    def _stop_preview(self) -> None:
        if self._preview_task is not None:
            self._preview_task.cancel()
            self._preview_task = None
        if self._preview_track is not None:
            self._preview_track.stop()
            self._preview_track = None

    # choices ---------------------------------------------------------------------------------------

    def _run(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _camera_chosen(self) -> None:
        name = self._chosen(self.camera_box)
        if self.local is None:
            return
        self.settings.setValue("devices/camera", name or "")
        await self.local.use_camera(name)
        self._after_devices()

    async def _microphone_chosen(self) -> None:
        name = self._chosen(self.microphone_box)
        if self.local is None:
            return
        self.settings.setValue("devices/microphone", name or "")
        await self.local.use_microphone(name)
        self._after_devices()

    def _speaker_chosen(self) -> None:
        name = self._chosen(self.speaker_box)
        self.settings.setValue("devices/speaker", self.speaker_box.currentData() or "")
        if self.speaker is not None:
            self.speaker.use_speaker(name)
            self._after_devices()

    def _test_tone(self) -> None:
        if self.speaker is not None:
            self.speaker.test_tone()

    def _background_chosen(self, key: str) -> None:
        if self.local is None:
            return
        image: Any = None
        if key == "file":
            path, _ = QFileDialog.getOpenFileName(
                self, self.tr("Choose a background picture"), str(Path.home()), self.tr("Pictures (*.png *.jpg *.jpeg)")
            )
            if not path:
                return
            mode: str = BackgroundMode.IMAGE
            image = path
        elif key.startswith("image:"):
            mode, image = BackgroundMode.IMAGE, key.removeprefix("image:")
        else:
            mode = key
        try:
            if image is not None:
                image = load_background(image)
            self.local.set_background(mode, image)
        except EffectUnavailable as exc:
            self.background_note.setText(str(exc))
            self.background_note.show()
            self.background_buttons["none"].setChecked(True)
            return
        except (OSError, ValueError) as exc:
            self.background_note.setText(self.tr("That picture cannot be used: {reason}").format(reason=exc))
            self.background_note.show()
            return
        self.background_note.hide()
        self.background = key

    background = "none"

    def _toggle_labels(self) -> None:
        self.mic_toggle.setText(self.tr("Microphone off") if self.mic_toggle.isChecked() else self.tr("Microphone on"))
        self.camera_toggle.setText(self.tr("Camera off") if self.camera_toggle.isChecked() else self.tr("Camera on"))
        if self.local is not None and not self.local.has_microphone:
            self.mic_toggle.setText(self.tr("No microphone"))
        if self.local is not None and not self.local.has_camera:
            self.camera_toggle.setText(self.tr("No camera"))
        if self.camera_toggle.isChecked():
            self.preview.clear()

    def _show_level(self) -> None:
        local = self.local
        level = local.level if local is not None and not self.mic_toggle.isChecked() else 0.0
        self.level.setValue(round(level * 100))

    @property
    def audio_enabled(self) -> bool:
        return not self.mic_toggle.isChecked()

    @property
    def video_enabled(self) -> bool:
        return not self.camera_toggle.isChecked()

    def show_join_error(self, text: str) -> None:
        self.join_error.setText(text)
        self.join_error.setVisible(bool(text))
        self.join.setEnabled(True)
        self.join.setText(self.tr("Join meeting"))

    def close_preview(self) -> None:
        """Leaving the page: the preview stops (the devices stay open for the meeting)."""
        self._meter.stop()
        self._stop_preview()


THUMBNAIL = QSize(96, 54)


def _thumbnails(bundled: list[tuple[str, str]]) -> dict[str, QIcon]:
    """A small picture per background choice: each bundled image, and the first one as each effect shows it."""
    icons: dict[str, QIcon] = {}
    sample = None
    for _, path in sorted(bundled, key=lambda b: b[0] != "Office"):  # effects shown on the sharpest picture
        size = (THUMBNAIL.width(), THUMBNAIL.height())
        picture = cv2.resize(load_background(path), size, interpolation=cv2.INTER_AREA)
        sample = picture if sample is None else sample
        icons[f"image:{path}"] = _icon(picture)
    if sample is not None:
        icons["none"] = _icon(sample)
        icons["blur_light"] = _icon(cv2.GaussianBlur(sample, (0, 0), 1.5))
        icons["blur_strong"] = _icon(cv2.GaussianBlur(sample, (0, 0), 4.0))
    return icons


def _icon(bgr: Any) -> QIcon:
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888)
    return QIcon(QPixmap.fromImage(image.copy()))


def _names(lister: Any) -> list[str]:
    try:
        return list(lister())
    except Exception:  # a broken driver must not keep the user out of the meeting
        logger.warning("Listing devices failed", exc_info=True)
        return []

"""The device pickers: camera, microphone (with its level), speaker (with a test tone) and virtual background.

One :class:`DeviceChoices` sits in the device view before the meeting and another in the meeting's settings
dialog, over the same :class:`~meetdesk.client.media.local.LocalMedia`: a choice swaps the device under the
tracks already published, so the others see and hear the new one without anyone leaving. Devices are listed
and opened off the GUI thread (probing a camera blocks); choices are remembered by name.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
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
from meetdesk.client.media.local import SYNTHETIC_CAMERAS, SYNTHETIC_MICROPHONES, LocalMedia
from meetdesk.ui.backgrounds import bundled_backgrounds, load_background
from meetdesk.ui.messages import as_sentence

logger = logging.getLogger(__name__)

DEFAULT_DEVICE = "System default"
THUMBNAIL = QSize(96, 54)


class Speaker(Protocol):
    def test_tone(self) -> None: ...

    def use_speaker(self, name: str | None) -> None: ...

    @property
    def has_speaker(self) -> bool: ...

    @property
    def notes(self) -> list[str]: ...


class DeviceChoices(QWidget):
    """Pickers for the camera, microphone and speaker, the microphone's level, "Test speaker", the notes on
    what is missing, and the virtual backgrounds.

    ``mic_muted``: the level shows 0 while True (the user turned the microphone off).

    Signals:
        devicesChanged(): a device was opened, changed or found missing (:attr:`local` says which).
    """

    devicesChanged = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.local: LocalMedia | None = None
        self.speaker: Speaker | None = None
        self.mic_muted = False
        self.background = "none"
        self._tasks: set[asyncio.Task[Any]] = set()
        self._build()

    def _build(self) -> None:
        right = QVBoxLayout(self)
        right.setContentsMargins(0, 0, 0, 0)
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
        self._meter = QTimer(self)
        self._meter.setInterval(100)
        self._meter.timeout.connect(self._show_level)

    # opening ---------------------------------------------------------------------------------------

    async def open(self, local: LocalMedia, speaker: Speaker | None, *, backgrounds: bool) -> None:
        """List the devices, open the remembered ones (or the first ones) and start the level meter."""
        await self._list(local, speaker, backgrounds)
        if speaker is not None:
            speaker.use_speaker(self._chosen(self.speaker_box))
        await local.use_camera(self._chosen(self.camera_box))
        await local.use_microphone(self._chosen(self.microphone_box))
        self.refresh()
        self._meter.start()

    async def show_current(
        self, local: LocalMedia, speaker: Speaker | None, *, backgrounds: bool, background: str
    ) -> None:
        """List the devices with the ones in use chosen (in a meeting: nothing is reopened)."""
        await self._list(local, speaker, backgrounds)
        for box, name in ((self.camera_box, local.camera_name), (self.microphone_box, local.microphone_name)):
            index = box.findData(name) if name else -1
            if index >= 0:
                box.setCurrentIndex(index)
        self.show_background(background)
        self.refresh()
        self._meter.start()

    def show_background(self, key: str) -> None:
        """Mark ``key`` as the background in use (chosen elsewhere: the meeting's settings)."""
        if key in self.background_buttons and self.background_buttons[key].isCheckable():
            self.background_buttons[key].setChecked(True)
            self.background = key

    def allow_backgrounds(self, allowed: bool) -> None:
        """The role's permission to change the background changed while the choices are shown: without it the
        pictures are disabled (no background is the one choice left, and chosen) and the note says why."""
        self.backgrounds.setVisible(True)
        reason = effects_available() if allowed else self.tr("Your role may not change the background in this room.")
        for key, button in self.background_buttons.items():
            button.setEnabled(reason is None or key == "none")
        if not allowed:
            self.show_background("none")
        self.background_note.setText(reason or "")
        self.background_note.setVisible(bool(reason))

    async def _list(self, local: LocalMedia, speaker: Speaker | None, backgrounds: bool) -> None:
        self.local, self.speaker = local, speaker
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

    def _fill(self, box: QComboBox, names: list[str], key: str, empty: str) -> None:
        box.clear()
        if self.local is not None and self.local.synthetic and key != "speaker":
            names = list(SYNTHETIC_CAMERAS if key == "camera" else SYNTHETIC_MICROPHONES)
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

    def refresh(self) -> None:
        """Show what is missing and why (after any device change)."""
        local = self.local
        if local is None:
            return
        notes = list(local.notes)
        if self.speaker is not None:
            notes += self.speaker.notes
        self.notes.setText("\n".join(as_sentence(note) for note in notes))
        self.notes.setVisible(bool(notes))
        has_speaker = self.speaker is not None and self.speaker.has_speaker
        self.test_speaker.setEnabled(has_speaker)
        self.test_speaker.setToolTip(
            self.tr("Play a short tone on the chosen speaker.")
            if has_speaker
            else self.tr("No speaker: there is nothing to play the test tone on.")
        )
        self.devicesChanged.emit()

    def stop(self) -> None:
        self._meter.stop()

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
        self.refresh()

    async def _microphone_chosen(self) -> None:
        name = self._chosen(self.microphone_box)
        if self.local is None:
            return
        self.settings.setValue("devices/microphone", name or "")
        await self.local.use_microphone(name)
        self.refresh()

    def _speaker_chosen(self) -> None:
        name = self._chosen(self.speaker_box)
        self.settings.setValue("devices/speaker", self.speaker_box.currentData() or "")
        if self.speaker is not None:
            self.speaker.use_speaker(name)
            self.refresh()

    def _test_tone(self) -> None:
        if self.speaker is not None:
            self.speaker.test_tone()

    def _background_chosen(self, key: str) -> None:
        if self.local is None:
            return
        if key == "file":
            dialog = self.file_dialog = QFileDialog(
                self, self.tr("Choose a background picture"), str(Path.home()), self.tr("Pictures (*.png *.jpg *.jpeg)")
            )
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.fileSelected.connect(lambda path: self._apply_background("file", BackgroundMode.IMAGE, path))
            dialog.open()  # window-modal: no nested event loop while the meeting runs
            return
        if key.startswith("image:"):
            self._apply_background(key, BackgroundMode.IMAGE, key.removeprefix("image:"))
        else:
            self._apply_background(key, key, None)

    #: the "Choose a file…" dialog last opened
    file_dialog: QFileDialog | None = None

    def _apply_background(self, key: str, mode: str, path: str | None) -> None:
        local = self.local
        if local is None:
            return
        try:
            local.set_background(mode, load_background(path) if path is not None else None)
        except EffectUnavailable as exc:
            self._background_failed(as_sentence(str(exc)))
            return
        except (OSError, ValueError) as exc:
            reason = as_sentence(str(exc) or type(exc).__name__)
            self._background_failed(self.tr("That picture cannot be used: {reason}").format(reason=reason))
            return
        self.background_note.hide()
        self.background = key
        self.show_background(key)

    def _background_failed(self, text: str) -> None:
        """Say why, next to the pictures; the background in use stays chosen."""
        self.background_note.setText(text)
        self.background_note.show()
        self.show_background(self.background)

    def _show_level(self) -> None:
        local = self.local
        level = local.level if local is not None and not self.mic_muted else 0.0
        self.level.setValue(round(level * 100))


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

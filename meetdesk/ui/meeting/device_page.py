"""The device view: camera preview, mic/camera toggles, and the device pickers (:class:`DeviceChoices`: camera,
microphone and its level, speaker test, virtual background).

Nothing is sent from here: the window hands :attr:`DevicePage.local` to the meeting on Join.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QEvent, QSettings, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.media.local import LocalMedia
from meetdesk.ui.icons import tinted_icon
from meetdesk.ui.meeting.device_choices import DeviceChoices, Speaker

__all__ = ["DevicePage"]

logger = logging.getLogger(__name__)


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
        self.choices = DeviceChoices(self.settings)
        self.choices.devicesChanged.connect(self._after_devices)
        choices = self.choices
        self.camera_box, self.microphone_box, self.speaker_box = (
            choices.camera_box,
            choices.microphone_box,
            choices.speaker_box,
        )
        self.level, self.test_speaker, self.notes = choices.level, choices.test_speaker, choices.notes
        self.backgrounds, self.background_buttons = choices.backgrounds, choices.background_buttons
        self.background_note = choices.background_note
        right.addWidget(choices)
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
        self._toggle_labels()

    # opening ---------------------------------------------------------------------------------------

    async def open(
        self,
        local: LocalMedia,
        speaker: Speaker | None,
        *,
        room_name: str,
        backgrounds: bool,
        name: str = "",
        initial: tuple[bool, bool] = (True, True),
    ) -> None:
        """Open the remembered devices (or the first ones) and start the preview; without video the preview
        shows the initials of ``name``, as the meeting's tiles do. ``initial``: whether the microphone and the
        camera start on (the room's ``initialAudioEnabled`` / ``initialVideoEnabled``); the user may turn them on."""
        self.local, self.speaker = local, speaker
        self.mic_toggle.setChecked(not initial[0])
        self.camera_toggle.setChecked(not initial[1])
        self.preview.set_name(name)
        self.title.setText(self.tr("Get ready for {room}").format(room=room_name))
        self.join.setEnabled(False)
        self.join.setText(self.tr("Opening devices…"))
        await self.choices.open(local, speaker, backgrounds=backgrounds)
        self._start_preview()
        self.join.setEnabled(True)
        self.join.setText(self.tr("Join meeting"))
        self.join.setFocus()

    def _after_devices(self) -> None:
        local = self.local
        if local is None:
            return
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

    @property
    def background(self) -> str:
        """The virtual background chosen ("none", "blur_light", "blur_strong", "image:<path>")."""
        return self.choices.background

    def _toggle_labels(self) -> None:
        self.mic_toggle.setText(self.tr("Microphone off") if self.mic_toggle.isChecked() else self.tr("Microphone on"))
        self.camera_toggle.setText(self.tr("Camera off") if self.camera_toggle.isChecked() else self.tr("Camera on"))
        if self.local is not None and not self.local.has_microphone:
            self.mic_toggle.setText(self.tr("No microphone"))
        if self.local is not None and not self.local.has_camera:
            self.camera_toggle.setText(self.tr("No camera"))
        if self.camera_toggle.isChecked():
            self.preview.clear()
        self.choices.mic_muted = self.mic_toggle.isChecked()
        self._toggle_icons()

    def _toggle_icons(self) -> None:
        """The toolbar's icons on the toggles: struck through when off or missing."""
        palette = self.mic_toggle.palette()
        ink = palette.color(QPalette.ColorRole.ButtonText).name()
        disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText).name()
        for button, name in ((self.mic_toggle, "mic"), (self.camera_toggle, "camera")):
            off = button.isChecked() or not button.isEnabled()
            shown = f"{name}-off" if off else name
            button.setIcon(tinted_icon(shown, ink, disabled=disabled))
            button.setProperty("iconName", shown)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._toggle_icons()  # the theme's colours
        super().changeEvent(event)

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
        self.choices.stop()
        self._stop_preview()

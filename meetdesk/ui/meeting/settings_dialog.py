"""The meeting's settings dialog: change the microphone, camera, speaker and virtual background without leaving.

It shows the device view's own pickers (:class:`~meetdesk.ui.meeting.device_choices.DeviceChoices`) over the
devices the meeting publishes: a choice swaps the device under the published tracks, so the others see and
hear the new one at once. A device the meeting was joined without cannot be added here (it was never
published); the dialog says so next to its picker.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from meetdesk.client.media.local import LocalMedia
from meetdesk.ui.meeting.device_choices import DeviceChoices, Speaker


class DeviceSettingsDialog(QDialog):
    """Microphone, camera, speaker and background, during the meeting (window-modal, opened with ``open()``)."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deviceSettings")
        self.setWindowTitle(self.tr("Settings"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        self.choices = DeviceChoices(settings, self)
        layout.addWidget(self.choices)
        self.missing = QLabel()
        self.missing.setObjectName("settingsMissing")
        self.missing.setWordWrap(True)
        self.missing.hide()
        layout.addWidget(self.missing)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.finished.connect(lambda _result: self.choices.stop())
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 34)

    async def show_devices(
        self,
        local: LocalMedia,
        speaker: Speaker | None,
        *,
        backgrounds: bool,
        background: str,
        published: tuple[bool, bool],
    ) -> None:
        """Fill the pickers with the devices in use; ``published``: (camera, microphone) the meeting sends."""
        await self.choices.show_current(local, speaker, backgrounds=backgrounds, background=background)
        camera, microphone = published
        self.choices.camera_box.setEnabled(camera and self.choices.camera_box.isEnabled())
        self.choices.microphone_box.setEnabled(microphone and self.choices.microphone_box.isEnabled())
        missing = []
        if not camera:
            missing.append(self.tr("You joined without a camera: leave and join again to use one."))
        if not microphone:
            missing.append(self.tr("You joined without a microphone: leave and join again to use one."))
        self.missing.setText("\n".join(missing))
        self.missing.setVisible(bool(missing))

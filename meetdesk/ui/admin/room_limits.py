"""The room editor's Limits section (OpenVidu Meet 3.9's room limits): how many people a meeting may have,
how long it may last, and whether people join with their microphone and camera on.

Each limit is a tick box with its number: unticked is no limit (``null``). The numbers are checked here with
core's rules (``meetdesk.core.limits``) before anything is sent, and a problem is said next to its field, as
the server's own 422 for these fields is (:attr:`error_labels`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QSpinBox, QWidget

from meetdesk.core.limits import MAX_DURATION_MINUTES_LIMIT, MAX_PARTICIPANTS_LIMIT
from meetdesk.core.models import RoomConfig

#: the spin boxes go past the limits, so that a number too large is explained rather than refused keystroke by
#: keystroke without a word
_PARTICIPANTS_TYPED_MAX = 999
_MINUTES_TYPED_MAX = 99_999
DEFAULT_MAX_PARTICIPANTS = 10
DEFAULT_MAX_MINUTES = 60


class LimitsSection(QGroupBox):
    """Max participants, max duration, and the microphone and camera on joining, as a room's config holds them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Limits"), parent)
        self.setObjectName("limitsGroup")
        grid = QGridLayout(self)
        grid.setColumnStretch(2, 1)

        self.participants_check = QCheckBox(self.tr("Limit the participants to"), self)
        self.participants_check.setObjectName("maxParticipantsCheck")
        self.participants_check.setAccessibleName(self.tr("Limit the number of participants"))
        self.participants_spin = QSpinBox(self)
        self.participants_spin.setObjectName("maxParticipantsSpin")
        self.participants_spin.setRange(1, _PARTICIPANTS_TYPED_MAX)
        self.participants_spin.setValue(DEFAULT_MAX_PARTICIPANTS)
        self.participants_spin.setAccessibleName(self.tr("Most participants in a meeting"))
        self.participants_error = QLabel(self)
        self.participants_error.setObjectName("maxParticipantsError")
        self.participants_error.setWordWrap(True)

        self.duration_check = QCheckBox(self.tr("End each meeting after"), self)
        self.duration_check.setObjectName("maxDurationCheck")
        self.duration_check.setAccessibleName(self.tr("Limit how long a meeting may last"))
        self.duration_spin = QSpinBox(self)
        self.duration_spin.setObjectName("maxDurationSpin")
        self.duration_spin.setRange(1, _MINUTES_TYPED_MAX)
        self.duration_spin.setValue(DEFAULT_MAX_MINUTES)
        self.duration_spin.setSuffix(self.tr(" min"))
        self.duration_spin.setAccessibleName(self.tr("Longest a meeting may last, in minutes"))
        warned = self.tr("Everyone is warned 5 minutes and 1 minute before the end.")
        self.duration_check.setToolTip(warned)
        self.duration_spin.setToolTip(warned)
        self.duration_spin.setAccessibleDescription(warned)
        self.duration_error = QLabel(self)
        self.duration_error.setObjectName("maxDurationError")
        self.duration_error.setWordWrap(True)

        self.audio_check = QCheckBox(self.tr("Microphones on when joining"), self)
        self.audio_check.setObjectName("initialAudioCheck")
        self.video_check = QCheckBox(self.tr("Cameras on when joining"), self)
        self.video_check.setObjectName("initialVideoCheck")
        turned = self.tr("Anyone can turn theirs on or off once in the meeting.")
        for box in (self.audio_check, self.video_check):
            box.setToolTip(turned)
            box.setAccessibleDescription(turned)
        self.initial_error = QLabel(self)
        self.initial_error.setObjectName("initialStateError")
        self.initial_error.setWordWrap(True)

        left = Qt.AlignmentFlag.AlignLeft
        grid.addWidget(self.participants_check, 0, 0)
        grid.addWidget(self.participants_spin, 0, 1, left)
        grid.addWidget(self.participants_error, 1, 0, 1, 3)
        grid.addWidget(self.duration_check, 2, 0)
        grid.addWidget(self.duration_spin, 2, 1, left)
        grid.addWidget(self.duration_error, 3, 0, 1, 3)
        grid.addWidget(self.audio_check, 4, 0)
        grid.addWidget(self.video_check, 4, 1, 1, 2)
        grid.addWidget(self.initial_error, 5, 0, 1, 3)

        self.participants_check.toggled.connect(self._update_enabled)
        self.duration_check.toggled.connect(self._update_enabled)
        self.set_config(RoomConfig())

    def set_config(self, config: RoomConfig) -> None:
        """Show ``config``'s limits (a limit not set shows the box unticked, with a proposal in its number)."""
        self.participants_check.setChecked(config.maxParticipants is not None)
        if config.maxParticipants is not None:
            self.participants_spin.setValue(config.maxParticipants)
        self.duration_check.setChecked(config.maxDurationMinutes is not None)
        if config.maxDurationMinutes is not None:
            self.duration_spin.setValue(config.maxDurationMinutes)
        self.audio_check.setChecked(config.initialAudioEnabled)
        self.video_check.setChecked(config.initialVideoEnabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.participants_spin.setEnabled(self.participants_check.isChecked())
        self.duration_spin.setEnabled(self.duration_check.isChecked())

    def values(self) -> dict[str, int | bool | None]:
        """The limits as the room's config names them (``None``: no limit)."""
        return {
            "maxParticipants": self.participants_spin.value() if self.participants_check.isChecked() else None,
            "maxDurationMinutes": self.duration_spin.value() if self.duration_check.isChecked() else None,
            "initialAudioEnabled": self.audio_check.isChecked(),
            "initialVideoEnabled": self.video_check.isChecked(),
        }

    def problems(self) -> dict[str, str]:
        """What is wrong before sending, keyed as the server names the fields (``config.maxParticipants``...)."""
        found: dict[str, str] = {}
        values = self.values()
        people, minutes = values["maxParticipants"], values["maxDurationMinutes"]
        if isinstance(people, int) and people > MAX_PARTICIPANTS_LIMIT:
            found["config.maxParticipants"] = self.tr("A meeting can have at most {n} participants.").format(
                n=MAX_PARTICIPANTS_LIMIT
            )
        if isinstance(minutes, int) and minutes > MAX_DURATION_MINUTES_LIMIT:
            found["config.maxDurationMinutes"] = self.tr("A meeting can last at most {n} minutes (24 hours).").format(
                n=MAX_DURATION_MINUTES_LIMIT
            )
        return found

    @property
    def error_labels(self) -> dict[str, tuple[QLabel, QWidget]]:
        """Each field's error label and the field, by the path the server names it by."""
        return {
            "config.maxParticipants": (self.participants_error, self.participants_spin),
            "config.maxDurationMinutes": (self.duration_error, self.duration_spin),
            "config.initialAudioEnabled": (self.initial_error, self.audio_check),
            "config.initialVideoEnabled": (self.initial_error, self.video_check),
        }

"""The meeting window's bars: the header (room name, how many are in) and the toolbar under the tiles.

Both observe the :class:`~meetdesk.ui.meeting.model.MeetingModel`: a button shows the state the model holds
(mic off, hand raised, the chat's unread count, the moderator's "End the meeting for all") and a click only
asks, through the toolbar's signals, for the page to act; the button changes when the model does.

Toolbar buttons are an icon above a label, as in Zoom and Jitsi. A muted microphone or a stopped camera shows
its icon struck through; a microphone or camera that is missing disables its button, with the reason as its
tooltip. Icons are drawn in the theme's text colour, and redrawn when the theme changes.
"""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QEvent, QLocale, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QPalette, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy, QToolButton, QWidget

from meetdesk.ui.icons import tinted_icon
from meetdesk.ui.meeting.model import Layout, MeetingModel
from meetdesk.ui.meeting.reactions import REACTIONS, reaction_icon
from meetdesk.ui.meeting.reactions import label as reaction_label
from meetdesk.ui.messages import as_sentence

#: the icon of each button: (when off or unchecked, when on or checked)
ICONS = {
    "mic": ("mic", "mic-off"),
    "camera": ("camera", "camera-off"),
    "share": ("share-screen", "share-screen"),
    "chat": ("chat", "chat"),
    "participants": ("participants", "participants"),
    "hand": ("hand", "hand"),
    "react": ("react", "react"),
    "layout": ("layout", "layout"),
    "fullscreen": ("fullscreen", "fullscreen"),
    "settings": ("settings", "settings"),
    "more": ("more", "more"),
    "record": ("recording", "recording"),
}


def elapsed_text(seconds: int) -> str:
    """A meeting's duration as a clock shows it: "4:05", "1:02:09"."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class ElidedLabel(QLabel):
    """A one-line label that gives way to its neighbours: a long text ends in "…", the whole is its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("M…") * 3, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(0, self.width()))
        if shown != self.text():
            self.setText(shown)


class MeetingHeader(QWidget):
    """The room's name, how long the meeting has been going, whether it is locked, and how many are in it."""

    def __init__(self, model: MeetingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = ElidedLabel()
        self.title.setObjectName("meetingTitle")
        self.timer = QLabel()
        self.timer.setObjectName("meetingTimer")
        self.count = QLabel()
        self.count.setObjectName("participantCount")
        self.ends = QLabel()
        self.ends.setObjectName("meetingEnds")
        self.ends.setContentsMargins(12, 0, 0, 0)
        self.ends.setToolTip(self.tr("The room limits how long its meetings last: this one ends then for everyone."))
        self.locked = QLabel(self.tr("Locked"))
        self.locked.setObjectName("lockedLabel")
        self.locked.setToolTip(self.tr("A moderator locked the meeting: nobody new can join."))
        font = self.locked.font()
        font.setBold(True)
        self.locked.setFont(font)
        self.locked.setContentsMargins(0, 0, 12, 0)
        self.locked.setVisible(model.locked)
        layout.addWidget(self.title, 1)
        layout.addWidget(self.timer)
        layout.addWidget(self.ends)
        layout.addSpacing(16)
        layout.addWidget(self.locked)
        layout.addWidget(self.count)
        model.lockedChanged.connect(self.locked.setVisible)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        model.titleChanged.connect(self._title_changed)
        model.countChanged.connect(self._count_changed)
        model.startedAtChanged.connect(self._started_changed)
        model.endsAtChanged.connect(self._ends_changed)
        self._ends_changed(model.ends_at)
        self._title_changed(model.title)
        self._count_changed(model.count)
        self._started_changed(model.started_at)

    def add_status(self, widget: QWidget) -> None:
        """Show ``widget`` (a state of the meeting, such as its recording) before "Locked" and the count."""
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(layout.indexOf(self.locked), widget)

    def _title_changed(self, title: str) -> None:
        self.title.set_full_text(title)

    def _started_changed(self, when: float) -> None:
        if when:
            self._ticker.start()
        else:
            self._ticker.stop()
        self._tick()

    def _tick(self) -> None:
        seconds = self.model.elapsed()
        shown = elapsed_text(seconds) if self.model.started_at else ""
        if shown != self.timer.text():
            self.timer.setText(shown)
            minutes = seconds // 60
            self.timer.setAccessibleName(self.tr("The meeting started %n minute(s) ago", "", minutes))
        self.timer.setVisible(bool(shown))

    def _ends_changed(self, when: float) -> None:
        self.ends.setText(self.tr("Ends at {time}").format(time=clock_text(when)) if when else "")
        self.ends.setVisible(bool(when))

    def _count_changed(self, count: int) -> None:
        self.count.setText(self.tr("%n in the meeting", "", count) if count else "")


class MeetingToolbar(QWidget):
    """The buttons under the tiles.

    Signals:
        micRequested(bool): turn the microphone on (True) or off.
        cameraRequested(bool): turn the camera on or off.
        handRequested(bool): raise or lower your hand.
        shareClicked(): start or stop sharing the screen.
        chatToggled(bool), participantsToggled(bool): open or close that side panel.
        reactionRequested(str): send this emoji.
        fullscreenToggled(bool): full screen on or off.
        settingsRequested(): open the device settings (microphone, camera, speaker, background).
        copySpeakerLinkRequested(), shortcutsRequested(): from the "More" menu.
        muteEveryoneRequested(), lockRequested(bool): the moderators' part of the "More" menu (mute everyone,
            which the window confirms first; lock (True) or unlock the meeting).
        leaveRequested(): leave the meeting; endRequested(): end it for all (moderators).
        recordClicked(): start or stop recording (shown only to those whose role may record).
    """

    micRequested = Signal(bool)
    cameraRequested = Signal(bool)
    handRequested = Signal(bool)
    shareClicked = Signal()
    chatToggled = Signal(bool)
    participantsToggled = Signal(bool)
    reactionRequested = Signal(str)
    fullscreenToggled = Signal(bool)
    settingsRequested = Signal()
    copySpeakerLinkRequested = Signal()
    shortcutsRequested = Signal()
    leaveRequested = Signal()
    endRequested = Signal()
    muteEveryoneRequested = Signal()
    lockRequested = Signal(bool)
    recordClicked = Signal()
    recordingsRequested = Signal()

    def __init__(self, model: MeetingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName("meetingToolbar")
        self._build()
        model.micOnChanged.connect(lambda _on: self._sync())
        model.cameraOnChanged.connect(lambda _on: self._sync())
        model.handRaisedChanged.connect(lambda _on: self._sync())
        model.devicesChanged.connect(self._sync)
        model.sharingChanged.connect(lambda _on: self._sync())
        model.unreadChanged.connect(lambda _n: self._sync())
        model.roleChanged.connect(lambda _role: self._sync())
        model.canChatChanged.connect(lambda _on: self._sync())
        model.permissionsChanged.connect(self._sync)
        model.layoutChanged.connect(lambda _mode: self._sync())
        model.lockedChanged.connect(lambda _locked: self._sync())
        model.recordingChanged.connect(lambda _recording: self._sync())
        self._sync()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._sync()  # the icons take the theme's colours
        super().changeEvent(event)

    def _build(self) -> None:
        bar = QHBoxLayout(self)
        bar.setContentsMargins(12, 8, 12, 8)
        self.mic_button = self._tool(self.tr("Mute"), checkable=True, name="mic")
        self.mic_button.toggled.connect(lambda muted: self.micRequested.emit(not muted))
        self.camera_button = self._tool(self.tr("Stop video"), checkable=True, name="camera")
        self.camera_button.toggled.connect(lambda off: self.cameraRequested.emit(not off))
        self.share_button = self._tool(self.tr("Share screen"), name="share")
        self.share_button.clicked.connect(self.shareClicked.emit)
        self.record_button = self._tool(self.tr("Record"), name="record")
        self.record_button.clicked.connect(self.recordClicked.emit)
        self.chat_button = self._tool(self.tr("Chat"), checkable=True, name="chat")
        self.chat_button.toggled.connect(self.chatToggled.emit)
        self.people_button = self._tool(self.tr("Participants"), checkable=True, name="participants")
        self.people_button.toggled.connect(self.participantsToggled.emit)
        self.hand_button = self._tool(self.tr("Raise hand"), checkable=True, name="hand")
        self.hand_button.toggled.connect(self.handRequested.emit)
        self.react_button = self._tool(self.tr("React"), name="react")
        react_menu = QMenu(self.react_button)
        for reaction in REACTIONS:  # bundled pictures: the same on every machine, colour-emoji font or not
            react_menu.addAction(
                reaction_icon(reaction),
                reaction_label(reaction),
                lambda e=reaction.emoji: self.reactionRequested.emit(e),
            )
        self.react_button.setMenu(react_menu)
        self.react_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layout_button = self._tool(self.tr("Layout"), name="layout")
        self.layout_menu = QMenu(self.layout_button)
        self.grid_action = self.layout_menu.addAction(self.tr("Grid"), lambda: self.model.set_layout(Layout.GRID))
        self.speaker_action = self.layout_menu.addAction(
            self.tr("Speaker"), lambda: self.model.set_layout(Layout.SPEAKER)
        )
        layouts = QActionGroup(self.layout_menu)  # the current layout is marked
        layouts.setExclusive(True)
        for action in (self.grid_action, self.speaker_action):
            action.setCheckable(True)
            layouts.addAction(action)
        self.layout_button.setMenu(self.layout_menu)
        self.layout_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.fullscreen_button = self._tool(self.tr("Full screen"), checkable=True, name="fullscreen")
        self.fullscreen_button.toggled.connect(self.fullscreenToggled.emit)
        self.settings_button = self._tool(self.tr("Settings"), name="settings")
        self.settings_button.clicked.connect(self.settingsRequested.emit)
        self.more_button = self._tool(self.tr("More"), name="more")
        more_menu = QMenu(self.more_button)
        self.copy_speaker_action = more_menu.addAction(self.tr("Copy speaker link"), self.copySpeakerLinkRequested.emit)
        self.recordings_action = more_menu.addAction(self.tr("Recordings"), self.recordingsRequested.emit)
        more_menu.addAction(self.tr("Keyboard shortcuts"), self.shortcutsRequested.emit)
        # the moderators' controls, as Zoom's "Security" and Meet's host controls: also in the participants panel
        self.moderation_separator = more_menu.addSeparator()
        self.mute_everyone_action = more_menu.addAction(self.tr("Mute everyone…"), self.muteEveryoneRequested.emit)
        self.lock_action = more_menu.addAction(self.tr("Lock meeting"))
        self.lock_action.triggered.connect(lambda: self.lockRequested.emit(not self.model.locked))
        self.more_menu = more_menu
        self.more_button.setMenu(more_menu)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.leave_button = QPushButton(self.tr("Leave"))
        self.leave_button.setObjectName("leaveButton")
        self.leave_button.setAccessibleName(self.tr("Leave the meeting"))
        self.leave_menu = QMenu(self.leave_button)
        self.leave_menu.addAction(self.tr("Leave the meeting"), self.leaveRequested.emit)
        self.end_action = self.leave_menu.addAction(self.tr("End the meeting for all"), self.endRequested.emit)
        self.leave_button.clicked.connect(self._leave_clicked)

        for button in (self.mic_button, self.camera_button, self.share_button, self.record_button):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (
            self.chat_button,
            self.people_button,
            self.hand_button,
            self.react_button,
            self.layout_button,
            self.fullscreen_button,
            self.settings_button,
            self.more_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.leave_button)

    def _tool(self, text: str, *, checkable: bool = False, name: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(f"{name}Button")
        button.setAccessibleName(text)
        button.setCheckable(checkable)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setIconSize(QSize(24, 24))
        button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        button.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 5)
        return button

    @staticmethod
    def _set_checked(button: QToolButton, checked: bool) -> None:
        button.blockSignals(True)
        button.setChecked(checked)
        button.blockSignals(False)

    def icon_name(self, button: QToolButton) -> str:
        """The icon ``button`` shows now (tests and screen readers read the state in words elsewhere)."""
        normal, checked = ICONS[button.objectName().removesuffix("Button")]
        return checked if button.isChecked() else normal

    def _sync_icons(self) -> None:
        palette = self.palette()
        ink = palette.color(QPalette.ColorRole.WindowText).name()
        disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
        for button in self.findChildren(QToolButton):
            if button.objectName().removesuffix("Button") in ICONS:
                button.setIcon(tinted_icon(self.icon_name(button), ink, disabled=disabled))

    def _sync(self) -> None:
        """Every button as the model says."""
        model = self.model
        self.mic_button.setEnabled(model.has_microphone)
        self.camera_button.setEnabled(model.has_camera)
        self.mic_button.setToolTip(
            self.tr("Turn the microphone on or off (Ctrl+D).")
            if model.has_microphone
            else as_sentence(model.microphone_note) or self.tr("No microphone: you joined without one.")
        )
        self.camera_button.setToolTip(
            self.tr("Turn the camera on or off (Ctrl+E).")
            if model.has_camera
            else as_sentence(model.camera_note) or self.tr("No camera: you joined without one.")
        )
        self.grid_action.setChecked(model.layout is Layout.GRID)
        self.speaker_action.setChecked(model.layout is Layout.SPEAKER)
        self._set_checked(self.mic_button, not (model.mic_on and model.has_microphone))
        self._set_checked(self.camera_button, not (model.camera_on and model.has_camera))
        self._set_checked(self.hand_button, model.hand_raised)
        self.mic_button.setText(self.tr("Unmute") if self.mic_button.isChecked() else self.tr("Mute"))
        self.camera_button.setText(self.tr("Start video") if self.camera_button.isChecked() else self.tr("Stop video"))
        self.hand_button.setText(self.tr("Lower hand") if model.hand_raised else self.tr("Raise hand"))
        self.share_button.setText(self.tr("Stop sharing") if model.sharing else self.tr("Share screen"))
        unread = model.unread
        self.chat_button.setText(self.tr("Chat ({n})").format(n=unread) if unread else self.tr("Chat"))
        # what the role may not do here is not offered (the room's roles, OpenVidu Meet 3.8)
        self.chat_button.setVisible(model.can_chat and model.may("canReadChat"))
        self.mic_button.setVisible(model.may("canPublishAudio"))
        self.camera_button.setVisible(model.may("canPublishVideo"))
        self.share_button.setVisible(model.may("canShareScreen") or model.sharing)
        recording = model.recording is not None
        self.record_button.setVisible(model.may("canRecord"))
        self.record_button.setText(self.tr("Stop recording") if recording else self.tr("Record"))
        self.record_button.setToolTip(
            self.tr("Stop recording the meeting (you are asked first).")
            if recording
            else self.tr("Record the meeting: everyone in it is told.")
        )
        moderator = model.is_moderator
        self.end_action.setVisible(model.may("canEndMeeting"))
        self.copy_speaker_action.setVisible(model.may("canShareAccessLinks"))
        self.recordings_action.setVisible(model.may("canRetrieveRecordings"))
        for action in (self.moderation_separator, self.mute_everyone_action, self.lock_action):
            action.setVisible(moderator)
        self.lock_action.setText(self.tr("Unlock meeting") if self.model.locked else self.tr("Lock meeting"))
        self.lock_action.setToolTip(
            self.tr("Let new participants join again.")
            if self.model.locked
            else self.tr("Nobody new can join until you unlock it. Those in the meeting stay.")
        )
        self.leave_button.setText(self.tr("Leave…") if model.may("canEndMeeting") else self.tr("Leave"))
        for button in (
            self.mic_button,
            self.camera_button,
            self.hand_button,
            self.share_button,
            self.chat_button,
            self.record_button,
        ):
            button.setAccessibleName(button.text())
        self._sync_icons()

    def _leave_clicked(self) -> None:
        if self.model.may("canEndMeeting"):
            self.leave_menu.popup(self.leave_button.mapToGlobal(self.leave_button.rect().topLeft()))
        else:
            self.leaveRequested.emit()

    def set_panel(self, panel: str) -> None:
        """Show which side panel is open: "chat", "participants" or "" (none), without asking for it again."""
        self._set_checked(self.chat_button, panel == "chat")
        self._set_checked(self.people_button, panel == "participants")


def clock_text(epoch_s: float) -> str:
    """A time of day as this computer shows it (hours and minutes)."""
    moment = QDateTime.fromMSecsSinceEpoch(round(epoch_s * 1000))
    return QLocale().toString(moment.time(), QLocale.FormatType.ShortFormat)

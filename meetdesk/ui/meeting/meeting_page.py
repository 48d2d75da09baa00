"""The meeting: tiles, toolbar, chat and participants panels, over one :class:`MeetingSession`.

The page runs the session's event stream as a task and turns each event into widget changes; it never
waits on the network from a slot (every action is a task whose failure is said in the page). Received
video frames go straight from the subscriber to their tile (:meth:`_on_frame`), received audio to the
audio engine (playback, mixed); the local camera is shown in the self view through its own reader.
``finished(reason, detail)`` says why the meeting ended for this participant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.lobby import RoomInfo
from meetdesk.client.session import MeetingSession, ReconnectAttempt, RemoteTrack, SessionState, StateChanged
from meetdesk.client.signalling import SignallingError
from meetdesk.core.signalling import (
    ActiveSpeaker,
    ChatReceived,
    ErrorMessage,
    Joined,
    LeftReason,
    ParticipantInfo,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ReactionReceived,
    RoleChanged,
)
from meetdesk.ui.meeting.chat_panel import ChatPanel
from meetdesk.ui.meeting.participants_panel import ParticipantsPanel
from meetdesk.ui.meeting.screen import ScreenTrack, screens
from meetdesk.ui.meeting.tiles import Layout, Tile, TileArea

logger = logging.getLogger(__name__)

SELF = "self"
#: reactions offered, with words: the emoji alone is a box where the system has no colour-emoji font
REACTIONS = {
    "👍": QT_TRANSLATE_NOOP("MeetingPage", "Thumbs up"),
    "👏": QT_TRANSLATE_NOOP("MeetingPage", "Applause"),
    "😂": QT_TRANSLATE_NOOP("MeetingPage", "Laughing"),
    "🎉": QT_TRANSLATE_NOOP("MeetingPage", "Celebrate"),
    "❤️": QT_TRANSLATE_NOOP("MeetingPage", "Love"),
    "😮": QT_TRANSLATE_NOOP("MeetingPage", "Surprised"),
}
TOAST_MS = 4000

#: (action, key sequence, what it does): the meeting's shortcuts, also listed in the help overlay
SHORTCUTS = (
    ("mic", "Ctrl+D", "Turn the microphone on or off"),
    ("camera", "Ctrl+E", "Turn the camera on or off"),
    ("hand", "Ctrl+Alt+H", "Raise or lower your hand"),
    ("chat", "Ctrl+Alt+C", "Open or close the chat"),
    ("participants", "Ctrl+Alt+P", "Open or close the participants list"),
    ("fullscreen", "F11", "Full screen on or off"),
    ("help", "Ctrl+/", "Show these shortcuts"),
)


class AudioSink(Protocol):
    """Where received audio goes (the audio engine: mixing and playback)."""

    def on_frame(self, track: RemoteTrack, frame: av.AudioFrame) -> None: ...

    def forget(self, key: str) -> None: ...


class MeetingPage(QWidget):
    finished = Signal(str, str)  # LeftReason value, a sentence (may be "")
    fullscreenRequested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: MeetingSession | None = None
        self.info: RoomInfo | None = None
        self.audio: AudioSink | None = None
        self.you: ParticipantInfo | None = None
        self.role = "speaker"
        self.participants: dict[str, ParticipantInfo] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._events_task: asyncio.Task[None] | None = None
        self._self_view_task: asyncio.Task[None] | None = None
        self._screen: ScreenTrack | None = None
        self._screens_menu: QMenu | None = None  # which screen to share, when there are several
        self._joined: Joined | None = None
        self._ready = asyncio.Event()  # the join is shown: events about participants can be applied
        self._build()

    # building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setObjectName("meetingPage")
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)

        header = QHBoxLayout()
        header.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel()
        self.title.setObjectName("meetingTitle")
        self.count = QLabel()
        self.count.setObjectName("participantCount")
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.count)
        root.addLayout(header)

        self.sharing_banner = QWidget()
        self.sharing_banner.setObjectName("sharingBanner")
        banner = QHBoxLayout(self.sharing_banner)
        banner.setContentsMargins(12, 6, 12, 6)
        self.sharing_text = QLabel(self.tr("You are sharing your screen with everyone."))
        self.stop_sharing = QPushButton(self.tr("Stop sharing"))
        self.stop_sharing.clicked.connect(lambda: self._run(self._stop_share()))
        banner.addWidget(self.sharing_text, 1)
        banner.addWidget(self.stop_sharing)
        self.sharing_banner.hide()
        root.addWidget(self.sharing_banner)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.stage = QWidget()
        stage_layout = QVBoxLayout(self.stage)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        self.tiles = TileArea()
        stage_layout.addWidget(self.tiles)
        body.addWidget(self.stage, 1)
        self.side = QStackedWidget()
        self.side.setFixedWidth(320)
        self.chat = ChatPanel()
        self.chat.sendRequested.connect(lambda text: self._run(self._send_chat(text)))
        self.chat.unreadChanged.connect(self._unread_changed)
        self.people = ParticipantsPanel()
        self.people.roleChangeRequested.connect(lambda identity, role: self._run(self._set_role(identity, role)))
        self.people.kickRequested.connect(lambda identity: self._run(self._kick(identity)))
        self.side.addWidget(self.chat)
        self.side.addWidget(self.people)
        self.side.hide()
        body.addWidget(self.side)
        root.addLayout(body, 1)

        # over the stage: the reconnecting overlay and the toasts (reactions, notices)
        self.overlay = QLabel(self.tr("Reconnecting…"), self.stage)
        self.overlay.setObjectName("reconnectingOverlay")
        self.overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.overlay.setWordWrap(True)
        self.overlay.setStyleSheet(
            "#reconnectingOverlay { background: rgba(0,0,0,170); color: white; font-size: 20px; padding: 24px; }"
        )
        self.overlay.hide()
        self.toasts = QLabel(self.stage)
        self.toasts.setObjectName("toasts")
        self.toasts.setStyleSheet(
            "#toasts { background: rgba(0,0,0,160); color: white; border-radius: 8px; padding: 8px 14px; }"
        )
        self.toasts.hide()
        self._toast_lines: list[str] = []
        self.stage.installEventFilter(self)

        self.toolbar = QWidget()
        self.toolbar.setObjectName("meetingToolbar")
        bar = QHBoxLayout(self.toolbar)
        bar.setContentsMargins(12, 8, 12, 8)
        self.mic_button = self._tool(self.tr("Mute"), checkable=True, name="mic")
        self.mic_button.toggled.connect(lambda on: self._run(self._set_media()))
        self.camera_button = self._tool(self.tr("Stop video"), checkable=True, name="camera")
        self.camera_button.toggled.connect(lambda on: self._run(self._set_media()))
        self.share_button = self._tool(self.tr("Share screen"), name="share")
        self.share_button.clicked.connect(self._share_clicked)
        self.chat_button = self._tool(self.tr("Chat"), checkable=True, name="chat")
        self.chat_button.toggled.connect(lambda on: self._show_side(self.chat, on))
        self.people_button = self._tool(self.tr("Participants"), checkable=True, name="participants")
        self.people_button.toggled.connect(lambda on: self._show_side(self.people, on))
        self.hand_button = self._tool(self.tr("Raise hand"), checkable=True, name="hand")
        self.hand_button.toggled.connect(lambda on: self._run(self._raise_hand(on)))
        self.react_button = self._tool(self.tr("React"), name="react")
        react_menu = QMenu(self.react_button)
        for emoji, label in REACTIONS.items():
            react_menu.addAction(f"{emoji}  {self.tr(label)}", lambda e=emoji: self._run(self._react(e)))
        self.react_button.setMenu(react_menu)
        self.react_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layout_button = self._tool(self.tr("Layout"), name="layout")
        layout_menu = QMenu(self.layout_button)
        self.grid_action = layout_menu.addAction(self.tr("Grid"), lambda: self.tiles.set_layout(Layout.GRID))
        self.speaker_action = layout_menu.addAction(self.tr("Speaker"), lambda: self.tiles.set_layout(Layout.SPEAKER))
        self.layout_button.setMenu(layout_menu)
        self.layout_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.fullscreen_button = self._tool(self.tr("Full screen"), checkable=True, name="fullscreen")
        self.fullscreen_button.toggled.connect(self.fullscreenRequested.emit)
        self.more_button = self._tool(self.tr("More"), name="more")
        more_menu = QMenu(self.more_button)
        self.copy_speaker_action = more_menu.addAction(self.tr("Copy speaker link"), self._copy_speaker_link)
        more_menu.addAction(self.tr("Keyboard shortcuts"), self.show_shortcuts)
        self.more_button.setMenu(more_menu)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.leave_button = QPushButton(self.tr("Leave"))
        self.leave_button.setObjectName("leaveButton")
        self.leave_button.setAccessibleName(self.tr("Leave the meeting"))
        self.leave_menu = QMenu(self.leave_button)
        self.leave_menu.addAction(self.tr("Leave the meeting"), lambda: self._run(self.leave()))
        self.end_action = self.leave_menu.addAction(self.tr("End the meeting for all"), lambda: self._run(self.end()))
        self.leave_button.clicked.connect(self._leave_clicked)

        for button in (self.mic_button, self.camera_button, self.share_button):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (
            self.chat_button,
            self.people_button,
            self.hand_button,
            self.react_button,
            self.layout_button,
            self.fullscreen_button,
            self.more_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.leave_button)
        root.addWidget(self.toolbar)
        self.problem = QLabel()
        self.problem.setObjectName("meetingProblem")
        self.problem.setWordWrap(True)
        self.problem.setContentsMargins(12, 0, 12, 6)
        self.problem.hide()
        root.addWidget(self.problem)

        self.shortcuts: dict[str, QShortcut] = {}
        actions: dict[str, Callable[[], None]] = {
            "mic": self.mic_button.toggle,
            "camera": self.camera_button.toggle,
            "hand": self.hand_button.toggle,
            "chat": self.chat_button.toggle,
            "participants": self.people_button.toggle,
            "fullscreen": self.fullscreen_button.toggle,
            "help": self.show_shortcuts,
        }
        for name, keys, _ in SHORTCUTS:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(actions[name])
            self.shortcuts[name] = shortcut

    def _tool(self, text: str, *, checkable: bool = False, name: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(f"{name}Button")
        button.setAccessibleName(text)
        button.setCheckable(checkable)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        button.setMinimumHeight(36)
        return button

    # starting --------------------------------------------------------------------------------------

    async def start(
        self,
        info: RoomInfo,
        name: str,
        *,
        sources: tuple[MediaStreamTrack | None, MediaStreamTrack | None],
        self_view: MediaStreamTrack | None,
        audio_enabled: bool,
        video_enabled: bool,
        audio: AudioSink | None = None,
        session_factory: Callable[..., MeetingSession] = MeetingSession,
    ) -> Joined:
        """Join the meeting with tracks the device view opened. Raises what the session's join raises."""
        self.info, self.audio = info, audio
        self.role = info.role
        self.title.setText(info.room_name)
        self.chat_button.setVisible(info.can_chat)
        video, microphone = sources
        self.mic_button.setEnabled(microphone is not None)
        self.camera_button.setEnabled(video is not None)
        self._set_checked(self.mic_button, not audio_enabled or microphone is None)
        self._set_checked(self.camera_button, not video_enabled or video is None)
        self._sync_labels()
        self.session = session_factory(
            info.link.url,
            name,
            sources=sources,
            audio_enabled=audio_enabled,
            video_enabled=video_enabled,
            on_frame=self._on_frame,
            read_markers=False,
        )
        self._events_task = asyncio.create_task(self._consume(self.session), name="meeting-events")
        try:
            joined = await self.session.join()
        except BaseException:
            self._events_task.cancel()
            raise
        self._on_joined(joined)
        if self_view is not None:
            self._self_view_task = asyncio.create_task(self._pump_self_view(self_view), name="self-view")
        return joined

    def _on_joined(self, joined: Joined) -> None:
        """Show the meeting as ``joined`` describes it (at the start, and after a rejoin under a new identity)."""
        self._joined = joined
        for key in [k for k in self.tiles.tiles if k != SELF]:
            self.tiles.remove_tile(key)
        self.people.set_participants([])
        self.you = joined.you
        self.role = joined.you.role
        self.participants = {p.identity: p for p in joined.participants}
        self.participants[joined.you.identity] = joined.you
        self.tiles.add_tile(SELF, self.tr("{name} (you)").format(name=joined.you.name), first=True)
        self.tiles.tiles[SELF].mirrored = True
        self._ready.set()
        self.people.set_you(joined.you.identity)
        self.people.set_local_role(joined.you.role)
        self.chat.set_you(joined.you.identity)
        for participant in self.participants.values():
            self._upsert(participant)
        self.chat.set_history(joined.chat, joined.you.identity)
        self._apply_role()

    # events ----------------------------------------------------------------------------------------

    async def _consume(self, session: MeetingSession) -> None:
        async for event in session.events():
            if not isinstance(event, StateChanged | ReconnectAttempt):
                await self._ready.wait()  # news about participants, from before the join was shown
            try:
                self._handle(event)
            except Exception:
                logger.exception("Meeting window: could not show %r", event)
        reason = session.end_reason or LeftReason.UNKNOWN
        await self._teardown()
        self.finished.emit(reason.value, self._end_detail)

    _end_detail = ""

    def _handle(self, event: object) -> None:
        if isinstance(event, StateChanged):
            self._state(event)
        elif isinstance(event, ReconnectAttempt):
            self.overlay.setText(self.tr("Reconnecting… (attempt {n})").format(n=event.attempt))
        elif isinstance(event, ParticipantJoined):
            self._upsert(event.participant)
            if self.you is not None and event.participant.identity != self.you.identity:
                self.toast(self.tr("{name} joined").format(name=event.participant.name))
        elif isinstance(event, ParticipantUpdated):
            self._upsert(event.participant)
        elif isinstance(event, ParticipantLeft):
            self._remove(event.identity)
        elif isinstance(event, ActiveSpeaker):
            self.tiles.set_active_speaker(event.identity)
        elif isinstance(event, ChatReceived):
            own = self.you is not None and event.message.identity == self.you.identity
            self.chat.add_message(event.message, own)
        elif isinstance(event, ReactionReceived):
            label = REACTIONS.get(event.emoji)
            self.toast(f"{event.emoji}  {event.name}" + (f" · {self.tr(label).lower()}" if label else ""))
        elif isinstance(event, RoleChanged):
            self.role = event.role
            self.people.set_local_role(event.role)
            self._apply_role()
            self.toast(self.tr("You are now a {role}").format(role=self._role_name(event.role)))
        elif isinstance(event, ErrorMessage):
            self._show_error(event)

    def _state(self, event: StateChanged) -> None:
        session = self.session
        if (
            event.state is SessionState.CONNECTED
            and session is not None
            and session.joined is not None
            and self._joined is not None
            and session.joined.you.identity != self._joined.you.identity
        ):
            self._on_joined(session.joined)  # rejoined from scratch: new identity, the meeting as it is now
        reconnecting = event.state is SessionState.RECONNECTING
        if reconnecting:
            self.overlay.setText(self.tr("Reconnecting…"))
        self.overlay.setVisible(reconnecting)
        if reconnecting:
            self._place_overlays()
            self.overlay.raise_()
        if event.state is SessionState.DISCONNECTED:
            self._end_detail = event.detail or ""

    def _show_error(self, error: ErrorMessage) -> None:
        if error.ref == "chat":
            self.chat.show_error(error.message)
        elif error.ref not in ("publish_offer", "audio_level"):
            self.say(error.message)

    def _upsert(self, participant: ParticipantInfo) -> None:
        self.participants[participant.identity] = participant
        self.people.upsert(participant)
        mine = self.you is not None and participant.identity == self.you.identity
        if mine:
            self.you = participant
            self.tiles.tiles[SELF].set_state(muted=not participant.audio, hand_raised=participant.handRaised)
            self._set_checked(self.hand_button, participant.handRaised)
            self._sync_labels()
        else:
            tile = self.tiles.add_tile(f"{participant.identity}/camera", participant.name)
            tile.set_state(
                name=participant.name,
                muted=not participant.audio,
                camera_off=not participant.video,
                hand_raised=participant.handRaised,
                reconnecting=participant.reconnecting,
            )
            screen_key = f"{participant.identity}/screen"
            if participant.screen and screen_key not in self.tiles.tiles:
                self.tiles.add_tile(screen_key, participant.name, screen=True)
            elif not participant.screen and screen_key in self.tiles.tiles:
                self.tiles.remove_tile(screen_key)
        self.count.setText(self.tr("{n} in the meeting").format(n=len(self.participants)))

    def _remove(self, identity: str) -> None:
        participant = self.participants.pop(identity, None)
        self.people.remove(identity)
        for tile in list(self.tiles.tiles_of(identity)):
            self.tiles.remove_tile(tile.key)
        if self.audio is not None:
            self.audio.forget(f"{identity}/microphone")
        if participant is not None:
            self.toast(self.tr("{name} left").format(name=participant.name))
        self.count.setText(self.tr("{n} in the meeting").format(n=len(self.participants)))

    def _on_frame(self, track: RemoteTrack, frame: av.frame.Frame) -> None:
        if track.kind == "audio":
            if self.audio is not None:
                self.audio.on_frame(track, frame)  # type: ignore[arg-type]
            return
        tile = self.tiles.tiles.get(track.key)
        if tile is None and track.source == "screen":
            participant = self.participants.get(track.identity)
            tile = self.tiles.add_tile(track.key, participant.name if participant else track.identity, screen=True)
        if tile is not None and not tile.camera_off:
            tile.show_frame(frame)  # type: ignore[arg-type]

    async def _pump_self_view(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                tile = self.tiles.tiles.get(SELF)
                if tile is not None and not self.camera_button.isChecked():
                    tile.show_frame(frame)  # type: ignore[arg-type]

    # actions ---------------------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, SignallingError):
            self.say(self.tr("Not done: the connection to the meeting is interrupted. Try again in a moment."))
        elif exc is not None:
            logger.error("Meeting window action failed", exc_info=exc)
            self.say(self.tr("That did not work: {reason}").format(reason=exc))

    def say(self, text: str) -> None:
        """A sentence under the toolbar, next to where the user acted."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        QTimer.singleShot(8000, self, lambda: self.problem.text() == text and self.problem.hide())

    async def _set_media(self) -> None:
        self._sync_labels()
        session = self.session
        if session is None or session.state is SessionState.DISCONNECTED:
            return
        audio, video = not self.mic_button.isChecked(), not self.camera_button.isChecked()
        if not video:
            self.tiles.tiles[SELF].clear()
        await session.set_media(audio=audio, video=video)

    def _sync_labels(self) -> None:
        self.mic_button.setText(self.tr("Unmute") if self.mic_button.isChecked() else self.tr("Mute"))
        self.camera_button.setText(self.tr("Start video") if self.camera_button.isChecked() else self.tr("Stop video"))
        self.hand_button.setText(self.tr("Lower hand") if self.hand_button.isChecked() else self.tr("Raise hand"))
        for button in (self.mic_button, self.camera_button, self.hand_button):
            button.setAccessibleName(button.text())
        if SELF in self.tiles.tiles:
            self.tiles.tiles[SELF].set_state(muted=self.mic_button.isChecked())

    @staticmethod
    def _set_checked(button: QToolButton, checked: bool) -> None:
        button.blockSignals(True)
        button.setChecked(checked)
        button.blockSignals(False)

    async def _raise_hand(self, raised: bool) -> None:
        self._sync_labels()
        if self.session is not None:
            await self.session.raise_hand(raised)

    async def _react(self, emoji: str) -> None:
        if self.session is not None:
            await self.session.react(emoji)

    async def _send_chat(self, text: str) -> None:
        if self.session is None or self.session.state is not SessionState.CONNECTED:
            self.chat.input.setPlainText(text)  # kept, to send again
            self.chat.show_error(self.tr("Not sent: you are not connected right now. Try again in a moment."))
            return
        try:
            await self.session.chat(text)
        except SignallingError:
            self.chat.input.setPlainText(text)
            self.chat.show_error(self.tr("Not sent: the connection to the meeting is interrupted. Try again."))

    async def _set_role(self, identity: str, role: str) -> None:
        if self.session is not None:
            await self.session.set_role(identity, role)

    async def _kick(self, identity: str) -> None:
        if self.session is not None:
            await self.session.kick(identity)

    def _share_clicked(self) -> None:
        if self.session is not None and self.session.sharing_screen:
            self._run(self._stop_share())
            return
        available = screens()
        if len(available) == 1:
            self._run(self._start_share(0))
            return
        menu = self._screens_menu = QMenu(self.share_button)  # kept: popup() returns at once
        for index, name in enumerate(available):
            menu.addAction(name, lambda i=index: self._run(self._start_share(i)))
        menu.popup(self.share_button.mapToGlobal(self.share_button.rect().topLeft()))

    async def _start_share(self, index: int) -> None:
        if self.session is None:
            return
        track = ScreenTrack(index)
        self._screen = track
        await self.session.share_screen(track)
        self.sharing_banner.show()
        self.share_button.setText(self.tr("Stop sharing"))

    async def _stop_share(self) -> None:
        self.sharing_banner.hide()
        self.share_button.setText(self.tr("Share screen"))
        if self.session is not None and self.session.sharing_screen:
            await self.session.stop_screen_share()

    def _leave_clicked(self) -> None:
        if self.role == "moderator":
            self.leave_menu.popup(self.leave_button.mapToGlobal(self.leave_button.rect().topLeft()))
        else:
            self._run(self.leave())

    async def leave(self) -> None:
        """Leave the meeting; returns once the page has shown the end (``finished`` emitted)."""
        if self.session is not None:
            await self.session.leave()
            await self._ended()

    async def end(self) -> None:
        """End the meeting for everyone (moderators); returns once the page has shown the end."""
        if self.session is not None:
            await self.session.end_meeting()
            await self._ended()

    async def _ended(self) -> None:
        task = self._events_task
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), 10)

    def _copy_speaker_link(self) -> None:
        self._run(self._copy_speaker_link_async())

    async def _copy_speaker_link_async(self) -> None:
        from meetdesk.client.api import MeetDeskClient

        info, session = self.info, self.session
        if info is None or session is None or session.token is None:
            return
        async with MeetDeskClient(info.link.base_url, participant_token=session.token) as api:
            room = await api.get_room(info.link.room_id)
        QGuiApplication.clipboard().setText(room.speakerUrl)
        self.toast(self.tr("Speaker link copied"))

    def _apply_role(self) -> None:
        moderator = self.role == "moderator"
        self.end_action.setVisible(moderator)
        self.copy_speaker_action.setVisible(moderator)
        self.leave_button.setText(self.tr("Leave…") if moderator else self.tr("Leave"))

    def _role_name(self, role: str) -> str:
        return self.tr("moderator") if role == "moderator" else self.tr("speaker")

    # panels, overlays ------------------------------------------------------------------------------

    def _show_side(self, panel: QWidget, on: bool) -> None:
        other = self.people_button if panel is self.chat else self.chat_button
        if on:
            self._set_checked(other, False)
            self.side.setCurrentWidget(panel)
            self.side.show()
            if panel is self.chat:
                self.chat.mark_read()
        elif self.side.currentWidget() is panel:
            self.side.hide()

    def _unread_changed(self, count: int) -> None:
        self.chat_button.setText(self.tr("Chat ({n})").format(n=count) if count else self.tr("Chat"))
        self.chat_button.setAccessibleName(self.chat_button.text())

    def toast(self, text: str) -> None:
        self._toast_lines = [*self._toast_lines[-3:], text]
        self.toasts.setText("\n".join(self._toast_lines))
        self.toasts.adjustSize()
        self._place_overlays()
        self.toasts.show()
        self.toasts.raise_()
        QTimer.singleShot(TOAST_MS, self, lambda: self._expire_toast(text))  # gone with the page

    def _expire_toast(self, text: str) -> None:
        if text in self._toast_lines:
            self._toast_lines.remove(text)
        if self._toast_lines:
            self.toasts.setText("\n".join(self._toast_lines))
            self.toasts.adjustSize()
            self._place_overlays()
        else:
            self.toasts.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.stage and event.type() == QEvent.Type.Resize:
            self._place_overlays()
        return False

    def _place_overlays(self) -> None:
        self.overlay.setGeometry(self.stage.rect())
        self.toasts.move(16, 16)

    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setObjectName("shortcutsHelp")
        dialog.setWindowTitle(self.tr("Keyboard shortcuts"))
        form = QFormLayout(dialog)
        for _, keys, what in SHORTCUTS:
            key_label = QLabel(QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText))
            key_label.setObjectName("shortcutKeys")
            form.addRow(key_label, QLabel(self.tr(what)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # teardown --------------------------------------------------------------------------------------

    @property
    def in_meeting(self) -> bool:
        return self.session is not None and self.session.state is not SessionState.DISCONNECTED

    async def _teardown(self) -> None:
        for task in [self._self_view_task, *self._tasks]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self.overlay.hide()
        self.sharing_banner.hide()

    def reset(self) -> None:
        """Empty the page for the next meeting."""
        for key in list(self.tiles.tiles):
            self.tiles.remove_tile(key)
        self.participants.clear()
        self.session = None
        self.you = None
        self._joined = None
        self._ready = asyncio.Event()


def tile_texts(tile: Tile) -> str:
    """What a tile says, in words (tests)."""
    return " ".join([tile.label, *tile.badges])

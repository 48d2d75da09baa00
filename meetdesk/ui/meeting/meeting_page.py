"""The meeting: tiles, toolbar, chat and participants panels, over one :class:`MeetingSession`.

The page runs the session's event stream as a task and turns each event into a change of its
:class:`~meetdesk.ui.meeting.model.MeetingModel`, which the header, the tiles, the toolbar, the overlays and the
panels observe; it never waits on the network from a slot (every action is a task whose failure is said in
the page). Received
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
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.lobby import RoomInfo
from meetdesk.client.session import MeetingSession, RemoteTrack, SessionState
from meetdesk.client.signalling import SignallingError
from meetdesk.core.signalling import (
    Joined,
    ParticipantInfo,
)
from meetdesk.ui.meeting.chat_panel import ChatPanel
from meetdesk.ui.meeting.meeting_events import MeetingEvents
from meetdesk.ui.meeting.model import Connection, MeetingModel
from meetdesk.ui.meeting.overlays import SharingBanner, StageOverlays
from meetdesk.ui.meeting.participants_panel import ParticipantsPanel
from meetdesk.ui.meeting.reactions import ReactionsOverlay
from meetdesk.ui.meeting.recording import RecordingControls, RecordingIndicator, RecordingNotice
from meetdesk.ui.meeting.screen import ScreenTrack, screens
from meetdesk.ui.meeting.shortcuts import SHORTCUTS, ShortcutsDialog, install_shortcuts
from meetdesk.ui.meeting.tiles import SELF, Tile, TileArea
from meetdesk.ui.meeting.toolbar import MeetingHeader, MeetingToolbar
from meetdesk.ui.theme.theming import VARIANT

__all__ = ["SELF", "SHORTCUTS", "MeetingPage", "tile_texts"]

logger = logging.getLogger(__name__)


class AudioSink(Protocol):
    """Where received audio goes (the audio engine: mixing and playback)."""

    def on_frame(self, track: RemoteTrack, frame: av.AudioFrame) -> None: ...

    def forget(self, key: str) -> None: ...


class MeetingPage(QWidget, MeetingEvents):
    """The meeting on screen: a :class:`MeetingModel` fed by the session, and the views that observe it.

    Signals:
        finished(str, str): the meeting is over for this participant: a LeftReason value and a sentence (may
            be "").
        fullscreenRequested(bool): the user asked for full screen on or off.
        settingsRequested(): the user asked for the device settings.
        recordingsRequested(str): the user asked for the room's recordings (the id of one to highlight, or "").
    """

    finished = Signal(str, str)  # LeftReason value, a sentence (may be "")
    fullscreenRequested = Signal(bool)
    settingsRequested = Signal()
    recordingsRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = MeetingModel(self)
        self.session: MeetingSession | None = None
        self.info: RoomInfo | None = None
        self.audio: AudioSink | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._events_task: asyncio.Task[None] | None = None
        self._self_view_task: asyncio.Task[None] | None = None
        self._screen: ScreenTrack | None = None
        self._screens_menu: QMenu | None = None  # which screen to share, when there are several
        self._joined: Joined | None = None
        self._ready = asyncio.Event()  # the join is shown: events about participants can be applied
        self._build()
        self._observe()

    # what the rest of the window reads --------------------------------------------------------------

    @property
    def you(self) -> ParticipantInfo | None:
        return self.model.you

    @property
    def role(self) -> str:
        return self.model.role

    @property
    def participants(self) -> dict[str, ParticipantInfo]:
        return self.model.participants

    # building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setObjectName("meetingPage")
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)

        self.header = MeetingHeader(self.model)
        self.title, self.count = self.header.title, self.header.count
        root.addWidget(self.header)
        self.sharing_banner = SharingBanner(self.model)
        self.stop_sharing = self.sharing_banner.stop
        self.sharing_banner.stopRequested.connect(lambda: self._run(self._stop_share()))
        root.addWidget(self.sharing_banner)
        self.recording_indicator = RecordingIndicator(self.model)
        self.header.add_status(self.recording_indicator)
        self.recording_notice = RecordingNotice()
        root.addWidget(self.recording_notice)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.stage = QWidget()
        stage_layout = QVBoxLayout(self.stage)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        self.tiles = TileArea(self.model)
        self.tiles.cameraSizesChanged.connect(lambda _sizes: self._tiles_resized())
        stage_layout.addWidget(self.tiles)
        body.addWidget(self.stage, 1)
        self.side = QStackedWidget()
        self.side.setFixedWidth(320)
        self.chat = ChatPanel()
        self.chat.sendRequested.connect(lambda text: self._run(self._send_chat(text)))
        self.chat.unreadChanged.connect(self.model.set_unread)
        # a new message while the chat is closed: a preview that opens the chat when clicked (after the overlays)
        self.people = ParticipantsPanel()
        self.people.roleChangeRequested.connect(lambda identity, role: self._run(self._set_role(identity, role)))
        self.people.kickRequested.connect(lambda identity: self._run(self._kick(identity)))
        self.people.muteRequested.connect(lambda identity: self._run(self._session_call("mute", identity)))
        self.people.moderation.muteEveryoneRequested.connect(lambda: self._run(self._session_call("mute_everyone")))
        self.people.moderation.lockRequested.connect(lambda locked: self._run(self._session_call("lock", locked)))
        self.side.addWidget(self.chat)
        self.side.addWidget(self.people)
        self.side.hide()
        body.addWidget(self.side)
        root.addLayout(body, 1)

        # over the stage: the reconnecting overlay and the toasts (reactions, notices)
        self.overlays = StageOverlays(self.model, self.stage)
        self.overlay, self.toasts = self.overlays.overlay, self.overlays.toasts
        self.reactions = ReactionsOverlay(self.stage)
        self.chat.previewRequested.connect(self.overlays.show_chat_preview)

        self.toolbar = MeetingToolbar(self.model)
        bar = self.toolbar
        self.mic_button, self.camera_button, self.share_button = bar.mic_button, bar.camera_button, bar.share_button
        self.chat_button, self.people_button, self.hand_button = bar.chat_button, bar.people_button, bar.hand_button
        self.react_button, self.layout_button, self.more_button = bar.react_button, bar.layout_button, bar.more_button
        self.fullscreen_button, self.leave_button, self.leave_menu = (
            bar.fullscreen_button,
            bar.leave_button,
            bar.leave_menu,
        )
        self.grid_action, self.speaker_action = bar.grid_action, bar.speaker_action
        self.end_action, self.copy_speaker_action = bar.end_action, bar.copy_speaker_action
        bar.micRequested.connect(lambda on: self._set_mic(on))
        bar.cameraRequested.connect(lambda on: self._set_camera(on))
        bar.handRequested.connect(lambda raised: self._run(self._raise_hand(raised)))
        bar.shareClicked.connect(self._share_clicked)
        bar.chatToggled.connect(lambda on: self._show_side(self.chat, on))
        bar.participantsToggled.connect(lambda on: self._show_side(self.people, on))
        bar.reactionRequested.connect(lambda emoji: self._run(self._react(emoji)))
        bar.fullscreenToggled.connect(self.fullscreenRequested.emit)
        bar.settingsRequested.connect(self.settingsRequested.emit)
        self.settings_button = bar.settings_button
        bar.copySpeakerLinkRequested.connect(self._copy_speaker_link)
        bar.shortcutsRequested.connect(self.show_shortcuts)
        bar.leaveRequested.connect(lambda: self._run(self.leave()))
        bar.endRequested.connect(self.confirm_end)
        bar.muteEveryoneRequested.connect(self.people.moderation.confirm_mute_everyone)  # the same question
        bar.lockRequested.connect(lambda locked: self._run(self._session_call("lock", locked)))
        self.record_button = bar.record_button
        self.recording = RecordingControls(self.model, self, self.recording_notice, self._run, self.say)
        bar.recordClicked.connect(self.recording.record_clicked)
        bar.recordingsRequested.connect(lambda: self.recordingsRequested.emit(""))
        self.recording.openRequested.connect(self.recordingsRequested.emit)
        self.overlays.chatPreviewClicked.connect(lambda: self.chat_button.setChecked(True))
        root.addWidget(self.toolbar)
        self.problem = QLabel()
        self.problem.setObjectName("meetingProblem")
        self.problem.setWordWrap(True)
        self.problem.setContentsMargins(12, 0, 12, 6)
        self.problem.hide()
        root.addWidget(self.problem)

        self.shortcuts = install_shortcuts(
            self,
            {
                "mic": self.mic_button.toggle,
                "camera": self.camera_button.toggle,
                "hand": self.hand_button.toggle,
                "chat": self.chat_button.toggle,
                "participants": self.people_button.toggle,
                "fullscreen": self.fullscreen_button.toggle,
                "help": self.show_shortcuts,
            },
        )

    def _observe(self) -> None:
        """What the page itself shows of the model: the participants panel, notices of who came and went."""
        model = self.model
        model.participantsReset.connect(self._participants_reset)
        model.participantAdded.connect(self._participant_changed)
        model.participantChanged.connect(self._participant_changed)
        model.participantRemoved.connect(self._participant_removed)
        model.roleChanged.connect(self.people.set_local_role)
        model.lockedChanged.connect(self.people.moderation.set_locked)
        model.activeSpeakerChanged.connect(self.people.set_speaking)
        model.canChatChanged.connect(lambda _on: self._show_side(self.chat, False) if not _on else None)
        model.permissionsChanged.connect(self._permissions_changed)

    def _participants_reset(self) -> None:
        self.people.set_participants([])
        self.people.set_you(self.model.you_identity or None)
        self.people.set_local_role(self.model.role)  # type: ignore[arg-type]
        self.people.set_speaking(self.model.active_speaker)
        for participant in self.model.participants.values():
            self.people.upsert(participant)

    def _participant_changed(self, identity: str) -> None:
        participant = self.model.participant(identity)
        if participant is not None:
            self.people.upsert(participant)

    def _participant_removed(self, identity: str, name: str) -> None:
        self.people.remove(identity)
        if self.audio is not None:
            self.audio.forget(f"{identity}/microphone")

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
        device_notes: tuple[str | None, str | None] = (None, None),
        session_factory: Callable[..., MeetingSession] = MeetingSession,
    ) -> Joined:
        """Join the meeting with tracks the device view opened (``device_notes``: why the camera, the microphone
        is missing). Raises what the session's join raises."""
        self.info, self.audio = info, audio
        model = self.model
        model.set_title(info.room_name)
        model.set_role(info.role)
        model.set_can_chat(info.can_chat)
        video, microphone = sources
        model.set_devices(
            microphone=microphone is not None,
            camera=video is not None,
            camera_note=device_notes[0] or "",
            microphone_note=device_notes[1] or "",
        )
        model.set_mic_on(audio_enabled and microphone is not None)
        model.set_camera_on(video_enabled and video is not None)
        model.set_connection(Connection.CONNECTING)
        self.session = session_factory(
            info.link.url,
            name,
            sources=sources,
            audio_enabled=audio_enabled,
            video_enabled=video_enabled,
            on_frame=self._on_frame,
            read_markers=False,
        )
        self.recording.attach(info, self.session)
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

    def _on_frame(self, track: RemoteTrack, frame: av.frame.Frame) -> None:
        if track.kind == "audio":
            if self.audio is not None:
                self.audio.on_frame(track, frame)  # type: ignore[arg-type]
            return
        tile = self.tiles.tile_for_frame(track.key, track.identity, track.source)
        if tile is not None and not tile.camera_off:
            tile.show_frame(frame)  # type: ignore[arg-type]

    async def _pump_self_view(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                tile = self.tiles.tiles.get(SELF)
                if tile is not None and not tile.camera_off:
                    tile.show_frame(frame)  # type: ignore[arg-type]

    # actions ---------------------------------------------------------------------------------------

    def _tiles_resized(self) -> None:
        """Tell the server the sizes the others' cameras are shown at (small ones get the low layer)."""
        session = self.session
        if session is not None and session.state is SessionState.CONNECTED:
            self._run(session.report_tiles(self.tiles.camera_sizes))

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

    def _set_mic(self, on: bool) -> None:
        self.model.set_mic_on(on)
        self._run(self._send_media())

    def _set_camera(self, on: bool) -> None:
        self.model.set_camera_on(on)
        self._run(self._send_media())

    async def _send_media(self) -> None:
        session = self.session
        if session is None or session.state is SessionState.DISCONNECTED:
            return
        await session.set_media(audio=self.model.mic_on, video=self.model.camera_on)

    async def _raise_hand(self, raised: bool) -> None:
        self.model.set_hand_raised(raised)
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

    async def _session_call(self, action: str, *args: object) -> None:
        """A moderator's action on the session ("mute", "mute_everyone", "lock"); refusals come back as errors."""
        if self.session is not None:
            await getattr(self.session, action)(*args)

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
        self.model.set_sharing(True)

    async def _stop_share(self) -> None:
        self.model.set_sharing(False)
        if self.session is not None and self.session.sharing_screen:
            await self.session.stop_screen_share()

    async def leave(self) -> None:
        """Leave the meeting; returns once the page has shown the end (``finished`` emitted)."""
        if self.session is not None:
            await self.session.leave()
            await self._ended()

    def confirm_end(self) -> QMessageBox:
        """Ask before ending the meeting for everyone (a window-modal box: no nested event loop)."""
        box = QMessageBox(self)
        box.setObjectName("confirmEnd")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("End the meeting for all"))
        box.setText(self.tr("End the meeting for everyone?"))
        box.setInformativeText(self.tr("Everyone in the meeting leaves it at once, you included."))
        end = box.addButton(self.tr("End for all"), QMessageBox.ButtonRole.AcceptRole)
        end.setProperty(VARIANT, "danger")
        end.style().unpolish(end)  # the variant is read when the button is polished
        end.style().polish(end)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: box.clickedButton() is end and self._run(self.end()))
        self.end_box = box
        box.open()
        return box

    end_box: QMessageBox | None = None

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
        async with MeetDeskClient(info.link.base_url, participant_token=session.token, pin=info.link.pin) as api:
            room = await api.get_room(info.link.room_id)
        if room.speakerUrl is None:  # the server leaves out the links a role may not share (canShareAccessLinks)
            self.toast(self.tr("Your role may not share this room's links."))
            return
        QGuiApplication.clipboard().setText(room.speakerUrl)
        self.toast(self.tr("Speaker link copied"))

    # panels, overlays ------------------------------------------------------------------------------

    def _permissions_changed(self) -> None:
        """What the role may do changed: the panels offer only that (the toolbar follows the model itself)."""
        permissions = self.model.permissions
        self.people.set_local_permissions(permissions)
        self.chat.set_can_write(permissions.canWriteChat)
        if not permissions.canReadChat:
            self._show_side(self.chat, False)

    def _show_side(self, panel: QWidget, on: bool) -> None:
        if on:
            self.toolbar.set_panel("chat" if panel is self.chat else "participants")
            self.side.setCurrentWidget(panel)
            self.side.show()
            if panel is self.chat:
                self.chat.mark_read()
                self.overlays.chat_preview.hide()
        elif self.side.currentWidget() is panel:
            self.toolbar.set_panel("")
            self.side.hide()

    def toast(self, text: str) -> None:
        self.overlays.toast(text)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).open()

    # teardown --------------------------------------------------------------------------------------

    @property
    def in_meeting(self) -> bool:
        return self.session is not None and self.session.state is not SessionState.DISCONNECTED

    async def _teardown(self) -> None:
        for task in [self._self_view_task, *self._tasks]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self.overlays.hide_all()
        self.reactions.clear()
        self.model.set_sharing(False)
        self.recording_notice.hide()

    def reset(self) -> None:
        """Empty the page for the next meeting."""
        self.model.clear()
        self.session = None
        self._joined = None
        self._ready = asyncio.Event()


def tile_texts(tile: Tile) -> str:
    """What a tile says, in words (tests)."""
    return " ".join([tile.label, *tile.badges])

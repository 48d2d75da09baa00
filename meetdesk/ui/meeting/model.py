"""The meeting window's state as a view-model: who is in the meeting and how the window shows it.

:class:`MeetingModel` is a ``QObject`` (QtCore only, no widgets) that the meeting page fills from the
session's events and the user's actions, and that the toolbar, the tiles, the panels and the header
observe. Every property notifies only on a real change (as Friture's view-models do), so a view
repaints only what changed and a test can wait on a signal that means what it says.

The participants are the server's :class:`~meetdesk.core.signalling.ParticipantInfo` records (name, role,
mic/camera/screen state, hand, connection quality, reconnecting), keyed by identity; whether someone
speaks comes from the active speaker.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from meetdesk.core.permissions import DEFAULT_SPEAKER, PermissionKey, Permissions
from meetdesk.core.signalling import ParticipantInfo, RecordingState


class Layout(StrEnum):
    GRID = "grid"
    SPEAKER = "speaker"


class Connection(StrEnum):
    """Where the meeting's connection stands, as the window shows it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


class MeetingModel(QObject):
    """One meeting as the window shows it.

    Signals (each only on a real change):
        titleChanged(str): the room's name.
        youChanged(str): the local participant's identity ("" before the join).
        roleChanged(str): the local participant's role, "moderator" or "speaker".
        participantAdded(str): a participant (identity) is in the meeting now.
        participantChanged(str): something about a participant changed (state, name, speaking).
        participantRemoved(str, str): a participant (identity, name) left.
        participantsReset(): everyone was replaced at once (a join, a rejoin).
        pausedVideoChanged(): whose camera video the server holds back for this window's weak connection changed
            (each participant concerned also gets participantChanged).
        countChanged(int): how many are in the meeting, you included.
        activeSpeakerChanged(str): who speaks now ("" nobody).
        layoutChanged(str): "grid" or "speaker".
        pinnedChanged(str): the tile key pinned big ("" none).
        startedAtChanged(float): when the meeting started (seconds since the epoch, 0 unknown).
        endsAtChanged(float): when the room's time limit ends the meeting (seconds since the epoch, 0 none).
        unreadChanged(int): chat messages from others not read yet.
        micOnChanged(bool), cameraOnChanged(bool), handRaisedChanged(bool), sharingChanged(bool): yours.
        devicesChanged(): whether you have a microphone / a camera changed.
        connectionChanged(str): a :class:`Connection` value.
        canChatChanged(bool): whether the room's chat is on.
        permissionsChanged(): what your role may do in this room changed (see :attr:`permissions`).
        lockedChanged(bool): whether the meeting is locked (nobody new may join).
        recordingChanged(object): the meeting's recording in progress (a RecordingState: starting, active,
            ending) or None when nothing is being recorded.
    """

    titleChanged = Signal(str)
    youChanged = Signal(str)
    roleChanged = Signal(str)
    participantAdded = Signal(str)
    participantChanged = Signal(str)
    participantRemoved = Signal(str, str)
    participantsReset = Signal()
    pausedVideoChanged = Signal()
    countChanged = Signal(int)
    activeSpeakerChanged = Signal(str)
    layoutChanged = Signal(str)
    pinnedChanged = Signal(str)
    startedAtChanged = Signal(float)
    endsAtChanged = Signal(float)
    unreadChanged = Signal(int)
    micOnChanged = Signal(bool)
    cameraOnChanged = Signal(bool)
    handRaisedChanged = Signal(bool)
    sharingChanged = Signal(bool)
    devicesChanged = Signal()
    connectionChanged = Signal(str)
    canChatChanged = Signal(bool)
    permissionsChanged = Signal()
    lockedChanged = Signal(bool)
    recordingChanged = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._title = ""
        self._you = ""
        self._role = "speaker"
        self._participants: dict[str, ParticipantInfo] = {}
        self._paused_video: frozenset[str] = frozenset()
        self._active_speaker = ""
        self._layout = Layout.GRID
        self._pinned = ""
        self._started_at = 0.0
        self._ends_at = 0.0
        self._unread = 0
        self._mic_on = True
        self._camera_on = True
        self._hand_raised = False
        self._sharing = False
        self._has_microphone = True
        self._has_camera = True
        self._microphone_note = ""
        self._camera_note = ""
        self._connection = Connection.CONNECTING
        self._can_chat = True
        self._permissions: Permissions = DEFAULT_SPEAKER
        self._locked = False
        self._recording: RecordingState | None = None

    # participants --------------------------------------------------------------------------------------

    @property
    def you(self) -> ParticipantInfo | None:
        """The local participant as the server last described them."""
        return self._participants.get(self._you)

    @property
    def you_identity(self) -> str:
        return self._you

    def participant(self, identity: str) -> ParticipantInfo | None:
        return self._participants.get(identity)

    @property
    def participants(self) -> dict[str, ParticipantInfo]:
        """Everyone in the meeting, you included, by identity (a copy)."""
        return dict(self._participants)

    @property
    def count(self) -> int:
        return len(self._participants)

    def is_you(self, identity: str) -> bool:
        return bool(self._you) and identity == self._you

    def is_speaking(self, identity: str) -> bool:
        return bool(identity) and identity == self._active_speaker

    @property
    def paused_video(self) -> frozenset[str]:
        """Whose camera video the server holds back because this window's connection does not carry it (their
        tiles say "Video paused: weak connection"; their audio goes on), by identity."""
        return self._paused_video

    def is_video_paused(self, identity: str) -> bool:
        return identity in self._paused_video

    def set_paused_video(self, identities: Iterable[str]) -> None:
        """The server's latest word on whose video it holds back for this window (each word replaces the last)."""
        paused = frozenset(identities)
        if paused == self._paused_video:
            return
        changed, self._paused_video = paused ^ self._paused_video, paused
        self.pausedVideoChanged.emit()
        for identity in sorted(changed):
            if identity in self._participants:
                self.participantChanged.emit(identity)

    def reset_participants(self, you: ParticipantInfo, others: Iterable[ParticipantInfo]) -> None:
        """Everyone at once, as a join (or a rejoin under a new identity) describes the meeting."""
        before = len(self._participants)
        self.set_paused_video(())  # a new connection: the server measures it afresh and says what it holds back
        self._participants = {p.identity: p for p in others}
        self._participants[you.identity] = you
        self._active_speaker = "" if self._active_speaker not in self._participants else self._active_speaker
        if you.identity != self._you:
            self._you = you.identity
            self.youChanged.emit(self._you)
        self.set_role(you.role)
        self._set_own_hand(you.handRaised)
        self.participantsReset.emit()
        if len(self._participants) != before:
            self.countChanged.emit(len(self._participants))

    def upsert(self, participant: ParticipantInfo) -> None:
        """A participant joined, or their state changed."""
        old = self._participants.get(participant.identity)
        if old == participant:
            return
        self._participants[participant.identity] = participant
        if old is None:
            self.participantAdded.emit(participant.identity)
            self.countChanged.emit(len(self._participants))
        else:
            self.participantChanged.emit(participant.identity)
        if self.is_you(participant.identity):
            self.set_role(participant.role)
            self._set_own_hand(participant.handRaised)

    def remove(self, identity: str) -> ParticipantInfo | None:
        """A participant left; returns who it was (None if they were not here)."""
        participant = self._participants.pop(identity, None)
        if participant is None:
            return None
        if self._active_speaker == identity:
            self._active_speaker = ""
            self.activeSpeakerChanged.emit("")
        if self._pinned.split("/", 1)[0] == identity:
            self.set_pinned("")
        self.participantRemoved.emit(identity, participant.name)
        self.countChanged.emit(len(self._participants))
        return participant

    def clear(self) -> None:
        """Nobody: the page is emptied for the next meeting."""
        had = bool(self._participants)
        self.set_paused_video(())
        self._participants = {}
        self._you = ""
        self._active_speaker = ""
        self.set_pinned("")
        self.set_started_at(0.0)
        self.set_ends_at(0.0)
        self.set_unread(0)
        self.set_sharing(False)
        self.set_locked(False)
        self.set_recording(None)
        self._set_own_hand(False)
        self.youChanged.emit("")
        self.participantsReset.emit()
        if had:
            self.countChanged.emit(0)

    # the meeting -----------------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self.titleChanged.emit(title)

    @property
    def role(self) -> str:
        return self._role

    @property
    def is_moderator(self) -> bool:
        return self._role == "moderator"

    def set_role(self, role: str) -> None:
        if role != self._role:
            self._role = role
            self.roleChanged.emit(role)

    @property
    def active_speaker(self) -> str:
        return self._active_speaker

    def set_active_speaker(self, identity: str | None) -> None:
        identity = identity or ""
        if identity == self._active_speaker:
            return
        before, self._active_speaker = self._active_speaker, identity
        self.activeSpeakerChanged.emit(identity)
        for who in (before, identity):
            if who in self._participants:
                self.participantChanged.emit(who)

    @property
    def layout(self) -> Layout:
        return self._layout

    def set_layout(self, layout: Layout | str) -> None:
        layout = Layout(layout)
        if layout is not self._layout:
            self._layout = layout
            self.layoutChanged.emit(layout.value)

    @property
    def pinned(self) -> str:
        return self._pinned

    def set_pinned(self, key: str | None) -> None:
        key = key or ""
        if key != self._pinned:
            self._pinned = key
            self.pinnedChanged.emit(key)

    @property
    def started_at(self) -> float:
        return self._started_at

    def set_started_at(self, when: float) -> None:
        if when != self._started_at:
            self._started_at = when
            self.startedAtChanged.emit(when)

    @property
    def ends_at(self) -> float:
        return self._ends_at

    def set_ends_at(self, when: float) -> None:
        if when != self._ends_at:
            self._ends_at = when
            self.endsAtChanged.emit(when)

    def elapsed(self, now: float | None = None) -> int:
        """Whole seconds since the meeting started (0 when that is not known)."""
        if not self._started_at:
            return 0
        return max(0, int((time.time() if now is None else now) - self._started_at))

    @property
    def unread(self) -> int:
        return self._unread

    def set_unread(self, count: int) -> None:
        if count != self._unread:
            self._unread = count
            self.unreadChanged.emit(count)

    @property
    def connection(self) -> Connection:
        return self._connection

    def set_connection(self, state: Connection | str) -> None:
        state = Connection(state)
        if state is not self._connection:
            self._connection = state
            self.connectionChanged.emit(state.value)

    @property
    def can_chat(self) -> bool:
        return self._can_chat

    def set_can_chat(self, on: bool) -> None:
        if on != self._can_chat:
            self._can_chat = on
            self.canChatChanged.emit(on)

    @property
    def permissions(self) -> Permissions:
        """What your role may do in this room now (from the join, then each change)."""
        return self._permissions

    def may(self, key: PermissionKey) -> bool:
        return self._permissions.allows(key)

    def set_permissions(self, permissions: Permissions) -> None:
        if permissions != self._permissions:
            self._permissions = permissions
            self.permissionsChanged.emit()

    @property
    def locked(self) -> bool:
        return self._locked

    def set_locked(self, locked: bool) -> None:
        if locked != self._locked:
            self._locked = locked
            self.lockedChanged.emit(locked)

    @property
    def recording(self) -> RecordingState | None:
        """The recording in progress (starting, active or ending); None when the meeting is not recorded."""
        return self._recording

    def set_recording(self, recording: RecordingState | None) -> None:
        recording = recording if recording is not None and recording.recording else None
        if recording != self._recording:
            self._recording = recording
            self.recordingChanged.emit(recording)

    # yours -----------------------------------------------------------------------------------------------

    @property
    def mic_on(self) -> bool:
        return self._mic_on

    def set_mic_on(self, on: bool) -> None:
        if on != self._mic_on:
            self._mic_on = on
            self.micOnChanged.emit(on)

    @property
    def camera_on(self) -> bool:
        return self._camera_on

    def set_camera_on(self, on: bool) -> None:
        if on != self._camera_on:
            self._camera_on = on
            self.cameraOnChanged.emit(on)

    @property
    def hand_raised(self) -> bool:
        return self._hand_raised

    def set_hand_raised(self, raised: bool) -> None:
        self._set_own_hand(raised)

    def _set_own_hand(self, raised: bool) -> None:
        if raised != self._hand_raised:
            self._hand_raised = raised
            self.handRaisedChanged.emit(raised)

    @property
    def sharing(self) -> bool:
        return self._sharing

    def set_sharing(self, on: bool) -> None:
        if on != self._sharing:
            self._sharing = on
            self.sharingChanged.emit(on)

    @property
    def has_microphone(self) -> bool:
        return self._has_microphone

    @property
    def has_camera(self) -> bool:
        return self._has_camera

    @property
    def microphone_note(self) -> str:
        """Why there is no microphone ("" when there is one, or nobody said)."""
        return self._microphone_note

    @property
    def camera_note(self) -> str:
        return self._camera_note

    def set_devices(self, *, microphone: bool, camera: bool, microphone_note: str = "", camera_note: str = "") -> None:
        """Whether you have a microphone and a camera in this meeting, and the reason when not."""
        new = (microphone, camera, microphone_note, camera_note)
        if new != (self._has_microphone, self._has_camera, self._microphone_note, self._camera_note):
            self._has_microphone, self._has_camera, self._microphone_note, self._camera_note = new
            self.devicesChanged.emit()

"""How the meeting page follows the session: each event of the session's stream becomes a change of the page's
:class:`~meetdesk.ui.meeting.model.MeetingModel`, a toast or a sentence.

:class:`MeetingEvents` is mixed into :class:`~meetdesk.ui.meeting.meeting_page.MeetingPage`, which gives it the
model, the panels and the overlays it writes to; the join (:meth:`MeetingEvents._on_joined`) and a rejoin under a
new identity reset what is shown from the server's description of the meeting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import SignalInstance

from meetdesk.client.session import MeetingSession, ReconnectAttempt, SessionState, StateChanged
from meetdesk.core.permissions import DEFAULT_ROLES, Role
from meetdesk.core.signalling import (
    ActiveSpeaker,
    ChatReceived,
    DownlinkState,
    ErrorMessage,
    Joined,
    LeftReason,
    MeetingEndingSoon,
    MeetingLocked,
    Muted,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ReactionReceived,
    RecordingChanged,
    RoleChanged,
)
from meetdesk.ui.meeting.model import Connection, MeetingModel
from meetdesk.ui.meeting.toolbar import clock_text

if TYPE_CHECKING:
    from meetdesk.ui.meeting.chat_panel import ChatPanel
    from meetdesk.ui.meeting.overlays import StageOverlays
    from meetdesk.ui.meeting.reactions import ReactionsOverlay
    from meetdesk.ui.meeting.recording import RecordingControls

logger = logging.getLogger(__name__)


class MeetingEvents:
    """The session's events shown on the meeting page (mixed into the page, which owns what is named below)."""

    model: MeetingModel
    session: MeetingSession | None
    chat: ChatPanel
    overlays: StageOverlays
    reactions: ReactionsOverlay
    recording: RecordingControls
    finished: SignalInstance
    _joined: Joined | None
    _ready: asyncio.Event

    if TYPE_CHECKING:  # given by QWidget and the page

        def tr(self, text: str, disambiguation: str = "", n: int = -1) -> str: ...
        def toast(self, text: str) -> None: ...
        def say(self, text: str) -> None: ...
        async def _teardown(self) -> None: ...
        def _tiles_resized(self) -> None: ...

    def _on_joined(self, joined: Joined) -> None:
        """Show the meeting as ``joined`` describes it (at the start, and after a rejoin under a new identity)."""
        self._joined = joined
        self.model.reset_participants(joined.you, joined.participants)
        self.model.set_locked(joined.locked)
        # what the role may do here; an older server does not say: what the role could always do
        you = Role(joined.you.role)
        granted = joined.permissions.openvidu.permissions if joined.permissions else DEFAULT_ROLES.of(you)
        self.model.set_permissions(granted)
        self.recording.joined(joined.recording)
        self.model.set_active_speaker(joined.activeSpeaker)
        # the meeting's start as the server knows it; an older server does not say: from your join on
        self.model.set_started_at(joined.startedAt / 1000 if joined.startedAt else self.model.started_at or time.time())
        self._ready.set()
        self.chat.set_you(joined.you.identity)
        self.chat.set_history(joined.chat, joined.you.identity)
        self.model.set_ends_at(joined.endsAt / 1000 if joined.endsAt else 0.0)
        if joined.endsAt is not None:
            ends = clock_text(joined.endsAt / 1000)
            self.toast(self.tr("This meeting ends at {time}: the room's time limit.").format(time=ends))
        self._tiles_resized()  # a new identity starts with no tile sizes on the server

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
        model = self.model
        if isinstance(event, StateChanged):
            self._state(event)
        elif isinstance(event, ReconnectAttempt):
            self.overlays.attempt(event.attempt)
        elif isinstance(event, ParticipantJoined):
            model.upsert(event.participant)
            if not model.is_you(event.participant.identity):
                self.toast(self.tr("{name} joined").format(name=event.participant.name))
        elif isinstance(event, ParticipantUpdated):
            model.upsert(event.participant)
        elif isinstance(event, ParticipantLeft):
            gone = model.remove(event.identity)
            if gone is not None:
                self.toast(self._left_text(gone.name, event.reason))
        elif isinstance(event, ActiveSpeaker):
            model.set_active_speaker(event.identity)
        elif isinstance(event, ChatReceived):
            self.chat.add_message(event.message, model.is_you(event.message.identity))
        elif isinstance(event, ReactionReceived):
            self.reactions.show_reaction(event.emoji, event.name)
        elif isinstance(event, RoleChanged):
            model.set_role(event.role)
            model.set_permissions(event.permissions.openvidu.permissions)
            self.toast(self.tr("You are now a {role}").format(role=self._role_name(event.role)))
        elif isinstance(event, Muted):
            model.set_mic_on(False)  # the session turned the microphone off; unmuting is the user's to do
            self.toast(self.tr("{name} muted you. Unmute when you want to speak.").format(name=event.byName))
        elif isinstance(event, MeetingLocked):
            model.set_locked(event.locked)
            if event.locked:
                self.toast(self.tr("{name} locked the meeting. Nobody new can join.").format(name=event.byName))
            else:
                name = event.byName or self.tr("An administrator")
                self.toast(self.tr("{name} unlocked the meeting. New participants can join.").format(name=name))
        elif isinstance(event, RecordingChanged):
            self.recording.changed(event.recording)
        elif isinstance(event, DownlinkState):
            model.set_paused_video(event.paused)
        elif isinstance(event, MeetingEndingSoon):
            model.set_ends_at(event.endsAt / 1000)
            self.toast(self._ending_text(event))
        elif isinstance(event, ErrorMessage):
            self._show_error(event)

    def _ending_text(self, event: MeetingEndingSoon) -> str:
        minutes = self.tr("The meeting ends in %n minute(s), at {time}: the room's time limit.", "", event.minutesLeft)
        return minutes.format(time=clock_text(event.endsAt / 1000))

    def _left_text(self, name: str, reason: LeftReason) -> str:
        if reason is LeftReason.PARTICIPANT_KICKED:
            return self.tr("{name} was removed").format(name=name)
        if reason is LeftReason.NETWORK_DISCONNECT:
            return self.tr("{name} lost their connection").format(name=name)
        return self.tr("{name} left").format(name=name)

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
        self.model.set_connection(Connection(event.state.value))
        if event.state is SessionState.DISCONNECTED:
            self._end_detail = event.detail or ""

    def _show_error(self, error: ErrorMessage) -> None:
        if error.ref == "chat":
            self.chat.show_error(error.message)
        elif error.ref not in ("publish_offer", "audio_level"):
            self.say(error.message)

    def _role_name(self, role: str) -> str:
        return self.tr("moderator") if role == "moderator" else self.tr("speaker")

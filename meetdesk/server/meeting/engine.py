"""The meeting engine: who is in which room's meeting, and everything that changes that.

A meeting starts when its first participant joins and ends when the last one leaves or a moderator
ends it; the registry's hooks then let the rooms service apply scheduled closes and deletions and
the webhook dispatcher announce it. Every participant leaves with a :class:`LeftReason` it is told
before its socket closes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from meetdesk.core.claims import ParticipantClaims, TokenGrants, participant_claims
from meetdesk.core.errors import Conflict, Forbidden, MeetingFull, NotFound, RoomClosed, Unauthorized
from meetdesk.core.events import MeetingUpdated
from meetdesk.core.limits import is_full
from meetdesk.core.meetings import MeetParticipantInfo, MeetParticipantPayload
from meetdesk.core.models import RoomStatus, now_ms
from meetdesk.core.permissions import DEFAULT_SPEAKER, Permissions, Role
from meetdesk.core.signalling import (
    ActiveSpeaker,
    ChatHistoryPage,
    ChatMessage,
    ChatReceived,
    Joined,
    JoinedRoom,
    Left,
    LeftReason,
    Muted,
    ParticipantInfo,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    PublishOffer,
    ReactionReceived,
    RecordingState,
    Resubscribe,
    RoleChanged,
    SubscribeAnswer,
    VideoTiles,
)
from meetdesk.server.auth import PARTICIPANT_TTL_S, TokenService
from meetdesk.server.events import EventHub
from meetdesk.server.meeting import chat as chat_pages
from meetdesk.server.meeting.connection import Connection
from meetdesk.server.meeting.registry import Meeting, MeetingRegistry, NameReservations
from meetdesk.server.meeting.time_limit import DurationLimits
from meetdesk.server.store.revocations import RevocationStore
from meetdesk.server.store.rooms import RoomRecord, RoomStore

logger = logging.getLogger(__name__)

RECONNECT_GRACE_S = 20.0
CHAT_HISTORY = 500
SPEAKING_LEVEL = 0.05
SPEAKER_HOLD_S = 0.6
#: why everyone leaves when a meeting is ended for a reason other than a moderator's
#: the permission each published source needs
_PUBLISHING = {"canPublishAudio": "microphone", "canPublishVideo": "camera", "canShareScreen": "screen"}
_END_REASONS = {
    "server_shutdown": LeftReason.SERVER_SHUTDOWN,
    "room_deleted": LeftReason.ROOM_DELETED,
    "max_duration_reached": LeftReason.MAX_DURATION_REACHED,
}


@dataclass(eq=False)
class Participant:
    identity: str
    name: str
    role: Role
    room_id: str
    connection: Connection | None
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    joined_at: int = field(default_factory=now_ms)
    audio: bool = False
    video: bool = False
    screen: bool = False
    hand_raised: bool = False
    quality: Literal["excellent", "good", "poor", "lost"] = "good"
    tracks: dict[str, str] = field(default_factory=dict)
    level: float = 0.0
    level_at: float = 0.0
    grace_timer: asyncio.TimerHandle | None = None
    #: the moderator who muted this participant: their microphone is not forwarded until they unmute
    muted_by: str | None = None
    #: what the participant may do now: its role's permissions in the room (kept current by role changes and
    #: changes of the room's roles); every signalling message is checked against these
    permissions: Permissions = DEFAULT_SPEAKER
    #: the role its room link gave it (``role`` is the current one): only a promotion can be undone
    link_role: Role | None = None

    def __post_init__(self) -> None:
        if self.link_role is None:
            self.link_role = self.role

    @property
    def reconnecting(self) -> bool:
        return self.connection is None

    def info(self) -> ParticipantInfo:
        return ParticipantInfo(
            identity=self.identity,
            name=self.name,
            role=self.role.value,
            joinedAt=self.joined_at,
            audio=self.audio,
            video=self.video,
            screen=self.screen,
            handRaised=self.hand_raised,
            quality=self.quality,
            reconnecting=self.reconnecting,
            tracks=dict(self.tracks),
        )

    def payload(self) -> MeetParticipantPayload:
        """As OpenVidu Meet's participant webhooks describe it."""
        return MeetParticipantPayload(
            participantIdentity=self.identity, participantName=self.name, role=self.role.value, joinDate=self.joined_at
        )

    def public_info(self) -> MeetParticipantInfo:
        """As OpenVidu Meet 3.9's public meetings API describes it: the payload and its media now."""
        return MeetParticipantInfo(
            **self.payload().model_dump(), audioEnabled=self.audio, videoEnabled=self.video, screenSharing=self.screen
        )

    def send(self, message: BaseModel) -> None:
        if self.connection is not None:
            self.connection.send(message)


@dataclass(eq=False)
class LiveMeeting(Meeting):
    participants: dict[str, Participant] = field(default_factory=dict)
    chat: deque[ChatMessage] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))
    #: identities removed by a moderator: refused for the rest of this meeting
    kicked: set[str] = field(default_factory=set)
    active_speaker: str | None = None
    speaker_since: float = 0.0
    #: the recording in progress, as participants are told of it (set by the recordings' announcer)
    recording: RecordingState | None = None
    room_name: str = ""

    @property
    def people(self) -> int:
        return len(self.participants)

    def broadcast(self, message: BaseModel, *, skip: Participant | None = None) -> None:
        for participant in self.participants.values():
            if participant is not skip:
                participant.send(message)


class MediaRouter(Protocol):
    """The SFU side of a meeting: peer connections per participant, forwarding between them."""

    async def handle(
        self, participant: Participant, message: PublishOffer | SubscribeAnswer | Resubscribe | VideoTiles
    ) -> None: ...

    async def participant_left(self, participant: Participant) -> None: ...

    def participant_joined(self, participant: Participant) -> None: ...

    def forward_audio(self, participant: Participant, on: bool) -> None: ...

    def withdraw(self, participant: Participant, sources: set[str]) -> None: ...


#: told of each participant who joins (reason None) or leaves (with its reason)
ParticipantHook = Callable[[LiveMeeting, Participant, LeftReason | None], None]


class MeetingEngine(MeetingRegistry):
    """Meetings with participants. Signals:

    - ``on_started(room_id)`` / ``on_ended(room_id)`` hooks (from :class:`MeetingRegistry`)
    - ``media`` (set by the SFU layer): told when participants join/leave so it can wire peers
    - ``events``: how many people are in each meeting (:class:`MeetingUpdated`) as they join and leave
    - ``on_participant(hook)``: each participant who joins, and who leaves with its reason (webhooks)
    """

    def __init__(
        self,
        rooms: RoomStore,
        tokens: TokenService,
        names: NameReservations,
        events: EventHub,
        grace_s: float = RECONNECT_GRACE_S,
        revocations: RevocationStore | None = None,
        minute_s: float = 60.0,
    ) -> None:
        super().__init__(events)
        self._rooms = rooms
        self._tokens = tokens
        self._names = names
        self._revocations = revocations
        self.grace_s = grace_s
        self.media: MediaRouter | None = None
        self.time_limits = DurationLimits(lambda room_id: self.end(room_id, "max_duration_reached"), minute_s)
        self.on_ended(self.time_limits.meeting_ended)
        self._participant_hooks: list[ParticipantHook] = []

    def on_participant(self, hook: ParticipantHook) -> None:
        self._participant_hooks.append(hook)

    def _tell(self, meeting: LiveMeeting, participant: Participant, reason: LeftReason | None) -> None:
        for hook in self._participant_hooks:
            try:
                hook(meeting, participant, reason)
            except Exception:  # a listener's bug must not keep anyone in or out of a meeting
                logger.exception("Room(%s) participant hook failed", meeting.room_id)

    def live(self, room_id: str) -> LiveMeeting | None:
        meeting = self._meetings.get(room_id)
        return meeting if isinstance(meeting, LiveMeeting) else None

    def _new_meeting(self, room_id: str) -> Meeting:
        return LiveMeeting(room_id)

    # joining and leaving ---------------------------------------------------------------------------

    async def join(
        self, claims: ParticipantClaims, connection: Connection, resume: str | None
    ) -> tuple[Participant, Joined]:
        """Admit a participant (or resume one) from its token's claims; raises a domain error if refused."""
        room_id, identity = claims.room, claims.sub
        if identity is None or not claims.joins:
            raise Forbidden("This token cannot join a meeting: ask for one with a participant name")
        room = await self._rooms.get(room_id)
        if room is None:
            raise NotFound(f"Room '{room_id}' does not exist", error="Room Error")
        meeting = self.live(room_id)
        if meeting is not None and identity in meeting.kicked:
            raise Forbidden("You were removed from this meeting by a moderator")
        existing = meeting.participants.get(identity) if meeting else None
        if meeting is not None and existing is not None and resume is not None and resume == existing.session_id:
            # Its token may predate a role change made while it was away (a kick would have removed it):
            # it resumes with its current role, and catch_up_role gives it that role's token.
            return await self._resume(meeting, existing, connection, room)
        await self.check_token_not_revoked(claims)
        if room.status is RoomStatus.CLOSED:
            raise RoomClosed(f"Room '{room_id}' is closed and cannot be joined", error="Room Error")
        role = claims.role
        granted = room.permissions(role)
        if not granted.canJoinMeeting:
            raise Forbidden(f"The {role.value}s of room '{room_id}' may not join its meetings")
        if existing is not None:
            await self.remove(existing, LeftReason.DUPLICATE_IDENTITY)
        meeting = self.live(room_id)
        if meeting is None:
            started = await self.start(room_id)
            assert isinstance(started, LiveMeeting)
            meeting = started
            meeting.room_name = room.room_name
            self.time_limits.arm(room_id, room.config.maxDurationMinutes, meeting.started_at, meeting.broadcast)
        # checked with no await between it and the seat taken, so two joiners cannot both take the last one
        if existing is None and is_full(meeting.people, room.config.maxParticipants):
            raise MeetingFull(f"Room '{room_id}' has reached its maximum number of participants", error="Room Error")
        participant = Participant(identity, claims.name or identity, role, room_id, connection, permissions=granted)
        if claims.name:
            self._names.claim(room_id, participant.name)
        meeting.broadcast(ParticipantJoined(participant=participant.info()))
        meeting.participants[participant.identity] = participant
        logger.info("Room(%s) participant %s joined as %s", room_id, participant.identity, role.value)
        self._tell(meeting, participant, None)
        self._announce_people(room_id)
        if self.media is not None:
            self.media.participant_joined(participant)
        return participant, self._joined(meeting, participant, room, resumed=False)

    async def _resume(
        self, meeting: LiveMeeting, participant: Participant, connection: Connection, room: Any
    ) -> tuple[Participant, Joined]:
        if participant.grace_timer is not None:
            participant.grace_timer.cancel()
            participant.grace_timer = None
        old = participant.connection
        participant.connection = connection
        participant.permissions = room.permissions(participant.role)  # the room's roles may have changed meanwhile
        if old is not None:
            await old.close(4000)
        meeting.broadcast(ParticipantUpdated(participant=participant.info()), skip=participant)
        logger.info("Room(%s) participant %s resumed", meeting.room_id, participant.identity)
        if self.media is not None:
            self.media.participant_joined(participant)  # finish any renegotiation the drop interrupted
        return participant, self._joined(meeting, participant, room, resumed=True)

    def _joined(self, meeting: LiveMeeting, participant: Participant, room: Any, *, resumed: bool) -> Joined:
        chat_page = chat_pages.page(meeting.chat) if participant.permissions.canReadChat else ([], False)
        return Joined(
            locked=room.status is RoomStatus.CLOSED,
            sessionId=participant.session_id,
            you=participant.info(),
            participants=[p.info() for p in meeting.participants.values() if p is not participant],
            room=JoinedRoom(roomId=room.room_id, roomName=room.room_name, config=room.config),
            chat=chat_page[0],
            chatMore=chat_page[1],
            reconnectGrace=self.grace_s,
            resumed=resumed,
            startedAt=round(meeting.started_at * 1000),
            activeSpeaker=meeting.active_speaker,
            endsAt=self.time_limits.ends_at(meeting.room_id),
            recording=meeting.recording,
            permissions=TokenGrants.of(participant.permissions, join=True),
        )

    def connection_lost(self, participant: Participant, connection: Connection) -> None:
        """The socket dropped without a goodbye: keep the seat for the grace period."""
        meeting = self.live(participant.room_id)
        if meeting is None or meeting.participants.get(participant.identity) is not participant:
            return
        if participant.connection is not connection:
            return  # an older socket of a participant that already resumed
        participant.connection = None
        meeting.broadcast(ParticipantUpdated(participant=participant.info()))
        loop = asyncio.get_running_loop()
        participant.grace_timer = loop.call_later(
            self.grace_s, lambda: asyncio.ensure_future(self._grace_expired(participant))
        )
        logger.info("Room(%s) participant %s lost its connection", participant.room_id, participant.identity)

    async def _grace_expired(self, participant: Participant) -> None:
        if participant.reconnecting:
            await self.remove(participant, LeftReason.NETWORK_DISCONNECT)

    async def remove(self, participant: Participant, reason: LeftReason) -> None:
        """Take a participant out, tell it why, tell the others; the last one out ends the meeting."""
        meeting = self.live(participant.room_id)
        if meeting is None or meeting.participants.get(participant.identity) is not participant:
            return
        del meeting.participants[participant.identity]
        self._tell(meeting, participant, reason)
        if participant.grace_timer is not None:
            participant.grace_timer.cancel()
        self._names.release(participant.room_id, participant.name)
        participant.send(Left(reason=reason))
        meeting.broadcast(ParticipantLeft(identity=participant.identity, reason=reason))
        await self._media_left(participant)
        logger.info("Room(%s) participant %s left (%s)", participant.room_id, participant.identity, reason.value)
        if not meeting.participants:
            await super().end(participant.room_id, "last participant left")
        else:
            self._announce_people(participant.room_id)
        # Closed last, so that once its socket closes the room already shows the meeting's end.
        if participant.connection is not None:
            await participant.connection.close()

    async def end(self, room_id: str, reason: str = "meeting_ended", by: str | None = None) -> None:
        """End the meeting for everyone (a moderator, the room's deletion, or shutdown)."""
        meeting = self.live(room_id)
        gone: list[Participant] = []
        if meeting is not None:
            left = _END_REASONS.get(reason, LeftReason.MEETING_ENDED)
            for participant in list(meeting.participants.values()):
                mine = LeftReason.MEETING_ENDED_BY_SELF if participant.identity == by else left
                del meeting.participants[participant.identity]
                self._tell(meeting, participant, mine)
                if participant.grace_timer is not None:
                    participant.grace_timer.cancel()
                participant.send(Left(reason=mine))
                await self._media_left(participant)
                gone.append(participant)
            self._names.forget_room(room_id)
        await super().end(room_id, reason)
        for participant in gone:
            if participant.connection is not None:
                await participant.connection.close()

    async def shutdown(self) -> None:
        """Server stopping: tell everyone first, then end every meeting."""
        for room_id in self.active_rooms():
            await self.end(room_id, "server_shutdown")

    def _announce_people(self, room_id: str) -> None:
        info = self.info(room_id)
        if info is not None:
            self.events.publish(MeetingUpdated(meeting=info))

    # moderation ------------------------------------------------------------------------------------

    def participant(self, room_id: str, identity: str) -> Participant:
        meeting = self.live(room_id)
        found = meeting.participants.get(identity) if meeting else None
        if found is None:
            raise NotFound(f"Participant '{identity}' is not in room '{room_id}'", error="Participant Error")
        return found

    def effective_role(self, room_id: str, identity: str | None, token_role: Role) -> Role:
        """A participant's current role: a promotion or demotion overrides what its token says."""
        meeting = self.live(room_id)
        present = meeting.participants.get(identity) if meeting and identity else None
        return present.role if present is not None else token_role

    async def kick(self, room_id: str, identity: str) -> None:
        target = self.participant(room_id, identity)
        meeting = self.live(room_id)
        assert meeting is not None
        meeting.kicked.add(identity)
        await self._revoke(target)
        await self.remove(target, LeftReason.PARTICIPANT_KICKED)

    async def set_role(self, room_id: str, identity: str, role: Role) -> Participant:
        target = self.participant(room_id, identity)
        room = await self._rooms.get(room_id)
        if room is None:
            raise NotFound(f"Room '{room_id}' does not exist", error="Room Error")
        await self._revoke(target)  # the old token's role is void; the new one is issued after this instant
        target.role = role
        await self._apply_permissions(target, room.permissions(role))
        target.send(self._role_changed(target, room))
        meeting = self.live(room_id)
        assert meeting is not None
        meeting.broadcast(ParticipantUpdated(participant=target.info()))
        logger.info("Room(%s) participant %s is now %s", room_id, identity, role.value)
        return target

    def _role_changed(self, participant: Participant, room: RoomRecord) -> RoleChanged:
        """The participant's current role and permissions, with a token for them."""
        grants = TokenGrants.of(participant.permissions, join=True)
        claims = participant_claims(participant.room_id, participant.role, grants, participant.name)
        token, _ = self._tokens.issue("participant", participant.identity, PARTICIPANT_TTL_S, **claims)
        return RoleChanged(role=participant.role.value, token=token, permissions=grants)

    async def roles_changed(self, room: RoomRecord) -> None:
        """The room's roles changed: everyone in its meeting whose permissions changed gets a token for the new
        ones (as on a role change) and stops what they may no longer do."""
        meeting = self.live(room.room_id)
        for participant in list(meeting.participants.values()) if meeting is not None else []:
            granted = room.permissions(participant.role)
            if granted == participant.permissions:
                continue
            await self._revoke(participant)
            await self._apply_permissions(participant, granted)
            participant.send(self._role_changed(participant, room))
            logger.info("Room(%s) participant %s has new permissions", room.room_id, participant.identity)

    async def _apply_permissions(self, participant: Participant, granted: Permissions) -> None:
        """Give ``participant`` these permissions, and stop what they no longer allow: a screen share, the
        camera or the microphone it may no longer send end for everyone (the server stops forwarding them)."""
        withdrawn = participant.permissions.withdrawn(granted)
        participant.permissions = granted
        stopped = {source for key, source in _PUBLISHING.items() if key in withdrawn}
        if not stopped:
            return
        if self.media is not None:
            self.media.withdraw(participant, stopped)
        if self.live(participant.room_id) is not None:
            self.update(
                participant,
                audio=participant.audio and "microphone" not in stopped,
                video=participant.video and "camera" not in stopped,
                screen=participant.screen and "screen" not in stopped,
            )

    async def catch_up_role(self, participant: Participant, claims: ParticipantClaims) -> None:
        """After a join: if the token it came with is of another role or other permissions (changed while it was
        away, so the role_changed message was lost), send it its current role and a token for it."""
        if claims.role is participant.role and claims.permissions.openvidu.permissions == participant.permissions:
            return
        room = await self._rooms.get(participant.room_id)
        if room is not None:
            participant.send(self._role_changed(participant, room))

    # in-meeting activity ---------------------------------------------------------------------------

    def chat(self, participant: Participant, text: str) -> ChatMessage:
        meeting = self._meeting_of(participant)
        message = ChatMessage(
            id=secrets.token_urlsafe(8), identity=participant.identity, name=participant.name, time=now_ms(), text=text
        )
        meeting.chat.append(message)
        received = ChatReceived(message=message)
        for reader in meeting.participants.values():
            if reader.permissions.canReadChat:  # a role that may not read the chat is not sent it
                reader.send(received)
        return message

    def chat_history(self, participant: Participant, before: str) -> ChatHistoryPage:
        messages, more = chat_pages.page(self._meeting_of(participant).chat, before)
        return ChatHistoryPage(before=before, messages=messages, more=more)

    def set_media(self, participant: Participant, *, audio: bool, video: bool, screen: bool) -> None:
        """What the participant sends now. Unmuting is theirs alone: it lifts a moderator's mute."""
        if audio and participant.muted_by is not None:
            participant.muted_by = None
            if self.media is not None:
                self.media.forward_audio(participant, True)
            logger.info("Room(%s) participant %s unmuted", participant.room_id, participant.identity)
        self.update(participant, audio=audio, video=video, screen=screen)

    def mute(self, target: Participant, by: str, by_name: str) -> bool:
        """A moderator mutes ``target``: its microphone is no longer forwarded, and it is told. False when it
        was muted already (nothing sent)."""
        if target.muted_by is not None and not target.audio:
            return False
        target.muted_by = by
        if self.media is not None:
            self.media.forward_audio(target, False)
        was_on = target.audio
        self.update(target, audio=False)
        if was_on:
            target.send(Muted(by=by, byName=by_name))
        logger.info("Room(%s) participant %s muted by %s", target.room_id, target.identity, by)
        return was_on

    def update(self, participant: Participant, **changes: Any) -> None:
        """Change what others see of a participant (media, hand, quality) and tell them, if anything changed."""
        if all(getattr(participant, key) == value for key, value in changes.items()):
            return
        for key, value in changes.items():
            setattr(participant, key, value)
        self._meeting_of(participant).broadcast(ParticipantUpdated(participant=participant.info()))

    def react(self, participant: Participant, emoji: str) -> None:
        message = ReactionReceived(identity=participant.identity, name=participant.name, emoji=emoji)
        self._meeting_of(participant).broadcast(message)

    def audio_level(self, participant: Participant, level: float) -> None:
        """Pick the active speaker: the loudest recent voice, held a little so it does not flicker."""
        now = time.monotonic()
        participant.level, participant.level_at = level, now
        meeting = self._meeting_of(participant)
        candidates = [
            p for p in meeting.participants.values() if p.audio and p.level >= SPEAKING_LEVEL and now - p.level_at < 1.0
        ]
        loudest = max(candidates, key=lambda p: p.level).identity if candidates else None
        if loudest == meeting.active_speaker:
            return
        if loudest is None and now - meeting.speaker_since < SPEAKER_HOLD_S * 2:
            return
        if meeting.active_speaker is not None and now - meeting.speaker_since < SPEAKER_HOLD_S:
            return
        meeting.active_speaker, meeting.speaker_since = loudest, now
        meeting.broadcast(ActiveSpeaker(identity=loudest))

    def _meeting_of(self, participant: Participant) -> LiveMeeting:
        meeting = self.live(participant.room_id)
        if meeting is None:
            raise Conflict("The meeting is over")
        return meeting

    async def media_message(
        self, participant: Participant, message: PublishOffer | SubscribeAnswer | Resubscribe | VideoTiles
    ) -> None:
        if self.media is None:
            raise Conflict("This server has no media router: audio and video are unavailable")
        await self.media.handle(participant, message)

    async def _media_left(self, participant: Participant) -> None:
        if self.media is not None:
            await self.media.participant_left(participant)

    async def _revoke(self, participant: Participant) -> None:
        """Void every token of the participant issued until now (a kick, or a role change: the token that
        comes with the new role is issued after this)."""
        if self._revocations is None:
            return
        now = now_ms()
        await self._revocations.revoke(
            participant.identity, participant.room_id, now, expires_at=now + PARTICIPANT_TTL_S * 1000
        )

    async def check_token_not_revoked(self, claims: ParticipantClaims) -> None:
        """Refuse a participant token (401) whose identity was kicked or given another role after it was
        issued: on every REST call (``security.resolve_caller``) and every join or resume on the socket."""
        identity = claims.sub
        if not identity:
            return  # a token without an identity joins nothing and moderates nothing
        meeting = self.live(claims.room)
        if meeting is not None and identity in meeting.kicked:
            raise Unauthorized("This participant was removed from the meeting")
        if self._revocations is None:
            return
        revoked_before = await self._revocations.revoked_before(identity)
        if revoked_before is not None and claims.iat_ms < revoked_before:
            raise Unauthorized("This participant token was revoked: its participant was removed or given another role")

"""The signalling protocol: JSON messages over one WebSocket per participant.

Every message is an object with a ``type`` and the protocol version ``v``. The client opens the
socket at ``/internal-api/v1/signalling``, sends :class:`Join` with its participant token, and from
then on both sides exchange the messages below. Anything that does not parse as one of them is
answered with :class:`ErrorMessage` and the connection lives on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from meetdesk.core.claims import TokenGrants
from meetdesk.core.errors import ErrorCode
from meetdesk.core.models import RoomConfig

PROTOCOL_VERSION = 1
CHAT_MAX_CHARS = 2000
#: chat messages a page of history holds (``joined`` and ``chat_history``), and its size as sent (after
#: JSON escaping): well under the client's 1 MiB frame, whatever the messages hold
CHAT_PAGE_MESSAGES = 50
CHAT_PAGE_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 256 * 1024  # an SDP with a few tracks is ~5-10 KiB
SDP_MAX_CHARS = 200_000


class LeftReason(StrEnum):
    """Why a participant is out of the meeting (OpenVidu Meet's LeftEventReason)."""

    VOLUNTARY_LEAVE = "voluntary_leave"
    PARTICIPANT_KICKED = "participant_kicked"
    MEETING_ENDED = "meeting_ended"
    MEETING_ENDED_BY_SELF = "meeting_ended_by_self"
    NETWORK_DISCONNECT = "network_disconnect"
    SERVER_SHUTDOWN = "server_shutdown"
    DUPLICATE_IDENTITY = "duplicate_identity"
    #: the room was deleted while its meeting ran (OpenVidu Meet says ``meeting_ended``; LiveKit's
    #: ``ROOM_DELETED`` names it): the participant cannot come back with the same link
    ROOM_DELETED = "room_deleted"
    #: the meeting reached its room's ``maxDurationMinutes`` (OpenVidu Meet says ``meeting_ended``)
    MAX_DURATION_REACHED = "max_duration_reached"
    UNKNOWN = "unknown"


class _Msg(BaseModel):
    # strict: "yes" is not a bool, "1" is not a number
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    v: Literal[1] = 1  # PROTOCOL_VERSION


Sdp = Annotated[str, Field(min_length=1, max_length=SDP_MAX_CHARS)]
Identity = Annotated[str, Field(min_length=1, max_length=100)]


# --- client to server ----------------------------------------------------------------------------


class Join(_Msg):
    type: Literal["join"] = "join"
    token: Annotated[str, Field(min_length=1, max_length=8000)]
    #: The session id of an earlier connection of this participant, to resume it after a drop.
    resume: Annotated[str, Field(max_length=100)] | None = None


class PublishOffer(_Msg):
    """The participant's publisher peer connection offers its tracks (camera, microphone, screen).

    Two-layer simulcast: a camera may come twice, the full picture ("camera") and a low layer
    ("camera_low", see :mod:`meetdesk.core.simulcast`); the others see one camera, the server forwards
    each of them the layer that suits it.
    """

    type: Literal["publish_offer"] = "publish_offer"
    sdp: Sdp
    #: What each sending m-line carries, by mid: "camera" | "camera_low" | "microphone" | "screen"
    sources: dict[Annotated[str, Field(max_length=20)], Literal["camera", "camera_low", "microphone", "screen"]] = (
        Field(default_factory=dict, max_length=8)
    )


class SubscribeAnswer(_Msg):
    type: Literal["subscribe_answer"] = "subscribe_answer"
    sdp: Sdp


class Resubscribe(_Msg):
    """The participant's side of its subscriber peer connection failed or closed, and the server's side may
    not know yet: the server drops its side and offers a new connection with every current track."""

    type: Literal["resubscribe"] = "resubscribe"


class MediaState(_Msg):
    """What the participant sends right now (mic/camera muted or not, screen shared or not)."""

    type: Literal["media_state"] = "media_state"
    audio: bool
    video: bool
    screen: bool = False


class AudioLevel(_Msg):
    """The participant's own microphone level, 0 (silence) to 1, a few times a second."""

    type: Literal["audio_level"] = "audio_level"
    level: Annotated[float, Field(ge=0.0, le=1.0)]


#: how well a participant's media flows, as the participant measures it (see meetdesk.client.quality)
Quality = Literal["excellent", "good", "poor", "lost"]


class ConnectionQualityReport(_Msg):
    type: Literal["connection_quality"] = "connection_quality"
    quality: Quality


class TileSize(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    width: Annotated[int, Field(ge=0, le=100_000)]
    height: Annotated[int, Field(ge=0, le=100_000)]


class VideoTiles(_Msg):
    """The sizes (device pixels) this participant shows the others' cameras at now, by identity: a small
    tile gets the camera's low layer. A camera not listed (not shown, or no window) gets the full layer.
    Sent when the layout changes; each message replaces the last."""

    type: Literal["video_tiles"] = "video_tiles"
    tiles: dict[Identity, TileSize] = Field(default_factory=dict, max_length=200)


class SendChat(_Msg):
    type: Literal["chat"] = "chat"
    text: Annotated[str, Field(min_length=1, max_length=CHAT_MAX_CHARS)]

    @field_validator("text")
    @classmethod
    def _no_control_characters(cls, text: str) -> str:
        if has_control_characters(text):
            raise ValueError("chat text cannot hold control characters (line breaks and tabs can)")
        return text


class ChatHistory(_Msg):
    """Ask for the chat messages older than ``before`` (a message id; ``joined`` carries only the newest):
    answered with :class:`ChatHistoryPage`."""

    type: Literal["chat_history"] = "chat_history"
    before: Annotated[str, Field(min_length=1, max_length=100)]


class RaiseHand(_Msg):
    type: Literal["raise_hand"] = "raise_hand"
    raised: bool


class SendReaction(_Msg):
    type: Literal["reaction"] = "reaction"
    emoji: Annotated[str, Field(min_length=1, max_length=16)]


class Kick(_Msg):
    type: Literal["kick"] = "kick"
    identity: Identity


class SetRole(_Msg):
    type: Literal["set_role"] = "set_role"
    identity: Identity
    role: Literal["moderator", "speaker"]


class EndMeeting(_Msg):
    type: Literal["end_meeting"] = "end_meeting"


class MuteParticipant(_Msg):
    """A moderator mutes someone: the server stops forwarding their microphone until they unmute."""

    type: Literal["mute"] = "mute"
    identity: Identity


class MuteEveryone(_Msg):
    """A moderator mutes everyone else in the meeting."""

    type: Literal["mute_everyone"] = "mute_everyone"


class LockMeeting(_Msg):
    """A moderator locks the meeting (no new joins: the room is closed) or unlocks it (open again)."""

    type: Literal["lock"] = "lock"
    locked: bool


class Leave(_Msg):
    type: Literal["leave"] = "leave"


class Ping(_Msg):
    type: Literal["ping"] = "ping"


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a C0 or C1 control character other than a line break or a tab."""
    return any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in text)


ClientMessage = Annotated[
    Join
    | PublishOffer
    | SubscribeAnswer
    | Resubscribe
    | MediaState
    | AudioLevel
    | ConnectionQualityReport
    | VideoTiles
    | SendChat
    | ChatHistory
    | RaiseHand
    | SendReaction
    | Kick
    | SetRole
    | EndMeeting
    | MuteParticipant
    | MuteEveryone
    | LockMeeting
    | Leave
    | Ping,
    Field(discriminator="type"),
]
CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


# --- server to client ----------------------------------------------------------------------------


class ParticipantInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    identity: str
    name: str
    role: Literal["moderator", "speaker"]
    joinedAt: int
    audio: bool = False
    video: bool = False
    screen: bool = False
    handRaised: bool = False
    quality: Quality = "good"
    reconnecting: bool = False
    #: published tracks: track id -> source ("camera" | "microphone" | "screen")
    tracks: dict[str, str] = Field(default_factory=dict)


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    identity: str
    name: str
    time: int
    text: str


class RecordingState(BaseModel):
    """The meeting's recording as participants see it (a status of OpenVidu Meet's MeetRecording)."""

    model_config = ConfigDict(frozen=True)

    recordingId: str
    status: Literal["starting", "active", "ending", "complete", "failed", "aborted", "limit_reached"]
    #: when it started, in milliseconds since the epoch (the server's clock)
    startDate: int

    @property
    def recording(self) -> bool:
        """Whether the meeting is being recorded now (starting, active or ending)."""
        return self.status in ("starting", "active", "ending")


class JoinedRoom(BaseModel):
    """The room of the meeting joined: its id, its name and its config (its limits, what is turned off)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    roomId: str
    roomName: str
    config: RoomConfig


class Joined(_Msg):
    type: Literal["joined"] = "joined"
    sessionId: str
    you: ParticipantInfo
    participants: list[ParticipantInfo]
    room: JoinedRoom
    #: the newest chat messages, oldest first (at most a page: see ``chatMore``)
    chat: list[ChatMessage]
    #: whether older messages than these are kept: ask with :class:`ChatHistory`
    chatMore: bool = False
    #: seconds the server keeps this participant after the socket drops, waiting for a resume
    reconnectGrace: float
    resumed: bool = False
    #: whether the meeting is locked (no new joins)
    locked: bool = False
    #: when the meeting started, in milliseconds since the epoch (the server's clock); None from older servers
    startedAt: int | None = None
    #: who speaks now, when someone does (later changes come as ActiveSpeaker)
    activeSpeaker: str | None = None
    #: when the room's duration limit ends the meeting, in milliseconds since the epoch; None: no limit
    endsAt: int | None = None
    #: the meeting's recording in progress, if any (later changes come as RecordingChanged)
    recording: RecordingState | None = None
    #: what this participant may do (its role's permissions in this room); None from older servers
    permissions: TokenGrants | None = None


class PublishAnswer(_Msg):
    type: Literal["publish_answer"] = "publish_answer"
    sdp: str


#: what a forwarded track carries, as its subscribers see it (a camera's low layer is still the camera)
TrackSource = Literal["camera", "microphone", "screen"]


class SubscribedTrack(BaseModel):
    """One m-line of a subscribe offer: whose track it carries, of which kind, from which source."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    identity: Identity
    kind: Literal["audio", "video"]
    source: TrackSource

    @property
    def key(self) -> str:
        """``identity/source``: the same track across offers, connections and republishes."""
        return f"{self.identity}/{self.source}"


class SubscribeOffer(_Msg):
    """The server's subscriber peer connection offers the tracks of the others.

    ``tracks`` maps each m-line's mid to the track it carries, so the client can put it on a tile.
    """

    type: Literal["subscribe_offer"] = "subscribe_offer"
    sdp: str
    tracks: dict[Annotated[str, Field(max_length=20)], SubscribedTrack]


class ParticipantJoined(_Msg):
    type: Literal["participant_joined"] = "participant_joined"
    participant: ParticipantInfo


class ParticipantUpdated(_Msg):
    type: Literal["participant_updated"] = "participant_updated"
    participant: ParticipantInfo


class ParticipantLeft(_Msg):
    type: Literal["participant_left"] = "participant_left"
    identity: str
    reason: LeftReason


class ActiveSpeaker(_Msg):
    type: Literal["active_speaker"] = "active_speaker"
    #: None: nobody speaks now (sent without the field: messages go out without their None values)
    identity: str | None = None


class ChatReceived(_Msg):
    type: Literal["chat"] = "chat"
    message: ChatMessage


class ChatHistoryPage(_Msg):
    """The answer to :class:`ChatHistory`: the messages just older than ``before``, oldest first."""

    type: Literal["chat_history"] = "chat_history"
    before: str
    messages: list[ChatMessage]
    #: whether there are older ones still
    more: bool


class ReactionReceived(_Msg):
    type: Literal["reaction"] = "reaction"
    identity: str
    name: str
    emoji: str


class RoleChanged(_Msg):
    """Sent to the participant whose role changed, with a token for the new role."""

    type: Literal["role_changed"] = "role_changed"
    role: Literal["moderator", "speaker"]
    token: str
    #: what the participant may do now (the same as the token's): a role change, or the room's roles changed
    permissions: TokenGrants


class Muted(_Msg):
    """Sent to a participant a moderator muted: the server no longer forwards their microphone. Only they can
    unmute (``media_state`` with ``audio`` true), which resumes forwarding."""

    type: Literal["muted"] = "muted"
    #: the moderator who did it
    by: str
    byName: str


class MeetingEndingSoon(_Msg):
    """To everyone, 5 and 1 minutes before the room's duration limit ends the meeting."""

    type: Literal["meeting_ending_soon"] = "meeting_ending_soon"
    minutesLeft: int
    endsAt: int


class MeetingLocked(_Msg):
    """To everyone: a moderator locked or unlocked the meeting (``by`` empty: an administrator reopened the
    room, which unlocks it)."""

    type: Literal["meeting_locked"] = "meeting_locked"
    locked: bool
    by: str
    byName: str


class RecordingChanged(_Msg):
    """To everyone: the meeting's recording started, is stopping, or ended (with how: ``complete``, ``failed``...)."""

    type: Literal["recording"] = "recording"
    recording: RecordingState


class DownlinkState(_Msg):
    """To a subscriber: whose camera video the server holds back because the subscriber's connection does not
    carry it (their tiles say "Video paused: weak connection"; audio goes on), whether it holds any camera back
    (paused, or at its low layer though the tile is large), and its estimate of what that connection carries for
    video in bits per second (None: it never saw it overused). Sent when any of them changes (the estimate by a
    fifth or more); each message replaces the last."""

    type: Literal["downlink"] = "downlink"
    paused: list[str] = Field(default_factory=list)
    limited: bool = False
    estimateBps: int | None = None


class Left(_Msg):
    """The last message a participant gets: why it is out. The server closes the socket after it."""

    type: Literal["left"] = "left"
    reason: LeftReason


class ErrorMessage(_Msg):
    """What went wrong with a message (or the join): ``code`` is one of core's :class:`ErrorCode` values, the
    same list the REST API's errors come from."""

    type: Literal["error"] = "error"
    #: not strict: a code's value ("malformed") is the code, as it comes off the wire
    code: Annotated[ErrorCode, Field(strict=False)]
    message: str
    #: the ``type`` of the message this answers, when it could be read
    ref: str | None = None


class Pong(_Msg):
    type: Literal["pong"] = "pong"


ServerMessage = Annotated[
    Joined
    | PublishAnswer
    | SubscribeOffer
    | ParticipantJoined
    | ParticipantUpdated
    | ParticipantLeft
    | ActiveSpeaker
    | ChatReceived
    | ChatHistoryPage
    | ReactionReceived
    | RoleChanged
    | Muted
    | MeetingLocked
    | MeetingEndingSoon
    | RecordingChanged
    | DownlinkState
    | Left
    | ErrorMessage
    | Pong,
    Field(discriminator="type"),
]
SERVER_MESSAGE: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)

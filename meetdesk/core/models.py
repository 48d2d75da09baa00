"""Request and response models of the rooms API (OpenVidu Meet's field names and rules).

Validation lives here so that the server refuses bad input at the edge and the client library can
check a form before sending it. Models are strict: a string is not a number, a number is not a bool.
"""

from __future__ import annotations

import re
import time
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from meetdesk.core.access import AccessPatch, AccessView
from meetdesk.core.limits import LIMIT_FIELDS, InitialState, InitialStateUpdate, MaxDuration, MaxParticipants
from meetdesk.core.permissions import RolesPatch, RoomRoles
from meetdesk.core.recording_settings import (
    DEFAULT_ENCODING,
    DEFAULT_LAYOUT,
    RecordingEncoding,
    RecordingLayout,
    check_encoding,
)

ROOM_NAME_MAX = 50
DEFAULT_ROOM_NAME = "Room"
#: Creation refuses an auto-deletion date sooner than this from now.
MIN_AUTO_DELETION_DELAY_MS = 60 * 60 * 1000
#: 9999-12-31: beyond any date a person means, and safe in a 64-bit column.
MAX_TIMESTAMP_MS = 253_402_300_799_999
_WHITESPACE_RUN = re.compile(r"\s+")


class RoomStatus(StrEnum):
    OPEN = "open"
    ACTIVE_MEETING = "active_meeting"
    CLOSED = "closed"


class MeetingEndAction(StrEnum):
    NONE = "none"
    CLOSE = "close"
    DELETE = "delete"


class WithMeeting(StrEnum):
    FORCE = "force"
    WHEN_MEETING_ENDS = "when_meeting_ends"
    FAIL = "fail"


class WithRecordings(StrEnum):
    FORCE = "force"
    CLOSE = "close"
    FAIL = "fail"


RecordingAccess = Literal["admin", "admin_moderator", "admin_moderator_speaker"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ChatConfig(_Strict):
    enabled: bool = True


class RecordingConfig(_Strict):
    enabled: bool = True
    allowAccessTo: RecordingAccess = "admin_moderator_speaker"
    layout: RecordingLayout = DEFAULT_LAYOUT
    encoding: RecordingEncoding = DEFAULT_ENCODING

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, value: Any) -> Any:
        return check_encoding(value)


class VirtualBackgroundConfig(_Strict):
    enabled: bool = True


def not_available(enabled: bool | None, option: str, capability: str) -> bool | None:
    """Upstream's options for what MeetDesk cannot do yet: accepted off, refused on (never dropped)."""
    if enabled:
        raise PydanticCustomError(
            "not_available",
            "{option} cannot be enabled: MeetDesk has no {capability} yet",
            {"option": option, "capability": capability},
        )
    return enabled


class E2EEConfig(_Strict):
    """OpenVidu Meet 3.5's end-to-end encryption: MeetDesk has none, so it is always off."""

    enabled: bool = False

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool) -> bool:
        return bool(not_available(value, "e2ee", "end-to-end encryption"))


class CaptionsConfig(_Strict):
    """OpenVidu Meet 3.6's live captions: MeetDesk has none, so they are always off."""

    enabled: bool = False

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool) -> bool:
        return bool(not_available(value, "captions", "live captions"))


class RoomConfig(_Strict):
    #: room limits (OpenVidu Meet 3.9, ``core/limits.py``): None is no limit
    maxParticipants: MaxParticipants = None
    maxDurationMinutes: MaxDuration = None
    initialAudioEnabled: InitialState = True
    initialVideoEnabled: InitialState = True
    chat: ChatConfig = Field(default_factory=ChatConfig)
    recording: RecordingConfig = Field(default_factory=RecordingConfig)
    virtualBackground: VirtualBackgroundConfig = Field(default_factory=VirtualBackgroundConfig)
    e2ee: E2EEConfig = Field(default_factory=E2EEConfig)
    captions: CaptionsConfig = Field(default_factory=CaptionsConfig)


_CONFIG_SECTIONS = ("chat", "recording", "virtualBackground", "e2ee", "captions")


def refuse_unknown_options(value: Any, model: type[BaseModel], where: str) -> Any:
    """Refuse keys ``model`` does not have, at any depth: an option MeetDesk does not know would otherwise
    be accepted and silently dropped (the caller would believe it set)."""
    if not isinstance(value, dict):
        return value  # the model's own validation says what is wrong with it
    for key, item in value.items():
        field = model.model_fields.get(key)
        name = f"{where}.{key}" if where else str(key)
        if field is None:
            raise PydanticCustomError(
                "unknown_option", "{option} is not an option of MeetDesk's rooms", {"option": name}
            )
        annotation = field.annotation
        for arg in getattr(annotation, "__args__", (annotation,)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                refuse_unknown_options(item, arg, name)
    return value


class ChatPatch(_Strict):
    enabled: bool | None = None


class RecordingPatch(_Strict):
    enabled: bool | None = None
    allowAccessTo: RecordingAccess | None = None
    layout: RecordingLayout | None = None
    encoding: RecordingEncoding | None = None

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, value: Any) -> Any:
        return check_encoding(value)


class VirtualBackgroundPatch(_Strict):
    enabled: bool | None = None


class E2EEPatch(_Strict):
    enabled: bool | None = None

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool | None) -> bool | None:
        return not_available(value, "e2ee", "end-to-end encryption")


class CaptionsPatch(_Strict):
    enabled: bool | None = None

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool | None) -> bool | None:
        return not_available(value, "captions", "live captions")


class RoomConfigPatch(_Strict):
    """A partial config for ``PUT /rooms/{id}/config``: what is given is merged into the room's."""

    chat: ChatPatch | None = None
    recording: RecordingPatch | None = None
    virtualBackground: VirtualBackgroundPatch | None = None
    e2ee: E2EEPatch | None = None
    captions: CaptionsPatch | None = None
    #: the limits: given (``null`` included) replaces, omitted keeps
    maxParticipants: MaxParticipants = None
    maxDurationMinutes: MaxDuration = None
    initialAudioEnabled: InitialStateUpdate = None
    initialVideoEnabled: InitialStateUpdate = None

    @model_validator(mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        return refuse_unknown_options(value, cls, "")

    def merged_into(self, current: RoomConfig) -> RoomConfig:
        data = current.model_dump()
        for section in _CONFIG_SECTIONS:
            patch = getattr(self, section)
            if patch is not None:
                data[section].update(patch.model_dump(exclude_none=True))
        for name in LIMIT_FIELDS:
            if name in self.model_fields_set:
                data[name] = getattr(self, name)
        return RoomConfig.model_validate(data)


def _no_fail(value: Any, field: str) -> Any:
    if value == "fail":
        raise PydanticCustomError(
            "fail_not_allowed", "FAIL policy is not allowed for {field} auto-deletion policy", {"field": field}
        )
    return value


class AutoDeletionPolicy(_Strict):
    withMeeting: Literal["force", "when_meeting_ends"] = "when_meeting_ends"
    withRecordings: Literal["force", "close"] = "close"

    @field_validator("withMeeting", mode="before")
    @classmethod
    def _meeting_not_fail(cls, value: Any) -> Any:
        return _no_fail(value, "withMeeting")

    @field_validator("withRecordings", mode="before")
    @classmethod
    def _recordings_not_fail(cls, value: Any) -> Any:
        return _no_fail(value, "withRecordings")


def clean_room_name(value: str) -> str:
    """Trim a room name, collapse its runs of whitespace to one space, and refuse what cannot be shown:
    control characters, empty, too long."""
    name = _WHITESPACE_RUN.sub(" ", value).strip()
    if not name:
        raise PydanticCustomError("room_name_empty", "roomName cannot be empty")
    if len(name) > ROOM_NAME_MAX:
        raise PydanticCustomError("room_name_too_long", f"roomName cannot exceed {ROOM_NAME_MAX} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        raise PydanticCustomError("room_name_control", "roomName cannot contain control or invisible characters")
    return name


def _auto_deletion_date_given(value: Any) -> Any:
    """An auto-deletion date as sent: a positive integer (checked before the type, for OpenVidu's message)."""
    if value is None:
        raise PydanticCustomError("date_null", "autoDeletionDate must be a positive integer")
    if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
        raise PydanticCustomError("date_positive", "autoDeletionDate must be a positive integer")
    return value


def _auto_deletion_date_ahead(value: int) -> int:
    """An auto-deletion date a person can mean: at least an hour ahead, and before the year 10000."""
    if value > MAX_TIMESTAMP_MS:
        raise PydanticCustomError("date_too_far", "autoDeletionDate is too far in the future")
    if value < now_ms() + MIN_AUTO_DELETION_DELAY_MS:
        raise PydanticCustomError("date_too_soon", "autoDeletionDate must be at least 1h in the future")
    return value


class RoomOptions(_Strict):
    """Body of ``POST /rooms``; every field optional."""

    roomName: str = DEFAULT_ROOM_NAME
    autoDeletionDate: int | None = None
    autoDeletionPolicy: AutoDeletionPolicy = Field(default_factory=AutoDeletionPolicy)
    config: RoomConfig = Field(default_factory=RoomConfig)
    #: 3.8: the roles' permissions, as changes to the defaults
    roles: RolesPatch | None = None
    #: 3.8: which anonymous links work (all of them unless told)
    access: AccessPatch | None = None

    @field_validator("config", mode="before")
    @classmethod
    def _known_options(cls, value: Any) -> Any:
        return refuse_unknown_options(value, RoomConfig, "")

    @field_validator("roomName")
    @classmethod
    def _name(cls, value: str) -> str:
        return clean_room_name(value)

    @field_validator("autoDeletionDate", mode="before")
    @classmethod
    def _date_not_null(cls, value: Any) -> Any:
        # Only runs when the field is present: omitting it is fine, an explicit null is not.
        return _auto_deletion_date_given(value)

    @field_validator("autoDeletionDate")
    @classmethod
    def _date_ahead(cls, value: int | None) -> int | None:
        return None if value is None else _auto_deletion_date_ahead(value)


ROOM_UPDATE_FIELDS = ("roomName", "autoDeletionDate", "autoDeletionPolicy")


class RoomUpdate(_Strict):
    """Body of ``PATCH /rooms/{roomId}``: the fields given change, the others stay; the room id and its
    links never change. ``autoDeletionDate: null`` clears the date (the room is kept). The rules are
    those of creation. Unknown fields are refused: a misspelt one would be a change silently not made.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    roomName: str | None = None
    autoDeletionDate: int | None = None
    autoDeletionPolicy: AutoDeletionPolicy | None = None

    @field_validator("roomName", "autoDeletionPolicy", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise PydanticCustomError("null", "{field} cannot be null", {"field": info.field_name})
        return value

    @field_validator("roomName")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else clean_room_name(value)

    @field_validator("autoDeletionDate", mode="before")
    @classmethod
    def _date_given(cls, value: Any) -> Any:
        return None if value is None else _auto_deletion_date_given(value)

    @field_validator("autoDeletionDate")
    @classmethod
    def _date_ahead(cls, value: int | None) -> int | None:
        return None if value is None else _auto_deletion_date_ahead(value)

    @model_validator(mode="after")
    def _something(self) -> RoomUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError(
                "nothing_to_change", "Give at least one of roomName, autoDeletionDate and autoDeletionPolicy"
            )
        return self


class RoomConfigUpdate(_Strict):
    config: RoomConfigPatch


class RoomStatusUpdate(_Strict):
    status: Literal["open", "closed"]


class MeetRoom(BaseModel):
    """A room as the API returns it. Optional fields may be absent under a ``fields`` projection."""

    model_config = ConfigDict(extra="ignore")

    roomId: str
    roomName: str | None = None
    creationDate: int | None = None
    autoDeletionDate: int | None = None
    autoDeletionPolicy: AutoDeletionPolicy | None = None
    config: RoomConfig | None = None
    # links carry secrets: keep them out of reprs (and so out of logs)
    moderatorUrl: str | None = Field(default=None, repr=False)
    speakerUrl: str | None = Field(default=None, repr=False)
    status: RoomStatus | None = None
    meetingEndAction: MeetingEndAction | None = None
    #: 3.8's extra properties, present when asked for (``extraFields=roles,access``)
    roles: RoomRoles | None = None
    access: AccessView | None = Field(default=None, repr=False)


class Pagination(BaseModel):
    isTruncated: bool
    nextPageToken: str | None = None
    maxItems: int


class RoomList(BaseModel):
    rooms: list[MeetRoom]
    pagination: Pagination


# --- auth, users, participants -------------------------------------------------------------------


class LoginRequest(_Strict):
    username: Annotated[str, Field(min_length=4, max_length=200)]
    password: Annotated[str, Field(min_length=4, max_length=500)]


class ChangePasswordRequest(_Strict):
    currentPassword: Annotated[str, Field(min_length=1, max_length=500)]
    newPassword: Annotated[str, Field(min_length=5, max_length=500)]


PARTICIPANT_NAME_MAX = 50


class MemberTokenRequest(_Strict):
    """``POST /internal-api/v1/rooms/{roomId}/members/token`` (3.5+): the room is in the path."""

    secret: Annotated[str, Field(min_length=1, max_length=200)]
    participantName: str | None = None

    @field_validator("participantName")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip()
        if not name:
            raise PydanticCustomError("name_empty", "participantName cannot be empty")
        if len(name) > PARTICIPANT_NAME_MAX:
            raise PydanticCustomError(
                "name_too_long", f"participantName cannot exceed {PARTICIPANT_NAME_MAX} characters"
            )
        if any(unicodedata.category(ch).startswith("C") for ch in name):
            raise PydanticCustomError("name_control", "participantName cannot contain control characters")
        return name


class ParticipantTokenRequest(MemberTokenRequest):
    """``POST /internal-api/v1/participants/token`` (3.4): the room is in the body."""

    roomId: Annotated[str, Field(min_length=1, max_length=200)]


# --- global configuration ------------------------------------------------------------------------

HEX_COLOUR = r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
_HEX_COLOUR = re.compile(HEX_COLOUR)
_THEME_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _colour(value: str) -> str:
    if not _HEX_COLOUR.match(value):
        raise PydanticCustomError("hex_colour", "Must be a valid hex color code (with or without alpha)")
    return value


def _theme_name(value: str) -> str:
    """OpenVidu's theme-name rules, with its sentences."""
    if not value:
        raise PydanticCustomError("theme_name_empty", "Theme name cannot be empty")
    if len(value) > 50:
        raise PydanticCustomError("theme_name_too_long", "Theme name cannot exceed 50 characters")
    if not _THEME_NAME.match(value):
        raise PydanticCustomError(
            "theme_name_chars", "Theme name can only contain letters, numbers, hyphens and underscores"
        )
    return value


Colour = Annotated[str, AfterValidator(_colour), WithJsonSchema({"type": "string", "pattern": HEX_COLOUR})]


class MeetRoomTheme(_Strict):
    name: Annotated[
        str,
        AfterValidator(_theme_name),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 50, "pattern": _THEME_NAME.pattern}),
    ]
    enabled: bool
    baseTheme: Literal["light", "dark"]
    backgroundColor: Colour | None = None
    primaryColor: Colour | None = None
    secondaryColor: Colour | None = None
    accentColor: Colour | None = None
    surfaceColor: Colour | None = None


class Appearance(_Strict):
    themes: list[MeetRoomTheme]

    @field_validator("themes")
    @classmethod
    def _exactly_one(cls, themes: list[MeetRoomTheme]) -> list[MeetRoomTheme]:
        if len(themes) != 1:
            raise PydanticCustomError("one_theme", "There must be exactly one theme defined")
        return themes


class AppearanceConfig(_Strict):
    appearance: Appearance


class AuthMethod(_Strict):
    type: Literal["single_user"] = "single_user"


class Authentication(_Strict):
    authMethod: AuthMethod
    authModeToAccessRoom: Literal["none", "moderators_only", "all_users"]


class SecurityConfig(_Strict):
    """Who must log in to join rooms. Every field is required: a PUT with a misspelt field must not reset
    room access to its default."""

    authentication: Authentication

    @classmethod
    def default(cls) -> SecurityConfig:
        return cls(authentication=Authentication(authMethod=AuthMethod(), authModeToAccessRoom="none"))


class WebhookConfig(_Strict):
    enabled: bool
    url: Annotated[str | None, Field(default=None, max_length=2000, validate_default=True)]

    @field_validator("url")
    @classmethod
    def _url_when_enabled(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is not None:
            return check_http_url(url)
        if info.data.get("enabled"):
            raise PydanticCustomError("url_required", "URL is required when webhooks are enabled")
        return None


class WebhookTest(_Strict):
    url: Annotated[str, Field(max_length=2000)]

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        return check_http_url(value)


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host and a valid port, and nothing a request line cannot carry."""
    from urllib.parse import urlsplit

    bad = PydanticCustomError("url_scheme", "URL must start with http:// or https://")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in value):
        raise bad
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or 0 < parts.port < 65536
        host = parts.hostname
        if host:
            host.encode("idna").decode("idna")  # round trip: refuses broken punycode like "xn--"
    except (ValueError, UnicodeError) as exc:
        raise bad from exc
    if parts.scheme not in ("http", "https") or not host or not port_ok:
        raise bad
    return value


def now_ms() -> int:
    return int(time.time() * 1000)

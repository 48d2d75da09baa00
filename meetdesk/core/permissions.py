"""Participant roles and what each may do in a meeting: OpenVidu Meet 3.8's per-room roles.

A room has two roles, moderator and speaker, each with the fourteen permissions of upstream's
``MeetPermissions`` (:class:`Permissions`). The room's admin may change them (``PUT /rooms/{id}/roles``,
a partial update: :class:`RolesPatch`); the defaults (:data:`DEFAULT_ROLES`) are what the two roles
could do before permissions existed. What a participant may do *now* is its role's permissions with the
room's config on top (:func:`effective`): a feature turned off in the config is off for everyone, and 3.4's
``recording.allowAccessTo`` still narrows who reaches the recordings.

The server checks these on every REST call and signalling message (the table in
``meetdesk.server.meeting.permits``); the desktop app hides what they do not allow.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:  # core.models imports this module (a room's options carry roles)
    from meetdesk.core.models import RoomConfig


class Role(StrEnum):
    MODERATOR = "moderator"
    SPEAKER = "speaker"


PermissionKey = Literal[
    "canRecord",
    "canRetrieveRecordings",
    "canDeleteRecordings",
    "canJoinMeeting",
    "canShareAccessLinks",
    "canMakeModerator",
    "canKickParticipants",
    "canEndMeeting",
    "canPublishVideo",
    "canPublishAudio",
    "canShareScreen",
    "canReadChat",
    "canWriteChat",
    "canChangeVirtualBackground",
]

#: upstream's keys, in upstream's order
PERMISSION_KEYS: tuple[PermissionKey, ...] = (
    "canRecord",
    "canRetrieveRecordings",
    "canDeleteRecordings",
    "canJoinMeeting",
    "canShareAccessLinks",
    "canMakeModerator",
    "canKickParticipants",
    "canEndMeeting",
    "canPublishVideo",
    "canPublishAudio",
    "canShareScreen",
    "canReadChat",
    "canWriteChat",
    "canChangeVirtualBackground",
)


class Permissions(BaseModel):
    """The complete set of a role's permissions (upstream's ``MeetPermissions``)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    canRecord: bool
    canRetrieveRecordings: bool
    canDeleteRecordings: bool
    canJoinMeeting: bool
    canShareAccessLinks: bool
    canMakeModerator: bool
    canKickParticipants: bool
    canEndMeeting: bool
    canPublishVideo: bool
    canPublishAudio: bool
    canShareScreen: bool
    canReadChat: bool
    canWriteChat: bool
    canChangeVirtualBackground: bool

    def allows(self, key: PermissionKey) -> bool:
        return bool(getattr(self, key))

    def withdrawn(self, newer: Permissions) -> set[PermissionKey]:
        """The permissions this set has and ``newer`` does not."""
        return {key for key in PERMISSION_KEYS if self.allows(key) and not newer.allows(key)}


class PermissionsPatch(BaseModel):
    """Some of a role's permissions, to change (the others stay). Unknown keys and non-booleans are refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    canRecord: bool | None = None
    canRetrieveRecordings: bool | None = None
    canDeleteRecordings: bool | None = None
    canJoinMeeting: bool | None = None
    canShareAccessLinks: bool | None = None
    canMakeModerator: bool | None = None
    canKickParticipants: bool | None = None
    canEndMeeting: bool | None = None
    canPublishVideo: bool | None = None
    canPublishAudio: bool | None = None
    canShareScreen: bool | None = None
    canReadChat: bool | None = None
    canWriteChat: bool | None = None
    canChangeVirtualBackground: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, value: Any) -> Any:
        # upstream's keys are optional booleans: null is not a value of any of them
        if isinstance(value, dict):
            for key, item in value.items():
                if item is None and key in PERMISSION_KEYS:
                    raise ValueError(f"{key} must be a boolean")
        return value

    def applied_to(self, current: Permissions) -> Permissions:
        return current.model_copy(update=self.model_dump(exclude_none=True))


class RolePermissions(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    permissions: Permissions


class RoomRoles(BaseModel):
    """A room's roles (upstream's ``MeetRoomRoles``), as ``extraFields=roles`` shows them."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    moderator: RolePermissions
    speaker: RolePermissions

    def of(self, role: Role) -> Permissions:
        return self.moderator.permissions if role is Role.MODERATOR else self.speaker.permissions

    def patched(self, patch: RolesPatch) -> RoomRoles:
        moderator, speaker = self.moderator.permissions, self.speaker.permissions
        if patch.moderator is not None:
            moderator = patch.moderator.permissions.applied_to(moderator)
        if patch.speaker is not None:
            speaker = patch.speaker.permissions.applied_to(speaker)
        return RoomRoles(moderator=RolePermissions(permissions=moderator), speaker=RolePermissions(permissions=speaker))


class RolePatch(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    permissions: PermissionsPatch


class RolesPatch(BaseModel):
    """Upstream's ``MeetRoomRolesConfig``: either role, and of it only the permissions to change."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    moderator: RolePatch | None = None
    speaker: RolePatch | None = None


class RolesUpdate(BaseModel):
    """The body of ``PUT /api/v1/rooms/{roomId}/roles``: ``{"roles": {...}}``."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    roles: RolesPatch


_EVERYTHING = dict.fromkeys(PERMISSION_KEYS, True)

#: What each role could do before roles were configurable (and what upstream 3.8 gives a new room).
DEFAULT_MODERATOR = Permissions.model_validate(_EVERYTHING)
DEFAULT_SPEAKER = Permissions.model_validate(
    {
        **_EVERYTHING,
        "canRecord": False,
        "canDeleteRecordings": False,
        "canShareAccessLinks": False,
        "canMakeModerator": False,
        "canKickParticipants": False,
        "canEndMeeting": False,
    }
)
DEFAULT_ROLES = RoomRoles(
    moderator=RolePermissions(permissions=DEFAULT_MODERATOR), speaker=RolePermissions(permissions=DEFAULT_SPEAKER)
)


def effective(role: Role, roles: RoomRoles, config: RoomConfig) -> Permissions:
    """What a participant of ``role`` may do now: the role's permissions, less what the room's config turns off.

    Recording: off in the config, nobody records or reaches recordings; ``allowAccessTo`` (3.4) keeps them
    from the roles it leaves out. Chat off: nobody reads or writes it. Virtual backgrounds off: nobody changes one.
    """
    granted = roles.of(role)
    recording = config.recording
    access = recording.allowAccessTo
    reaches = recording.enabled and (
        access == "admin_moderator_speaker" or (role is Role.MODERATOR and access == "admin_moderator")
    )
    return granted.model_copy(
        update={
            "canRecord": granted.canRecord and recording.enabled,
            "canRetrieveRecordings": granted.canRetrieveRecordings and reaches,
            "canDeleteRecordings": granted.canDeleteRecordings and reaches,
            "canReadChat": granted.canReadChat and config.chat.enabled,
            "canWriteChat": granted.canWriteChat and config.chat.enabled,
            "canChangeVirtualBackground": granted.canChangeVirtualBackground and config.virtualBackground.enabled,
        }
    )


#: what a refusal says, per permission (the REST error's message and the signalling error's)
_REFUSALS: dict[PermissionKey, str] = {
    "canRecord": "Your role may not start or stop recordings in this room",
    "canRetrieveRecordings": "Your role may not see this room's recordings",
    "canDeleteRecordings": "Your role may not delete this room's recordings",
    "canJoinMeeting": "Your role may not join this room's meetings",
    "canShareAccessLinks": "Your role may not share this room's links",
    "canMakeModerator": "Your role may not change other participants' roles",
    "canKickParticipants": "Your role may not remove participants from the meeting",
    "canEndMeeting": "Your role may not end the meeting",
    "canPublishVideo": "Your role may not turn on a camera in this room",
    "canPublishAudio": "Your role may not turn on a microphone in this room",
    "canShareScreen": "Your role may not share a screen in this room",
    "canReadChat": "Your role may not read this room's chat",
    "canWriteChat": "Your role may not send chat messages in this room",
    "canChangeVirtualBackground": "Your role may not change the background in this room",
}


def refusal(key: PermissionKey) -> str:
    """The sentence that refuses an action ``key`` does not allow."""
    return _REFUSALS[key]

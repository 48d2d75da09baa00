"""What a participant token says, as typed models: the room, the role, and what the role may do.

The permissions travel in OpenVidu Meet's shape, ``{"livekit": {...}, "openvidu": {...}}``: ``openvidu``
holds the fourteen 3.8 permissions (:class:`~meetdesk.core.permissions.Permissions`) plus 3.4's ``canChat``
(the same as ``canWriteChat``), so that a reader of either version finds its keys. The server never trusts
them for a decision (it checks the room's current roles); they tell the client what to offer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from meetdesk.core.permissions import Permissions, Role


class LiveKitGrants(BaseModel):
    model_config = ConfigDict(frozen=True)

    roomJoin: bool
    canPublish: bool
    canSubscribe: bool
    canPublishData: bool
    canUpdateOwnMetadata: bool


class MeetGrants(Permissions):
    """Upstream 3.8's permissions plus 3.4's ``canChat``."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    canChat: bool

    @property
    def permissions(self) -> Permissions:
        return Permissions.model_validate(self.model_dump(exclude={"canChat"}))


class TokenGrants(BaseModel):
    model_config = ConfigDict(frozen=True)

    livekit: LiveKitGrants
    openvidu: MeetGrants

    @classmethod
    def of(cls, permissions: Permissions, *, join: bool) -> TokenGrants:
        """The grants of a token for ``permissions``; ``join`` false for a token that joins no meeting (one to
        browse the room's recordings)."""
        return cls(
            livekit=LiveKitGrants(
                roomJoin=join and permissions.canJoinMeeting,
                canPublish=permissions.canPublishVideo or permissions.canPublishAudio or permissions.canShareScreen,
                canSubscribe=True,
                canPublishData=True,
                canUpdateOwnMetadata=True,
            ),
            openvidu=MeetGrants(**permissions.model_dump(), canChat=permissions.canWriteChat),
        )


class ParticipantClaims(BaseModel):
    """The claims of a participant token (a JWT with ``typ`` ``participant``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    typ: Literal["participant"]
    room: str
    role: Role
    #: the participant's identity; None in a token that joins no meeting
    sub: str | None = None
    name: str | None = None
    iat_ms: int = 0
    exp: int
    permissions: TokenGrants

    @property
    def identity(self) -> str | None:
        return self.sub

    @property
    def joins(self) -> bool:
        return self.sub is not None and self.permissions.livekit.roomJoin


def participant_claims(room: str, role: Role, grants: TokenGrants, name: str | None = None) -> dict[str, Any]:
    """The claims to sign (besides ``typ``, ``sub`` and the times the token service adds)."""
    claims: dict[str, Any] = {"room": room, "role": role.value, "permissions": grants.model_dump()}
    if name is not None:
        claims["name"] = name
    return claims

"""Who may come in by a room's anonymous links (OpenVidu Meet 3.8's ``access``).

A room has three anonymous links, one per secret: moderator, speaker and recording (the room's
recordings, without a meeting). Each can be turned off and on again (``PUT /rooms/{id}/access``); a
turned-off link's secret is refused (403) when it is exchanged for a token, and the participants already
in stay. Upstream's ``access.user`` (room access for logged-in users) needs user accounts for participants,
which MeetDesk does not have: it is reported off, and asking to turn it on is refused, never dropped.
Who may see the links' URLs (:func:`links_shown`) is the permission ``canShareAccessLinks``, enforced where a
room is shown to a participant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from meetdesk.core.permissions import Permissions, Role

LinkKind = Literal["moderator", "speaker", "recording"]
LINK_KINDS: tuple[LinkKind, ...] = ("moderator", "speaker", "recording")
ALL_LINKS: frozenset[LinkKind] = frozenset(LINK_KINDS)
NO_LINKS: frozenset[LinkKind] = frozenset()


def links_shown(role: Role, permissions: Permissions) -> frozenset[LinkKind]:
    """The room's links (their URLs carry the secrets) a participant may see, by its role and permissions now.

    Without ``canShareAccessLinks`` none (upstream 3.8: the links are what that permission shares); with it the
    speaker and recordings links, and the moderator link to a moderator only (a speaker who could read it would
    make itself a moderator). Admins and the API key see every link."""
    if not permissions.canShareAccessLinks:
        return NO_LINKS
    if role is Role.MODERATOR:
        return ALL_LINKS
    return frozenset({"speaker", "recording"})


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class LinkAccess(_Model):
    enabled: bool = True


class AnonymousAccess(_Model):
    moderator: LinkAccess = Field(default_factory=LinkAccess)
    speaker: LinkAccess = Field(default_factory=LinkAccess)
    recording: LinkAccess = Field(default_factory=LinkAccess)

    def of(self, kind: LinkKind) -> LinkAccess:
        found: LinkAccess = getattr(self, kind)
        return found


class RoomAccess(_Model):
    """A room's access settings as stored (the links' URLs are added when the room is shown)."""

    anonymous: AnonymousAccess = Field(default_factory=AnonymousAccess)

    def enabled(self, kind: LinkKind) -> bool:
        return self.anonymous.of(kind).enabled

    def patched(self, patch: AccessPatch) -> RoomAccess:
        if patch.anonymous is None:
            return self
        changes: dict[str, LinkAccess] = {}
        for kind in LINK_KINDS:
            link: LinkAccessPatch | None = getattr(patch.anonymous, kind)
            if link is not None:
                changes[kind] = LinkAccess(enabled=link.enabled)
        return RoomAccess(anonymous=self.anonymous.model_copy(update=changes))


class LinkAccessPatch(_Model):
    enabled: bool


class AnonymousAccessPatch(_Model):
    moderator: LinkAccessPatch | None = None
    speaker: LinkAccessPatch | None = None
    recording: LinkAccessPatch | None = None


class UserAccessPatch(_Model):
    enabled: bool

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool) -> bool:
        if value:
            raise PydanticCustomError(
                "not_available", "access.user cannot be enabled: MeetDesk has no user accounts for participants"
            )
        return value


class AccessPatch(_Model):
    """Upstream's ``MeetRoomAccessConfig``: only what is given changes."""

    anonymous: AnonymousAccessPatch | None = None
    user: UserAccessPatch | None = None


class AccessUpdate(_Model):
    """The body of ``PUT /api/v1/rooms/{roomId}/access``: ``{"access": {...}}``."""

    access: AccessPatch


class LinkView(BaseModel):
    """One link as a MeetRoom shows it; ``url`` is left out for a caller who may not see it."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    url: str | None = Field(default=None, repr=False)  # URLs carry secrets: keep them out of logs


class AnonymousView(BaseModel):
    model_config = ConfigDict(frozen=True)

    moderator: LinkView
    speaker: LinkView
    recording: LinkView

    def of(self, kind: LinkKind) -> LinkView:
        found: LinkView = getattr(self, kind)
        return found


class UserAccessView(BaseModel):
    model_config = ConfigDict(frozen=True)

    enabled: bool = False


class AccessView(BaseModel):
    """``access`` as a MeetRoom shows it (``extraFields=access``)."""

    model_config = ConfigDict(frozen=True)

    anonymous: AnonymousView
    user: UserAccessView = Field(default_factory=UserAccessView)


def access_view(access: RoomAccess, urls: dict[LinkKind, str | None]) -> AccessView:
    """Each anonymous link's state and URL (None: not shown to this caller), and user access (off)."""
    links = {kind: LinkView(enabled=access.enabled(kind), url=urls.get(kind)) for kind in LINK_KINDS}
    return AccessView(anonymous=AnonymousView(**links))

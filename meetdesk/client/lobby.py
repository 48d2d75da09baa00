"""Before joining: what a room link leads to, checked without joining anything.

:func:`inspect_link` answers "which room is this, what may I do there, and how does it look" for the
join view, or raises :class:`LinkProblem` with OpenVidu Meet's error-page reason (``invalid-room``,
``invalid-room-secret``, ``closed-room``, ...) and a sentence for the person holding the link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from meetdesk.client.api import MeetDeskClient, RoomLink
from meetdesk.client.errors import (
    ApiError,
    BadRequest,
    CertificateError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    UnknownCertificate,
)
from meetdesk.client.links import NotARoomLink, RecordingsLink, parse_any_link
from meetdesk.core.models import MeetRoomTheme
from meetdesk.core.permissions import DEFAULT_SPEAKER, Permissions

logger = logging.getLogger(__name__)


class ErrorReason(StrEnum):
    """Why a link cannot be joined (OpenVidu Meet's ``ErrorReason``, plus an unreachable server)."""

    INVALID_LINK = "invalid-link"
    MISSING_ROOM_SECRET = "missing-room-secret"  # noqa: S105 - a reason's name, not a secret
    INVALID_ROOM = "invalid-room"
    INVALID_ROOM_SECRET = "invalid-room-secret"  # noqa: S105 - a reason's name, not a secret
    CLOSED_ROOM = "closed-room"
    UNAUTHORIZED = "unauthorized"
    TOO_MANY_ATTEMPTS = "too-many-attempts"
    UNREACHABLE = "unreachable"
    UNTRUSTED_CERTIFICATE = "untrusted-certificate"
    INTERNAL_ERROR = "internal-error"
    #: a recordings link whose secret the server does not take (MeetDesk's own)
    INVALID_RECORDINGS_LINK = "invalid-recordings-link"
    #: a recordings link of a room whose anonymous recording access is off (MeetDesk's own)
    RECORDINGS_NOT_SHARED = "recordings-not-shared"


#: a title per reason; the sentence (LinkProblem.message) says more
TITLES: dict[ErrorReason, str] = {
    ErrorReason.INVALID_LINK: "This is not a room link",
    ErrorReason.MISSING_ROOM_SECRET: "The link is incomplete",
    ErrorReason.INVALID_ROOM: "This room does not exist",
    ErrorReason.INVALID_ROOM_SECRET: "The link's secret is not valid",
    ErrorReason.CLOSED_ROOM: "This room is closed",
    ErrorReason.UNAUTHORIZED: "Sign-in required",
    ErrorReason.TOO_MANY_ATTEMPTS: "Too many attempts",
    ErrorReason.UNREACHABLE: "The server cannot be reached",
    ErrorReason.UNTRUSTED_CERTIFICATE: "The server could not prove who it is",
    ErrorReason.INTERNAL_ERROR: "Something went wrong on the server",
    ErrorReason.INVALID_RECORDINGS_LINK: "This recordings link is not valid",
    ErrorReason.RECORDINGS_NOT_SHARED: "These recordings are not shared",
}


#: reasons a second try of the same link may overcome (the room reopened, the server came back)
RETRYABLE = frozenset(
    {ErrorReason.CLOSED_ROOM, ErrorReason.UNREACHABLE, ErrorReason.INTERNAL_ERROR, ErrorReason.TOO_MANY_ATTEMPTS}
)


class LinkProblem(Exception):
    """Why a link cannot be joined: the reason, a sentence for the person holding it, and what is known of
    the room (``room_name``, when the server said it) and of its ``server`` (host and port)."""

    def __init__(
        self, reason: ErrorReason, message: str, *, room_name: str | None = None, server: str | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.room_name = room_name
        self.server = server

    @property
    def title(self) -> str:
        return TITLES[self.reason]

    @property
    def can_retry(self) -> bool:
        """Whether trying the same link again may work (the room reopened, a server away or failing, a rate
        limit's wait over), rather than only another link (a refused certificate, an unknown room, a bad secret)."""
        return self.reason in RETRYABLE


@dataclass(frozen=True)
class RoomInfo:
    """What the join view shows and the meeting window obeys."""

    link: RoomLink
    room_name: str
    role: str  # "moderator" | "speaker" | "recordings" (a recordings link's room: its recordings, no meeting)
    #: what the link's role may do in the room now (its token's ``openvidu`` permissions, 3.8's keys)
    permissions: Permissions = DEFAULT_SPEAKER
    theme: MeetRoomTheme | None = None
    #: the room's defaults for the microphone and the camera on joining (OpenVidu Meet 3.9)
    initial_audio: bool = True
    initial_video: bool = True

    @property
    def can_chat(self) -> bool:
        """Whether the chat is there for this role (to read; writing may still be withheld)."""
        return self.permissions.canReadChat

    @property
    def can_change_background(self) -> bool:
        return self.permissions.canChangeVirtualBackground

    @property
    def can_see_recordings(self) -> bool:
        return self.permissions.canRetrieveRecordings

    @property
    def is_moderator(self) -> bool:
        return self.role == "moderator"


def parse_link(text: str) -> RoomLink:
    """A room link, or :class:`LinkProblem` saying what is wrong with ``text``."""
    link = parse_any(text)
    if isinstance(link, RecordingsLink):  # `meetdesk join` and the join view: a link that joins nothing
        raise LinkProblem(
            ErrorReason.INVALID_LINK,
            "This is a link to a room's recordings, not to its meeting: open it in MeetDesk to see the recordings.",
        )
    return link


def parse_any(text: str) -> RoomLink | RecordingsLink:
    """A room link or a room's recordings link, or :class:`LinkProblem` saying what is wrong with ``text``."""
    try:
        return parse_any_link(text)
    except NotARoomLink as exc:
        if exc.missing_secret:
            raise LinkProblem(
                ErrorReason.MISSING_ROOM_SECRET,
                "The link has no secret, so it cannot open the room. Copy the whole link, with its ?secret= part.",
            ) from None
        raise LinkProblem(
            ErrorReason.INVALID_LINK,
            "This is not a room link. Copy the whole link again from the invitation: it has /room/ and ?secret= in it.",
        ) from None


@dataclass(frozen=True)
class RecordingsAccess:
    """What a room's recordings link opens: its room's recordings, with a recording token (no meeting)."""

    link: RecordingsLink
    room_name: str
    token: str = field(repr=False)
    theme: MeetRoomTheme | None = None


async def open_recordings_link(link: RecordingsLink, *, timeout: float = 10.0) -> RecordingsAccess:
    """Exchange a recordings link's secret for a recording token (3.4's ``recording-token``). Raises
    :class:`LinkProblem`: a secret the server does not take, a room that no longer shares its recordings by
    link, and whatever keeps a room link from opening (no such room, the server away, its certificate)."""
    invalid = LinkProblem(
        ErrorReason.INVALID_RECORDINGS_LINK,
        "The server does not take this link's secret: the link may be mistyped or cut short, or the "
        "room's recordings link was changed since. Ask whoever sent it for a new link.",
    )
    async with MeetDeskClient(link.base_url, timeout=timeout, pin=link.pin) as api:
        try:
            answer = await api.recordings_link_token(link.room_id, link.secret)
        except BadRequest:
            raise invalid from None
        except Forbidden:
            raise LinkProblem(
                ErrorReason.RECORDINGS_NOT_SHARED,
                "This room's recordings are not shared by link. Ask the room's administrator to share them, "
                "or for a link to the room.",
            ) from None
        except ApiError as exc:
            raise await _problem(exc, link.room_link, None) from None
        if answer.roomName is None:  # a room link's secret under a recordings link's address (edited by hand)
            raise invalid
        theme = await _theme(api)
    return RecordingsAccess(link, answer.roomName or link.room_id, answer.token, theme)


async def _theme(api: MeetDeskClient) -> MeetRoomTheme | None:
    """The server's meeting theme, if it has one on (the page then looks as the room does); none if unreadable."""
    try:
        theme = await api.get_appearance()
    except ApiError as exc:
        logger.info("Recordings link: the server's theme could not be read: %s", exc)
        return None
    return theme if theme is not None and theme.enabled else None


async def inspect_link(text: str, *, timeout: float = 10.0) -> RoomInfo:
    """Check a room link against its server without joining: the room, the role the link grants, its
    permissions and the server's meeting theme. Raises :class:`LinkProblem`."""
    link = parse_link(text)
    try:
        async with MeetDeskClient(link.base_url, timeout=timeout, pin=link.pin) as api:
            try:
                # a token without a name: lets this caller read its room (and browse recordings), not join
                api.credentials.participant_token = await api.participant_token(link.room_id, link.secret)
                role = await api.room_role(link.room_id, link.secret)
                room = await api.get_room(link.room_id)
                theme = await api.get_appearance()
            except ApiError as exc:
                raise await _problem(exc, link, api) from None
    except ApiError as exc:  # closing the client
        raise await _problem(exc, link, None) from None
    return RoomInfo(
        link=link,
        room_name=room.roomName or room.roomId,
        role=role.role.value,
        permissions=role.permissions.openvidu.permissions,
        theme=theme if theme is not None and theme.enabled else None,
        initial_audio=room.config.initialAudioEnabled if room.config is not None else True,
        initial_video=room.config.initialVideoEnabled if room.config is not None else True,
    )


async def _room_name(api: MeetDeskClient | None, link: RoomLink) -> str | None:
    """The room's name, when the link's secret is good enough to ask for it (a closed room, a sign-in wall)."""
    if api is None:
        return None
    try:
        return (await api.room_role(link.room_id, link.secret)).roomName
    except ApiError:
        return None


async def _problem(exc: ApiError, link: RoomLink, api: MeetDeskClient | None) -> LinkProblem:
    server = urlsplit(link.base_url).netloc
    if isinstance(exc, UnknownCertificate):  # a link without its #fp= (cut short?) to a self-made certificate
        return LinkProblem(
            ErrorReason.UNTRUSTED_CERTIFICATE,
            f"No certificate authority vouches for the server at {link.base_url}, and the link carries no "
            "fingerprint to check it against. Ask for the link again and copy all of it (it ends with #fp=…).",
            server=server,
        )
    if isinstance(exc, CertificateError):
        return LinkProblem(ErrorReason.UNTRUSTED_CERTIFICATE, exc.message, server=server)
    if isinstance(exc, ConnectionFailed):
        logger.info("Link check: %s does not answer: %s", server, exc.message)
        return LinkProblem(
            ErrorReason.UNREACHABLE,
            f"The server {server} does not answer. Check that this computer is online, or ask whoever sent the "
            "link whether the server is running, then try again.",
            server=server,
        )
    if isinstance(exc, NotFound):
        return LinkProblem(
            ErrorReason.INVALID_ROOM,
            f"The link leads to a room that {server} does not have: it may have been deleted. "
            "Ask whoever sent it for a new link.",
            server=server,
        )
    if isinstance(exc, BadRequest | Forbidden):
        return LinkProblem(
            ErrorReason.INVALID_ROOM_SECRET,
            "The link's secret does not open this room: the link may be mistyped or out of date. "
            "Ask whoever sent it for a new link.",
            server=server,
        )
    if isinstance(exc, TooManyRequests):  # before asking the room's name: that would be one more attempt
        wait = f"in {exc.retry_after} s" if exc.retry_after else "later"
        return LinkProblem(
            ErrorReason.TOO_MANY_ATTEMPTS,
            f"The server {server} refuses more attempts from this computer for now (too many wrong secrets or "
            f"tokens). Try again {wait}.",
            server=server,
        )
    name = await _room_name(api, link)
    room = f"“{name}”" if name else "This room"
    if isinstance(exc, Conflict):
        return LinkProblem(
            ErrorReason.CLOSED_ROOM,
            f"{room} is closed, or its meeting is locked: nobody new can join now. "
            "Try again once a moderator unlocks it or an administrator reopens the room.",
            room_name=name,
            server=server,
        )
    if isinstance(exc, Unauthorized):
        return LinkProblem(
            ErrorReason.UNAUTHORIZED,
            f"{room} only lets signed-in users join. Sign in to {server} first.",
            room_name=name,
            server=server,
        )
    logger.warning("Link check: %s answered %s", server, exc.message)
    return LinkProblem(
        ErrorReason.INTERNAL_ERROR,
        f"The server {server} could not check the link. Try again in a moment; if it keeps failing, "
        "tell the server's administrator.",
        room_name=name,
        server=server,
    )


def describe(info: RoomInfo) -> dict[str, Any]:
    """A summary for logs and reports (never the secret)."""
    return {
        "room": info.link.room_id,
        "name": info.room_name,
        "role": info.role,
        "permissions": info.permissions.model_dump(),
    }

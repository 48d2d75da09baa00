"""Who is calling, and whether they may: the credentials of a request resolved into a :class:`Caller`.

Credentials, strongest first: ``Authorization: Bearer <access token>`` (an admin), ``X-API-KEY``
(server-to-server), ``X-Participant-Token`` or ``X-Room-Member-Token: Bearer <token>`` (one role in one
room; the same token, named as OpenVidu Meet 3.4 and 3.5+ do). The first valid credential wins; when every
one present is wrong, a 401. A participant token outside its room is a 403; a participant token or an API
key on a route that does not take it is a 401, as in OpenVidu Meet (the route wants another credential).

Each route names the callers it accepts with a :class:`Requirement` dependency (:data:`ADMIN`,
:data:`ADMIN_OR_API_KEY`, ...). :class:`AuthenticateFirst` checks it before the route reads its body or
query, so a stranger gets 401 and learns nothing of the route's input rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from meetdesk.core.access import ALL_LINKS, LinkKind, links_shown
from meetdesk.core.errors import ErrorCode, Forbidden, Unauthorized, room_not_found
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.permissions import PermissionKey, Permissions, Role, refusal
from meetdesk.server.context import ServerContext
from meetdesk.server.ratelimit import RateLimits, SlidingWindow


class CallerKind(StrEnum):
    ADMIN = "admin"
    API_KEY = "api_key"
    PARTICIPANT = "participant"
    #: an enrolled kiosk, by its credential (``identity`` is its kiosk id): only the kiosks' own routes take it
    KIOSK = "kiosk"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    username: str | None = None
    room_id: str | None = None
    role: Role | None = None
    identity: str | None = None
    #: when the access token of an admin expires (epoch seconds): a socket opened with it closes then
    expires_at: float | None = None
    #: a participant's permissions now: its current role's in the room (not what its token says)
    permissions: Permissions | None = None
    #: the room links whose URLs (secrets) this caller may see (``core.access.links_shown``)
    links: frozenset[LinkKind] = ALL_LINKS

    def may(self, key: PermissionKey) -> bool:
        """Whether a participant may do this now (admins and API keys may do everything)."""
        if self.kind is CallerKind.PARTICIPANT:
            return self.permissions is not None and self.permissions.allows(key)
        return self.kind in (CallerKind.ADMIN, CallerKind.API_KEY)

    def require_admin_or_api_key(self) -> None:
        # a participant token is not a credential of these routes: 401, as OpenVidu Meet answers
        if self.kind not in (CallerKind.ADMIN, CallerKind.API_KEY):
            raise Unauthorized("Unauthorized")

    def require_admin(self) -> None:
        if self.kind is not CallerKind.ADMIN:
            raise Unauthorized("Unauthorized")

    def require_room_reader(self, room_id: str) -> None:
        """Admins and API keys read any room; a participant only the room of its token."""
        if self.kind is CallerKind.PARTICIPANT:
            if self.room_id != room_id:
                raise Forbidden("Insufficient permissions to access this resource")
            return
        self.require_admin_or_api_key()


def context(request: HTTPConnection) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


async def resolve_caller(request: HTTPConnection) -> Caller:
    """The caller of a request or a WebSocket handshake (the same headers, the same rules).

    Each credential present is tried, strongest first, and the first valid one is the caller (as
    OpenVidu Meet's ``withAuth`` accepts a request when any of its validators does): a valid participant
    token next to a stale ``Authorization`` header is used. When none is valid, the first one's error.
    """
    first_error: Unauthorized | None = None
    for resolve in (_admin, _api_key, _participant):
        try:
            caller = await resolve(request)
        except Unauthorized as exc:
            first_error = first_error or exc
            continue
        if caller is not None:
            return caller
    if first_error is not None:
        raise first_error
    return Caller(CallerKind.ANONYMOUS)


async def _admin(request: HTTPConnection) -> Caller | None:
    ctx = context(request)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Invalid token")
        claims = ctx.tokens.decode(token.strip(), "access")
        if await ctx.accounts.is_revoked(str(claims.get("jti"))):
            raise Unauthorized("Invalid token")
        user = await ctx.accounts.user(str(claims.get("sub")))
        if user is None or "admin" not in user.roles or not user.issued_token_valid(int(claims.get("iat_ms", 0))):
            raise Unauthorized("Invalid token")
        return Caller(CallerKind.ADMIN, username=user.username, expires_at=float(claims["exp"]))
    return None


async def _api_key(request: HTTPConnection) -> Caller | None:
    api_key = request.headers.get("x-api-key")
    if api_key is None:
        return None
    if await context(request).accounts.is_api_key(api_key):
        return Caller(CallerKind.API_KEY)
    raise Unauthorized("Invalid API key")


async def _participant(request: HTTPConnection) -> Caller | None:
    participant = _participant_token(request)
    if participant is None:
        return None
    ctx = context(request)
    claims = ctx.tokens.participant(participant)
    await ctx.meetings.check_token_not_revoked(claims)  # a kick or a role change voids it
    room = await ctx.rooms.rooms.get(claims.room)
    if room is None:  # the room was deleted: its tokens are void
        raise Unauthorized("Invalid token")
    now = ctx.meetings.effective_role(room.room_id, claims.sub, claims.role)  # a promotion counts at once
    permissions = room.permissions(now)
    return Caller(
        CallerKind.PARTICIPANT,
        room_id=room.room_id,
        role=claims.role,
        identity=claims.sub,
        permissions=permissions,
        links=links_shown(now, permissions),
    )


def _participant_token(request: HTTPConnection) -> str | None:
    """``X-Participant-Token: <token>`` (3.4), else ``X-Room-Member-Token: Bearer <token>`` (3.5+): the same token."""
    token = request.headers.get("x-participant-token")
    if token is not None:
        return token
    member = request.headers.get("x-room-member-token")
    if member is None:
        return None
    scheme, _, token = member.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Invalid token")
    return token.strip()


#: Where :class:`AuthenticateFirst` leaves the caller it resolved, for the route's dependency to pick up.
CALLER_SCOPE_KEY = "meetdesk.caller"


class Requirement:
    """The callers a route accepts, as a FastAPI dependency that gives the route its :class:`Caller`.

    Any other caller is refused with 401, a participant too (its token is not a credential of the route, as
    OpenVidu Meet answers); a participant outside its room or role is a 403, decided by the route.
    :class:`~meetdesk.server.authfirst.AuthenticateFirst` runs this check before the route reads its body or
    query; called again by FastAPI, it hands over the caller found then.
    """

    def __init__(self, name: str, kinds: Iterable[CallerKind], unauthorized: str = "Unauthorized") -> None:
        self.name = name
        self.kinds = frozenset(kinds)
        self.unauthorized = unauthorized

    def __repr__(self) -> str:
        return f"Requirement({self.name})"

    async def check(self, request: HTTPConnection) -> Caller:
        caller = await resolve_caller(request)
        if caller.kind in self.kinds:
            return caller
        raise Unauthorized(self.unauthorized)

    async def __call__(self, request: Request) -> Caller:
        found: Any = request.scope.get(CALLER_SCOPE_KEY)
        if isinstance(found, Caller):
            return found
        return await self.check(request)


#: Anyone, but a credential that is present must be valid.
ANYONE = Requirement("anyone", CallerKind)
ADMIN = Requirement("admin", [CallerKind.ADMIN])
ADMIN_OR_API_KEY = Requirement("admin or API key", [CallerKind.ADMIN, CallerKind.API_KEY])
#: Admins, API keys and participants (whose room the route still has to check).
MEMBER = Requirement("member", [CallerKind.ADMIN, CallerKind.API_KEY, CallerKind.PARTICIPANT])


class PermittedInRoom(Requirement):
    """A participant token of the room named by the path's ``roomId`` whose participant may do ``permission``
    *now* (its current role's permissions in the room: a promotion, a demotion or a change of the room's roles
    counts at once); with no permission named, whose participant is a moderator now. Another room's token or
    one without the permission is a 403 that says which permission is missing."""

    def __init__(self, permission: PermissionKey | None = None) -> None:
        super().__init__(
            permission or "moderator",
            [CallerKind.PARTICIPANT],
            unauthorized="A participant token of the room is required"
            if permission
            else "A moderator's participant token is required",
        )
        self.permission = permission

    async def check(self, request: HTTPConnection) -> Caller:
        caller = await super().check(request)
        raw = str(request.path_params.get("roomId", ""))
        room_id = sanitize_room_id(raw) or raw
        if caller.room_id != room_id and await context(request).rooms.rooms.get(room_id) is None:
            raise room_not_found(room_id)
        if caller.room_id != room_id or caller.role is None:
            raise Forbidden("Insufficient permissions to access this resource")
        if self.permission is not None:
            if not caller.may(self.permission):
                raise Forbidden(refusal(self.permission), code=ErrorCode.PERMISSION_DENIED)
        elif context(request).meetings.effective_role(room_id, caller.identity, caller.role) is not Role.MODERATOR:
            raise Forbidden("Only moderators can do this")
        return caller


MODERATOR = PermittedInRoom()


class Limited:
    """A dependency that counts the request against one of the server's rate limits (``ctx.limits``) for
    the client's address; callers with the API key are not limited."""

    def __init__(self, window: Callable[[RateLimits], SlidingWindow]) -> None:
        self._window = window

    async def __call__(self, request: Request) -> None:
        caller = request.scope.get(CALLER_SCOPE_KEY)
        if isinstance(caller, Caller) and caller.kind is CallerKind.API_KEY:
            return
        limits = context(request).limits
        self._window(limits).hit(limits.address(request))


#: 500 requests a minute per address, for the routes that cost the server the most.
EXPENSIVE = Depends(Limited(lambda limits: limits.expensive))
#: 200 participant tokens a minute per address.
TOKEN_GENERATION = Depends(Limited(lambda limits: limits.tokens))

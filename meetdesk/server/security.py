"""Who is calling, and whether they may: the credentials of a request resolved into a :class:`Caller`.

Credentials, strongest first: ``Authorization: Bearer <access token>`` (an admin), ``X-API-KEY``
(server-to-server), ``X-Participant-Token`` (one role in one room). A credential that is present but
wrong is a 401 at once. A participant token outside its scope is a 403; an API key on an admin-only
route is a 401, as in OpenVidu Meet (the route wants a credential the caller did not bring).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import HTTPConnection

from meetdesk.core.errors import Forbidden, Unauthorized
from meetdesk.core.permissions import Role
from meetdesk.server.context import ServerContext


class CallerKind(StrEnum):
    ADMIN = "admin"
    API_KEY = "api_key"
    PARTICIPANT = "participant"
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

    def require_admin_or_api_key(self) -> None:
        if self.kind in (CallerKind.ADMIN, CallerKind.API_KEY):
            return
        if self.kind is CallerKind.PARTICIPANT:
            raise Forbidden("Insufficient permissions to access this resource")
        raise Unauthorized("Unauthorized")

    def require_admin(self) -> None:
        if self.kind is CallerKind.ADMIN:
            return
        if self.kind is CallerKind.PARTICIPANT:
            raise Forbidden("Insufficient permissions to access this resource")
        raise Unauthorized("Unauthorized")

    def require_room_reader(self, room_id: str) -> None:
        """Admins and API keys read any room; a participant only the room of its token."""
        if self.kind is CallerKind.PARTICIPANT:
            if self.room_id != room_id:
                raise Forbidden("Insufficient permissions to access this resource")
            return
        self.require_admin_or_api_key()

    @property
    def sees_moderator_url(self) -> bool:
        return self.kind is not CallerKind.PARTICIPANT or self.role is Role.MODERATOR


def context(request: HTTPConnection) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


async def resolve_caller(request: HTTPConnection) -> Caller:
    """The caller of a request or a WebSocket handshake (the same headers, the same rules)."""
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
    api_key = request.headers.get("x-api-key")
    if api_key is not None:
        for record in await ctx.accounts.api_keys():
            if hmac.compare_digest(record.api_key.encode(), api_key.encode()):
                return Caller(CallerKind.API_KEY)
        raise Unauthorized("Invalid API key")
    participant = request.headers.get("x-participant-token")
    if participant is not None:
        claims = ctx.tokens.decode(participant, "participant")
        try:
            role = Role(str(claims.get("role")))
        except ValueError as exc:
            raise Unauthorized("Invalid token") from exc
        return Caller(CallerKind.PARTICIPANT, room_id=str(claims.get("room")), role=role, identity=claims.get("sub"))
    return Caller(CallerKind.ANONYMOUS)

"""Who is calling a recordings route, and whether they may do what they ask (rules in core/recording_access).

Besides the credentials every route knows (access token, API key, participant / room member token), the
recordings routes take OpenVidu Meet 3.4's recording token (``X-Recording-Token``: a participant token
without a name, issued by ``POST /internal-api/v1/rooms/{roomId}/recording-token``; for the room's recording
link's secret, a token of its own kind that lists, plays and downloads the room's recordings while its anonymous
recording access is on and its recording secret unchanged, and does nothing else), and the routes that
play a recording take its share secret (``?secret=`` as 3.4-3.7 name it, ``?recordingSecret=`` as 3.8+
do). A wrong secret is a 400; a private secret without a signed-in admin a 401. Like every requirement,
this runs before the route reads anything of the request's body (:class:`AuthenticateFirst`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from meetdesk.core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from meetdesk.core.recording_access import Holder, MemberPermissions, RecordingAction, Verdict, decide
from meetdesk.server.context import ServerContext
from meetdesk.server.recordings.links import RecordingLinks, SecretKind
from meetdesk.server.security import Caller, CallerKind, Requirement, context, resolve_caller
from meetdesk.server.store.rooms import RoomRecord

RECORDING_TOKEN_HEADER = "x-recording-token"  # noqa: S105 - a header name
#: the ``typ`` of a recording link's token (never a participant token: it joins and reads nothing else)
RECORDING_LINK_TYP = "recording_link"
SECRET_PARAMS = ("recordingSecret", "secret")


@dataclass(frozen=True)
class SecretCaller(Caller):
    """Someone holding a recording's public share secret, and nothing else."""

    recording_id: str | None = None


@dataclass(frozen=True)
class RecordingLinkCaller(Caller):
    """The holder of a room's recording link (``access.anonymous.recording.url``), by its recording token."""


def recording_link_matches(room: RoomRecord, secret: str) -> bool:
    """Whether ``secret`` is the room's recording link's (in constant time)."""
    return bool(room.recording_secret) and hmac.compare_digest(secret.encode(), room.recording_secret.encode())


def recording_link_key(room: RoomRecord) -> str:
    """What a recording link's token carries of the secret it was given for: a new secret voids the token."""
    return hashlib.sha256(room.recording_secret.encode()).hexdigest()[:32]


def recording_not_found(recording_id: str) -> NotFound:
    return NotFound(f"Recording '{recording_id}' not found", error="Recording Error")


def links(ctx: ServerContext) -> RecordingLinks:
    found = ctx.recording_links
    assert found is not None, "the server context opens the recording links"
    return found


def secret_of(request: HTTPConnection) -> str | None:
    for name in SECRET_PARAMS:
        value = request.query_params.get(name)
        if value is not None:
            return value
    return None


async def _recording_token_caller(request: HTTPConnection, token: str) -> Caller:
    """The caller of a 3.4 recording token: a participant token by another header (checked the same way)."""
    ctx = context(request)
    try:
        claims = ctx.tokens.participant(token.strip())
    except Unauthorized:
        return await _recording_link_caller(ctx, token.strip())
    await ctx.meetings.check_token_not_revoked(claims)
    room = await ctx.rooms.rooms.get(claims.room)
    if room is None:
        raise Unauthorized("Invalid token")
    return Caller(
        CallerKind.PARTICIPANT,
        room_id=room.room_id,
        role=claims.role,
        identity=claims.sub,
        permissions=room.permissions(claims.role),
    )


async def _recording_link_caller(ctx: ServerContext, token: str) -> Caller:
    claims = ctx.tokens.decode(token, RECORDING_LINK_TYP)
    room = await ctx.rooms.rooms.get(str(claims.get("room", "")))
    if room is None or not hmac.compare_digest(str(claims.get("key", "")), recording_link_key(room)):
        raise Unauthorized("Invalid token")  # the room is gone, or its recording link has a new secret
    return RecordingLinkCaller(CallerKind.PARTICIPANT, room_id=room.room_id, links=frozenset())


class RecordingsCaller(Requirement):
    """Admins, the API key and room members (with a recording token too); with ``secrets``, also the holder
    of the share secret of the recording named by the path's ``recordingId``."""

    def __init__(self, name: str, *, secrets: bool) -> None:
        super().__init__(name, [CallerKind.ADMIN, CallerKind.API_KEY, CallerKind.PARTICIPANT])
        self.secrets = secrets

    async def check(self, request: HTTPConnection) -> Caller:
        secret = secret_of(request) if self.secrets else None
        if secret is not None:
            return await self._secret_holder(request, secret)
        caller = await resolve_caller(request)
        token = request.headers.get(RECORDING_TOKEN_HEADER)
        if caller.kind is CallerKind.ANONYMOUS and token is not None:
            caller = await _recording_token_caller(request, token)
        if caller.kind in self.kinds:
            return caller
        raise Unauthorized("Unauthorized")

    async def _secret_holder(self, request: HTTPConnection, secret: str) -> Caller:
        recording_id = str(request.path_params.get("recordingId", "")).strip()
        kind = links(context(request)).kind_of(recording_id, secret)
        if kind is None:
            raise BadRequest(f"The secret is not recognized for recording '{recording_id}'", error="Recording Error")
        if kind is SecretKind.PRIVATE:
            caller = await resolve_caller(request)
            if caller.kind is not CallerKind.ADMIN:
                raise Unauthorized("This recording link is private: sign in as an administrator to open it")
            return caller
        return SecretCaller(CallerKind.ANONYMOUS, recording_id=recording_id)


#: the recordings routes that only ever read, list, delete or record with credentials
RECORDINGS = RecordingsCaller("recordings", secrets=False)
#: the routes that play one recording: credentials, or the recording's share secret
RECORDING_PLAYERS = RecordingsCaller("recording players", secrets=True)


def anonymous_recording_access(room: RoomRecord | None) -> bool:
    """Whether the room's public recording links work for anyone: while its anonymous recording access (3.8's
    ``access.anonymous.recording.enabled``) is on."""
    return room is not None and room.access.enabled("recording")


async def member_permissions(ctx: ServerContext, caller: Caller) -> MemberPermissions:
    """A member's recording permissions now: its room's current config and its current role (a promotion
    or a config change counts at once, whatever its token said)."""
    if isinstance(caller, RecordingLinkCaller):  # lists, plays and downloads while the room shares them by link
        shared = anonymous_recording_access(await ctx.rooms.rooms.get(caller.room_id or ""))
        return MemberPermissions(can_retrieve=shared)
    if caller.kind is not CallerKind.PARTICIPANT or caller.room_id is None or caller.role is None:
        return MemberPermissions()
    room = await ctx.rooms.rooms.get(caller.room_id)
    if room is None:
        return MemberPermissions()
    role = ctx.meetings.effective_role(caller.room_id, caller.identity, caller.role)
    granted = room.permissions(role)
    return MemberPermissions(
        can_record=granted.canRecord,
        can_retrieve=granted.canRetrieveRecordings,
        can_delete=granted.canDeleteRecordings,
    )


def holder_of(caller: Caller) -> Holder:
    if isinstance(caller, SecretCaller):
        return Holder.PUBLIC_SECRET
    return {
        CallerKind.ADMIN: Holder.ADMIN,
        CallerKind.API_KEY: Holder.API_KEY,
        CallerKind.PARTICIPANT: Holder.MEMBER,
    }.get(caller.kind, Holder.NOBODY)


async def verdict(
    ctx: ServerContext, caller: Caller, action: RecordingAction, room_id: str, recording_id: str | None = None
) -> Verdict:
    """What the rules say of ``caller`` doing ``action`` to the recordings of ``room_id`` (or one of them)."""
    holder = holder_of(caller)
    if isinstance(caller, SecretCaller):
        if caller.recording_id != recording_id:
            return Verdict.UNAUTHORIZED  # a secret opens its own recording only
        room = await ctx.rooms.rooms.get(room_id)
        return decide(holder, action, anonymous_access=anonymous_recording_access(room))
    same_room = caller.room_id == room_id
    perms = await member_permissions(ctx, caller) if holder is Holder.MEMBER and same_room else MemberPermissions()
    return decide(holder, action, same_room=same_room, permissions=perms)


async def require(
    ctx: ServerContext, caller: Caller, action: RecordingAction, room_id: str, recording_id: str | None = None
) -> None:
    """Raise the error the rules give (a recording of another room is answered as one that does not exist)."""
    found = await verdict(ctx, caller, action, room_id, recording_id)
    if found is Verdict.ALLOW:
        return
    if found is Verdict.NOT_FOUND:
        raise (
            recording_not_found(recording_id)
            if recording_id
            else Forbidden("Insufficient permissions to access this resource")
        )
    if found is Verdict.UNAUTHORIZED:
        raise Unauthorized("Unauthorized")
    if isinstance(caller, SecretCaller):
        raise Forbidden(f"Anonymous access in room '{room_id}' is disabled for recordings")
    raise Forbidden("Insufficient permissions to access this resource")

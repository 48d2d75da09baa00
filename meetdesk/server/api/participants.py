"""``/internal-api/v1``: participant tokens and the roles a room link grants."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from meetdesk.core.claims import TokenGrants, participant_claims
from meetdesk.core.errors import BadRequest, Conflict, ErrorCode, Forbidden, Unauthorized
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.models import MemberTokenRequest, ParticipantTokenRequest, RoomStatus
from meetdesk.core.permissions import Role, refusal
from meetdesk.server.auth import PARTICIPANT_TTL_S
from meetdesk.server.security import ANYONE, TOKEN_GENERATION, Caller, CallerKind, context
from meetdesk.server.store.rooms import RoomRecord

router = APIRouter(prefix="/internal-api/v1", tags=["Participants"])
CallerDep = Annotated[Caller, Depends(ANYONE)]


def _guarded_role(request: Request, caller: Caller | None, room: RoomRecord, secret: str) -> Role:
    """The role a secret grants, with wrong guesses limited per address and room (429 once over the limit,
    even for the right secret: the answer must not tell a guess apart). API-key callers are not limited."""
    if caller is not None and caller.kind is CallerKind.API_KEY:
        return role_for_secret(room, secret)
    limits = context(request).limits
    key = f"{limits.address(request)} {room.room_id}"
    attempt = limits.secrets.hit(key)
    role = role_for_secret(room, secret)
    limits.secrets.forgive(key, attempt)  # only wrong secrets count
    return role


def role_for_secret(room: RoomRecord, secret: str) -> Role:
    if hmac.compare_digest(secret.encode(), room.moderator_secret.encode()):
        return Role.MODERATOR
    if hmac.compare_digest(secret.encode(), room.speaker_secret.encode()):
        return Role.SPEAKER
    raise BadRequest(f"The secret is not recognized for room '{room.room_id}'", error="Room Error")


def check_link_enabled(room: RoomRecord, role: Role) -> None:
    """A link the room's admin turned off (``PUT /rooms/{id}/access``) lets nobody in: 403."""
    if not room.access.enabled(role.value):
        raise Forbidden(
            f"Anonymous access to room '{room.room_id}' as a {role.value} is disabled",
            error="Room Error",
            code=ErrorCode.LINK_DISABLED,
        )


@router.post(
    "/participants/token",
    dependencies=[TOKEN_GENERATION],
    summary="Exchange a room link's secret for a participant token",
)
async def participant_token(request: Request, caller: CallerDep, body: ParticipantTokenRequest) -> JSONResponse:
    return await _issue_token(request, caller, body.roomId, body)


@router.post(
    "/rooms/{roomId}/members/token",
    dependencies=[TOKEN_GENERATION],
    summary="Exchange a room link's secret for a room member token (OpenVidu Meet 3.5+ path)",
)
async def room_member_token(request: Request, caller: CallerDep, roomId: str, body: MemberTokenRequest) -> JSONResponse:
    """The same token as ``/participants/token``, sent back as ``X-Room-Member-Token: Bearer <token>``
    or as ``X-Participant-Token``."""
    return await _issue_token(request, caller, roomId, body)


async def _issue_token(request: Request, caller: Caller, room_id: str, body: MemberTokenRequest) -> JSONResponse:
    ctx = context(request)
    room = await ctx.rooms.get(sanitize_room_id(room_id) or room_id)
    role = _guarded_role(request, caller, room, body.secret)
    if room.status is RoomStatus.CLOSED:
        raise Conflict(f"Room '{room.room_id}' is closed and cannot be joined", error="Room Error")
    mode = (await ctx.accounts.config("security") or {}).get("authentication", {}).get("authModeToAccessRoom", "none")
    if caller.kind is not CallerKind.ADMIN and (
        mode == "all_users" or (mode == "moderators_only" and role is Role.MODERATOR)
    ):
        raise Unauthorized(f"Log in to join room '{room.room_id}' as a {role.value}")
    check_link_enabled(room, role)
    granted = room.permissions(role)
    joining = body.participantName is not None  # no name: a token to browse the room's recordings, not to join
    if joining and not granted.canJoinMeeting:
        raise Forbidden(refusal("canJoinMeeting"), error="Room Error", code=ErrorCode.PERMISSION_DENIED)
    name = ctx.rooms.names.reserve(room.room_id, body.participantName) if body.participantName is not None else None
    identity = "p-" + secrets.token_urlsafe(9) if joining else None
    claims = participant_claims(room.room_id, role, TokenGrants.of(granted, join=joining), name)
    token, _ = ctx.tokens.issue("participant", identity, PARTICIPANT_TTL_S, **claims)
    return JSONResponse({"token": token})


@router.get("/rooms/{roomId}/roles", summary="The roles of a room and their permissions")
async def room_roles(request: Request, roomId: str) -> JSONResponse:
    room = await context(request).rooms.get(sanitize_room_id(roomId) or roomId)
    return JSONResponse([{"role": role.value, "permissions": _grants(room, role)} for role in Role])


@router.get("/rooms/{roomId}/roles/{secret}", summary="The role a room link's secret grants")
async def room_role(request: Request, roomId: str, secret: str) -> JSONResponse:
    room = await context(request).rooms.get(sanitize_room_id(roomId) or roomId)
    role = _guarded_role(request, None, room, secret)
    check_link_enabled(room, role)
    # the link's holder may know which room it opens, closed or not (the error page names it)
    return JSONResponse({"role": role.value, "permissions": _grants(room, role), "roomName": room.room_name})


def _grants(room: RoomRecord, role: Role) -> dict[str, object]:
    """A role's permissions in the room, in the token's shape (``{livekit, openvidu}``)."""
    return TokenGrants.of(room.permissions(role), join=True).model_dump()

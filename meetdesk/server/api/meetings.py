"""``/internal-api/v1/meetings``: moderator actions on a live meeting (end, kick, change a role, mute, lock).

Only a participant token of the room may call these, whose role *now* (a demotion takes effect at once)
may do it in this room: ending needs ``canEndMeeting``, kicking ``canKickParticipants``, changing a role
``canMakeModerator`` (the room's roles decide, see ``core/permissions.py``); muting and locking need the
moderator role. An API key or an admin token is a 401, a participant without the permission or another
room's a 403, as in OpenVidu Meet. A token issued before its participant was kicked or given another role is
a 401 (``security.resolve_caller``). Every route takes :data:`CallerDep`, which checks all this before
the request's body is read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.permissions import Role
from meetdesk.server.meeting import moderation
from meetdesk.server.security import MODERATOR, Caller, PermittedInRoom, context

router = APIRouter(prefix="/internal-api/v1/meetings", tags=["Meetings"])


class RoleUpdate(BaseModel):
    model_config = ConfigDict(strict=True)
    role: Literal["moderator", "speaker"]


class LockUpdate(BaseModel):
    model_config = ConfigDict(strict=True)
    locked: bool


def _room_id(raw_room_id: str) -> str:
    return sanitize_room_id(raw_room_id) or raw_room_id


CallerDep = Annotated[Caller, Depends(MODERATOR)]
#: the actions with a permission of their own (OpenVidu Meet 3.8's roles); muting and locking stay the moderators'
Ender = Annotated[Caller, Depends(PermittedInRoom("canEndMeeting"))]
Kicker = Annotated[Caller, Depends(PermittedInRoom("canKickParticipants"))]
RoleMaker = Annotated[Caller, Depends(PermittedInRoom("canMakeModerator"))]


@router.delete("/{roomId}", summary="End the room's meeting for everyone (200 even when none runs)")
async def end_meeting(request: Request, caller: Ender, roomId: str) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    await ctx.rooms.get(room_id)
    await ctx.meetings.end(room_id, "meeting_ended", by=caller.identity)
    return JSONResponse({"message": f"Meeting in room '{room_id}' ended"})


@router.delete("/{roomId}/participants/{identity}", summary="Remove a participant from the meeting")
async def kick_participant(request: Request, caller: Kicker, roomId: str, identity: str) -> JSONResponse:
    room_id = _room_id(roomId)
    await context(request).meetings.kick(room_id, identity)
    return JSONResponse({"message": f"Participant '{identity}' removed from room '{room_id}'"})


@router.put("/{roomId}/participants/{identity}/role", summary="Promote or demote a participant")
async def change_role(
    request: Request, caller: RoleMaker, roomId: str, identity: str, body: RoleUpdate
) -> JSONResponse:
    room_id = _room_id(roomId)
    participant = await context(request).meetings.set_role(room_id, identity, Role(body.role))
    return JSONResponse(
        {"message": f"Participant '{identity}' is now {body.role}", "participant": participant.info().model_dump()}
    )


def _moderator(request: Request, caller: Caller, room_id: str) -> moderation.Moderator:
    assert caller.identity is not None  # a participant token that may moderate has an identity
    return moderation.Moderator.of(context(request).meetings, room_id, caller.identity)


@router.post(
    "/{roomId}/participants/{identity}/mute",
    summary="Mute a participant: their microphone is no longer forwarded until they unmute",
)
async def mute_participant(request: Request, caller: CallerDep, roomId: str, identity: str) -> JSONResponse:
    room_id = _room_id(roomId)
    participant = moderation.mute(context(request).meetings, room_id, identity, _moderator(request, caller, room_id))
    return JSONResponse({"message": f"Participant '{identity}' muted", "participant": participant.info().model_dump()})


@router.post("/{roomId}/mute", summary="Mute everyone in the meeting but the caller")
async def mute_everyone(request: Request, caller: CallerDep, roomId: str) -> JSONResponse:
    room_id = _room_id(roomId)
    muted = moderation.mute_everyone(context(request).meetings, room_id, _moderator(request, caller, room_id))
    return JSONResponse(
        {"message": f"{len(muted)} participant(s) muted", "muted": [participant.identity for participant in muted]}
    )


@router.put("/{roomId}/lock", summary="Lock the meeting (the room is closed to new participants) or unlock it")
async def lock_meeting(request: Request, caller: CallerDep, roomId: str, body: LockUpdate) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    await moderation.lock(ctx.meetings, ctx.rooms, room_id, body.locked, _moderator(request, caller, room_id))
    state = "locked" if body.locked else "unlocked"
    return JSONResponse({"message": f"Meeting in room '{room_id}' {state}", "locked": body.locked})

"""``/internal-api/v1/meetings``: moderator actions on a live meeting (end, kick, change a role).

Only a participant token of the room, with the moderator role *now* (a demotion takes effect at
once), may call these: an API key or an admin token is a 401, a speaker or another room's moderator
a 403, as in OpenVidu Meet.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from meetdesk.core.errors import Forbidden, Unauthorized
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.permissions import Role
from meetdesk.server.security import Caller, CallerKind, context, resolve_caller

router = APIRouter(prefix="/internal-api/v1/meetings", tags=["Meetings"])
CallerDep = Annotated[Caller, Depends(resolve_caller)]


class RoleUpdate(BaseModel):
    model_config = ConfigDict(strict=True)
    role: Literal["moderator", "speaker"]


def _moderator_of(request: Request, caller: Caller, raw_room_id: str) -> str:
    room_id = sanitize_room_id(raw_room_id) or raw_room_id
    if caller.kind is not CallerKind.PARTICIPANT or caller.role is None:
        raise Unauthorized("A moderator's participant token is required")
    if caller.room_id != room_id:
        raise Forbidden("Insufficient permissions to access this resource")
    engine = context(request).meetings
    if engine.effective_role(room_id, caller.identity, caller.role) is not Role.MODERATOR:
        raise Forbidden("Only moderators can do this")
    return room_id


@router.delete("/{roomId}", summary="End the room's meeting for everyone (200 even when none runs)")
async def end_meeting(request: Request, caller: CallerDep, roomId: str) -> JSONResponse:
    room_id = _moderator_of(request, caller, roomId)
    ctx = context(request)
    await ctx.rooms.get(room_id)
    await ctx.meetings.end(room_id, "meeting_ended", by=caller.identity)
    return JSONResponse({"message": f"Meeting in room '{room_id}' ended"})


@router.delete("/{roomId}/participants/{identity}", summary="Remove a participant from the meeting")
async def kick_participant(request: Request, caller: CallerDep, roomId: str, identity: str) -> JSONResponse:
    room_id = _moderator_of(request, caller, roomId)
    await context(request).meetings.kick(room_id, identity)
    return JSONResponse({"message": f"Participant '{identity}' removed from room '{room_id}'"})


@router.put("/{roomId}/participants/{identity}/role", summary="Promote or demote a participant")
async def change_role(
    request: Request, caller: CallerDep, roomId: str, identity: str, body: RoleUpdate
) -> JSONResponse:
    room_id = _moderator_of(request, caller, roomId)
    participant = await context(request).meetings.set_role(room_id, identity, Role(body.role))
    return JSONResponse(
        {"message": f"Participant '{identity}' is now {body.role}", "participant": participant.info().model_dump()}
    )

"""``/api/v1/meetings``: OpenVidu Meet 3.9's public meetings API — the live meeting of a room, its
participants, ending it, removing a participant and promoting or demoting one.

Callers: the API key, or a room member token of that room. Reading needs a member of the room; acting needs
one whose participant may do it *now* (a moderator: ``canEndMeeting``, ``canKickParticipants``,
``canMakeModerator``). An admin's access token is not a credential here (401), as in upstream's spec.
Statuses and bodies are upstream's: 404 ``Meeting Error`` when the room has no meeting, ``Participant Error``
for an unknown participant, 409 for a promotion or demotion that does not apply.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from meetdesk.core.errors import Conflict, ErrorCode, Forbidden, NotFound, room_not_found
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.meetings import MeetMeetingInfo, ParticipantRoleAction
from meetdesk.core.permissions import PermissionKey, Role, refusal
from meetdesk.server.meeting.engine import LiveMeeting, Participant
from meetdesk.server.security import Caller, CallerKind, Requirement, context

router = APIRouter(prefix="/api/v1/meetings", tags=["Meetings"])


def _room_id(raw_room_id: str) -> str:
    return sanitize_room_id(raw_room_id) or raw_room_id


class MeetingCaller(Requirement):
    """The API key, or a participant token of the path's room; with a ``permission``, one whose role may do it
    now (its current role's permissions in the room, as OpenVidu Meet 3.8's roles say)."""

    def __init__(self, permission: PermissionKey | None = None) -> None:
        super().__init__("API key or room member", [CallerKind.API_KEY, CallerKind.PARTICIPANT])
        self.permission = permission

    async def check(self, request: HTTPConnection) -> Caller:
        caller = await super().check(request)
        if caller.kind is CallerKind.API_KEY:
            return caller
        room_id = _room_id(str(request.path_params.get("roomId", "")))
        if caller.room_id != room_id or caller.role is None:
            raise Forbidden("Insufficient permissions to access this resource")
        if self.permission is not None and not caller.may(self.permission):
            raise Forbidden(refusal(self.permission), code=ErrorCode.PERMISSION_DENIED)
        return caller


Reader = Annotated[Caller, Depends(MeetingCaller())]
Ender = Annotated[Caller, Depends(MeetingCaller("canEndMeeting"))]
Kicker = Annotated[Caller, Depends(MeetingCaller("canKickParticipants"))]
RoleMaker = Annotated[Caller, Depends(MeetingCaller("canMakeModerator"))]


async def _meeting(request: Request, room_id: str) -> LiveMeeting:
    ctx = context(request)
    if await ctx.rooms.rooms.get(room_id) is None:
        raise room_not_found(room_id)
    meeting = ctx.meetings.live(room_id)
    if meeting is None:
        raise NotFound(f"Room '{room_id}' has no active meeting", error="Meeting Error")
    return meeting


async def _participant(request: Request, room_id: str, identity: str) -> Participant:
    meeting = await _meeting(request, room_id)
    participant = meeting.participants.get(identity)
    if participant is None:
        raise NotFound(f'Participant "{identity}" not found in room "{room_id}"', error="Participant Error")
    return participant


@router.get("/{roomId}", summary="The live meeting of a room", response_model=MeetMeetingInfo)
async def get_meeting(request: Request, _caller: Reader, roomId: str) -> JSONResponse:
    room_id = _room_id(roomId)
    meeting = await _meeting(request, room_id)
    ctx = context(request)
    room = await ctx.rooms.rooms.get(room_id)
    recordings = ctx.recordings
    recording = await recordings.store.in_progress(room_id) if recordings is not None else None
    info = MeetMeetingInfo(
        roomId=room_id,
        roomName=room.room_name if room is not None else room_id,
        startDate=round(meeting.started_at * 1000),
        participantCount=meeting.people,
        recordingActive=recording is not None,
    )
    return JSONResponse(info.model_dump())


@router.delete("/{roomId}", summary="End the room's meeting for everyone (200 when none runs: idempotent)")
async def end_meeting(request: Request, _caller: Ender, roomId: str) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    if await ctx.rooms.rooms.get(room_id) is None:
        raise room_not_found(room_id)
    await ctx.meetings.end(room_id, "meeting_ended", by=_caller.identity)
    return JSONResponse({"message": f"Meeting in room '{room_id}' ended successfully"})


@router.get("/{roomId}/participants", summary="The participants in the room's meeting")
async def list_participants(request: Request, _caller: Reader, roomId: str) -> JSONResponse:
    meeting = await _meeting(request, _room_id(roomId))
    return JSONResponse({"participants": [p.public_info().model_dump() for p in meeting.participants.values()]})


@router.get("/{roomId}/participants/{participantIdentity}", summary="One participant of the room's meeting")
async def get_participant(request: Request, _caller: Reader, roomId: str, participantIdentity: str) -> JSONResponse:
    participant = await _participant(request, _room_id(roomId), participantIdentity)
    return JSONResponse(participant.public_info().model_dump())


@router.delete("/{roomId}/participants/{participantIdentity}", summary="Remove a participant from the meeting")
async def kick_participant(request: Request, _caller: Kicker, roomId: str, participantIdentity: str) -> JSONResponse:
    room_id = _room_id(roomId)
    participant = await _participant(request, room_id, participantIdentity)
    await context(request).meetings.kick(room_id, participant.identity)
    return JSONResponse(
        {"message": f"Participant '{participant.name}' kicked successfully from meeting in room '{room_id}'"}
    )


@router.put(
    "/{roomId}/participants/{participantIdentity}/role",
    summary="Promote a participant to moderator (upgrade) or undo a promotion (downgrade)",
)
async def change_role(
    request: Request, _caller: RoleMaker, roomId: str, participantIdentity: str, body: ParticipantRoleAction
) -> JSONResponse:
    room_id = _room_id(roomId)
    participant = await _participant(request, room_id, participantIdentity)
    who = f'Participant "{participantIdentity}" in room "{room_id}"'
    if body.action == "upgrade":
        if participant.role is Role.MODERATOR:
            raise Conflict(
                f"{who} cannot be promoted to moderator because they are not eligible for promotion",
                error="Participant Error",
            )
        role = Role.MODERATOR
    else:
        if participant.role is not Role.MODERATOR or participant.link_role is Role.MODERATOR:
            raise Conflict(
                f"{who} cannot be demoted because they are not a promoted moderator", error="Participant Error"
            )
        role = participant.link_role or Role.SPEAKER
    await context(request).meetings.set_role(room_id, participant.identity, role)
    applied = f'Moderation action "{body.action}" applied to participant "{participantIdentity}" in room "{room_id}"'
    return JSONResponse({"message": applied})

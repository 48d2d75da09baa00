"""``/api/v1/rooms``: OpenVidu Meet's public rooms API."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import pydantic
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from meetdesk.core.access import AccessUpdate
from meetdesk.core.errors import BadRequest, ValidationFailed
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.models import (
    RoomConfigUpdate,
    RoomOptions,
    RoomStatus,
    RoomStatusUpdate,
    RoomUpdate,
    WithMeeting,
    WithRecordings,
)
from meetdesk.core.namematch import MatchMode, NameMatch, PatternError
from meetdesk.core.permissions import RolesUpdate
from meetdesk.server.api.fields import Projection
from meetdesk.server.meeting import moderation
from meetdesk.server.paging import parse_max_items
from meetdesk.server.rooms.service import DeletionOutcome
from meetdesk.server.security import ADMIN_OR_API_KEY, EXPENSIVE, MEMBER, Caller, context

router = APIRouter(prefix="/api/v1", tags=["Rooms"])
Manager = Annotated[Caller, Depends(ADMIN_OR_API_KEY)]
Reader = Annotated[Caller, Depends(MEMBER)]


def _room_id(raw: str) -> str:
    room_id = sanitize_room_id(raw)
    if not room_id:
        raise ValidationFailed.one("roomId", "roomId cannot be empty after sanitization")
    return room_id


@router.post("/rooms", status_code=201, summary="Create a room")
async def create_room(
    request: Request, _caller: Manager, view: Projection, options: Annotated[RoomOptions | None, Body()] = None
) -> JSONResponse:
    ctx = context(request)
    room = await ctx.rooms.create(options or RoomOptions())
    location = f"{ctx.settings.public_base_url}/api/v1/rooms/{room.room_id}"
    return JSONResponse(
        ctx.rooms.to_api(room, view.as_set, extras=view.extras), status_code=201, headers={"Location": location}
    )


@router.get("/rooms", dependencies=[EXPENSIVE], summary="List rooms, a page at a time")
async def list_rooms(
    request: Request,
    _caller: Manager,
    view: Projection,
    maxItems: Annotated[str | None, Query(description="1-100 (larger values are capped)")] = None,
    nextPageToken: Annotated[str | None, Query(max_length=2000)] = None,
    roomName: Annotated[str | None, Query(max_length=200, description="name filter, see roomNameMatchMode")] = None,
    roomNameMatchMode: Annotated[
        MatchMode, Query(description="how roomName matches (3.8); regex: a bounded, backtracking-free subset")
    ] = MatchMode.PARTIAL,
    roomNameCaseInsensitive: bool = True,
    status: RoomStatus | None = None,
    sortField: Literal["creationDate", "roomName", "autoDeletionDate"] = "creationDate",
    sortOrder: Literal["asc", "desc"] = "desc",
) -> JSONResponse:
    ctx = context(request)
    limit = parse_max_items(maxItems)
    name = roomName.strip() if roomName else None
    name_match = None
    if name and (roomNameMatchMode is not MatchMode.PARTIAL or not roomNameCaseInsensitive):
        try:
            name_match = NameMatch.parse(name, roomNameMatchMode, roomNameCaseInsensitive)
        except PatternError as exc:
            raise ValidationFailed.one("roomName", str(exc)) from exc
    found, token = await ctx.rooms.list(
        limit=limit,
        name_contains=name if name_match is None else None,
        name_match=name_match,
        status=status,
        sort_field=sortField,
        sort_order=sortOrder,
        page_token=nextPageToken or None,
    )
    projection = view.as_set
    pagination: dict[str, object] = {"isTruncated": token is not None, "maxItems": limit}
    if token is not None:
        pagination["nextPageToken"] = token
    return JSONResponse(
        {"rooms": [ctx.rooms.to_api(r, projection, extras=view.extras) for r in found], "pagination": pagination}
    )


def _bulk_ids(raw: str) -> list[str]:
    ids: list[str] = []
    for part in raw.split(","):
        room_id = sanitize_room_id(part)
        if room_id and room_id not in ids:
            ids.append(room_id)
    if not ids:
        raise ValidationFailed.one("roomIds", "At least one valid roomId is required after sanitization")
    return ids


@router.delete("/rooms", dependencies=[EXPENSIVE], summary="Delete several rooms")
async def bulk_delete_rooms(
    request: Request,
    _caller: Manager,
    view: Projection,
    roomIds: Annotated[str, Query(max_length=100_000)],
    withMeeting: WithMeeting = WithMeeting.FAIL,
    withRecordings: WithRecordings = WithRecordings.FAIL,
) -> JSONResponse:
    ctx = context(request)
    successful: list[dict[str, object]] = []
    failed: list[dict[str, object]] = []
    for room_id in _bulk_ids(roomIds):
        if await ctx.rooms.rooms.get(room_id) is None:
            failed.append({"roomId": room_id, "error": "Room Error", "message": f"Room '{room_id}' does not exist"})
            continue
        outcome: DeletionOutcome = await ctx.rooms.delete(room_id, withMeeting, withRecordings)
        if outcome.decision.refused:
            failed.append({"roomId": room_id, **outcome.body()})
        else:
            successful.append({"roomId": room_id, **view.body(outcome.body())})
    if failed:
        message = f"{len(failed)} room(s) failed to process while deleting"
        return JSONResponse({"message": message, "successful": successful, "failed": failed}, status_code=400)
    return JSONResponse({"message": "All rooms successfully processed for deletion", "successful": successful})


@router.get("/rooms/{roomId}", summary="Get a room")
async def get_room(request: Request, caller: Reader, roomId: str, view: Projection) -> JSONResponse:
    room_id = _room_id(roomId)
    caller.require_room_reader(room_id)
    ctx = context(request)
    room = await ctx.rooms.get(room_id)
    data = ctx.rooms.to_api(room, view.as_set, extras=view.extras, links=caller.links)
    return JSONResponse(data)


async def _room_update(request: Request) -> RoomUpdate:
    """The body of a PATCH, read only once the caller is known (so that a stranger learns nothing of the
    rules): 400 for JSON that does not parse, 422 with one detail per bad field."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise BadRequest("Malformed body") from exc
    try:
        return RoomUpdate.model_validate(data)
    except pydantic.ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from exc


def _room_update_schema() -> dict[str, object]:
    # AutoDeletionPolicy is in the components already (POST /rooms uses it)
    schema = RoomUpdate.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


_ROOM_UPDATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": _room_update_schema(),
                "example": {"roomName": "Weekly sync", "autoDeletionDate": None},
            }
        },
    }
}


@router.patch(
    "/rooms/{roomId}",
    summary="Rename a room or change its auto-deletion",
    description="Any of roomName, autoDeletionDate (null clears it) and autoDeletionPolicy, checked as at "
    "creation. The room id and its links do not change. 409 while the room has a meeting.",
    openapi_extra=_ROOM_UPDATE_BODY,
)
async def update_room(request: Request, _caller: Manager, roomId: str, view: Projection) -> JSONResponse:
    room_id = _room_id(roomId)
    changes = await _room_update(request)
    ctx = context(request)
    room = await ctx.rooms.update(room_id, changes)
    return JSONResponse(ctx.rooms.to_api(room, view.as_set, extras=view.extras))


@router.delete("/rooms/{roomId}", summary="Delete a room")
async def delete_room(
    request: Request,
    _caller: Manager,
    roomId: str,
    view: Projection,
    withMeeting: WithMeeting = WithMeeting.FAIL,
    withRecordings: WithRecordings = WithRecordings.FAIL,
) -> JSONResponse:
    room_id = _room_id(roomId)
    outcome = await context(request).rooms.delete(room_id, withMeeting, withRecordings)
    return JSONResponse(view.body(outcome.body()), status_code=outcome.decision.status)


@router.get("/rooms/{roomId}/config", summary="Get a room's config")
async def get_room_config(request: Request, caller: Reader, roomId: str) -> JSONResponse:
    room_id = _room_id(roomId)
    caller.require_room_reader(room_id)
    config = await context(request).rooms.config(room_id)
    return JSONResponse(config.model_dump())


@router.put("/rooms/{roomId}/config", summary="Change a room's config (partial config is merged)")
async def update_room_config(
    request: Request, _caller: Manager, roomId: str, body: RoomConfigUpdate, view: Projection
) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    room = await ctx.rooms.update_config(room_id, body.config)
    return JSONResponse(
        {
            "message": f"Room config for '{room_id}' updated successfully",
            "room": ctx.rooms.to_api(room, view.as_set, extras=view.extras),
        }
    )


@router.put("/rooms/{roomId}/status", summary="Open or close a room")
async def update_room_status(
    request: Request, _caller: Manager, roomId: str, body: RoomStatusUpdate, view: Projection
) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    locked = ctx.rooms.is_meeting_locked(room_id)
    status, message, room = await ctx.rooms.set_status(room_id, RoomStatus(body.status))
    if locked and not ctx.rooms.is_meeting_locked(room_id):
        moderation.unlocked_by_administrator(ctx.meetings, room_id)  # reopening the room unlocked its meeting
    return JSONResponse(
        {"message": message, "room": ctx.rooms.to_api(room, view.as_set, extras=view.extras)}, status_code=status
    )


@router.put(
    "/rooms/{roomId}/roles",
    summary="Change what moderators and speakers may do (only the permissions sent change)",
    description="Body {roles: {moderator?: {permissions: {...}}, speaker?: {permissions: {...}}}} with upstream's "
    "permission keys as booleans. Applies at once: participants in the meeting get a token with their new "
    "permissions, and what they may no longer do stops (a screen share, the camera...).",
)
async def update_room_roles(request: Request, _caller: Manager, roomId: str, body: RolesUpdate) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    _before, room = await ctx.rooms.update_roles(room_id, body.roles)
    await ctx.meetings.roles_changed(room)
    return JSONResponse(room.roles.model_dump())


@router.put(
    "/rooms/{roomId}/access",
    summary="Turn the room's anonymous links off or on",
    description="Body {access: {anonymous: {moderator?|speaker?|recording?: {enabled}}}}. A link turned off is "
    "refused (403) when its secret is exchanged for a token; participants already in the meeting stay.",
)
async def update_room_access(request: Request, _caller: Manager, roomId: str, body: AccessUpdate) -> JSONResponse:
    room_id = _room_id(roomId)
    ctx = context(request)
    room = await ctx.rooms.update_access(room_id, body.access)
    return JSONResponse(ctx.rooms.to_api(room, extras=frozenset({"access"}))["access"])

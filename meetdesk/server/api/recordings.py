"""``/api/v1/recordings``: OpenVidu Meet's recordings API (3.4, with the 3.5-3.9 additions the issue names):
start and stop, list, read and delete. The files (media, download, ZIP, share links) are in
``recordings_media``; who may do what in ``recordings_access``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from meetdesk.core.errors import Conflict, Forbidden, MeetDeskError, Unavailable, ValidationFailed, room_not_found
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.namematch import MatchMode, NameMatch, PatternError
from meetdesk.core.recording_access import Holder, RecordingAction
from meetdesk.core.recording_settings import RecordingEncoding, RecordingLayout, check_encoding
from meetdesk.core.recordings import IN_PROGRESS, MeetRecording, RecordingIdError, RecordingStatus, parse_recording_id
from meetdesk.server.api.recordings_access import (
    RECORDING_PLAYERS,
    RECORDINGS,
    holder_of,
    member_permissions,
    recording_not_found,
    require,
)
from meetdesk.server.context import ServerContext
from meetdesk.server.paging import parse_max_items
from meetdesk.server.recordings.service import RecordingError, RecordingErrorCode, RecordingService
from meetdesk.server.recordings.serving import remove_files
from meetdesk.server.security import EXPENSIVE, Caller, CallerKind, Requirement, context
from meetdesk.server.store.recording_catalog import RecordingCatalog, RecordingQuery, SortField, sort_key
from meetdesk.server.store.recordings import RecordingRecord

logger = logging.getLogger(__name__)

router = APIRouter(tags=["Recordings"])
Member = Annotated[Caller, Depends(RECORDINGS)]
Player = Annotated[Caller, Depends(RECORDING_PLAYERS)]
#: 3.4's internal start and stop: a participant token only (the API key and admins are a 401 there, as upstream)
Moderator = Annotated[
    Caller,
    Depends(
        Requirement("recording moderator", [CallerKind.PARTICIPANT], "A moderator's participant token is required")
    ),
]

RECORDING_FIELDS = tuple(MeetRecording.model_fields)

#: the error a refused start or stop is answered with, by the service's code (one this table does not know is
#: a 409)
_REFUSALS: dict[RecordingErrorCode, type[MeetDeskError]] = {
    RecordingErrorCode.RECORDING_DISABLED: Forbidden,
    RecordingErrorCode.NO_PARTICIPANTS: Conflict,
    RecordingErrorCode.ALREADY_RECORDING: Conflict,
    RecordingErrorCode.NOT_ACTIVE: Conflict,
    RecordingErrorCode.NO_CAPACITY: Unavailable,
    RecordingErrorCode.DISK_FULL: Unavailable,
    RecordingErrorCode.NOT_STARTED: Unavailable,
}


def service(ctx: ServerContext) -> RecordingService:
    assert ctx.recordings is not None, "the server context opens the recording service"
    return ctx.recordings


def catalog(ctx: ServerContext) -> RecordingCatalog:
    return RecordingCatalog(ctx.db)


def recording_id_of(raw: str) -> str:
    """A recording id from a path or a list: trimmed, and 422 unless it is ``{roomId}--EG_{…}--{uid}``."""
    value = raw.strip()
    try:
        parse_recording_id(value)
    except RecordingIdError as exc:
        raise ValidationFailed.one("recordingId", str(exc)) from exc
    return value


def room_of(recording_id: str) -> str:
    return parse_recording_id(recording_id).room_id


def api_view(record: RecordingRecord, fields: set[str] | None = None) -> dict[str, Any]:
    """A recording as the API shows it: the fields it has (unknown ones absent), projected on ``fields``."""
    data = record.model().model_dump(mode="json", exclude_none=True)
    if fields is not None:
        data = {key: value for key, value in data.items() if key in fields}
    return data


def _fields(
    fields: Annotated[str | None, Query(max_length=500, description="Comma-separated MeetRecording fields")] = None,
    x_fields: Annotated[str | None, Header(alias="X-Fields", max_length=500)] = None,
) -> set[str] | None:
    raw = fields if fields is not None else x_fields
    names = {part.strip() for part in (raw or "").split(",") if part.strip()} & set(RECORDING_FIELDS)
    return names or None


Fields = Annotated[set[str] | None, Depends(_fields)]


async def readable(ctx: ServerContext, caller: Caller, recording_id: str, action: RecordingAction) -> RecordingRecord:
    """The recording, if ``caller`` may do ``action`` to it; another room's is answered as not found."""
    await require(ctx, caller, action, room_of(recording_id), recording_id)
    record = await service(ctx).store.get(recording_id)
    if record is None:
        raise recording_not_found(recording_id)
    return record


class RecordingOverride(BaseModel):
    """``config`` of a start (3.6): this recording's layout and encoding instead of the room's."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    layout: RecordingLayout | None = None
    encoding: RecordingEncoding | None = None

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, value: Any) -> Any:
        return check_encoding(value)


class RecordingStart(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    roomId: str = Field(min_length=1, max_length=200)
    config: RecordingOverride | None = None


def _refusal(exc: RecordingError, *, room_id: str = "", recording_id: str = "") -> MeetDeskError:
    if exc.code is RecordingErrorCode.ROOM_NOT_FOUND:
        return room_not_found(room_id)
    if exc.code is RecordingErrorCode.NOT_FOUND:
        return recording_not_found(recording_id)
    message = str(exc).rstrip(".")
    if exc.code is RecordingErrorCode.UNSUPPORTED_ENCODING:
        return ValidationFailed.one("config.encoding", message)
    return _REFUSALS.get(exc.code, Conflict)(message, error="Recording Error")


@router.post("/api/v1/recordings", status_code=201, summary="Start recording a room's meeting")
async def start_recording(request: Request, caller: Member, body: RecordingStart, fields: Fields) -> JSONResponse:
    return await _start(request, caller, body, fields)


async def _start(request: Request, caller: Caller, body: RecordingStart, fields: set[str] | None) -> JSONResponse:
    ctx = context(request)
    room_id = sanitize_room_id(body.roomId) or body.roomId
    if caller.kind is CallerKind.PARTICIPANT and caller.room_id != room_id:
        raise Forbidden("Insufficient permissions to access this resource")
    await require(ctx, caller, RecordingAction.CONTROL, room_id)
    override = body.config or RecordingOverride()
    encoding = override.encoding
    try:
        record = await service(ctx).start(
            room_id,
            layout=override.layout,
            encoding=encoding if isinstance(encoding, str) or encoding is None else encoding.model_dump_json(),
        )
    except RecordingError as exc:
        raise _refusal(exc, room_id=room_id) from None
    location = f"{ctx.settings.public_base_url}/api/v1/recordings/{record.recording_id}"
    return JSONResponse(api_view(record, fields), status_code=201, headers={"Location": location})


@router.post("/api/v1/recordings/{recordingId}/stop", status_code=202, summary="Stop a recording")
async def stop_recording(request: Request, caller: Member, recordingId: str, fields: Fields) -> JSONResponse:
    return await _stop(request, caller, recordingId, fields)


async def _stop(request: Request, caller: Caller, recordingId: str, fields: set[str] | None) -> JSONResponse:
    ctx = context(request)
    recording_id = recording_id_of(recordingId)
    record = await readable(ctx, caller, recording_id, RecordingAction.CONTROL)
    if record.status == RecordingStatus.STARTING.value:
        raise Conflict(f"Recording '{recording_id}' cannot be stopped while starting", error="Recording Error")
    if record.status != RecordingStatus.ACTIVE.value:
        raise Conflict(f"Recording '{recording_id}' is already stopped", error="Recording Error")
    try:
        ending = await service(ctx).stop(recording_id)
    except RecordingError as exc:
        raise _refusal(exc, recording_id=recording_id) from None
    # the recording as it is now: complete with its file's duration and size once the recorder has finished
    latest = await service(ctx).store.get(recording_id) or ending
    data = api_view(latest)
    if "duration" not in data and latest.end_date is not None:
        data["duration"] = (latest.end_date - latest.start_date) / 1000  # how long it recorded, until measured
    if fields is not None:
        data = {key: value for key, value in data.items() if key in fields}
    location = f"{ctx.settings.public_base_url}/api/v1/recordings/{recording_id}"
    return JSONResponse(data, status_code=202, headers={"Location": location})


@router.post(
    "/internal-api/v1/recordings",
    status_code=201,
    summary="Start recording (OpenVidu Meet 3.4's route for a moderator's participant token)",
)
async def start_recording_internal(
    request: Request, caller: Moderator, body: RecordingStart, fields: Fields
) -> JSONResponse:
    return await _start(request, caller, body, fields)


@router.post(
    "/internal-api/v1/recordings/{recordingId}/stop",
    status_code=202,
    summary="Stop a recording (OpenVidu Meet 3.4's route for a moderator's participant token)",
)
async def stop_recording_internal(
    request: Request, caller: Moderator, recordingId: str, fields: Fields
) -> JSONResponse:
    return await _stop(request, caller, recordingId, fields)


@router.get("/api/v1/recordings", dependencies=[EXPENSIVE], summary="List recordings, a page at a time")
async def list_recordings(
    request: Request,
    caller: Member,
    fields: Fields,
    roomId: Annotated[str | None, Query(max_length=200, description="ignored with a room member token")] = None,
    roomName: Annotated[str | None, Query(max_length=200)] = None,
    roomNameMatchMode: MatchMode = MatchMode.PARTIAL,
    roomNameCaseInsensitive: bool = True,
    status: RecordingStatus | None = None,
    maxItems: Annotated[str | None, Query(description="1-100 (larger values are capped)")] = None,
    nextPageToken: Annotated[str | None, Query(max_length=2000)] = None,
    sortField: SortField = "startDate",
    sortOrder: Literal["asc", "desc"] = "desc",
) -> JSONResponse:
    ctx = context(request)
    limit = parse_max_items(maxItems)
    room_id = sanitize_room_id(roomId) or roomId if roomId else None
    if holder_of(caller) is Holder.MEMBER:
        room_id = caller.room_id  # a member sees its own room's recordings, whatever it asks for
        if not (await member_permissions(ctx, caller)).can_retrieve:
            raise Forbidden("Insufficient permissions to access this resource")
    name_match = None
    if roomName and roomName.strip():
        try:
            name_match = NameMatch.parse(roomName.strip(), roomNameMatchMode, roomNameCaseInsensitive)
        except PatternError as exc:
            raise ValidationFailed.one("roomName", str(exc)) from exc
    tokens = ctx.recording_page_tokens
    assert tokens is not None
    after = tokens.decode(nextPageToken, sortField, sortOrder) if nextPageToken else None
    found, more = await catalog(ctx).list(
        RecordingQuery(limit, room_id, name_match, status, sortField, sortOrder, after)
    )
    pagination: dict[str, object] = {"isTruncated": more, "maxItems": limit}
    if more and found:
        last = found[-1]
        pagination["nextPageToken"] = tokens.encode(sortField, sortOrder, sort_key(last, sortField), last.recording_id)
    return JSONResponse({"recordings": [api_view(r, fields) for r in found], "pagination": pagination})


@router.get("/api/v1/recordings/{recordingId}", summary="Get a recording")
async def get_recording(request: Request, caller: Player, recordingId: str, fields: Fields) -> JSONResponse:
    ctx = context(request)
    record = await readable(ctx, caller, recording_id_of(recordingId), RecordingAction.PLAY)
    return JSONResponse(api_view(record, fields))


async def _delete(ctx: ServerContext, record: RecordingRecord) -> None:
    """Delete one recording and its files; 409 while it is in progress."""
    if RecordingStatus(record.status) in IN_PROGRESS:
        raise Conflict(
            f"Recording '{record.recording_id}' is in progress ({record.status}) and cannot be deleted",
            error="Recording Error",
        )
    if not await catalog(ctx).delete(record):
        raise Conflict(f"Recording '{record.recording_id}' changed meanwhile: try again", error="Recording Error")
    await remove_files(service(ctx).directory, record.recording_id)
    logger.info("Recording %s deleted", record.recording_id)


@router.delete("/api/v1/recordings/{recordingId}", summary="Delete a recording")
async def delete_recording(request: Request, caller: Member, recordingId: str) -> JSONResponse:
    ctx = context(request)
    recording_id = recording_id_of(recordingId)
    record = await readable(ctx, caller, recording_id, RecordingAction.DELETE)
    await _delete(ctx, record)
    return JSONResponse({"message": f"Recording '{recording_id}' deleted successfully"})


def bulk_ids(raw: str) -> list[str]:
    """The ids of a ``recordingIds`` list: split on commas, trimmed, de-duplicated (at least one)."""
    ids: list[str] = []
    for part in raw.split(","):
        value = part.strip()
        if value and value not in ids:
            ids.append(value)
    if not ids:
        raise ValidationFailed.one("recordingIds", "At least one recordingId is required")
    return ids


@router.delete("/api/v1/recordings", dependencies=[EXPENSIVE], summary="Delete several recordings")
async def bulk_delete_recordings(
    request: Request, caller: Member, recordingIds: Annotated[str, Query(max_length=100_000)]
) -> JSONResponse:
    ctx = context(request)
    if holder_of(caller) is Holder.MEMBER and not (await member_permissions(ctx, caller)).can_delete:
        raise Forbidden("Insufficient permissions to access this resource")
    deleted: list[str] = []
    failed: list[dict[str, str]] = []
    for recording_id in bulk_ids(recordingIds):
        try:
            record = await readable(ctx, caller, recording_id_of(recording_id), RecordingAction.DELETE)
            await _delete(ctx, record)
        except MeetDeskError as exc:
            failed.append({"recordingId": recording_id, "error": exc.message})
            continue
        deleted.append(recording_id)
    if failed:
        message = f"{len(failed)} recording(s) could not be deleted"
        return JSONResponse({"message": message, "deleted": deleted, "failed": failed}, status_code=400)
    return JSONResponse({"message": "All recordings deleted successfully", "deleted": deleted})

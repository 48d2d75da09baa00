"""A recording's file over HTTP: ``/media`` (byte ranges), ``/download`` (3.9), many as a streamed ZIP, its
share link (``/url``) and the page that link opens in a browser, and 3.4's recording token.

The media answers as OpenVidu Meet's does: ``Accept-Ranges: bytes``, ``Range: bytes=a-b`` → 206 with
``Content-Range`` (an end past the file clamped), a start at or past the end → 416 naming the size, any
other ``Range`` → 422, and a recording still in progress → 409 (it has no file to stream yet). Each answer
has the file's ``ETag``; a ``Range`` sent with an ``If-Range`` naming another one gets the whole file (200),
as RFC 9110 says: how a download is resumed only where the file is still the same.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from meetdesk.core.claims import TokenGrants, participant_claims
from meetdesk.core.errors import (
    BadRequest,
    Conflict,
    ErrorCode,
    Forbidden,
    MeetDeskError,
    NotFound,
    ValidationFailed,
)
from meetdesk.core.errors import room_not_found as room_missing
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.recording_access import Holder, RecordingAction
from meetdesk.core.recordings import IN_PROGRESS, RecordingStatus
from meetdesk.server.api.participants import role_for_secret
from meetdesk.server.api.recordings import bulk_ids, readable, recording_id_of, service
from meetdesk.server.api.recordings_access import (
    RECORDING_LINK_TYP,
    RECORDING_PLAYERS,
    RECORDINGS,
    anonymous_recording_access,
    holder_of,
    links,
    member_permissions,
    recording_link_key,
    recording_link_matches,
    secret_of,
)
from meetdesk.server.auth import PARTICIPANT_TTL_S
from meetdesk.server.context import ServerContext
from meetdesk.server.errors import error_response, status_of
from meetdesk.server.recordings.links import SecretKind
from meetdesk.server.recordings.serving import (
    RangeMalformed,
    RangeNotSatisfiable,
    file_chunks,
    media_path,
    parse_range,
    zip_stream,
)
from meetdesk.server.security import ANYONE, EXPENSIVE, TOKEN_GENERATION, Caller, context
from meetdesk.server.store.recordings import RecordingRecord

router = APIRouter(tags=["Recordings"])
Member = Annotated[Caller, Depends(RECORDINGS)]
Player = Annotated[Caller, Depends(RECORDING_PLAYERS)]

CACHE_CONTROL = "private, max-age=3600"  # the file never changes; a shared cache must not keep it


def entity_tag(size: int, mtime_ns: int) -> str:
    """The file's strong ETag: a recording's file changes only when rewritten whole (a repair moves a new one
    over it), which changes its modification time. A download resumed with ``If-Range`` gets the rest of the
    same file, or all of the new one."""
    return f'"{size:x}-{mtime_ns:x}"'


def _file_of(ctx: ServerContext, record: RecordingRecord) -> Path:
    """The recording's video file: 409 while it is being recorded, 404 when it ended without one."""
    if RecordingStatus(record.status) in IN_PROGRESS:
        raise Conflict(
            f"Recording '{record.recording_id}' is not streamable: it is {record.status}", error="Recording Error"
        )
    path = media_path(service(ctx).directory, record)
    if path is None:
        raise NotFound(f"Recording '{record.recording_id}' has no video file", error="Recording Error")
    return path


def _serve(request: Request, record: RecordingRecord, path: Path, *, attachment: bool) -> Response:
    try:
        source = path.open("rb")  # open now: a deletion meanwhile cannot cut the answer (see file_chunks)
    except FileNotFoundError as exc:  # deleted since it was looked up
        raise NotFound(f"Recording '{record.recording_id}' has no video file", error="Recording Error") from exc
    stat = os.fstat(source.fileno())
    size = stat.st_size
    etag = entity_tag(size, stat.st_mtime_ns)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": CACHE_CONTROL, "ETag": etag}
    if attachment:
        headers["Content-Disposition"] = f'attachment; filename="{record.filename}"'
    raw_range = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        raw_range = None  # the file changed since the client's part of it (a repair rewrote it): all of it again
    if raw_range is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(file_chunks(source, 0, size), media_type="video/mp4", headers=headers)
    try:
        wanted = parse_range(raw_range, size)
    except (RangeMalformed, RangeNotSatisfiable) as exc:
        source.close()
        if isinstance(exc, RangeMalformed):
            raise ValidationFailed.one("Range", str(exc)) from exc
        response = error_response(416, "Recording Error", str(exc))
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    headers["Content-Range"] = wanted.content_range(size)
    headers["Content-Length"] = str(wanted.length)
    return StreamingResponse(
        file_chunks(source, wanted.start, wanted.length), status_code=206, media_type="video/mp4", headers=headers
    )


@router.get("/api/v1/recordings/download", dependencies=[EXPENSIVE], summary="Download recordings as a ZIP")
async def download_zip(
    request: Request, caller: Member, recordingIds: Annotated[str, Query(max_length=100_000)]
) -> Response:
    ctx = context(request)
    member_room = caller.room_id if holder_of(caller) is Holder.MEMBER else None
    if member_room is not None and not (await member_permissions(ctx, caller)).can_retrieve:
        raise Forbidden("Insufficient permissions to access this resource")
    entries: list[tuple[str, Path]] = []
    names: set[str] = set()
    for raw in bulk_ids(recordingIds):
        try:
            record = await readable(ctx, caller, recording_id_of(raw), RecordingAction.RETRIEVE)
            path = _file_of(ctx, record)
        except MeetDeskError:
            continue  # not this caller's, not there, or without a file: left out, as upstream does
        name = record.filename or path.name
        while name in names:
            name = "_" + name
        names.add(name)
        entries.append((name, path))
    if not entries:
        if member_room is not None:
            raise BadRequest(f"None of the provided recording IDs belong to room '{member_room}'")
        raise BadRequest("None of the provided recordings has a video file to download: the ZIP would be empty")
    return StreamingResponse(
        zip_stream(entries),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="recordings.zip"'},
    )


@router.get("/api/v1/recordings/{recordingId}/media", summary="Play a recording (byte ranges)")
async def recording_media(request: Request, caller: Player, recordingId: str) -> Response:
    ctx = context(request)
    record = await readable(ctx, caller, recording_id_of(recordingId), RecordingAction.PLAY)
    return _serve(request, record, _file_of(ctx, record), attachment=False)


@router.get("/api/v1/recordings/{recordingId}/download", summary="Download a recording's video file")
async def recording_download(request: Request, caller: Player, recordingId: str) -> Response:
    ctx = context(request)
    record = await readable(ctx, caller, recording_id_of(recordingId), RecordingAction.PLAY)
    return _serve(request, record, _file_of(ctx, record), attachment=True)


@router.get("/api/v1/recordings/{recordingId}/url", summary="A link that plays a recording")
async def recording_url(
    request: Request, caller: Member, recordingId: str, privateAccess: bool = False
) -> JSONResponse:
    ctx = context(request)
    record = await readable(ctx, caller, recording_id_of(recordingId), RecordingAction.RETRIEVE)
    if not privateAccess and not anonymous_recording_access(await ctx.rooms.rooms.get(record.room_id)):
        raise Forbidden(f"Anonymous access in room '{record.room_id}' is disabled for recordings")
    kind = SecretKind.PRIVATE if privateAccess else SecretKind.PUBLIC
    return JSONResponse({"url": links(ctx).url(ctx.settings.public_base_url, record.recording_id, kind)})


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title}</title>
<style>
:root {{ color-scheme: light dark; font-family: system-ui, sans-serif; }}
body {{ margin: 0 auto; max-width: 960px; padding: 24px; }}
h1 {{ font-size: 1.3rem; overflow-wrap: anywhere; }}
video {{ width: 100%; max-height: 70vh; background: #000; border-radius: 8px; }}
a.download {{ display: inline-block; margin-top: 12px; padding: 8px 16px; border-radius: 6px;
  background: #2563eb; color: #fff; text-decoration: none; }}
p.file {{ color: GrayText; overflow-wrap: anywhere; }}
</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def html_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        headers={
            "Content-Security-Policy": "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        },
    )


#: what the page says when the link does not play, by the status the API would answer (its error's class)
_PAGE_REFUSALS = {
    400: "This link is not valid: check that you copied all of it.",
    401: "This recording link is private, or incomplete: sign in to MeetDesk as an administrator to open a "
    "private link, or open the whole link you were given.",
    403: "The recordings of this room are no longer shared by link.",
    404: "This recording does not exist any more: it may have been deleted.",
    409: "This meeting is still being recorded: the recording can be watched once it ends.",
    422: "This link is not valid: check that you copied all of it.",
}


@router.get("/recording/{recordingId}", include_in_schema=False)
async def recording_page(request: Request, recordingId: str) -> HTMLResponse:
    """A small page that plays the recording (HTML5 video over ``/media``) and offers its download. It
    answers with the same rules as ``/media``; a refusal is a page saying why, never a JSON body."""
    ctx = context(request)
    try:
        caller = await RECORDING_PLAYERS.check(request)
        record = await readable(ctx, caller, recording_id_of(recordingId), RecordingAction.PLAY)
    except MeetDeskError as exc:
        status = status_of(exc)
        sentence = _PAGE_REFUSALS.get(status, "This recording cannot be opened now: try again later.")
        return html_page("Recording unavailable", f"<p>{html.escape(sentence)}</p>", status)
    title = f"Recording of {record.room_name}"
    try:
        _file_of(ctx, record)
    except MeetDeskError as exc:
        status = status_of(exc)
        sentence = _PAGE_REFUSALS[409] if status == 409 else "This recording has no video to play."
        if record.error:
            sentence += f" {record.error}"
        return html_page(title, f"<p>{html.escape(sentence)}</p>", status)
    query = ""
    secret = secret_of(request)
    if secret is not None:
        query = "?secret=" + quote(secret, safe="")
    base = f"/api/v1/recordings/{quote(record.recording_id)}"
    body = (
        f'<video controls preload="metadata" src="{html.escape(base + "/media" + query)}"></video>'
        f'<p class="file">{html.escape(record.filename or "")}</p>'
        f'<a class="download" href="{html.escape(base + "/download" + query)}" download>Download</a>'
    )
    return html_page(title, body)


class RecordingTokenRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    secret: str = Field(min_length=1, max_length=200)


@router.post(
    "/internal-api/v1/rooms/{roomId}/recording-token",
    dependencies=[TOKEN_GENERATION],
    summary="Exchange a room link's secret for a recording token (OpenVidu Meet 3.4; X-Recording-Token)",
)
async def recording_token(
    request: Request, _caller: Annotated[Caller, Depends(ANYONE)], roomId: str, body: RecordingTokenRequest
) -> JSONResponse:
    ctx = context(request)
    room_id = sanitize_room_id(roomId) or roomId
    room = await ctx.rooms.rooms.get(room_id)
    if room is None:
        raise room_missing(room_id)
    limits = ctx.limits
    key = f"{limits.address(request)} {room.room_id}"
    attempt = limits.secrets.hit(key)
    if recording_link_matches(room, body.secret):
        limits.secrets.forgive(key, attempt)
        if not anonymous_recording_access(room):
            raise Forbidden(
                f"The recordings of room '{room.room_id}' are not shared by link", code=ErrorCode.LINK_DISABLED
            )
        # the room's recording link: its recordings to list, play and download, even none yet (the list then says so)
        token, _ = ctx.tokens.issue(
            RECORDING_LINK_TYP, None, PARTICIPANT_TTL_S, room=room.room_id, key=recording_link_key(room)
        )
        return JSONResponse({"token": token, "roomName": room.room_name})  # no room to read with it: its name here
    role = role_for_secret(room, body.secret)
    limits.secrets.forgive(key, attempt)
    granted = room.permissions(role)
    if not granted.canRetrieveRecordings:
        raise Forbidden(f"The recordings of room '{room.room_id}' are for administrators only")
    if await service(ctx).store.count_for_room(room.room_id) == 0:
        raise NotFound(f"Room '{room.room_id}' has no recordings", error="Room Error")
    claims = participant_claims(room.room_id, role, TokenGrants.of(granted, join=False))  # browses; joins nothing
    token, _ = ctx.tokens.issue("participant", None, PARTICIPANT_TTL_S, **claims)
    return JSONResponse({"token": token})

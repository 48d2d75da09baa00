"""``/room/{roomId}/recordings?secret=…``: a room's recordings for whoever holds its recording link.

This is the URL a room shows as ``access.anonymous.recording.url`` (OpenVidu Meet 3.8; upstream opens its
recordings view there). MeetDesk serves a browser page listing the room's recordings, newest first, each with
its own public share link (``/recording/{id}?secret=…``, the page that plays it) and its download. The secret
must be the room's recording secret (compared in constant time; wrong guesses count against the secrets' rate
limit); the page answers only while the room's anonymous recording access is on
(``access.anonymous.recording.enabled``); the recordings' own links follow the same switch. A refusal is a
page saying why, with the status the API would answer, never a JSON body.
"""

from __future__ import annotations

import hmac
import html
import logging
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from meetdesk.core.errors import MeetDeskError
from meetdesk.core.ids import sanitize_room_id
from meetdesk.core.recordings import IN_PROGRESS, RecordingStatus
from meetdesk.server.api.recordings import service
from meetdesk.server.api.recordings_access import anonymous_recording_access, links
from meetdesk.server.api.recordings_media import html_page
from meetdesk.server.recordings.links import SecretKind
from meetdesk.server.security import EXPENSIVE, context
from meetdesk.server.store.recordings import RecordingRecord
from meetdesk.server.store.rooms import RoomRecord

logger = logging.getLogger(__name__)

router = APIRouter(tags=["Recordings"])

_REFUSED = "Recordings unavailable"
_LIST_STYLE = """<style>
ul.recordings { list-style: none; padding: 0; }
ul.recordings li { padding: 12px 0; border-bottom: 1px solid GrayText; }
ul.recordings .when { font-weight: 600; }
ul.recordings .about { color: GrayText; }
ul.recordings a { margin-right: 16px; }
</style>"""


def _refusal(status: int, sentence: str) -> HTMLResponse:
    return html_page(_REFUSED, f"<p>{html.escape(sentence)}</p>", status)


def _duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _about(record: RecordingRecord) -> str:
    status = RecordingStatus(record.status)
    if status in IN_PROGRESS:
        return "Being recorded now: it can be watched once the meeting's recording ends."
    if status is not RecordingStatus.COMPLETE:
        return f"Not playable ({status.value.replace('_', ' ')})."
    size = f", {record.size / 1_000_000:.1f} MB" if record.size else ""
    return f"{_duration(record.duration_ms)}{size}"


def _item(request: Request, record: RecordingRecord) -> str:
    when = datetime.fromtimestamp(record.start_date / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f'<span class="when">{html.escape(when)}</span> <span class="about">{html.escape(_about(record))}</span>']
    if RecordingStatus(record.status) is RecordingStatus.COMPLETE:
        ctx = context(request)
        secret = quote(links(ctx).secret(record.recording_id, SecretKind.PUBLIC), safe="")
        recording = quote(record.recording_id)
        play = f"/recording/{recording}?secret={secret}"
        download = f"/api/v1/recordings/{recording}/download?secret={secret}"
        parts.append(
            f'<br><a class="play" href="{html.escape(play)}">Play</a>'
            f'<a class="download" href="{html.escape(download)}" download>Download</a>'
        )
    return f"<li>{''.join(parts)}</li>"


def _secret_matches(room: RoomRecord, secret: str) -> bool:
    return bool(room.recording_secret) and hmac.compare_digest(secret.encode(), room.recording_secret.encode())


@router.get("/room/{roomId}/recordings", include_in_schema=False, dependencies=[EXPENSIVE])
async def room_recordings_page(request: Request, roomId: str) -> HTMLResponse:
    """The room's recordings, for the holder of its recording link (``access.anonymous.recording.url``)."""
    ctx = context(request)
    room_id = sanitize_room_id(roomId) or roomId
    room = await ctx.rooms.rooms.get(room_id)
    if room is None:
        return _refusal(404, "This room does not exist any more: it may have been deleted.")
    secret = request.query_params.get("secret")
    if not secret:
        return _refusal(400, "This link is incomplete: open the whole link you were given, with its ?secret= part.")
    limits = ctx.limits
    key = f"{limits.address(request)} {room.room_id}"
    try:
        attempt = limits.secrets.hit(key)
    except MeetDeskError as exc:  # too many wrong secrets from here
        return _refusal(exc.status, f"{exc.message}.")
    if not _secret_matches(room, secret):
        return _refusal(400, "This link is not valid: check that you copied all of it.")
    limits.secrets.forgive(key, attempt)
    if not anonymous_recording_access(room):
        return _refusal(403, "The recordings of this room are no longer shared by link.")
    found = sorted(await service(ctx).store.for_room(room.room_id), key=lambda r: r.start_date, reverse=True)
    title = f"Recordings of {room.room_name}"
    if not found:
        return html_page(title, "<p>This room has no recordings yet.</p>")
    items = "".join(_item(request, record) for record in found)
    return html_page(title, f'{_LIST_STYLE}<ul class="recordings">{items}</ul>')

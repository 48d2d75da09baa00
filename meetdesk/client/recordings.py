"""The recordings API (OpenVidu Meet 3.4-3.9), mixed into :class:`~meetdesk.client.api.MeetDeskClient`:
start and stop, list, read, delete, share links, 3.4's recording token, and the files — a recording's video,
a byte range of it, or several recordings as a ZIP — streamed to a file with a progress callback, never held
in memory whole::

    recording = await client.start_recording(room_id)
    await client.stop_recording(recording.recordingId)
    await client.download_recording(recording.recordingId, Path("meeting.mp4"), progress=print)

A share link's ``secret`` (public, or private with a signed-in admin) may be passed to the calls that play or
read one recording. The client asks for whole recordings (no ``fields`` projection): every call returns
:class:`~meetdesk.core.recordings.MeetRecording` models. Errors are the client's ApiError classes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from meetdesk.client.errors import ConnectionFailed, error_from_response
from meetdesk.client.requesting import ApiRequests
from meetdesk.core.models import Pagination
from meetdesk.core.recordings import MeetRecording, RecordingStatus

RECORDINGS = "/api/v1/recordings"
#: ``progress(received, total)``: bytes written so far, and the whole size when the server says it
Progress = Callable[[int, int | None], None]
RecordingSortField = Literal["startDate", "roomName", "duration", "size"]


class RecordingPage(BaseModel):
    recordings: list[MeetRecording]
    pagination: Pagination


class RecordingDeletionFailure(BaseModel):
    recordingId: str
    error: str


class RecordingDeletion(BaseModel):
    """What a bulk deletion did: ``failed`` is empty when every recording was deleted."""

    message: str
    deleted: list[str]
    failed: list[RecordingDeletionFailure] = []


class RecordingsLinkToken(BaseModel):
    """The server's answer to a recordings link's secret."""

    token: str
    #: None when the secret was a room link's (moderator or speaker), not the room's recordings link's
    roomName: str | None = None


def _one(recording_id: str) -> str:
    if not recording_id.strip():
        raise ValueError("a recording id cannot be empty")
    return f"{RECORDINGS}/{quote(recording_id.strip(), safe='').replace('.', '%2E')}"


def _params(**values: str | int | bool | None) -> dict[str, str | int]:
    found: dict[str, str | int] = {}
    for key, value in values.items():
        if value is None:
            continue
        found[key] = str(value).lower() if isinstance(value, bool) else value
    return found


def _secret(secret: str | None) -> dict[str, str | int]:
    return {} if secret is None else {"secret": secret}


async def _page(client: ApiRequests, params: Mapping[str, str | int]) -> RecordingPage:
    response = await client._request("GET", RECORDINGS, params=params)
    return RecordingPage.model_validate(client._object(response))


async def _stream_to(
    client: ApiRequests,
    path: str,
    params: Mapping[str, str | int],
    destination: Path | BinaryIO,
    progress: Progress | None,
    headers: Mapping[str, str] | None = None,
) -> int:
    """GET ``path`` and write the body to ``destination`` as it arrives; the number of bytes written."""
    http = await client._http()
    request_headers = {**client._auth_headers(), **(headers or {}), "Accept": "*/*"}
    try:
        async with http.stream("GET", path, params=params, headers=request_headers) as response:
            if not response.is_success:
                await response.aread()
                raise error_from_response(response)
            total_header = response.headers.get("content-length")
            total = int(total_header) if total_header and total_header.isdigit() else None
            target = destination.open("wb") if isinstance(destination, Path) else destination
            written = 0
            try:
                async for chunk in response.aiter_bytes():
                    await asyncio.to_thread(target.write, chunk)  # a slow disk never stalls the loop
                    written += len(chunk)
                    if progress is not None:
                        progress(written, total)
            finally:
                if isinstance(destination, Path):
                    target.close()
            return written
    except httpx.TimeoutException as exc:
        raise ConnectionFailed(client.base_url, "the download stalled") from exc
    except httpx.TransportError as exc:
        raise ConnectionFailed(client.base_url, str(exc) or type(exc).__name__) from exc


class RecordingsApi:
    """``/api/v1/recordings`` and 3.4's ``/internal-api/v1/rooms/{roomId}/recording-token``."""

    async def start_recording(
        self: ApiRequests, room_id: str, *, layout: str | None = None, encoding: str | Mapping[str, Any] | None = None
    ) -> MeetRecording:
        """Start recording the room's meeting (``layout`` / ``encoding`` override the room's for this one)."""
        config = {key: value for key, value in (("layout", layout), ("encoding", encoding)) if value is not None}
        body: dict[str, Any] = {"roomId": room_id, **({"config": config} if config else {})}
        return MeetRecording.model_validate(self._object(await self._request("POST", RECORDINGS, body=body)))

    async def stop_recording(self: ApiRequests, recording_id: str) -> MeetRecording:
        """Stop it: the recording comes back ``ending`` (or ``complete``)."""
        response = await self._request("POST", f"{_one(recording_id)}/stop")
        return MeetRecording.model_validate(self._object(response))

    async def list_recordings(
        self: ApiRequests,
        *,
        room_id: str | None = None,
        room_name: str | None = None,
        room_name_match_mode: Literal["exact", "prefix", "partial", "regex"] | None = None,
        room_name_case_insensitive: bool | None = None,
        status: RecordingStatus | str | None = None,
        max_items: int | None = None,
        next_page_token: str | None = None,
        sort_field: RecordingSortField | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
    ) -> RecordingPage:
        """One page of recordings; ``pagination.nextPageToken`` asks for the next one."""
        params = _params(
            roomId=room_id,
            roomName=room_name,
            roomNameMatchMode=room_name_match_mode,
            roomNameCaseInsensitive=room_name_case_insensitive,
            status=None if status is None else str(status),
            maxItems=max_items,
            nextPageToken=next_page_token,
            sortField=sort_field,
            sortOrder=sort_order,
        )
        return await _page(self, params)

    async def iter_recordings(
        self: ApiRequests,
        *,
        room_id: str | None = None,
        room_name: str | None = None,
        room_name_match_mode: Literal["exact", "prefix", "partial", "regex"] | None = None,
        room_name_case_insensitive: bool | None = None,
        status: RecordingStatus | str | None = None,
        max_items: int | None = None,
        sort_field: RecordingSortField | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
    ) -> AsyncIterator[MeetRecording]:
        """Every matching recording, fetching pages of ``max_items`` as it goes."""
        token: str | None = None
        while True:
            params = _params(
                roomId=room_id,
                roomName=room_name,
                roomNameMatchMode=room_name_match_mode,
                roomNameCaseInsensitive=room_name_case_insensitive,
                status=None if status is None else str(status),
                maxItems=max_items,
                nextPageToken=token,
                sortField=sort_field,
                sortOrder=sort_order,
            )
            page = await _page(self, params)
            for recording in page.recordings:
                yield recording
            token = page.pagination.nextPageToken
            if not page.pagination.isTruncated or not token:
                return

    async def get_recording(self: ApiRequests, recording_id: str, *, secret: str | None = None) -> MeetRecording:
        response = await self._request("GET", _one(recording_id), params=_secret(secret))
        return MeetRecording.model_validate(self._object(response))

    async def delete_recording(self: ApiRequests, recording_id: str) -> None:
        """Delete it and its files (Conflict while it is being recorded)."""
        await self._request("DELETE", _one(recording_id))

    async def bulk_delete_recordings(self: ApiRequests, recording_ids: Iterable[str]) -> RecordingDeletion:
        """Delete several; those that could not be are in ``failed`` with why (no exception for them)."""
        params = {"recordingIds": ",".join(recording_ids)}
        response = await self._request("DELETE", RECORDINGS, params=params, accept=(400,))
        body = self._object(response)
        if response.status_code == 400 and "failed" not in body:
            raise error_from_response(response)  # a refused request, not a partial deletion
        return RecordingDeletion.model_validate(body)

    async def recording_url(self: ApiRequests, recording_id: str, *, private: bool = False) -> str:
        """The recording's share link: public (anyone may play it) or private (a signed-in admin only)."""
        response = await self._request("GET", f"{_one(recording_id)}/url", params=_params(privateAccess=private))
        url = self._object(response).get("url")
        if not isinstance(url, str):
            raise ValueError("the server's answer has no url")
        return url

    async def recording_token(self: ApiRequests, room_id: str, secret: str) -> str:
        """OpenVidu Meet 3.4's recording token for a room link's secret (send it as ``X-Recording-Token``)."""
        path = f"/internal-api/v1/rooms/{quote(room_id, safe='').replace('.', '%2E')}/recording-token"
        token = self._object(await self._request("POST", path, body={"secret": secret})).get("token")
        if not isinstance(token, str):
            raise ValueError("the server's answer has no token")
        return token

    async def recordings_link_token(self: ApiRequests, room_id: str, secret: str) -> RecordingsLinkToken:
        """The recording token of a room's recordings link's secret (``access.anonymous.recording.url``), and the
        room's name: it lists, plays and downloads that room's recordings while the room shares them by link."""
        path = f"/internal-api/v1/rooms/{quote(room_id, safe='').replace('.', '%2E')}/recording-token"
        return self._parse(RecordingsLinkToken, await self._request("POST", path, body={"secret": secret}))

    async def read_recording_media(
        self: ApiRequests, recording_id: str, start: int = 0, end: int | None = None, *, secret: str | None = None
    ) -> bytes:
        """Bytes ``start``..``end`` (inclusive; None: to the end) of the recording's video, in memory: for a
        player's small reads. Whole files go to disk with :meth:`download_recording`."""
        headers = {"Range": f"bytes={start}-{'' if end is None else end}"}
        response = await self._request("GET", f"{_one(recording_id)}/media", params=_secret(secret), headers=headers)
        return response.content

    async def download_recording(
        self: ApiRequests,
        recording_id: str,
        destination: Path | BinaryIO,
        *,
        secret: str | None = None,
        progress: Progress | None = None,
    ) -> int:
        """Stream the recording's video file into ``destination``; returns the bytes written."""
        return await _stream_to(self, f"{_one(recording_id)}/download", _secret(secret), destination, progress)

    async def download_recordings_zip(
        self: ApiRequests,
        recording_ids: Iterable[str],
        destination: Path | BinaryIO,
        *,
        progress: Progress | None = None,
    ) -> int:
        """Stream a ZIP of the recordings' video files into ``destination`` (its size is not known ahead)."""
        params = {"recordingIds": ",".join(recording_ids)}
        return await _stream_to(self, f"{RECORDINGS}/download", params, destination, progress)

"""A recording's file downloaded so that a cut costs nothing: the bytes go to ``<name>.part`` and a small
``<name>.part.json`` says what they are (the recording, the file's ETag and size); a download started again for
the same place — after a cut, or after the app was closed — asks only for the rest (``Range`` from the part's
length, ``If-Range`` with the ETag). Where the server's file changed meanwhile (a repair rewrote it) the
server answers with all of it and the part starts over; a part that does not fit what the server says is
started over too. Only a whole file, as long as the server said, takes the chosen name.

::

    saved = await download_resumable(client, recording_id, Path("meeting.mp4"), progress=print)
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from meetdesk.client.errors import ConnectionFailed, error_from_response
from meetdesk.client.recordings import Progress
from meetdesk.client.requesting import ApiRequests

logger = logging.getLogger(__name__)


class DownloadCut(ConnectionFailed):
    """The connection failed part way: ``received`` of ``total`` bytes are kept in the ``.part`` file, and the
    same download started again continues from there."""

    def __init__(self, base_url: str, reason: str, received: int, total: int | None) -> None:
        super().__init__(base_url, reason)
        self.received = received
        self.total = total


@dataclass(frozen=True)
class PartInfo:
    """What a ``.part`` file holds the beginning of."""

    recording_id: str
    etag: str
    size: int


def partial_path(target: Path) -> Path:
    """Where a download goes until it is whole."""
    return target.with_name(target.name + ".part")


def info_path(target: Path) -> Path:
    return target.with_name(target.name + ".part.json")


def read_part(target: Path, recording_id: str) -> tuple[PartInfo, int] | None:
    """The part of ``recording_id`` already at ``target`` and its length, if there is one that can go on."""
    partial, info = partial_path(target), info_path(target)
    try:
        found = PartInfo(**json.loads(info.read_text()))
        length = partial.stat().st_size
    except (OSError, ValueError, TypeError):
        return None
    if found.recording_id != recording_id or not found.etag or length > found.size:
        return None
    return found, length


def discard_part(target: Path) -> None:
    partial_path(target).unlink(missing_ok=True)
    info_path(target).unlink(missing_ok=True)


def _total_of(response: httpx.Response) -> int | None:
    """The whole file's size: from ``Content-Range`` (a 206 or a 416) or ``Content-Length`` (a 200)."""
    content_range = response.headers.get("content-range", "")
    if "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else None
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() and response.status_code == 200 else None


def _start_of(response: httpx.Response) -> int | None:
    """Where a 206's bytes start in the file."""
    content_range = response.headers.get("content-range", "")
    first = content_range.removeprefix("bytes ").split("-", 1)[0]
    return int(first) if first.isdigit() else None


async def download_resumable(
    client: ApiRequests,
    recording_id: str,
    target: Path,
    *,
    secret: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Download the recording's video to ``target`` through ``target.part`` (module docstring); its size.

    Raises :class:`DownloadCut` when the connection fails part way (the part is kept), another ``ApiError``
    when the server refuses (the part is kept only if it may still go on), ``OSError`` for the disk.
    """
    path = f"/api/v1/recordings/{quote(recording_id.strip(), safe='').replace('.', '%2E')}/download"
    params = {} if secret is None else {"secret": secret}
    partial, info = partial_path(target), info_path(target)
    found = read_part(target, recording_id)
    if found is None:
        discard_part(target)
    headers = {**client._auth_headers(), "Accept": "*/*"}
    if found is not None:
        headers |= {"Range": f"bytes={found[1]}-", "If-Range": found[0].etag}
    http = await client._http()
    received, total = 0, None
    try:
        async with http.stream("GET", path, params=params, headers=headers) as response:
            if response.status_code == 416 and found is not None and found[1] == _total_of(response):
                received = total = found[1]  # the part is already all of it (the app stopped as it ended)
            elif response.status_code == 416:
                await response.aread()
                discard_part(target)  # a part that does not fit the file: the next try starts over
                raise error_from_response(response)
            elif not response.is_success:
                await response.aread()
                raise error_from_response(response)
            else:
                total = _total_of(response)
                resumed = response.status_code == 206 and found is not None and _start_of(response) == found[1]
                received = found[1] if resumed and found is not None else 0
                etag = response.headers.get("etag", "")
                if not resumed:
                    if found is not None:
                        logger.info("Download(%s): the file changed on the server; starting over", recording_id)
                    partial.unlink(missing_ok=True)
                    if etag and total is not None:
                        info.write_text(json.dumps(asdict(PartInfo(recording_id, etag, total))))
                    else:
                        info.unlink(missing_ok=True)  # nothing to check a resumption against: never resumed
                if progress is not None:
                    progress(received, total)
                received = await _write(response, partial, received, total, resumed, progress)
    except httpx.TransportError as exc:
        received = partial.stat().st_size if partial.exists() else 0
        reason = "the download stalled" if isinstance(exc, httpx.TimeoutException) else str(exc) or type(exc).__name__
        raise DownloadCut(client.base_url, reason, received, total) from exc
    if total is not None and received != total:
        raise DownloadCut(client.base_url, "the server sent less than the whole file", received, total)
    partial.replace(target)
    info.unlink(missing_ok=True)
    return received


async def _write(
    response: httpx.Response, partial: Path, received: int, total: int | None, append: bool, progress: Progress | None
) -> int:
    """The response's bytes onto the part (a slow disk never stalls the loop); the part's length after."""
    with partial.open("ab" if append else "wb") as out:
        try:
            async for chunk in response.aiter_bytes():
                await asyncio.to_thread(out.write, chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received, total)
        finally:
            await asyncio.to_thread(out.flush)
    return received

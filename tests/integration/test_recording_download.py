"""Resumable recording downloads (client/downloads.py) against a real server process, through a TCP proxy that
cuts the connection part way: the part is kept, a new start (another client, as after the app was closed) asks
only for the rest and the file is byte-identical; a file the server rewrote meanwhile is started over cleanly.
And the server's side of it: an ``ETag`` on the media, and ``If-Range`` honoured (RFC 9110)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.downloads import DownloadCut, download_resumable, info_path, partial_path
from tests.conftest import API_KEY, ServerProcess
from tests.integration.cutting_proxy import CuttingProxy
from tests.integration.recording_helpers import seed_recording

pytestmark = pytest.mark.slow

SIZE = 8 * 1024 * 1024


async def test_if_range_gives_the_rest_of_the_same_file_or_all_of_a_changed_one(server_process: ServerProcess) -> None:
    video = os.urandom(100_000)
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as client:
        room = await client.create_room({"roomName": "Board meeting"})
        seeded = seed_recording(server_process, room.roomId, "Board meeting", media=video)
    url = f"{server_process.url}/api/v1/recordings/{seeded.recording_id}/download"
    async with httpx.AsyncClient(headers={"X-API-KEY": API_KEY}) as http:
        whole = await http.get(url)
        etag = whole.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')
        media = await http.get(url.replace("/download", "/media"), headers={"Range": "bytes=0-9"})
        assert media.headers["etag"] == etag
        same = await http.get(url, headers={"Range": "bytes=90000-", "If-Range": etag})
        assert same.status_code == 206 and same.content == video[90_000:]
        other = await http.get(url, headers={"Range": "bytes=90000-", "If-Range": '"another-file"'})
        assert other.status_code == 200 and other.content == video
        assert seeded.path is not None
        seeded.path.write_bytes(video[::-1])  # rewritten (as a repair moves a new file over the old one)
        changed = await http.get(url, headers={"Range": "bytes=90000-", "If-Range": etag})
        assert changed.status_code == 200 and changed.content == video[::-1]
        assert changed.headers["etag"] != etag


async def test_a_cut_download_resumes_where_it_stopped_byte_identical(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    video = os.urandom(SIZE)
    proxy = await CuttingProxy(server_process.port).start()
    target = tmp_path / "meeting.mp4"
    try:
        async with MeetDeskClient(proxy.link(server_process.url), api_key=API_KEY) as client:
            room = await client.create_room({"roomName": "Board meeting"})
            seeded = seed_recording(server_process, room.roomId, "Board meeting", media=video)
            proxy.cut_after(SIZE // 4)  # the network fails a quarter of the way
            with pytest.raises(DownloadCut) as cut:
                await download_resumable(client, seeded.recording_id, target)
        kept = partial_path(target).stat().st_size
        assert 0 < kept <= SIZE // 4 and cut.value.received == kept and cut.value.total == SIZE
        assert not target.exists()
        assert partial_path(target).read_bytes() == video[:kept]
        assert json.loads(info_path(target).read_text())["recording_id"] == seeded.recording_id

        # the app closed and opened again: a new client, the network back
        seen: list[int] = []
        async with MeetDeskClient(proxy.link(server_process.url), api_key=API_KEY) as client:
            size = await download_resumable(client, seeded.recording_id, target, progress=lambda r, _t: seen.append(r))
        assert size == SIZE
        assert seen[0] == kept  # it went on from the part, not from the start
        assert target.read_bytes() == video
        assert not partial_path(target).exists() and not info_path(target).exists()
    finally:
        await proxy.close()


async def test_a_part_of_a_file_the_server_rewrote_is_started_over(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    video = os.urandom(SIZE)
    proxy = await CuttingProxy(server_process.port).start()
    target = tmp_path / "meeting.mp4"
    try:
        async with MeetDeskClient(proxy.link(server_process.url), api_key=API_KEY) as client:
            room = await client.create_room({"roomName": "Board meeting"})
            seeded = seed_recording(server_process, room.roomId, "Board meeting", media=video)
            proxy.cut_after(SIZE // 4)
            with pytest.raises(DownloadCut):
                await download_resumable(client, seeded.recording_id, target)
            assert partial_path(target).exists()
            repaired = os.urandom(SIZE // 2)
            assert seeded.path is not None
            seeded.path.write_bytes(repaired)
            seen: list[int] = []
            assert await download_resumable(
                client, seeded.recording_id, target, progress=lambda r, _t: seen.append(r)
            ) == len(repaired)
        assert seen[0] == 0  # started over
        assert target.read_bytes() == repaired
        assert not partial_path(target).exists() and not info_path(target).exists()
    finally:
        await proxy.close()

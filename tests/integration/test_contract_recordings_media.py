"""A recording's file from a real ``meetdesk server`` process: ``/media`` with byte ranges (200, 206, 416,
422, 409 in progress), ``/download`` as an attachment, and a streamed ZIP of several recordings."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import parse_qs, urlsplit

import av
import httpx

from meetdesk.client.session import MeetingSession
from tests.conftest import API_KEY, ServerProcess
from tests.integration.contract_helpers import anonymous, api, contract_server
from tests.integration.meeting_helpers import until
from tests.integration.recording_helpers import seed_recording, small_mp4

__all__ = ["anonymous", "api", "contract_server"]  # fixtures

RECORDINGS = "/api/v1/recordings"


def _room(api: httpx.Client, name: str = "Media room") -> str:
    created = api.post("/api/v1/rooms", json={"roomName": name})
    assert created.status_code == 201
    return str(created.json()["roomId"])


def test_media_whole_and_in_ranges(contract_server: ServerProcess, api: httpx.Client) -> None:
    room_id = _room(api)
    seeded = seed_recording(contract_server, room_id, "Media room")
    data = small_mp4()
    size = len(data)
    media = f"{RECORDINGS}/{seeded.recording_id}/media"

    whole = api.get(media)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(size)
    assert whole.headers["cache-control"]
    assert whole.content == data
    with av.open(io.BytesIO(whole.content)) as container:  # what is served plays
        assert container.streams.video[0].frames == 30

    part = api.get(media, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 10-99/{size}"
    assert part.headers["content-length"] == "90"
    assert part.content == data[10:100]

    tail = api.get(media, headers={"Range": "bytes=100-"})
    assert (tail.status_code, tail.headers["content-range"], tail.content) == (
        206,
        f"bytes 100-{size - 1}/{size}",
        data[100:],
    )
    clamped = api.get(media, headers={"Range": f"bytes=5-{size * 10}"})
    assert clamped.status_code == 206 and clamped.headers["content-range"] == f"bytes 5-{size - 1}/{size}"
    assert clamped.content == data[5:]

    past = api.get(media, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416
    assert str(size) in past.json()["message"]
    assert past.headers["content-range"] == f"bytes */{size}"
    for malformed in ("bytes=-5", "bytes=a-b", "items=0-1", "bytes=0-1,4-5", "bytes=9-3"):
        bad = api.get(media, headers={"Range": malformed})
        assert bad.status_code == 422, malformed
        assert bad.json()["error"] == "Unprocessable Entity"

    download = api.get(f"{RECORDINGS}/{seeded.recording_id}/download")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-disposition"] == f'attachment; filename="{seeded.filename}"'
    assert download.headers["content-type"] == "video/mp4"
    ranged = api.get(f"{RECORDINGS}/{seeded.recording_id}/download", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == data[:10]


def test_media_refusals(contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client) -> None:
    room_id = _room(api)
    active = seed_recording(contract_server, room_id, "Media room", status="active")
    failed = seed_recording(contract_server, room_id, "Media room", status="failed", media=None)
    in_progress = api.get(f"{RECORDINGS}/{active.recording_id}/media")
    assert in_progress.status_code == 409 and "not streamable" in in_progress.json()["message"]
    assert api.get(f"{RECORDINGS}/{failed.recording_id}/media").status_code == 404
    assert api.get(f"{RECORDINGS}/{room_id}--EG_none--z1/media").status_code == 404
    assert api.get(f"{RECORDINGS}/bad-id/media").status_code == 422
    assert anonymous.get(f"{RECORDINGS}/{failed.recording_id}/media").status_code == 401
    assert anonymous.get(f"{RECORDINGS}/bad-id/media").status_code == 401  # authentication first


def test_zip_of_several_recordings(contract_server: ServerProcess, api: httpx.Client) -> None:
    room_id = _room(api)
    first, second = (seed_recording(contract_server, room_id, "Media room") for _ in range(2))
    other = seed_recording(contract_server, room_id, "Media room", media=small_mp4(45))
    active = seed_recording(contract_server, room_id, "Media room", status="active")
    ids = [first.recording_id, second.recording_id, other.recording_id, active.recording_id, "not-an-id"]

    answer = api.get(f"{RECORDINGS}/download", params={"recordingIds": ",".join(ids)})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"] == 'attachment; filename="recordings.zip"'
    assert "content-length" not in answer.headers  # streamed as it is written
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted([first.filename, second.filename, other.filename])
    assert archive.read(other.filename) == small_mp4(45)
    assert archive.read(first.filename) == small_mp4()

    empty = api.get(f"{RECORDINGS}/download", params={"recordingIds": f"{active.recording_id},{room_id}--EG_x--y"})
    assert empty.status_code == 400 and empty.json()["message"]
    assert api.get(f"{RECORDINGS}/download").status_code == 422


async def test_a_real_recording_is_served(contract_server: ServerProcess) -> None:
    """A meeting recorded by the composite recorder, then played, ranged, zipped, shared and deleted over
    the API: the files the API serves are the recorder's."""
    async with (
        httpx.AsyncClient(base_url=contract_server.url, headers={"X-API-KEY": API_KEY}, timeout=60) as http,
        httpx.AsyncClient(base_url=contract_server.url, timeout=60) as stranger,
    ):
        room = (await http.post("/api/v1/rooms", json={"roomName": "Really recorded"})).json()
        ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
        await ana.join()
        try:
            started = await http.post(RECORDINGS, json={"roomId": room["roomId"]})
            assert started.status_code == 201, started.text
            recording_id = started.json()["recordingId"]
            tracks = contract_server.data_dir / "recordings" / recording_id / "tracks"

            def captured() -> bool:
                return sum(f.stat().st_size for f in tracks.glob("*.webm")) > 50_000

            # the capture's files grow as media arrives (no event to await over the API: polled)
            await until(captured, timeout=60)
            stopped = await http.post(f"{RECORDINGS}/{recording_id}/stop")
            assert stopped.status_code == 202, stopped.text
        finally:
            await ana.leave()
        recording = (await http.get(f"{RECORDINGS}/{recording_id}")).json()
        assert recording["status"] == "complete", recording
        assert stopped.json()["status"] == "complete" and stopped.json()["size"] == recording["size"]

        whole = await http.get(f"{RECORDINGS}/{recording_id}/media")
        assert whole.status_code == 200 and len(whole.content) == recording["size"]
        with av.open(io.BytesIO(whole.content)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            assert next(container.decode(video=0)).width == 1280
        part = await http.get(f"{RECORDINGS}/{recording_id}/media", headers={"Range": "bytes=0-1023"})
        assert part.status_code == 206 and part.content == whole.content[:1024]

        url = (await http.get(f"{RECORDINGS}/{recording_id}/url")).json()["url"]
        page = await stranger.get(url)
        assert page.status_code == 200 and "<video" in page.text
        secret = parse_qs(urlsplit(url).query)["secret"][0]
        played = await stranger.get(f"{RECORDINGS}/{recording_id}/media", params={"secret": secret})
        assert played.content == whole.content

        zipped = await http.get(f"{RECORDINGS}/download", params={"recordingIds": recording_id})
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            assert archive.read(recording["filename"]) == whole.content

        assert (await http.delete(f"{RECORDINGS}/{recording_id}")).status_code == 200
        assert not (contract_server.data_dir / "recordings" / recording_id).exists()

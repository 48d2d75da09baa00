"""OpenVidu Meet's recordings API against a real ``meetdesk server`` process: start and stop with a headless
participant in the meeting, then list (filters, sort, pages, fields), read and delete (one, many), with every
status code of the contract. Recordings in given states are put in the server's store by a narrow helper."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from meetdesk.client.session import MeetingSession
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.contract_helpers import anonymous, api, contract_server
from tests.integration.recording_helpers import seed_recording

__all__ = ["anonymous", "api", "contract_server"]  # fixtures

RECORDINGS = "/api/v1/recordings"


def secret(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


@pytest.fixture
def room(api: httpx.Client) -> Iterator[dict[str, str]]:
    created = api.post("/api/v1/rooms", json={"roomName": "Recorded room"})
    assert created.status_code == 201
    yield created.json()


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message"}
    return dict(body)


async def _member_token(http: httpx.AsyncClient, room: dict[str, str], url_key: str) -> str:
    body = {"roomId": room["roomId"], "secret": secret(room[url_key])}
    answer = await http.post("/internal-api/v1/participants/token", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


async def test_start_and_stop_with_a_participant_in_the_meeting(
    contract_server: ServerProcess,
    room: dict[str, str],
) -> None:
    room_id = room["roomId"]
    base = contract_server.url
    async with (
        httpx.AsyncClient(base_url=base, headers={"X-API-KEY": API_KEY}, timeout=30) as http,
        httpx.AsyncClient(base_url=base, timeout=30) as stranger,
    ):
        # nobody in the meeting yet, an unknown room, a disabled room, a bad body, no credentials
        assert _error(await http.post(RECORDINGS, json={"roomId": room_id}), 409)["message"] == (
            f"Room '{room_id}' has no participants to record"
        )
        unknown = await http.post(RECORDINGS, json={"roomId": "nowhere"})
        assert _error(unknown, 404)["message"] == "Room 'nowhere' does not exist"
        config = {"recording": {"enabled": False}}
        disabled = (await http.post("/api/v1/rooms", json={"roomName": "Off", "config": config})).json()
        assert _error(await http.post(RECORDINGS, json={"roomId": disabled["roomId"]}), 403)["message"] == (
            f"Recording is disabled for room '{disabled['roomId']}'"
        )
        assert _error(await http.post(RECORDINGS, json={}), 422)["details"][0]["field"] == "roomId"  # type: ignore[index]
        _error(await http.post(RECORDINGS, json={"roomId": room_id, "config": {"layout": "mosaic"}}), 422)
        _error(await stranger.post(RECORDINGS, json={}), 401)  # authentication comes first

        speaker = await _member_token(stranger, room, "speakerUrl")
        other_moderator = await _member_token(stranger, disabled, "moderatorUrl")
        moderator = await _member_token(stranger, room, "moderatorUrl")
        ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1, publish_audio=False)
        await ana.join()
        try:
            # a speaker may not record; a moderator of another room is refused too
            for token in (speaker, other_moderator):
                refused = await stranger.post(
                    RECORDINGS, json={"roomId": room_id}, headers={"X-Participant-Token": token}
                )
                _error(refused, 403)

            started = await http.post(RECORDINGS, json={"roomId": room_id, "config": {"layout": "speaker"}})
            assert started.status_code == 201, started.text
            recording = started.json()
            recording_id = recording["recordingId"]
            assert started.headers["Location"] == f"{base}{RECORDINGS}/{recording_id}"
            assert recording["status"] == "active" and recording["roomId"] == room_id
            assert recording["layout"] == "speaker" and recording["encoding"] == "H264_720P_30"
            assert recording["filename"] == f"{room_id}--{recording_id.rsplit('--', 1)[1]}.mp4"
            assert not {"endDate", "duration", "size"} & set(recording)
            assert _error(await http.post(RECORDINGS, json={"roomId": room_id}), 409)["message"] == (
                f"Room '{room_id}' is already being recorded"
            )
            # in progress: not deletable
            assert _error(await http.delete(f"{RECORDINGS}/{recording_id}"), 409)["error"] == "Recording Error"
            assert (await http.get(f"{RECORDINGS}/{recording_id}")).json()["status"] == "active"

            # the moderator's own token stops it
            stopped = await stranger.post(
                f"{RECORDINGS}/{recording_id}/stop", headers={"X-Participant-Token": moderator}
            )
            assert stopped.status_code == 202, stopped.text
            assert stopped.headers["Location"].endswith(f"{RECORDINGS}/{recording_id}")
            assert stopped.json()["status"] in ("ending", "complete")
            assert isinstance(stopped.json()["duration"], float) and stopped.json()["duration"] >= 0
            _error(await http.post(f"{RECORDINGS}/{recording_id}/stop"), 409)
        finally:
            await ana.leave()
        _error(await http.post(f"{RECORDINGS}/not-an-id/stop"), 422)
        _error(await http.post(f"{RECORDINGS}/{room_id}--EG_nothing--x1/stop"), 404)


def test_list_filters_sorts_and_pages(
    contract_server: ServerProcess,
    api: httpx.Client,
) -> None:
    alpha = api.post("/api/v1/rooms", json={"roomName": "Alpha Review"}).json()
    beta = api.post("/api/v1/rooms", json={"roomName": "beta sync"}).json()
    made = [
        seed_recording(contract_server, alpha["roomId"], "Alpha Review", start_date=1_000 + i, duration_ms=500 * i)
        for i in range(1, 4)
    ]
    failed = seed_recording(contract_server, beta["roomId"], "beta sync", status="failed", start_date=5_000, media=None)
    ids = [m.recording_id for m in made]

    def listed(**params: object) -> list[str]:
        answer = api.get(RECORDINGS, params={"maxItems": 100, **params})
        assert answer.status_code == 200, answer.text
        return [r["recordingId"] for r in answer.json()["recordings"]]

    assert listed(roomId=alpha["roomId"]) == ids[::-1]  # startDate, newest first by default
    assert listed(roomId=alpha["roomId"], sortField="duration", sortOrder="asc") == ids
    assert listed(roomId=beta["roomId"], status="failed") == [failed.recording_id]
    assert listed(roomId=beta["roomId"], status="complete") == []
    assert set(listed(roomName="alpha")) == set(ids)  # partial, case-insensitive by default
    assert listed(roomName="alpha", roomNameCaseInsensitive="false") == []
    assert set(listed(roomName="beta sync", roomNameMatchMode="exact")) == {failed.recording_id}
    assert listed(roomName="^Alpha R.*w$", roomNameMatchMode="regex", sortOrder="asc", sortField="startDate") == ids
    _error(api.get(RECORDINGS, params={"roomName": "(a)", "roomNameMatchMode": "regex"}), 422)

    # pages of two, in the asked order, until the last says it is the last
    seen: list[str] = []
    params: dict[str, object] = {"roomName": "Alpha Review", "maxItems": 2, "sortField": "size", "sortOrder": "asc"}
    while True:
        page = api.get(RECORDINGS, params=params).json()
        seen += [r["recordingId"] for r in page["recordings"]]
        assert page["pagination"]["maxItems"] == 2
        if not page["pagination"]["isTruncated"]:
            assert "nextPageToken" not in page["pagination"]
            break
        params["nextPageToken"] = page["pagination"]["nextPageToken"]
    assert sorted(seen) == sorted(ids) and len(seen) == 3
    _error(api.get(RECORDINGS, params={"nextPageToken": "forged.token"}), 422)
    token = api.get(RECORDINGS, params={"maxItems": 1}).json()["pagination"]["nextPageToken"]
    _error(api.get(RECORDINGS, params={"maxItems": 1, "nextPageToken": token, "sortField": "size"}), 422)

    for bad in ("0", "-1", "many"):
        _error(api.get(RECORDINGS, params={"maxItems": bad}), 422)
    assert api.get(RECORDINGS, params={"maxItems": 500}).json()["pagination"]["maxItems"] == 100
    _error(api.get(RECORDINGS, params={"sortField": "filename"}), 422)
    _error(api.get(RECORDINGS, params={"status": "paused"}), 422)

    # fields, as a query or a header
    only = api.get(RECORDINGS, params={"roomId": alpha["roomId"], "fields": "recordingId,status"}).json()
    assert all(set(r) == {"recordingId", "status"} for r in only["recordings"])
    header = api.get(RECORDINGS, params={"roomId": alpha["roomId"]}, headers={"X-Fields": "size"}).json()
    assert [r["size"] for r in header["recordings"]] == [made[0].path.stat().st_size] * 3  # type: ignore[union-attr]

    one = api.get(f"{RECORDINGS}/{ids[0]}")
    assert one.status_code == 200
    body = one.json()
    assert body["duration"] == 0.5 and body["size"] == made[0].path.stat().st_size  # type: ignore[union-attr]
    assert body["status"] == "complete" and body["endDate"] >= body["startDate"]
    assert body["details"] == "End reason: StopEgress API" and body["roomName"] == "Alpha Review"
    assert api.get(f"{RECORDINGS}/{ids[0]}", params={"fields": "status"}).json() == {"status": "complete"}
    _error(api.get(f"{RECORDINGS}/{alpha['roomId']}--EG_none--x9"), 404)
    for malformed in ("plain", "a--b--c", "a--EG_--c", "--EG_x--c"):
        _error(api.get(f"{RECORDINGS}/{malformed}"), 422)


def test_delete_one_and_many(contract_server: ServerProcess, api: httpx.Client, room: dict[str, str]) -> None:
    room_id = room["roomId"]
    one, two, three = (seed_recording(contract_server, room_id, "Recorded room") for _ in range(3))
    active = seed_recording(contract_server, room_id, "Recorded room", status="active")

    deleted = api.delete(f"{RECORDINGS}/{one.recording_id}")
    assert deleted.status_code == 200 and deleted.json() == {
        "message": f"Recording '{one.recording_id}' deleted successfully"
    }
    assert one.path is not None and not one.path.parent.exists()  # its files are gone with it
    _error(api.get(f"{RECORDINGS}/{one.recording_id}"), 404)
    _error(api.delete(f"{RECORDINGS}/{one.recording_id}"), 404)
    _error(api.delete(f"{RECORDINGS}/{active.recording_id}"), 409)
    _error(api.delete(f"{RECORDINGS}/nonsense"), 422)

    bulk = api.delete(
        RECORDINGS, params={"recordingIds": f"{two.recording_id}, {two.recording_id},{three.recording_id}"}
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json() == {
        "message": "All recordings deleted successfully",
        "deleted": [two.recording_id, three.recording_id],
    }
    four = seed_recording(contract_server, room_id, "Recorded room")
    partial = api.delete(RECORDINGS, params={"recordingIds": f"{four.recording_id},{active.recording_id},bad-id"})
    assert partial.status_code == 400
    body = partial.json()
    assert body["deleted"] == [four.recording_id]
    assert [f["recordingId"] for f in body["failed"]] == [active.recording_id, "bad-id"]
    assert all(f["error"] for f in body["failed"])
    _error(api.delete(RECORDINGS, params={"recordingIds": " , "}), 422)
    _error(api.delete(RECORDINGS), 422)
    assert [r["recordingId"] for r in api.get(RECORDINGS, params={"roomId": room_id}).json()["recordings"]] == [
        active.recording_id
    ]


async def test_the_34_internal_routes_take_a_moderators_token(
    contract_server: ServerProcess,
    room: dict[str, str],
) -> None:
    internal = "/internal-api/v1/recordings"
    async with (
        httpx.AsyncClient(base_url=contract_server.url, headers={"X-API-KEY": API_KEY}, timeout=30) as http,
        httpx.AsyncClient(base_url=contract_server.url, timeout=30) as stranger,
    ):
        moderator = {"X-Participant-Token": await _member_token(stranger, room, "moderatorUrl")}
        speaker = {"X-Participant-Token": await _member_token(stranger, room, "speakerUrl")}
        ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1, publish_audio=False)
        await ana.join()
        try:
            # as upstream 3.4: the API key is not a credential of these routes, a speaker is not a moderator
            _error(await http.post(internal, json={"roomId": room["roomId"]}), 401)
            _error(await stranger.post(internal, json={"roomId": room["roomId"]}, headers=speaker), 403)
            started = await stranger.post(internal, json={"roomId": room["roomId"]}, headers=moderator)
            assert started.status_code == 201, started.text
            recording_id = started.json()["recordingId"]
            assert started.json()["status"] == "active"
            _error(await http.post(f"{internal}/{recording_id}/stop"), 401)
            stopped = await stranger.post(f"{internal}/{recording_id}/stop", headers=moderator)
            assert stopped.status_code == 202 and stopped.json()["status"] in ("ending", "complete")
        finally:
            await ana.leave()


async def test_no_room_on_the_disk_is_a_503(tmp_path: Path) -> None:
    """A server whose recordings' disk is at its floor refuses to start a recording, saying so."""
    server = ServerProcess(tmp_path / "data", free_port(), extra_env={"MEETDESK_RECORDING_DISK_FLOOR_MB": "1000000000"})
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-KEY": API_KEY}, timeout=30) as http:
            room = (await http.post("/api/v1/rooms", json={"roomName": "Full disk"})).json()
            ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1, publish_audio=False)
            await ana.join()
            try:
                refused = await http.post(RECORDINGS, json={"roomId": room["roomId"]})
                assert _error(refused, 503)["error"] == "Recording Error"
                assert (await http.get(RECORDINGS, params={"roomId": room["roomId"]})).json()["recordings"] == []
            finally:
                await ana.leave()
    finally:
        server.stop()


async def test_the_deletion_matrix_on_a_real_recording(contract_server: ServerProcess) -> None:
    """The rooms' deletion matrix rows with recordings and no meeting (fail, close, force), on a recording the
    composite recorder made."""
    async with httpx.AsyncClient(base_url=contract_server.url, headers={"X-API-KEY": API_KEY}, timeout=60) as http:
        room = (await http.post("/api/v1/rooms", json={"roomName": "Deleted with recordings"})).json()
        room_id = room["roomId"]
        ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1, publish_audio=False)
        await ana.join()
        try:
            recording_id = (await http.post(RECORDINGS, json={"roomId": room_id})).json()["recordingId"]
            assert (await http.post(f"{RECORDINGS}/{recording_id}/stop")).status_code == 202
        finally:
            await ana.leave()
        folder = contract_server.data_dir / "recordings" / recording_id

        def delete(policy: str) -> Awaitable[httpx.Response]:
            return http.delete(f"/api/v1/rooms/{room_id}", params={"withRecordings": policy})

        refused = await delete("fail")
        assert (refused.status_code, refused.json()["error"]) == (409, "room_has_recordings")
        closed = await delete("close")
        assert (closed.status_code, closed.json()["successCode"]) == (200, "room_closed")
        assert (await http.get(f"/api/v1/rooms/{room_id}")).json()["status"] == "closed"
        assert (await http.get(f"{RECORDINGS}/{recording_id}")).status_code == 200 and folder.exists()
        deleted = await delete("force")
        assert (deleted.status_code, deleted.json()["successCode"]) == (200, "room_and_recordings_deleted")
        assert (await http.get(f"/api/v1/rooms/{room_id}")).status_code == 404
        assert (await http.get(f"{RECORDINGS}/{recording_id}")).status_code == 404
        assert not folder.exists()

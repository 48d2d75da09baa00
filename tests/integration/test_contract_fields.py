"""Field selection on every room response (OpenVidu Meet 3.8) against a real server: ``fields`` /
``X-Fields`` and ``extraFields`` / ``X-ExtraFields`` on create, list, get, PATCH, config, status and delete."""

from __future__ import annotations

import httpx
import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.signalling import Leave
from tests.conftest import API_KEY, LiveServer, ServerProcess
from tests.integration.meeting_helpers import create_room, join

NAME_ONLY = {"X-Fields": "roomId,roomName"}


async def test_fields_on_every_room_response(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as api:
        created = await api.post("/api/v1/rooms", json={"roomName": "Team"}, headers=NAME_ONLY)
        assert created.status_code == 201
        assert created.json() == {"roomId": created.json()["roomId"], "roomName": "Team"}
        room_id = created.json()["roomId"]

        # without a selection, the whole MeetRoom (3.4's: config included)
        whole = (await api.get(f"/api/v1/rooms/{room_id}")).json()
        assert {"config", "moderatorUrl", "speakerUrl", "status", "creationDate"} <= set(whole)

        got = await api.get(f"/api/v1/rooms/{room_id}", headers={"X-Fields": "roomName"})
        assert got.json() == {"roomName": "Team"}
        # the query parameter wins over the header
        got = await api.get(f"/api/v1/rooms/{room_id}", params={"fields": "status"}, headers=NAME_ONLY)
        assert got.json() == {"status": "open"}
        # extraFields adds to the selection, by query or by header
        got = await api.get(f"/api/v1/rooms/{room_id}", params={"fields": "roomId", "extraFields": "config"})
        assert set(got.json()) == {"roomId", "config"}
        assert got.json()["config"] == whole["config"]
        got = await api.get(f"/api/v1/rooms/{room_id}", headers={"X-Fields": "roomId", "X-ExtraFields": "config"})
        assert set(got.json()) == {"roomId", "config"}
        # extraFields alone: everything (config is there anyway)
        assert (await api.get(f"/api/v1/rooms/{room_id}", params={"extraFields": "config"})).json() == whole

        listed = await api.get("/api/v1/rooms", headers=NAME_ONLY)
        assert listed.json()["rooms"] == [{"roomId": room_id, "roomName": "Team"}]
        assert listed.json()["pagination"]["isTruncated"] is False  # the envelope is not projected

        patched = await api.patch(f"/api/v1/rooms/{room_id}", json={"roomName": "Team B"}, headers=NAME_ONLY)
        assert patched.status_code == 200
        assert patched.json() == {"roomId": room_id, "roomName": "Team B"}

        config = await api.put(
            f"/api/v1/rooms/{room_id}/config", json={"config": {"chat": {"enabled": False}}}, headers=NAME_ONLY
        )
        assert config.status_code == 200
        assert config.json()["room"] == {"roomId": room_id, "roomName": "Team B"}
        assert config.json()["message"]

        status = await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "closed"}, headers=NAME_ONLY)
        assert status.status_code == 200
        assert status.json()["room"] == {"roomId": room_id, "roomName": "Team B"}


async def test_unknown_extra_fields_are_refused(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as api:
        room_id = (await api.post("/api/v1/rooms", json={"roomName": "Team"})).json()["roomId"]
        for answer in (
            await api.get(f"/api/v1/rooms/{room_id}", params={"extraFields": "nonsense"}),
            await api.get("/api/v1/rooms", headers={"X-ExtraFields": "config,nonsense"}),
        ):
            assert answer.status_code == 422
            (detail,) = answer.json()["details"]
            assert detail == {"field": "extraFields", "message": "extraFields must be one of: config, roles, access"}
        # nothing was changed or lost by the refused requests
        assert (await api.get(f"/api/v1/rooms/{room_id}")).json()["roomName"] == "Team"
        # unknown names in fields are ignored, as in 3.4
        assert (await api.get(f"/api/v1/rooms/{room_id}", params={"fields": "roomName,nope"})).json() == {
            "roomName": "Team"
        }


@pytest.mark.parametrize("bulk", [False, True])
async def test_fields_on_deletion_answers(live_server: LiveServer, bulk: bool) -> None:
    room = await create_room(live_server, roomName="Live")
    room_id = room["roomId"]
    ana = await join(live_server, room, "moderator", "Ana")
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        params = {"withMeeting": "when_meeting_ends"}
        if bulk:
            answer = await api.delete("/api/v1/rooms", params={**params, "roomIds": room_id}, headers=NAME_ONLY)
            assert answer.status_code == 200, answer.text
            body = answer.json()["successful"][0]
        else:
            answer = await api.delete(f"/api/v1/rooms/{room_id}", params=params, headers=NAME_ONLY)
            assert answer.status_code == 202, answer.text
            body = answer.json()
        assert body["successCode"] == "room_with_active_meeting_scheduled_to_be_deleted"
        assert body["room"] == {"roomId": room_id, "roomName": "Live"}
    await ana.client.send(Leave())
    await ana.closed()


async def test_client_extra_fields(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as client:
        room = await client.create_room({"roomName": "Team"})
        only = await client.get_room(room.roomId, fields=["roomName"], extra_fields=["config"])
        assert (only.roomName, only.config, only.speakerUrl) == ("Team", room.config, None)
        page = await client.list_rooms(fields="roomName", extra_fields="config")
        assert [(r.roomId, r.config, r.status) for r in page.rooms] == [(room.roomId, room.config, None)]

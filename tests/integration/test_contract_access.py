"""OpenVidu Meet 3.8's room access against a real ``meetdesk server`` process: ``extraFields=access``
(each anonymous link's state and URL) and ``PUT /api/v1/rooms/{roomId}/access`` (a link turned off gets 403
at the token endpoint; the participants already in stay)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from meetdesk.client.signalling import SignallingClient
from meetdesk.core.signalling import Ping
from tests.conftest import API_KEY, ServerProcess
from tests.integration.meeting_helpers import Peer

KEY = {"X-API-KEY": API_KEY}


def secret_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


async def token_for(http: httpx.AsyncClient, room: dict[str, Any], role: str) -> httpx.Response:
    body = {"secret": secret_of(room[f"{role}Url"]), "participantName": role.title()}
    return await http.post(f"/internal-api/v1/rooms/{room['roomId']}/members/token", json=body)


async def test_access_shows_each_link(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = (await api.post("/api/v1/rooms", json={"roomName": "Team"})).json()
        assert "access" not in room
        got = (await api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "access"})).json()
        anonymous = got["access"]["anonymous"]
        assert anonymous["moderator"] == {"enabled": True, "url": room["moderatorUrl"]}
        assert anonymous["speaker"] == {"enabled": True, "url": room["speakerUrl"]}
        recording = anonymous["recording"]
        assert recording["enabled"] is True
        assert recording["url"].startswith(f"{server_process.url}/room/{room['roomId']}/recordings?secret=")
        assert secret_of(recording["url"]) not in (secret_of(room["moderatorUrl"]), secret_of(room["speakerUrl"]))
        assert got["access"]["user"] == {"enabled": False}


async def test_a_link_turned_off_lets_nobody_new_in(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = (await api.post("/api/v1/rooms", json={"roomName": "Team"})).json()
        url = f"/api/v1/rooms/{room['roomId']}/access"
        async with httpx.AsyncClient(base_url=server_process.url) as http:
            bo_token = (await token_for(http, room, "speaker")).json()["token"]
            bo = Peer(await SignallingClient.connect(server_process.url, bo_token), bo_token).start()
            try:
                off = await api.put(url, json={"access": {"anonymous": {"speaker": {"enabled": False}}}})
                assert off.status_code == 200, off.text
                assert off.json()["anonymous"]["speaker"]["enabled"] is False
                assert off.json()["anonymous"]["moderator"]["enabled"] is True  # only what was sent changed
                refused = await token_for(http, room, "speaker")
                assert refused.status_code == 403
                assert (
                    refused.json()["message"] == f"Anonymous access to room '{room['roomId']}' as a speaker is disabled"
                )
                role = await http.get(f"/internal-api/v1/rooms/{room['roomId']}/roles/{secret_of(room['speakerUrl'])}")
                assert role.status_code == 403  # the app's link preview says so too
                assert (await token_for(http, room, "moderator")).status_code == 200
                # Bo, already in, stays
                await bo.client.send(Ping())
                await bo.expect("pong")
                # and on again
                on = await api.put(url, json={"access": {"anonymous": {"speaker": {"enabled": True}}}})
                assert on.json()["anonymous"]["speaker"]["enabled"] is True
                assert (await token_for(http, room, "speaker")).status_code == 200
            finally:
                await bo.client.close()


@pytest.mark.parametrize(
    "body",
    [
        {"access": {"anonymous": {"speaker": {"enabled": "no"}}}},
        {"access": {"anonymous": {"viewer": {"enabled": False}}}},
        {"access": {"anonymous": {"speaker": {}}}},
        {"access": {"user": {"enabled": True}}},
        {},
    ],
)
async def test_put_access_refuses_bad_bodies(server_process: ServerProcess, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = (await api.post("/api/v1/rooms", json={"roomName": "Team"})).json()
        answer = await api.put(f"/api/v1/rooms/{room['roomId']}/access", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["details"]
        async with httpx.AsyncClient(base_url=server_process.url) as http:
            assert (await token_for(http, room, "speaker")).status_code == 200  # nothing changed
            stranger = await http.put(f"/api/v1/rooms/{room['roomId']}/access", json={"access": "junk"})
            assert stranger.status_code == 401
        missing = await api.put("/api/v1/rooms/nowhere/access", json={"access": {}})
        assert missing.status_code == 404


async def test_access_user_is_reported_off_and_cannot_be_turned_on(server_process: ServerProcess) -> None:
    """MeetDesk has no user accounts for participants: ``access.user`` is always off, said as it is true of
    MeetDesk, and asking to turn it on is refused naming it (never accepted and dropped)."""
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        body = {"roomName": "Users", "access": {"user": {"enabled": True}}}
        refused = await api.post("/api/v1/rooms", json=body)
        assert refused.status_code == 422, refused.text
        details = refused.json()["details"]
        assert [d["field"] for d in details] == ["access.user.enabled"]
        assert "access.user cannot be enabled" in details[0]["message"]
        listed = (await api.get("/api/v1/rooms", params={"roomName": "Users"})).json()["rooms"]
        assert listed == []  # nothing was created by the refused request
        room = (
            await api.post("/api/v1/rooms", json={"roomName": "Users", "access": {"user": {"enabled": False}}})
        ).json()
        url = f"/api/v1/rooms/{room['roomId']}/access"
        refused = await api.put(url, json={"access": {"user": {"enabled": True}}})
        assert refused.status_code == 422
        assert [d["field"] for d in refused.json()["details"]] == ["access.user.enabled"]
        got = (await api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "access"})).json()
        assert got["access"]["user"] == {"enabled": False}

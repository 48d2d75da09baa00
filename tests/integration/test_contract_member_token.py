"""OpenVidu Meet 3.5+ room member tokens against a real ``meetdesk server`` process: the
``/rooms/{roomId}/members/token`` path and the ``X-Room-Member-Token: Bearer <token>`` header."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from meetdesk.client.api import BadRequest, MeetDeskClient, NotFound
from tests.conftest import API_KEY, ServerProcess


def secret_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


def bearer(token: str) -> dict[str, str]:
    return {"X-Room-Member-Token": f"Bearer {token}"}


async def test_member_token_path_and_header(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as admin:
        room = await admin.create_room({"roomName": "Team"})
        other = await admin.create_room({"roomName": "Other"})
    async with httpx.AsyncClient(base_url=server_process.url) as http:
        answer = await http.post(
            f"/internal-api/v1/rooms/{room.roomId}/members/token",
            json={"secret": secret_of(room.moderatorUrl), "participantName": "Ana"},
        )
        assert answer.status_code == 200, answer.text
        token = answer.json()["token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["room"], claims["role"], claims["name"]) == (room.roomId, "moderator", "Ana")

        # the new header reads the token's room, with the moderator's view of it
        read = await http.get(f"/api/v1/rooms/{room.roomId}", headers=bearer(token))
        assert read.status_code == 200, read.text
        assert read.json()["roomId"] == room.roomId
        assert "moderatorUrl" in read.json()
        # ... and nothing beyond it, as with X-Participant-Token
        elsewhere = await http.get(f"/api/v1/rooms/{other.roomId}", headers=bearer(token))
        assert elsewhere.status_code == 403
        assert elsewhere.json()["error"]

        # a header that is present but wrong is a 401, never ignored
        for value in (token, f"Basic {token}", "Bearer", f"Bearer {token}x"):
            wrong = await http.get(f"/api/v1/rooms/{room.roomId}", headers={"X-Room-Member-Token": value})
            assert wrong.status_code == 401, value
            assert set(wrong.json()) >= {"error", "message"}


async def test_member_token_path_refuses_as_the_token_endpoint_does(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as admin:
        room = await admin.create_room({"roomName": "Team"})
    async with httpx.AsyncClient(base_url=server_process.url) as http:
        path = f"/internal-api/v1/rooms/{room.roomId}/members/token"
        wrong = await http.post(path, json={"secret": "not-the-secret"})
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "Room Error"
        missing = await http.post("/internal-api/v1/rooms/no-such-room/members/token", json={"secret": "x"})
        assert missing.status_code == 404
        invalid = await http.post(path, json={"secret": secret_of(room.speakerUrl), "participantName": "   "})
        assert invalid.status_code == 422
        assert "participantName" in invalid.text
        no_body = await http.post(path)
        assert no_body.status_code == 422


async def test_client_room_member_token(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as admin:
        room = await admin.create_room({"roomName": "Team"})
    async with MeetDeskClient(server_process.url) as client:
        token = await client.room_member_token(room.roomId, secret_of(room.speakerUrl), "Bo")
        assert jwt.decode(token, options={"verify_signature": False})["role"] == "speaker"
        browse = await client.room_member_token(room.roomId, secret_of(room.speakerUrl))
        assert jwt.decode(browse, options={"verify_signature": False})["permissions"]["livekit"]["roomJoin"] is False
        client.credentials.participant_token = token
        seen = await client.get_room(room.roomId)
        assert seen.roomId == room.roomId
        assert seen.moderatorUrl is None  # a speaker does not see the moderator's link
        with pytest.raises(BadRequest):
            await client.room_member_token(room.roomId, "wrong")
        with pytest.raises(NotFound):
            await client.room_member_token("no-such-room", "wrong")
        with pytest.raises(ValueError):
            await client.room_member_token("", "x")

"""Participant tokens from room links: roles, scope, unique names, closed rooms and access modes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, InProcess

TOKEN = "/internal-api/v1/participants/token"


def secret_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


async def make_room(api: httpx.AsyncClient, **body: object) -> dict[str, str]:
    room: dict[str, str] = (await api.post("/api/v1/rooms", json={"roomName": "Team", **body})).json()
    return room


async def token_for(http: httpx.AsyncClient, room: dict[str, str], role_url: str, name: str | None) -> httpx.Response:
    body = {"roomId": room["roomId"], "secret": secret_of(room[role_url])}
    if name is not None:
        body["participantName"] = name
    return await http.post(TOKEN, json=body)


async def test_tokens_carry_role_room_and_permissions(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await make_room(api, config={"chat": {"enabled": False}})
    async with server.http() as http:
        moderator = jwt.decode(
            (await token_for(http, room, "moderatorUrl", "Ana")).json()["token"], options={"verify_signature": False}
        )
        speaker = jwt.decode(
            (await token_for(http, room, "speakerUrl", "Bo")).json()["token"], options={"verify_signature": False}
        )
    assert (moderator["role"], moderator["room"], moderator["name"]) == ("moderator", room["roomId"], "Ana")
    assert (speaker["role"], speaker["name"]) == ("speaker", "Bo")
    assert moderator["permissions"]["openvidu"]["canEndMeeting"] is True
    assert speaker["permissions"]["openvidu"]["canEndMeeting"] is False
    assert speaker["permissions"]["openvidu"]["canChat"] is False  # the room's config applies to every role
    assert moderator["sub"] != speaker["sub"]
    assert moderator["exp"] - moderator["iat"] == 2 * 3600


async def test_display_names_unique_per_room(server: InProcess, api: httpx.AsyncClient) -> None:
    room, other = await make_room(api), await make_room(api)
    async with server.http() as http:
        names = []
        for name in ("Alice", "alice", "ALICE"):
            token = (await token_for(http, room, "speakerUrl", name)).json()["token"]
            names.append(jwt.decode(token, options={"verify_signature": False})["name"])
        token = (await token_for(http, other, "speakerUrl", "Alice")).json()["token"]
        elsewhere = jwt.decode(token, options={"verify_signature": False})["name"]
    assert names == ["Alice", "alice_1", "ALICE_2"]
    assert elsewhere == "Alice"


async def test_token_errors(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await make_room(api)
    async with server.http() as http:
        bad_secret = await http.post(TOKEN, json={"roomId": room["roomId"], "secret": "guess", "participantName": "X"})
        assert bad_secret.status_code == 400 and bad_secret.json()["error"] == "Room Error"
        assert "guess" not in bad_secret.text  # secrets are not echoed
        unknown = await http.post(TOKEN, json={"roomId": "nope-1", "secret": "s", "participantName": "X"})
        assert unknown.status_code == 404
        missing = await http.post(TOKEN, json={"roomId": room["roomId"]})
        assert missing.status_code == 422 and missing.json()["details"][0]["field"] == "secret"
        await api.put(f"/api/v1/rooms/{room['roomId']}/status", json={"status": "closed"})
        closed = await token_for(http, room, "speakerUrl", "X")
        assert closed.status_code == 409
        assert closed.json()["message"] == f"Room '{room['roomId']}' is closed and cannot be joined"


async def test_token_without_name_cannot_join(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await make_room(api)
    async with server.http() as http:
        token = (await token_for(http, room, "speakerUrl", None)).json()["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "sub" not in claims and "name" not in claims
    assert claims["permissions"]["livekit"]["roomJoin"] is False


async def test_participant_token_reads_only_its_room(server: InProcess, api: httpx.AsyncClient) -> None:
    room, other = await make_room(api), await make_room(api)
    async with server.http() as http:
        speaker = (await token_for(http, room, "speakerUrl", "S")).json()["token"]
        moderator = (await token_for(http, room, "moderatorUrl", "M")).json()["token"]
        as_speaker = {"X-Participant-Token": speaker}
        seen = await http.get(f"/api/v1/rooms/{room['roomId']}", headers=as_speaker)
        assert seen.status_code == 200
        # a speaker's default role may not share the room's links (canShareAccessLinks off, as upstream's 3.8
        # default): no link in what it reads (tests/integration/test_contract_share_links.py has the rest)
        assert "moderatorUrl" not in seen.json() and "speakerUrl" not in seen.json()
        assert (await http.get(f"/api/v1/rooms/{room['roomId']}/config", headers=as_speaker)).status_code == 200
        as_moderator = await http.get(f"/api/v1/rooms/{room['roomId']}", headers={"X-Participant-Token": moderator})
        assert as_moderator.json()["moderatorUrl"] == room["moderatorUrl"]
        assert (await http.get(f"/api/v1/rooms/{other['roomId']}", headers=as_speaker)).status_code == 403
        assert (await http.get(f"/api/v1/rooms/{other['roomId']}/config", headers=as_speaker)).status_code == 403
        # a participant token is not a credential of the API-key routes: 401, as OpenVidu Meet answers
        assert (await http.get("/api/v1/rooms", headers=as_speaker)).status_code == 401
        assert (await http.delete(f"/api/v1/rooms/{room['roomId']}", headers=as_speaker)).status_code == 401
        assert (
            await http.post("/api/v1/rooms", json={}, headers={"X-Participant-Token": moderator})
        ).status_code == 401
        forged = await http.get(f"/api/v1/rooms/{room['roomId']}", headers={"X-Participant-Token": speaker + "x"})
        assert forged.status_code == 401


async def test_roles_endpoints(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await make_room(api)
    async with server.http() as http:
        roles = (await http.get(f"/internal-api/v1/rooms/{room['roomId']}/roles")).json()
        assert [r["role"] for r in roles] == ["moderator", "speaker"]
        assert roles[0]["permissions"]["openvidu"]["canKickParticipants"] is True
        one = await http.get(f"/internal-api/v1/rooms/{room['roomId']}/roles/{secret_of(room['speakerUrl'])}")
        assert one.status_code == 200 and one.json()["role"] == "speaker"
        assert (await http.get(f"/internal-api/v1/rooms/{room['roomId']}/roles/bad")).status_code == 400
        assert (await http.get("/internal-api/v1/rooms/nope-1/roles")).status_code == 404


async def test_auth_mode_to_access_room(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await make_room(api)
    async with server.http() as http:
        login = await http.post(
            "/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}

        async def set_mode(mode: str) -> None:
            body = {"authentication": {"authMethod": {"type": "single_user"}, "authModeToAccessRoom": mode}}
            assert (await http.put("/internal-api/v1/config/security", json=body, headers=bearer)).status_code == 200

        await set_mode("moderators_only")
        assert (await token_for(http, room, "speakerUrl", "S")).status_code == 200
        assert (await token_for(http, room, "moderatorUrl", "M")).status_code == 401
        admin_token = await http.post(
            TOKEN,
            json={"roomId": room["roomId"], "secret": secret_of(room["moderatorUrl"]), "participantName": "M"},
            headers=bearer,
        )
        assert admin_token.status_code == 200
        await set_mode("all_users")
        assert (await token_for(http, room, "speakerUrl", "S")).status_code == 401
        await set_mode("none")
        assert (await token_for(http, room, "moderatorUrl", "M")).status_code == 200

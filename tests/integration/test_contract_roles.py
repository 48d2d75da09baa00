"""OpenVidu Meet 3.8's per-room roles and permissions against a real ``meetdesk server`` process:
``extraFields=roles``, ``PUT /api/v1/rooms/{roomId}/roles`` (partial, validated, stored), the permissions
carried in participant tokens, and the server enforcing them on REST and on every signalling message, live."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from meetdesk.client.api import MeetDeskClient, NotFound, ValidationError
from meetdesk.client.signalling import SignallingClient
from meetdesk.core.permissions import DEFAULT_MODERATOR, DEFAULT_ROLES, DEFAULT_SPEAKER, PERMISSION_KEYS
from meetdesk.core.signalling import ChatReceived, EndMeeting, Kick, MediaState, Ping, PublishOffer, SendChat
from tests.conftest import API_KEY, ServerProcess
from tests.integration.meeting_helpers import Peer

KEY = {"X-API-KEY": API_KEY}

# an offer's shape is all the permission check reads (it runs before the media router looks at the SDP)
SCREEN_OFFER_SDP = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\n"
)


def secret_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


async def new_room(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    created = await api.post("/api/v1/rooms", json={"roomName": "Team", **body})
    assert created.status_code == 201, created.text
    room: dict[str, Any] = created.json()
    return room


async def member_token(http: httpx.AsyncClient, room: dict[str, Any], role: str, name: str | None) -> httpx.Response:
    body: dict[str, Any] = {"secret": secret_of(room[f"{role}Url"])}
    if name is not None:
        body["participantName"] = name
    return await http.post(f"/internal-api/v1/rooms/{room['roomId']}/members/token", json=body)


async def joined(server: ServerProcess, room: dict[str, Any], role: str, name: str) -> Peer:
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await member_token(http, room, role, name)
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    return Peer(await SignallingClient.connect(server.url, token), token).start()


async def test_roles_default_to_what_each_role_could_do_and_show_on_request(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api)
        assert "roles" not in room  # an extra: only when asked for
        got = (await api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "roles"})).json()
        assert got["roles"]["moderator"]["permissions"] == dict.fromkeys(PERMISSION_KEYS, True)
        speaker = got["roles"]["speaker"]["permissions"]
        assert [key for key in PERMISSION_KEYS if not speaker[key]] == [
            "canRecord",
            "canDeleteRecordings",
            "canShareAccessLinks",
            "canMakeModerator",
            "canKickParticipants",
            "canEndMeeting",
        ]
        listed = (await api.get("/api/v1/rooms", headers={"X-Fields": "roomId", "X-ExtraFields": "roles"})).json()
        assert listed["rooms"] == [{"roomId": room["roomId"], "roles": got["roles"]}]


async def test_put_roles_changes_only_what_is_sent_and_is_stored(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api)
        url = f"/api/v1/rooms/{room['roomId']}/roles"
        first = await api.put(url, json={"roles": {"speaker": {"permissions": {"canShareScreen": False}}}})
        assert first.status_code == 200, first.text
        assert first.json()["speaker"]["permissions"] == {**DEFAULT_SPEAKER.model_dump(), "canShareScreen": False}
        assert first.json()["moderator"]["permissions"] == DEFAULT_MODERATOR.model_dump()
        second = await api.put(url, json={"roles": {"moderator": {"permissions": {"canRecord": False}}}})
        assert second.json()["speaker"]["permissions"]["canShareScreen"] is False  # kept from the first change
        assert second.json()["moderator"]["permissions"]["canRecord"] is False
        expected = second.json()
    server_process.stop()
    server_process.start()  # stored, not held in memory
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        got = await api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "roles"})
        assert got.json()["roles"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": {"speaker": {"permissions": {"canFly": True}}}}, "roles.speaker.permissions.canFly"),
        ({"roles": {"speaker": {"permissions": {"canShareScreen": "no"}}}}, "roles.speaker.permissions.canShareScreen"),
        ({"roles": {"speaker": {"permissions": {"canShareScreen": 0}}}}, "roles.speaker.permissions.canShareScreen"),
        ({"roles": {"speaker": {"permissions": {"canShareScreen": None}}}}, "roles.speaker.permissions"),
        ({"roles": {"viewer": {"permissions": {}}}}, "roles.viewer"),
        ({"roles": {"speaker": {}}}, "roles.speaker.permissions"),
        ({}, "roles"),
    ],
)
async def test_put_roles_refuses_bad_bodies(server_process: ServerProcess, body: dict[str, Any], field: str) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api)
        answer = await api.put(f"/api/v1/rooms/{room['roomId']}/roles", json=body)
        assert answer.status_code == 422, answer.text
        assert set(answer.json()) == {"error", "message", "details"}
        assert field in [detail["field"] for detail in answer.json()["details"]]
        got = await api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "roles"})
        assert got.json()["roles"]["speaker"]["permissions"] == DEFAULT_SPEAKER.model_dump()  # nothing changed


async def test_put_roles_authenticates_first_and_knows_its_rooms(server_process: ServerProcess) -> None:
    change = {"roles": {"speaker": {"permissions": {"canWriteChat": False}}}}
    async with httpx.AsyncClient(base_url=server_process.url) as http:
        async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
            room = await new_room(api)
            missing = await api.put("/api/v1/rooms/nowhere/roles", json=change)
            assert missing.status_code == 404 and missing.json()["error"] == "Room Error"
        stranger = await http.put(f"/api/v1/rooms/{room['roomId']}/roles", json={"roles": "junk"})
        assert stranger.status_code == 401  # before the body is looked at
        moderator = (await member_token(http, room, "moderator", "Ana")).json()["token"]
        answer = await http.put(
            f"/api/v1/rooms/{room['roomId']}/roles", json=change, headers={"X-Participant-Token": moderator}
        )
        assert answer.status_code == 401  # a participant token is not a credential of this route


async def test_create_room_with_roles(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(
            api, roles={"speaker": {"permissions": {"canPublishVideo": False}}}, access={"anonymous": {}}
        )
        got = (await api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "roles"})).json()
        assert got["roles"]["speaker"]["permissions"]["canPublishVideo"] is False
        bad = await api.post("/api/v1/rooms", json={"roles": {"speaker": {"permissions": {"canPublishVideo": 1}}}})
        assert bad.status_code == 422


async def test_tokens_carry_the_rooms_permissions(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api, config={"chat": {"enabled": False}})
        await api.put(
            f"/api/v1/rooms/{room['roomId']}/roles",
            json={"roles": {"speaker": {"permissions": {"canShareScreen": False}}}},
        )
    async with httpx.AsyncClient(base_url=server_process.url) as http:
        token = (await member_token(http, room, "speaker", "Bo")).json()["token"]
    grants = jwt.decode(token, options={"verify_signature": False})["permissions"]
    assert grants["openvidu"]["canShareScreen"] is False
    assert grants["openvidu"]["canPublishVideo"] is True
    # the room's config on top: chat off is off for every role (3.4's canChat too)
    assert grants["openvidu"]["canWriteChat"] is False and grants["openvidu"]["canChat"] is False
    assert grants["livekit"]["roomJoin"] is True


async def test_can_join_meeting_off_refuses_join_tokens(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api)
        await api.put(
            f"/api/v1/rooms/{room['roomId']}/roles",
            json={"roles": {"speaker": {"permissions": {"canJoinMeeting": False}}}},
        )
    async with httpx.AsyncClient(base_url=server_process.url) as http:
        refused = await member_token(http, room, "speaker", "Bo")
        assert refused.status_code == 403
        assert refused.json()["message"] == "Your role may not join this room's meetings"
        # a token that joins nothing (to browse the recordings) is still given; moderators still join
        assert (await member_token(http, room, "speaker", None)).status_code == 200
        assert (await member_token(http, room, "moderator", "Ana")).status_code == 200


async def test_signalling_refuses_what_the_role_may_not_do(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api)
        no_chat_or_screen = {"canWriteChat": False, "canReadChat": False, "canShareScreen": False}
        no_moderation = {"canKickParticipants": False, "canEndMeeting": False}
        await api.put(
            f"/api/v1/rooms/{room['roomId']}/roles",
            json={
                "roles": {
                    "speaker": {"permissions": no_chat_or_screen},
                    "moderator": {"permissions": no_moderation},
                }
            },
        )
    ana = await joined(server_process, room, "moderator", "Ana")
    bo = await joined(server_process, room, "speaker", "Bo")
    try:
        assert bo.client.joined is not None and bo.client.joined.permissions is not None
        assert bo.client.joined.permissions.openvidu.canShareScreen is False

        await bo.client.send(SendChat(text="hello"))
        error = await bo.expect("error")
        assert (error.code, error.ref, error.message) == (  # type: ignore[union-attr]
            "forbidden",
            "chat",
            "Your role may not send chat messages in this room",
        )
        await bo.client.send(MediaState(audio=True, video=True, screen=True))
        error = await bo.expect("error", ref="media_state")
        assert error.message == "Your role may not share a screen in this room"  # type: ignore[union-attr]
        await bo.client.send(PublishOffer(sdp=SCREEN_OFFER_SDP, sources={"0": "screen"}))
        error = await bo.expect("error", ref="publish_offer")
        assert (error.code, error.message) == ("forbidden", "Your role may not share a screen in this room")  # type: ignore[union-attr]

        # a role that may not read the chat is not sent it
        await ana.client.send(SendChat(text="for everyone"))
        await ana.expect("chat")
        await bo.client.send(MediaState(audio=True, video=False))  # allowed: answered by an update to everyone
        await bo.expect("participant_updated")
        assert not any(isinstance(message, ChatReceived) for message in bo.seen)

        # moderators without canKickParticipants / canEndMeeting
        await ana.client.send(Kick(identity=bo.identity))
        error = await ana.expect("error", ref="kick")
        assert error.message == "Your role may not remove participants from the meeting"  # type: ignore[union-attr]
        await ana.client.send(EndMeeting())
        error = await ana.expect("error", ref="end_meeting")
        assert error.message == "Your role may not end the meeting"  # type: ignore[union-attr]
        async with httpx.AsyncClient(base_url=server_process.url, headers={"X-Participant-Token": ana.token}) as as_ana:
            kick = await as_ana.delete(f"/internal-api/v1/meetings/{room['roomId']}/participants/{bo.identity}")
            assert kick.status_code == 403
            assert kick.json()["message"] == "Your role may not remove participants from the meeting"
            end = await as_ana.delete(f"/internal-api/v1/meetings/{room['roomId']}")
            assert end.status_code == 403
            # the public meetings API (3.9) too
            kick = await as_ana.delete(f"/api/v1/meetings/{room['roomId']}/participants/{bo.identity}")
            assert (kick.status_code, kick.json()["message"]) == (
                403,
                "Your role may not remove participants from the meeting",
            )
            assert (await as_ana.delete(f"/api/v1/meetings/{room['roomId']}")).status_code == 403
    finally:
        await ana.client.close()
        await bo.client.close()


async def test_roles_change_live(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers=KEY) as api:
        room = await new_room(api)
        ana = await joined(server_process, room, "moderator", "Ana")
        bo = await joined(server_process, room, "speaker", "Bo")
        try:
            await bo.client.send(SendChat(text="before"))
            await ana.expect("chat")
            changed = await api.put(
                f"/api/v1/rooms/{room['roomId']}/roles",
                json={"roles": {"speaker": {"permissions": {"canWriteChat": False}}}},
            )
            assert changed.status_code == 200
            # Bo gets a token with the new permissions, as on a role change; Ana's did not change
            update = await bo.expect("role_changed")
            assert update.role == "speaker" and update.permissions.openvidu.canWriteChat is False  # type: ignore[union-attr]
            claims = jwt.decode(update.token, options={"verify_signature": False})  # type: ignore[union-attr]
            assert claims["permissions"]["openvidu"]["canWriteChat"] is False
            async with httpx.AsyncClient(base_url=server_process.url) as http:
                old = await http.get(f"/api/v1/rooms/{room['roomId']}", headers={"X-Participant-Token": bo.token})
                assert old.status_code == 401  # the token of the old permissions is void
                new = await http.get(
                    f"/api/v1/rooms/{room['roomId']}",
                    headers={"X-Participant-Token": update.token},  # type: ignore[union-attr]
                )
                assert new.status_code == 200
            # and the server holds Bo to them at once
            await bo.client.send(SendChat(text="after"))
            error = await bo.expect("error", ref="chat")
            assert error.code == "forbidden"  # type: ignore[union-attr]
            await ana.client.send(Ping())
            await ana.expect("pong")  # what the server sent Ana before this has arrived
            assert not any(message.type == "role_changed" for message in ana.seen)
        finally:
            await ana.client.close()
            await bo.client.close()


async def test_client_library_reads_and_changes_roles_and_access(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as admin:
        room = await admin.create_room({"roomName": "Team"})
        assert await admin.get_room_roles(room.roomId) == DEFAULT_ROLES
        roles = await admin.update_room_roles(room.roomId, speaker={"canWriteChat": False})
        assert roles.speaker.permissions.canWriteChat is False and roles.moderator == DEFAULT_ROLES.moderator
        assert await admin.get_room_roles(room.roomId) == roles
        with pytest.raises(ValidationError) as refused:
            await admin.update_room_roles(room.roomId, speaker={"canFly": True})
        assert refused.value.status == 422
        access = await admin.update_room_access(room.roomId, speaker=False)
        assert access.anonymous.speaker.enabled is False and access.anonymous.moderator.enabled is True
        assert (await admin.get_room_access(room.roomId)).anonymous.speaker.url == room.speakerUrl
        with pytest.raises(NotFound):
            await admin.get_room_roles("nowhere")

"""Meetings over real signalling sockets: lifecycle, moderation, chat, reasons, recovery, bad input."""

from __future__ import annotations

import asyncio
import json

import pytest

from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.core.signalling import (
    AudioLevel,
    EndMeeting,
    Kick,
    Leave,
    MediaState,
    Ping,
    RaiseHand,
    SendChat,
    SendReaction,
    SetRole,
)
from tests.conftest import API_KEY, LiveServer
from tests.integration.meeting_helpers import api_as, create_room, join, token


async def room_status(live: LiveServer, room_id: str) -> tuple[str, str] | None:
    async with live.http(**{"X-API-KEY": API_KEY}) as api:
        response = await api.get(f"/api/v1/rooms/{room_id}")
        if response.status_code == 404:
            return None
        return response.json()["status"], response.json()["meetingEndAction"]


async def test_first_join_starts_and_last_leave_ends_the_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    assert await room_status(live_server, room["roomId"]) == ("open", "none")
    ana = await join(live_server, room, "moderator", "Ana")
    assert ana.client.joined is not None and ana.client.joined.participants == []
    assert ana.client.joined.you.role == "moderator" and ana.client.joined.room.roomName == "Meeting"
    assert await room_status(live_server, room["roomId"]) == ("active_meeting", "none")
    bo = await join(live_server, room, "speaker", "Bo")
    assert [p.name for p in bo.client.joined.participants] == ["Ana"]  # type: ignore[union-attr]
    joined = await ana.expect("participant_joined")
    assert joined.participant.name == "Bo" and joined.participant.role == "speaker"  # type: ignore[union-attr]

    await bo.client.send(Leave())
    assert (await bo.expect("left")).reason == "voluntary_leave"  # type: ignore[union-attr]
    await bo.closed()
    left = await ana.expect("participant_left")
    assert (left.identity, left.reason) == (bo.identity, "voluntary_leave")  # type: ignore[union-attr]
    assert await room_status(live_server, room["roomId"]) == ("active_meeting", "none")
    await ana.client.send(Leave())
    await ana.closed()
    assert await room_status(live_server, room["roomId"]) == ("open", "none")


async def test_late_joiner_gets_state_and_chat_history(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    await ana.client.send(SendChat(text="hello <b>world</b>"))
    first = await ana.expect("chat")
    await ana.client.send(MediaState(audio=True, video=True))
    await ana.client.send(RaiseHand(raised=True))
    await ana.expect("participant_updated")
    late = await join(live_server, room, "speaker", "Late")
    assert late.client.joined is not None
    assert [m.text for m in late.client.joined.chat] == ["hello <b>world</b>"]
    assert late.client.joined.chat[0] == first.message  # type: ignore[union-attr]
    [seen] = late.client.joined.participants
    assert (seen.audio, seen.video, seen.handRaised) == (True, True, True)


async def test_chat_reactions_hands_and_active_speaker_reach_everyone(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana, bo, cy = [
        await join(live_server, room, r, n) for r, n in (("moderator", "Ana"), ("speaker", "Bo"), ("speaker", "Cy"))
    ]
    await bo.client.send(SendChat(text="hi all"))
    for peer in (ana, bo, cy):
        message = (await peer.expect("chat")).message  # type: ignore[union-attr]
        assert (message.name, message.identity, message.text) == ("Bo", bo.identity, "hi all")
        assert message.time > 0
    await cy.client.send(SendReaction(emoji="👍"))
    for peer in (ana, bo):
        assert (await peer.expect("reaction", identity=cy.identity)).emoji == "👍"  # type: ignore[union-attr]
    await bo.client.send(RaiseHand(raised=True))
    update = await ana.expect("participant_updated")
    assert update.participant.identity == bo.identity and update.participant.handRaised  # type: ignore[union-attr]
    await cy.client.send(MediaState(audio=True, video=False))
    await cy.client.send(AudioLevel(level=0.6))
    assert (await ana.expect("active_speaker")).identity == cy.identity  # type: ignore[union-attr]
    assert (await bo.expect("active_speaker")).identity == cy.identity  # type: ignore[union-attr]


async def test_chat_disabled_and_length_limited(live_server: LiveServer) -> None:
    room = await create_room(live_server, config={"chat": {"enabled": False}})
    ana = await join(live_server, room, "moderator", "Ana")
    await ana.client.send(SendChat(text="anyone?"))
    error = await ana.expect("error")
    assert (error.code, error.ref) == ("chat_disabled", "chat")  # type: ignore[union-attr]
    await ana.client.send_raw(json.dumps({"type": "chat", "v": 1, "text": "x" * 2001}))
    assert (await ana.expect("error")).code == "malformed"  # type: ignore[union-attr]


async def test_kick_over_rest_and_kicked_identity_cannot_rejoin(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    async with await api_as(live_server, bo.token) as as_speaker:
        refused = await as_speaker.delete(f"/internal-api/v1/meetings/{room['roomId']}/participants/{ana.identity}")
        assert refused.status_code == 403
    async with await api_as(live_server, ana.token) as as_moderator:
        url = f"/internal-api/v1/meetings/{room['roomId']}/participants/{bo.identity}"
        assert (await as_moderator.delete(url)).status_code == 200
        assert (await as_moderator.delete(url)).status_code == 404
    assert (await bo.expect("left")).reason == "participant_kicked"  # type: ignore[union-attr]
    await bo.closed()
    assert (await ana.expect("participant_left")).reason == "participant_kicked"  # type: ignore[union-attr]
    with pytest.raises(SignallingError) as refused_again:
        await SignallingClient.connect(live_server.url, bo.token)
    assert refused_again.value.code == "forbidden" and "removed" in str(refused_again.value)


async def test_kick_over_the_socket_needs_a_moderator(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    await bo.client.send(Kick(identity=ana.identity))
    assert (await bo.expect("error")).code == "forbidden"  # type: ignore[union-attr]
    await bo.client.send(EndMeeting())
    assert (await bo.expect("error")).code == "forbidden"  # type: ignore[union-attr]
    await ana.client.send(Kick(identity=bo.identity))
    assert (await bo.expect("left")).reason == "participant_kicked"  # type: ignore[union-attr]
    await ana.client.send(Kick(identity="nobody"))
    assert (await ana.expect("error")).code == "not_found"  # type: ignore[union-attr]


async def test_role_change_reaches_the_participant_with_a_new_token(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    async with await api_as(live_server, ana.token) as as_moderator:
        url = f"/internal-api/v1/meetings/{room['roomId']}/participants/{bo.identity}/role"
        response = await as_moderator.put(url, json={"role": "moderator"})
        assert response.status_code == 200 and response.json()["participant"]["role"] == "moderator"
        assert (await as_moderator.put(url, json={"role": "king"})).status_code == 422
    changed = await bo.expect("role_changed")
    assert changed.role == "moderator" and changed.permissions.openvidu.canKickParticipants  # type: ignore[union-attr]
    update = await ana.expect("participant_updated")
    assert (update.participant.identity, update.participant.role) == (bo.identity, "moderator")  # type: ignore[union-attr]
    # the new token works for moderator actions; and demoting Ana takes effect at once, old token or not
    async with await api_as(live_server, changed.token) as as_bo:  # type: ignore[union-attr]
        url = f"/internal-api/v1/meetings/{room['roomId']}/participants/{ana.identity}/role"
        assert (await as_bo.put(url, json={"role": "speaker"})).status_code == 200
    await bo.client.send(SetRole(identity=ana.identity, role="speaker"))
    async with await api_as(live_server, ana.token) as as_demoted:
        ended = await as_demoted.delete(f"/internal-api/v1/meetings/{room['roomId']}")
        assert ended.status_code == 401 and "revoked" in ended.json()["message"]  # the role change voided it


async def test_moderator_ends_the_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    await ana.client.send(EndMeeting())
    assert (await ana.expect("left")).reason == "meeting_ended_by_self"  # type: ignore[union-attr]
    assert (await bo.expect("left")).reason == "meeting_ended"  # type: ignore[union-attr]
    await asyncio.gather(ana.closed(), bo.closed())
    assert await room_status(live_server, room["roomId"]) == ("open", "none")


async def test_meeting_rest_endpoints_auth(live_server: LiveServer) -> None:
    room, other = await create_room(live_server), await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    other_moderator = await token(live_server, other, "moderator", "Zed")
    url = f"/internal-api/v1/meetings/{room['roomId']}"
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        assert (await api.delete(url)).status_code == 401
    async with await api_as(live_server, other_moderator) as foreign:
        assert (await foreign.delete(url)).status_code == 403
    async with await api_as(live_server, ana.token) as as_moderator:
        assert (await as_moderator.delete(url)).status_code == 200
        assert (await as_moderator.delete(url)).status_code == 200  # no meeting: still 200
    assert (await ana.expect("left")).reason == "meeting_ended_by_self"  # type: ignore[union-attr]


async def test_signalling_drop_resumes_within_grace(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    session = bo.client.joined.sessionId  # type: ignore[union-attr]
    bo.client.abort()
    dropped = await ana.expect("participant_updated")
    assert dropped.participant.reconnecting  # type: ignore[union-attr]
    again = await SignallingClient.connect(live_server.url, bo.token, resume=session)
    assert again.joined is not None and again.joined.resumed and again.joined.you.identity == bo.identity
    back = await ana.expect("participant_updated")
    assert not back.participant.reconnecting  # type: ignore[union-attr]
    await again.close()


async def test_grace_expiry_is_a_network_disconnect(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    bo.client.abort()
    left = await ana.expect("participant_left", timeout=10)
    assert (left.identity, left.reason) == (bo.identity, "network_disconnect")  # type: ignore[union-attr]


async def test_same_identity_elsewhere_replaces_the_first(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    second = await SignallingClient.connect(live_server.url, ana.token)  # no resume id: a second device
    assert (await ana.expect("left")).reason == "duplicate_identity"  # type: ignore[union-attr]
    assert second.joined is not None and second.joined.you.identity == ana.identity
    await second.close()


async def test_bad_messages_get_errors_and_the_socket_lives_on(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    for raw, code in [
        ("not json", "malformed"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "media_state", "audio": "yes", "video": true}', "malformed"),
        ('{"type": "audio_level", "level": 7}', "malformed"),
        ("[1, 2]", "malformed"),
        ('{"type": "publish_offer", "sdp": "v=0 garbage"}', "invalid_sdp"),
        ('{"type": "subscribe_answer", "sdp": "v=0"}', "bad_state"),  # no offer is waiting
        ("x" * (300 * 1024), "too_large"),
    ]:
        await ana.client.send_raw(raw)
        assert (await ana.expect("error")).code == code, raw  # type: ignore[union-attr]
    await ana.client.send(Ping())
    await ana.expect("pong")


async def test_rate_limit(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    for _ in range(200):
        await ana.client.send(Ping())
    assert (await ana.expect("error")).code == "rate_limited"  # type: ignore[union-attr]


async def test_join_refusals(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    with pytest.raises(SignallingError) as bad:
        await SignallingClient.connect(live_server.url, "not-a-token")
    assert bad.value.code == "unauthorized"
    async with live_server.http() as http:
        body = {"roomId": room["roomId"], "secret": room["speakerUrl"].split("secret=")[1]}
        nameless = (await http.post("/internal-api/v1/participants/token", json=body)).json()["token"]
    with pytest.raises(SignallingError) as no_name:
        await SignallingClient.connect(live_server.url, nameless)
    assert no_name.value.code == "forbidden"


async def test_server_shutdown_tells_everyone(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    await live_server.ctx.meetings.shutdown()
    for peer in (ana, bo):
        assert (await peer.expect("left")).reason == "server_shutdown"  # type: ignore[union-attr]


async def test_deleting_the_room_ends_its_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        response = await api.delete(f"/api/v1/rooms/{room['roomId']}", params={"withMeeting": "force"})
        assert response.json()["successCode"] == "room_with_active_meeting_deleted"
    assert (await ana.expect("left")).reason == "room_deleted"  # type: ignore[union-attr]
    assert await room_status(live_server, room["roomId"]) is None

"""Rights end when they are taken away: a kick or a role change voids the tokens issued before it, on
REST and on the signalling socket (OpenVidu Meet 3.8's ``roleUpdatedAt``), even once the participant
has left the meeting and can no longer be looked up in it.
"""

from __future__ import annotations

import httpx
import pytest

from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.core.signalling import Kick, Leave, ParticipantUpdated, RoleChanged, SetRole
from tests.integration.abuse.conftest import AbuseServer, StartServer, assert_clean_log
from tests.integration.meeting_helpers import Peer

MEETINGS = "/internal-api/v1/meetings"


async def _join(server: AbuseServer, room: dict[str, str], role: str, name: str) -> Peer:
    token = server.participant_token(room["roomId"], room[role], name)
    return Peer(await SignallingClient.connect(server.url, token), token).start()


async def _close(*peers: Peer) -> None:
    """Close each socket (this side too, even when the server closed it) and wait for its reader."""
    for peer in peers:
        await peer.client.close()
        await peer.closed()


def _as(server: AbuseServer, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, headers={"X-Participant-Token": token}, timeout=30)


async def test_a_kicked_moderator_can_no_longer_kick_nor_end_the_meeting(abuse_server: AbuseServer) -> None:
    room = abuse_server.create_room("Kick")
    room_id = room["roomId"]
    ana = await _join(abuse_server, room, "moderator", "Ana")
    bo = await _join(abuse_server, room, "moderator", "Bo")
    cy = await _join(abuse_server, room, "speaker", "Cy")
    async with _as(abuse_server, bo.token) as as_bo, _as(abuse_server, ana.token) as as_ana:
        kicked = await as_bo.delete(f"{MEETINGS}/{room_id}/participants/{ana.identity}")
        assert kicked.status_code == 200
        await ana.expect("left", reason="participant_kicked")
        await ana.closed()

        kick_cy = await as_ana.delete(f"{MEETINGS}/{room_id}/participants/{cy.identity}")
        end = await as_ana.delete(f"{MEETINGS}/{room_id}")
        promote = await as_ana.put(f"{MEETINGS}/{room_id}/participants/{cy.identity}/role", json={"role": "moderator"})
        read_room = await as_ana.get(f"/api/v1/rooms/{room_id}")
    for refused in (kick_cy, end, promote, read_room):
        assert refused.status_code == 401, refused.text
    # Nobody was touched: Bo and Cy are still in, and Cy still a speaker.
    with pytest.raises(SignallingError) as rejoin:
        await SignallingClient.connect(abuse_server.url, ana.token)
    assert rejoin.value.code in ("forbidden", "unauthorized")
    await bo.client.send(Kick(identity=cy.identity))  # the meeting still runs: a real moderator still can
    await cy.expect("left", reason="participant_kicked")
    assert not [m for m in bo.seen if m.type == "left"]
    await _close(ana, bo, cy)


async def test_a_demoted_moderator_who_left_can_no_longer_promote(abuse_server: AbuseServer) -> None:
    room = abuse_server.create_room("Demote")
    room_id = room["roomId"]
    ana = await _join(abuse_server, room, "moderator", "Ana")
    bo = await _join(abuse_server, room, "moderator", "Bo")
    cy = await _join(abuse_server, room, "speaker", "Cy")
    async with _as(abuse_server, bo.token) as as_bo:
        demoted = await as_bo.put(f"{MEETINGS}/{room_id}/participants/{ana.identity}/role", json={"role": "speaker"})
        assert demoted.status_code == 200
    changed = await ana.expect("role_changed")
    assert isinstance(changed, RoleChanged) and changed.role == "speaker"
    new_token = changed.token
    abuse_server.keep_secret(new_token)

    # On the socket, while still in: the demoted moderator is refused at once.
    await ana.client.send(Kick(identity=cy.identity))
    refused = await ana.expect("error")
    assert getattr(refused, "code", None) == "forbidden"

    await ana.client.send(Leave())
    await ana.expect("left", reason="voluntary_leave")
    await ana.closed()

    url = f"{MEETINGS}/{room_id}/participants/{cy.identity}/role"
    async with _as(abuse_server, ana.token) as old, _as(abuse_server, new_token) as new:
        with_old = await old.put(url, json={"role": "moderator"})
        end_with_old = await old.delete(f"{MEETINGS}/{room_id}")
        with_new = await new.put(url, json={"role": "moderator"})
    assert with_old.status_code == 401, with_old.text
    assert end_with_old.status_code == 401, end_with_old.text
    assert with_new.status_code == 403, with_new.text  # the token of the new role is valid, and a speaker's

    # Back on the socket: the old token is refused, the new one joins as a speaker.
    with pytest.raises(SignallingError) as rejoin:
        await SignallingClient.connect(abuse_server.url, ana.token)
    assert rejoin.value.code == "unauthorized"
    again = Peer(await SignallingClient.connect(abuse_server.url, new_token), new_token).start()
    assert again.client.joined is not None and again.client.joined.you.role == "speaker"
    assert not [m for m in cy.seen if m.type == "role_changed"]  # Cy was never promoted
    await _close(ana, again, bo, cy)


async def test_a_promotion_voids_the_old_token_and_the_new_one_moderates(abuse_server: AbuseServer) -> None:
    room = abuse_server.create_room("Promote")
    room_id = room["roomId"]
    bo = await _join(abuse_server, room, "moderator", "Bo")
    cy = await _join(abuse_server, room, "speaker", "Cy")
    await bo.client.send(SetRole(identity=cy.identity, role="moderator"))
    changed = await cy.expect("role_changed")
    assert isinstance(changed, RoleChanged) and changed.role == "moderator"
    abuse_server.keep_secret(changed.token)
    async with _as(abuse_server, cy.token) as old, _as(abuse_server, changed.token) as new:
        assert (await old.get(f"/api/v1/rooms/{room_id}")).status_code == 401
        ended = await new.delete(f"{MEETINGS}/{room_id}")
    assert ended.status_code == 200, ended.text
    await bo.expect("left", reason="meeting_ended")
    await cy.expect("left", reason="meeting_ended_by_self")
    await _close(bo, cy)


async def test_a_participant_promoted_while_away_resumes_and_gets_the_new_token(abuse_server: AbuseServer) -> None:
    """The role_changed message sent while its socket was down is lost: the resume makes up for it."""
    room = abuse_server.create_room("Away")
    room_id = room["roomId"]
    bo = await _join(abuse_server, room, "moderator", "Bo")
    ana = await _join(abuse_server, room, "speaker", "Ana")
    assert ana.client.joined is not None
    session = ana.client.joined.sessionId
    ana.client.abort()
    await ana.closed()
    while True:  # until Bo is told Ana is reconnecting: the server saw the drop
        update = await bo.expect("participant_updated", timeout=10)
        assert isinstance(update, ParticipantUpdated)
        if update.participant.identity == ana.identity and update.participant.reconnecting:
            break
    async with _as(abuse_server, bo.token) as as_bo:
        promoted = await as_bo.put(f"{MEETINGS}/{room_id}/participants/{ana.identity}/role", json={"role": "moderator"})
    assert promoted.status_code == 200

    back = Peer(await SignallingClient.connect(abuse_server.url, ana.token, resume=session), ana.token).start()
    assert back.client.joined is not None and back.client.joined.resumed
    assert back.client.joined.you.role == "moderator"
    changed = await back.expect("role_changed")
    assert isinstance(changed, RoleChanged) and changed.role == "moderator"
    abuse_server.keep_secret(changed.token)
    async with _as(abuse_server, ana.token) as old, _as(abuse_server, changed.token) as new:
        assert (await old.get(f"/api/v1/rooms/{room_id}")).status_code == 401
        read = await new.get(f"/api/v1/rooms/{room_id}")
    assert read.status_code == 200 and read.json()["moderatorUrl"]  # only moderators see it
    abuse_server.keep_secret(read.json()["moderatorUrl"])
    await _close(back, bo)


async def test_a_revocation_outlives_a_restart_of_the_server(abuse_servers: StartServer) -> None:
    """The record is in the database: after a restart, with the meeting gone, the kicked moderator's old
    token still cannot end the next meeting."""
    server = AbuseServer(abuse_servers("revocation-restart"))
    room = server.create_room("Restart")
    ana = await _join(server, room, "moderator", "Ana")
    bo = await _join(server, room, "moderator", "Bo")
    await bo.client.send(Kick(identity=ana.identity))
    await ana.expect("left", reason="participant_kicked")
    await _close(ana, bo)
    server.process.stop()
    first_log = server.process.log()  # the restart writes a new one
    assert_clean_log(first_log)
    assert not [secret[:12] for secret in server.secrets if secret in first_log]
    server.process.start()

    cy = await _join(server, room, "speaker", "Cy")  # a new meeting in the room
    async with _as(server, ana.token) as as_ana:
        ended = await as_ana.delete(f"{MEETINGS}/{room['roomId']}")
    assert ended.status_code == 401, ended.text
    assert not [m for m in cy.seen if m.type == "left"]
    await _close(cy)
    assert not [secret[:12] for secret in server.secrets if secret in server.process.log()]

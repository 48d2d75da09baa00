"""OpenVidu Meet 3.9's public meetings API against a real server process, with participants over real
signalling: ``GET|DELETE /api/v1/meetings/{roomId}``, ``GET .../participants``, ``GET|DELETE
.../participants/{identity}``, ``PUT .../participants/{identity}/role``; the API key or a member token of the
room (a moderator's to act); upstream's statuses and bodies; and the client library's methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import Conflict, NotFound
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess, free_port
from tests.integration.contract_helpers import Remote
from tests.integration.meeting_helpers import Peer, create_room, join


@pytest.fixture(scope="module")
def meetings_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("meetings") / "data", free_port())
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log()


@pytest.fixture
async def remote(meetings_server: ServerProcess) -> AsyncIterator[Remote]:
    yield Remote(meetings_server.url)


@pytest.fixture
async def api(remote: Remote) -> AsyncIterator[httpx.AsyncClient]:
    async with remote.http(**{"X-API-KEY": API_KEY}) as client:
        yield client


async def meeting_of_two(remote: Remote) -> tuple[dict[str, str], Peer, Peer]:
    room = await create_room(remote, roomName="Stand-up")  # type: ignore[arg-type]
    ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
    bo = await join(remote, room, "speaker", "Bo")  # type: ignore[arg-type]
    return room, ana, bo


async def test_the_meeting_and_its_participants_as_upstream_describes_them(
    remote: Remote, api: httpx.AsyncClient
) -> None:
    room, ana, bo = await meeting_of_two(remote)
    base = f"/api/v1/meetings/{room['roomId']}"
    meeting = (await api.get(base)).json()
    assert meeting == {
        "roomId": room["roomId"],
        "roomName": "Stand-up",
        "startDate": ana.client.joined.startedAt,  # type: ignore[union-attr]
        "participantCount": 2,
        "recordingActive": False,
    }
    listed = (await api.get(f"{base}/participants")).json()["participants"]
    assert [(p["participantIdentity"], p["participantName"], p["role"]) for p in listed] == [
        (ana.identity, "Ana", "moderator"),
        (bo.identity, "Bo", "speaker"),
    ]
    one = (await api.get(f"{base}/participants/{bo.identity}")).json()
    assert set(one) == {
        "participantIdentity",
        "participantName",
        "role",
        "joinDate",
        "audioEnabled",
        "videoEnabled",
        "screenSharing",
    }
    assert one["joinDate"] == bo.client.joined.you.joinedAt  # type: ignore[union-attr]
    for peer in (ana, bo):
        await peer.client.close()


async def test_missing_meeting_room_and_participant_get_upstreams_404s(remote: Remote, api: httpx.AsyncClient) -> None:
    room = await create_room(remote)  # type: ignore[arg-type]
    for path in (f"/api/v1/meetings/{room['roomId']}", f"/api/v1/meetings/{room['roomId']}/participants"):
        response = await api.get(path)
        assert (response.status_code, response.json()) == (
            404,
            {"error": "Meeting Error", "message": f"Room '{room['roomId']}' has no active meeting"},
        )
    missing = await api.get("/api/v1/meetings/no-such-room")
    assert (missing.status_code, missing.json()["error"]) == (404, "Room Error")
    ended = await api.delete(f"/api/v1/meetings/{room['roomId']}")  # idempotent: no meeting, still 200
    assert ended.json() == {"message": f"Meeting in room '{room['roomId']}' ended successfully"}
    ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
    nobody = await api.get(f"/api/v1/meetings/{room['roomId']}/participants/ghost")
    assert (nobody.status_code, nobody.json()) == (
        404,
        {"error": "Participant Error", "message": f'Participant "ghost" not found in room "{room["roomId"]}"'},
    )
    await ana.client.close()


async def test_promote_then_demote_and_the_conflicts(remote: Remote, api: httpx.AsyncClient) -> None:
    room, ana, bo = await meeting_of_two(remote)
    role = f"/api/v1/meetings/{room['roomId']}/participants/{bo.identity}/role"
    up = await api.put(role, json={"action": "upgrade"})
    assert up.json() == {
        "message": f'Moderation action "upgrade" applied to participant "{bo.identity}" in room "{room["roomId"]}"'
    }
    changed = await bo.expect("role_changed", timeout=30)
    assert changed.role == "moderator"  # type: ignore[union-attr]
    again = await api.put(role, json={"action": "upgrade"})
    assert (again.status_code, again.json()["error"]) == (409, "Participant Error")
    assert (await api.put(role, json={"action": "downgrade"})).status_code == 200
    assert (await bo.expect("role_changed", timeout=30)).role == "speaker"  # type: ignore[union-attr]
    ana_role = f"/api/v1/meetings/{room['roomId']}/participants/{ana.identity}/role"
    not_promoted = await api.put(ana_role, json={"action": "downgrade"})  # a moderator by link, not promoted
    assert not_promoted.status_code == 409
    assert not_promoted.json()["message"].endswith("cannot be demoted because they are not a promoted moderator")
    bad = await api.put(role, json={"action": "promote"})
    assert bad.status_code == 422
    for peer in (ana, bo):
        await peer.client.close()


async def test_kick_and_end_and_who_may_call(remote: Remote, api: httpx.AsyncClient) -> None:
    room, ana, bo = await meeting_of_two(remote)
    base = f"/api/v1/meetings/{room['roomId']}"
    async with remote.http(**{"X-Room-Member-Token": f"Bearer {bo.token}"}) as as_speaker:
        assert (await as_speaker.get(f"{base}/participants")).status_code == 200  # a member reads
        refused = await as_speaker.delete(f"{base}/participants/{ana.identity}")
        assert (refused.status_code, refused.json()["error"]) == (403, "Authorization Error")
    other = await create_room(remote)  # type: ignore[arg-type]
    async with remote.http(**{"X-Room-Member-Token": f"Bearer {ana.token}"}) as as_moderator:
        assert (await as_moderator.get(f"/api/v1/meetings/{other['roomId']}")).status_code == 403
        kicked = await as_moderator.delete(f"{base}/participants/{bo.identity}")
        assert kicked.json() == {
            "message": f"Participant 'Bo' kicked successfully from meeting in room '{room['roomId']}'"
        }
    assert (await bo.expect("left", timeout=30)).reason == "participant_kicked"  # type: ignore[union-attr]
    async with remote.http() as anonymous:
        assert (await anonymous.get(base)).status_code == 401
        login = await anonymous.post(
            "/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        assert (await anonymous.get(base, headers=bearer)).status_code == 401  # not a credential of this API
    assert (await api.delete(base)).status_code == 200
    assert (await ana.expect("left", timeout=30)).reason == "meeting_ended"  # type: ignore[union-attr]
    assert (await api.get(base)).status_code == 404


async def test_the_client_library(remote: Remote) -> None:
    room, ana, bo = await meeting_of_two(remote)
    async with MeetDeskClient(remote.url, api_key=API_KEY) as client:
        info = await client.get_meeting(room["roomId"])
        assert (info.participantCount, info.roomName) == (2, "Stand-up")
        assert [p.participantName for p in await client.meeting_participants(room["roomId"])] == ["Ana", "Bo"]
        assert (await client.meeting_participant(room["roomId"], bo.identity)).role == "speaker"
        await client.change_participant_role(room["roomId"], bo.identity, "upgrade")
        with pytest.raises(Conflict):
            await client.change_participant_role(room["roomId"], bo.identity, "upgrade")
        await client.kick_participant(room["roomId"], bo.identity)
        await client.end_meeting(room["roomId"])
        with pytest.raises(NotFound):
            await client.get_meeting(room["roomId"])
    await ana.expect("left", timeout=30)

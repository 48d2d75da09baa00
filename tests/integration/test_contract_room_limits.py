"""Room limits (OpenVidu Meet 3.9) against a real server process: ``maxParticipants``, ``maxDurationMinutes``,
``initialAudioEnabled`` / ``initialVideoEnabled`` stored, validated with upstream's sentences, enforced.

The server runs with ``MEETDESK_MINUTE_SECONDS`` (a test-only setting: the seconds in a minute of a room's
duration limit) so that a meeting limited to minutes ends within seconds; nothing here asserts a duration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.core.signalling import Leave
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.contract_helpers import Remote
from tests.integration.meeting_helpers import create_room, join, token

#: a minute of a room's duration limit lasts this long on the test server
MINUTE_S = 0.5


@pytest.fixture(scope="module")
def limits_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("limits") / "data", free_port(), extra_env={"MEETDESK_MINUTE_SECONDS": str(MINUTE_S)}
    )
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log()


@pytest.fixture
async def remote(limits_server: ServerProcess) -> AsyncIterator[Remote]:
    yield Remote(limits_server.url)


@pytest.fixture
async def api(remote: Remote) -> AsyncIterator[httpx.AsyncClient]:
    async with remote.http(**{"X-API-KEY": API_KEY}) as client:
        yield client


LIMITS = {"maxParticipants": 5, "maxDurationMinutes": 90, "initialAudioEnabled": False, "initialVideoEnabled": False}


async def test_limits_are_stored_and_read_back(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/v1/rooms", json={"roomName": "Limited", "config": LIMITS})
    assert created.status_code == 201, created.text
    room_id = created.json()["roomId"]
    for response in (created, await api.get(f"/api/v1/rooms/{room_id}")):
        config = response.json()["config"]
        assert {key: config[key] for key in LIMITS} == LIMITS
    plain = (await api.post("/api/v1/rooms", json={"roomName": "Plain"})).json()["config"]
    assert {key: plain[key] for key in LIMITS} == {
        "maxParticipants": None,
        "maxDurationMinutes": None,
        "initialAudioEnabled": True,
        "initialVideoEnabled": True,
    }


async def test_a_config_update_keeps_what_it_omits_and_null_lifts_a_limit(api: httpx.AsyncClient) -> None:
    room_id = (await api.post("/api/v1/rooms", json={"config": LIMITS})).json()["roomId"]
    changed = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"maxParticipants": 2}})
    assert changed.status_code == 200, changed.text
    config = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()
    assert (config["maxParticipants"], config["maxDurationMinutes"], config["initialAudioEnabled"]) == (2, 90, False)
    lifted = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"maxDurationMinutes": None}})
    assert lifted.status_code == 200, lifted.text
    config = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()
    assert (config["maxParticipants"], config["maxDurationMinutes"]) == (2, None)


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        ({"maxParticipants": 0}, "maxParticipants", "Must allow at least one participant"),
        ({"maxParticipants": 31}, "maxParticipants", "Must not exceed 30 participants"),
        ({"maxParticipants": "3"}, "maxParticipants", "Must be a number"),
        ({"maxParticipants": 2.5}, "maxParticipants", "Must be an integer"),
        ({"maxDurationMinutes": 0}, "maxDurationMinutes", "Must last at least one minute"),
        ({"maxDurationMinutes": 1441}, "maxDurationMinutes", "Must not exceed 1440 minutes"),
        ({"initialAudioEnabled": "no"}, "initialAudioEnabled", "Must be a boolean"),
        ({"initialVideoEnabled": None}, "initialVideoEnabled", "Must be a boolean"),
    ],
)
async def test_bad_limits_are_refused_and_nothing_changes(
    api: httpx.AsyncClient, config: dict[str, object], field: str, message: str
) -> None:
    created = await api.post("/api/v1/rooms", json={"roomName": "Bad limits", "config": config})
    assert created.status_code == 422
    assert {"field": f"config.{field}", "message": message} in created.json()["details"]
    room_id = (await api.post("/api/v1/rooms", json={"config": LIMITS})).json()["roomId"]
    updated = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": config})
    assert updated.status_code == 422
    assert any(d["message"] == message for d in updated.json()["details"])
    stored = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()
    assert {key: stored[key] for key in LIMITS} == LIMITS


def test_limits_survive_a_restart(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.start()
    try:
        with httpx.Client(base_url=proc.url, headers={"X-API-KEY": API_KEY}, timeout=10) as http:
            room_id = http.post("/api/v1/rooms", json={"config": LIMITS}).json()["roomId"]
        proc.stop()
        proc.start()
        with httpx.Client(base_url=proc.url, headers={"X-API-KEY": API_KEY}, timeout=10) as http:
            config = http.get(f"/api/v1/rooms/{room_id}").json()["config"]
        assert {key: config[key] for key in LIMITS} == LIMITS
    finally:
        proc.stop()


async def test_a_join_beyond_max_participants_is_refused_until_someone_leaves(remote: Remote) -> None:
    room = await create_room(remote, config={"maxParticipants": 2})  # type: ignore[arg-type]
    ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
    bo = await join(remote, room, "speaker", "Bo")  # type: ignore[arg-type]
    with pytest.raises(SignallingError) as refused:
        await SignallingClient.connect(remote.url, await token(remote, room, "speaker", "Cy"))  # type: ignore[arg-type]
    assert refused.value.code == "meeting_full"
    assert str(refused.value) == f"Room '{room['roomId']}' has reached its maximum number of participants"
    async with remote.http(**{"X-API-KEY": API_KEY}) as api:
        meeting = await api.get("/internal-api/v1/meetings")
    assert [m["participants"] for m in meeting.json()["meetings"] if m["roomId"] == room["roomId"]] == [2]
    await bo.client.send(Leave())
    await ana.expect("participant_left", timeout=30)
    cy = await join(remote, room, "speaker", "Cy")  # type: ignore[arg-type]
    assert cy.client.joined is not None and len(cy.client.joined.participants) == 1
    for peer in (ana, cy):
        await peer.client.close()


async def test_a_meeting_ends_at_its_duration_limit_after_two_warnings(remote: Remote) -> None:
    # 30 minutes of 0.5 s: the first warning comes 12.5 s after the start, time enough for Bo to be in by then
    # however loaded the machine (a later joiner does not get the warnings sent before it joined)
    room = await create_room(remote, config={"maxDurationMinutes": 30})  # type: ignore[arg-type]
    ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
    joined = ana.client.joined
    assert joined is not None and joined.startedAt is not None and joined.endsAt is not None
    assert joined.endsAt == joined.startedAt + round(30 * MINUTE_S * 1000)
    bo = await join(remote, room, "speaker", "Bo")  # type: ignore[arg-type]
    assert bo.client.joined is not None and bo.client.joined.endsAt == joined.endsAt  # a later joiner knows it too
    for peer in (ana, bo):
        five = await peer.expect("meeting_ending_soon", timeout=60)
        one = await peer.expect("meeting_ending_soon", timeout=60)
        assert (five.minutesLeft, one.minutesLeft) == (5, 1)  # type: ignore[union-attr]
        assert five.endsAt == one.endsAt == joined.endsAt  # type: ignore[union-attr]
        left = await peer.expect("left", timeout=60)
        assert left.reason == "max_duration_reached"  # type: ignore[union-attr]
        await peer.closed(timeout=30)  # the server closes the sockets once the room knows the meeting ended
    async with remote.http(**{"X-API-KEY": API_KEY}) as api:
        status = (await api.get(f"/api/v1/rooms/{room['roomId']}")).json()["status"]
    assert status == "open"


async def test_a_meeting_without_a_limit_has_no_end_time(remote: Remote) -> None:
    room = await create_room(remote)  # type: ignore[arg-type]
    ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
    assert ana.client.joined is not None and ana.client.joined.endsAt is None
    await ana.client.close()

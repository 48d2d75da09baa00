"""Registered webhooks (OpenVidu Meet 3.9's ``/api/v1/webhooks``) and the participant events, against a real server
process with real receivers on loopback: create, list, get, replace, delete, test; at most 20; the ``events``
filter and the ``roomId`` scope; ``participantJoined`` / ``participantLeft`` (with ``leaveReason``) signed as
every other event; a receiver that never answers holds back nobody else's events.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import BadRequest, NotFound
from meetdesk.core.signalling import Leave
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.contract_helpers import Remote
from tests.integration.meeting_helpers import create_room, join
from tests.integration.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def webhooks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("webhooks") / "data", free_port())
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log()


@pytest.fixture
async def remote(webhooks_server: ServerProcess) -> AsyncIterator[Remote]:
    yield Remote(webhooks_server.url)


@pytest.fixture
async def api(remote: Remote) -> AsyncIterator[httpx.AsyncClient]:
    async with remote.http(**{"X-API-KEY": API_KEY}) as client:
        yield client
        for webhook in (await client.get("/api/v1/webhooks")).json()["webhooks"]:  # the next test starts with none
            await client.delete(f"/api/v1/webhooks/{webhook['webhookId']}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


async def arrived(receiver: Receiver, count: int) -> None:
    assert await asyncio.to_thread(receiver.wait, count, 30.0), f"{len(receiver.received)} of {count} arrived"


async def test_create_list_get_replace_delete(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/api/v1/webhooks", json={"url": "https://example.test/hook", "events": ["participantJoined"], "roomId": "r-1"}
    )
    assert created.status_code == 201
    webhook = created.json()
    assert webhook["webhookId"].startswith("wh-") and webhook["enabled"] is True
    assert {k: webhook[k] for k in ("url", "events", "roomId")} == {
        "url": "https://example.test/hook",
        "events": ["participantJoined"],
        "roomId": "r-1",
    }
    one = f"/api/v1/webhooks/{webhook['webhookId']}"
    assert (await api.get(one)).json() == webhook
    assert (await api.get("/api/v1/webhooks")).json() == {"webhooks": [webhook]}
    replaced = await api.put(one, json={"url": "http://example.test/other", "enabled": False})
    assert replaced.status_code == 200
    assert replaced.json() == {  # replaced as a whole: the filter and the scope are gone
        "webhookId": webhook["webhookId"],
        "url": "http://example.test/other",
        "enabled": False,
        "creationDate": webhook["creationDate"],
    }
    deleted = await api.delete(one)
    assert deleted.json() == {"message": f"Webhook '{webhook['webhookId']}' deleted successfully"}
    for response in (await api.get(one), await api.delete(one), await api.put(one, json={"url": "http://x.test"})):
        assert (response.status_code, response.json()) == (
            404,
            {"error": "Webhook Error", "message": f"Webhook '{webhook['webhookId']}' does not exist"},
        )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": "ftp://example.test"},
        {"url": "http://example.test", "events": []},
        {"url": "http://example.test", "events": ["roomCreated"]},
        {"url": "http://example.test", "enabled": "yes"},
        {"url": "http://example.test", "secret": "x"},
    ],
)
async def test_bad_definitions_are_refused(api: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await api.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "Unprocessable Entity"
    assert (await api.get("/api/v1/webhooks")).json() == {"webhooks": []}


async def test_at_most_twenty(api: httpx.AsyncClient) -> None:
    for n in range(20):
        assert (await api.post("/api/v1/webhooks", json={"url": f"http://example.test/{n}"})).status_code == 201
    refused = await api.post("/api/v1/webhooks", json={"url": "http://example.test/21"})
    assert (refused.status_code, refused.json()) == (
        409,
        {"error": "Webhook Error", "message": "The maximum number of registered webhooks (20) has been reached"},
    )
    assert len((await api.get("/api/v1/webhooks")).json()["webhooks"]) == 20


async def test_only_the_api_key_or_an_admin(remote: Remote) -> None:
    async with remote.http() as anonymous:
        assert (await anonymous.get("/api/v1/webhooks")).status_code == 401
        assert (await anonymous.post("/api/v1/webhooks", json={"url": "http://example.test"})).status_code == 401


async def test_the_test_event_is_signed_and_an_unreachable_url_is_a_400(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    good = (await api.post("/api/v1/webhooks", json={"url": receiver.url})).json()["webhookId"]
    sent = await api.post(f"/api/v1/webhooks/{good}/test")
    assert sent.json() == {"message": f"Test event sent to webhook '{good}'"}
    [event] = receiver.events(API_KEY)
    assert event["event"] == "testEvent"
    dead_url = f"http://127.0.0.1:{free_port()}/nobody"
    dead = (await api.post("/api/v1/webhooks", json={"url": dead_url})).json()["webhookId"]
    unreachable = await api.post(f"/api/v1/webhooks/{dead}/test")
    assert (unreachable.status_code, unreachable.json()) == (
        400,
        {"error": "Webhook Error", "message": f'Webhook URL "{dead_url}" is unreachable'},
    )


async def test_participant_events_follow_each_webhooks_filter_and_scope(remote: Remote, api: httpx.AsyncClient) -> None:
    everything, joins_only, other_room = Receiver(), Receiver(), Receiver()
    try:
        room = await create_room(remote, roomName="Reunión de equipo")  # type: ignore[arg-type]
        await api.post("/api/v1/webhooks", json={"url": everything.url, "roomId": room["roomId"]})
        await api.post("/api/v1/webhooks", json={"url": joins_only.url, "events": ["participantJoined"]})
        await api.post("/api/v1/webhooks", json={"url": other_room.url, "roomId": "another-room"})
        await api.post("/api/v1/webhooks", json={"url": other_room.url, "enabled": False})
        ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
        bo = await join(remote, room, "speaker", "Bo")  # type: ignore[arg-type]
        await bo.client.send(Leave())
        await ana.expect("participant_left", timeout=30)
        await api.delete(f"/api/v1/meetings/{room['roomId']}")
        await ana.expect("left", timeout=30)
        await arrived(everything, 6)
        events = everything.events(API_KEY)  # every signature checked, the room's name in UTF-8 included
        assert [(e["event"], e["data"].get("participant", {}).get("participantName")) for e in events] == [
            ("meetingStarted", None),
            ("participantJoined", "Ana"),
            ("participantJoined", "Bo"),
            ("participantLeft", "Bo"),
            ("participantLeft", "Ana"),
            ("meetingEnded", None),
        ]
        joined = events[1]["data"]
        assert joined["roomId"] == room["roomId"] and joined["roomName"] == "Reunión de equipo"
        assert joined["participant"] == {
            "participantIdentity": ana.identity,
            "participantName": "Ana",
            "role": "moderator",
            "joinDate": ana.client.joined.you.joinedAt,  # type: ignore[union-attr]
        }
        bo_left, ana_left = events[3]["data"]["participant"], events[4]["data"]["participant"]
        assert (bo_left["leaveReason"], ana_left["leaveReason"]) == ("voluntary_leave", "meeting_ended")
        assert bo_left["leaveDate"] >= bo_left["joinDate"] and bo_left["durationSeconds"] >= 0
        await arrived(joins_only, 2)
        assert [e["event"] for e in joins_only.events(API_KEY)] == ["participantJoined"] * 2
        assert other_room.received == []  # another room's scope, and a disabled webhook: nothing
    finally:
        for r in (everything, joins_only, other_room):
            r.close()


class Silent:
    """A receiver that accepts connections and reads, and never answers until released."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.released = threading.Event()
        self.tried = threading.Event()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.released.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections.append(connection)
            self.tried.set()

    def close(self) -> None:
        self.released.set()
        self.thread.join()
        for connection in self.connections:
            connection.close()
        self.sock.close()


async def test_a_receiver_that_never_answers_holds_back_nobody_else(remote: Remote, api: httpx.AsyncClient) -> None:
    silent, good = Silent(), Receiver()
    try:
        await api.post("/api/v1/webhooks", json={"url": silent.url})
        await api.post("/api/v1/webhooks", json={"url": good.url})
        room = await create_room(remote)  # type: ignore[arg-type]
        ana = await asyncio.wait_for(join(remote, room, "moderator", "Ana"), 30)  # type: ignore[arg-type]
        await ana.client.send(Leave())
        await ana.expect("left", timeout=30)
        # the silent receiver still holds its first event (its attempts take 5 s each): the other gets all four
        await arrived(good, 4)
        assert [e["event"] for e in good.events(API_KEY)] == [
            "meetingStarted",
            "participantJoined",
            "participantLeft",
            "meetingEnded",
        ]
        assert await asyncio.to_thread(silent.tried.wait, 30)  # it was tried too, and is still waited for
    finally:
        silent.close()
        good.close()


async def test_the_client_library(remote: Remote, receiver: Receiver) -> None:
    async with MeetDeskClient(remote.url, api_key=API_KEY) as client:
        webhook = await client.register_webhook({"url": receiver.url, "events": ["meetingStarted"]})
        assert [w.webhookId for w in await client.registered_webhooks()] == [webhook.webhookId]
        assert (await client.registered_webhook(webhook.webhookId)).events == ["meetingStarted"]
        replaced = await client.replace_webhook(webhook.webhookId, {"url": receiver.url})
        assert replaced.events is None
        await client.test_registered_webhook(webhook.webhookId)
        assert receiver.events(API_KEY)[0]["event"] == "testEvent"
        await client.delete_webhook(webhook.webhookId)
        with pytest.raises(NotFound):
            await client.registered_webhook(webhook.webhookId)
        dead = await client.register_webhook({"url": f"http://127.0.0.1:{free_port()}/nobody"})
        with pytest.raises(BadRequest):
            await client.test_registered_webhook(dead.webhookId)
        await client.delete_webhook(dead.webhookId)


async def test_a_server_stopping_tells_the_webhooks_of_the_meetings_it_ends(tmp_path: Path, receiver: Receiver) -> None:
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.start()
    try:
        remote = Remote(proc.url)
        async with remote.http(**{"X-API-KEY": API_KEY}) as api:
            assert (await api.post("/api/v1/webhooks", json={"url": receiver.url})).status_code == 201
        room = await create_room(remote)  # type: ignore[arg-type]
        ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
        await arrived(receiver, 2)  # meetingStarted, participantJoined
        await asyncio.to_thread(proc.stop)  # SIGTERM: the meeting ends for everyone, then the server stops
        assert (await ana.expect("left", timeout=30)).reason == "server_shutdown"  # type: ignore[union-attr]
        await arrived(receiver, 4)
        events = receiver.events(API_KEY)
        assert [e["event"] for e in events[2:]] == ["participantLeft", "meetingEnded"]
        assert events[2]["data"]["participant"]["leaveReason"] == "server_shutdown"
    finally:
        if proc.process is not None and proc.process.poll() is None:
            proc.stop()

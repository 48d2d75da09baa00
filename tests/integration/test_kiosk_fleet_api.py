"""The fleet API (``/internal-api/v1/kiosks``) against real server processes: an admin adds a kiosk and gets a
one-time code, the kiosk exchanges it for a credential, reports heartbeats on its socket and receives the admin's
commands there; admins see it all on the events socket. The kiosk here is played by the test over HTTP and a raw
WebSocket (the real kiosk process is tested in ``test_kiosk_enrolment.py``)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from meetdesk.client.events import events_url
from meetdesk.core.kiosks import CLOSE_KIOSK_REMOVED
from tests.conftest import API_KEY, ServerProcess, free_port

pytestmark = pytest.mark.slow

KIOSKS = "/internal-api/v1/kiosks"
#: generous: the machine running the suite may be loaded
WAIT_S = 20.0


def start_server(directory: Path, **env: str) -> ServerProcess:
    proc = ServerProcess(directory / "data", free_port(), extra_env={"MEETDESK_KIOSK_SWEEP_INTERVAL": "0.2", **env})
    proc.start()
    return proc


@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("fleet"), MEETDESK_KIOSK_OFFLINE_AFTER="60")
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log()


@pytest.fixture
async def api(fleet_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fleet_server.url, headers={"X-API-KEY": API_KEY}, timeout=WAIT_S) as client:
        yield client


@pytest.fixture
async def anonymous(fleet_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fleet_server.url, timeout=WAIT_S) as client:
        yield client


async def new_room(api: httpx.AsyncClient, name: str = "Board room") -> str:
    response = await api.post("/api/v1/rooms", json={"roomName": name})
    assert response.status_code == 201, response.text
    return str(response.json()["roomId"])


async def new_kiosk(api: httpx.AsyncClient, room_id: str, name: str = "Board room PC") -> dict[str, Any]:
    response = await api.post(KIOSKS, json={"name": name, "roomId": room_id})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def enrol(anonymous: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await anonymous.post(f"{KIOSKS}/enrol", json={"code": code})
    assert response.status_code == 200, response.text
    return dict(response.json())


def ws_url(base: str, path: str) -> str:
    return base.replace("http", "ws", 1) + path


class Events:
    """The admin events socket, read into a queue."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def next(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The next event of ``kind`` whose kiosk has ``fields`` (others are skipped)."""

        async def find() -> dict[str, Any]:
            while True:
                event = json.loads(await self.ws.recv())
                subject = event.get("kiosk", event)
                if event["type"] == kind and all(subject.get(k) == v for k, v in fields.items()):
                    return dict(event)

        return await asyncio.wait_for(find(), WAIT_S)


@pytest.fixture
async def events(fleet_server: ServerProcess) -> AsyncIterator[Events]:
    async with websockets.connect(events_url(fleet_server.url), additional_headers={"X-API-KEY": API_KEY}) as ws:
        assert json.loads(await ws.recv())["type"] == "subscribed"
        yield Events(ws)


class KioskSocket:
    """The kiosk's side of ``/kiosks/connect``, played by the test."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def receive(self) -> dict[str, Any]:
        return dict(json.loads(await asyncio.wait_for(self.ws.recv(), WAIT_S)))

    async def beat(self, state: str = "home", settings_version: int = 1, **fields: Any) -> None:
        beat = {"type": "heartbeat", "state": state, "version": "1.2.3", "uptimeSeconds": 42.5}
        await self.ws.send(json.dumps({**beat, "settingsVersion": settings_version, **fields}))


async def connect(server: ServerProcess, credential: str) -> websockets.ClientConnection:
    return await websockets.connect(
        ws_url(server.url, f"{KIOSKS}/connect"), additional_headers={"Authorization": f"Bearer {credential}"}
    )


async def refused(server: ServerProcess, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(websockets.InvalidStatus) as caught:
        async with websockets.connect(ws_url(server.url, f"{KIOSKS}/connect"), additional_headers=headers):
            pass
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"{}")


async def test_a_kiosk_is_added_with_a_one_time_code_and_enrols_once(
    api: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    room_id = await new_room(api, "Boardroom 4")
    kiosk = await new_kiosk(api, room_id)
    code = kiosk["enrolmentCode"]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code)
    assert kiosk["enrolled"] is False and kiosk["online"] is False and kiosk["roomName"] == "Boardroom 4"
    assert kiosk["enrolmentExpiresAt"] - kiosk["createdAt"] == 24 * 3600 * 1000
    assert kiosk["settings"]["displayName"] == "Board room PC"  # the kiosk's name until one is set

    shown = (await api.get(f"{KIOSKS}/{kiosk['kioskId']}")).json()
    assert shown["enrolmentCode"] is None  # kept hashed: shown once
    assert kiosk["kioskId"] in [k["kioskId"] for k in (await api.get(KIOSKS)).json()["kiosks"]]

    wrong = await anonymous.post(f"{KIOSKS}/enrol", json={"code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "Kiosk Error"
    enrolment = await enrol(anonymous, code.lower().replace("-", " "))  # typed as people type it
    assert enrolment["kioskId"] == kiosk["kioskId"] and enrolment["roomId"] == room_id
    assert len(enrolment["credential"]) >= 43
    again = await anonymous.post(f"{KIOSKS}/enrol", json={"code": code})
    assert again.status_code == 401 and set(again.json()) == {"error", "message"}

    enrolled = (await api.get(f"{KIOSKS}/{kiosk['kioskId']}")).json()
    assert enrolled["enrolled"] is True and enrolled["enrolmentExpiresAt"] is None
    assert enrolled["pendingSettings"] is False


async def test_heartbeats_show_the_kiosk_online_with_its_state_and_devices_live(
    fleet_server: ServerProcess, api: httpx.AsyncClient, anonymous: httpx.AsyncClient, events: Events
) -> None:
    kiosk = await new_kiosk(api, await new_room(api))
    added = await events.next("kiosk_updated", kioskId=kiosk["kioskId"])
    assert added["kiosk"]["enrolled"] is False
    credential = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
    await events.next("kiosk_updated", kioskId=kiosk["kioskId"], enrolled=True)

    async with await connect(fleet_server, credential) as ws:
        socket = KioskSocket(ws)
        welcome = await socket.receive()
        assert welcome["type"] == "welcome" and welcome["kioskId"] == kiosk["kioskId"]
        assert welcome["settings"]["displayName"] == "Board room PC" and welcome["settingsVersion"] == 1
        # what it has of each kind, listed: the admin chooses from these names
        devices = {
            "camera": {"name": "Logitech MeetUp", "found": False, "available": ["Integrated Webcam"]},
            "microphone": {"name": "Jabra Speak 710", "found": True, "available": ["Jabra Speak 710", "Built-in"]},
            "speaker": {"name": "Jabra Speak 710", "found": True, "available": ["Jabra Speak 710", "HDMI 1"]},
        }
        await socket.beat("meeting", devices=devices, lastError="The camera Logitech MeetUp is missing.")
        live = (await events.next("kiosk_updated", kioskId=kiosk["kioskId"], online=True))["kiosk"]
        assert live["state"] == "meeting" and live["devices"] == devices
        assert live["version"] == "1.2.3" and live["uptimeSeconds"] == 42.5
        assert live["lastError"] == "The camera Logitech MeetUp is missing."

        read = (await api.get(f"{KIOSKS}/{kiosk['kioskId']}")).json()
        assert (read["online"], read["state"], read["devices"]) == (True, "meeting", devices)
        assert read["lastSeenAt"] >= read["createdAt"]

        await socket.beat("reconnecting", devices=devices)
        moved = await events.next("kiosk_updated", kioskId=kiosk["kioskId"], state="reconnecting")
        assert moved["kiosk"]["online"] is True

        await ws.send("not json")
        assert (await socket.receive())["type"] == "error"  # and the socket goes on
        # lists beyond their bounds are refused whole, in words: the last good list is kept
        too_many = {**devices, "camera": {"name": None, "found": True, "available": [f"Cam {n}" for n in range(33)]}}
        await socket.beat("home", devices=too_many)
        refused = await socket.receive()
        assert refused["type"] == "error" and "devices.camera.available" in refused["message"]
        too_long = {**devices, "speaker": {"name": None, "found": True, "available": ["x" * 201]}}
        await socket.beat("home", devices=too_long)
        assert "devices.speaker.available.0" in (await socket.receive())["message"]
        assert (await api.get(f"{KIOSKS}/{kiosk['kioskId']}")).json()["devices"] == devices
        await socket.beat("home", devices=devices)
        await events.next("kiosk_updated", kioskId=kiosk["kioskId"], state="home")


async def test_a_silent_kiosk_is_shown_offline_without_anyone_asking(tmp_path: Path) -> None:
    server = start_server(tmp_path, MEETDESK_KIOSK_OFFLINE_AFTER="1.5")
    try:
        async with (
            httpx.AsyncClient(base_url=server.url, headers={"X-API-KEY": API_KEY}, timeout=WAIT_S) as api,
            httpx.AsyncClient(base_url=server.url, timeout=WAIT_S) as anonymous,
            websockets.connect(events_url(server.url), additional_headers={"X-API-KEY": API_KEY}) as listener,
        ):
            await listener.recv()
            listening = Events(listener)
            kiosk = await new_kiosk(api, await new_room(api))
            credential = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
            async with await connect(server, credential) as ws:
                socket = KioskSocket(ws)
                welcome = await socket.receive()
                assert welcome["heartbeatInterval"] <= 1.5 / 4  # told to beat well within the offline delay
                await socket.beat("home")
                await listening.next("kiosk_updated", kioskId=kiosk["kioskId"], online=True)
                # then nothing more: the sweep notices, and says so on the events socket
                offline = await listening.next("kiosk_updated", kioskId=kiosk["kioskId"], online=False)
                assert offline["kiosk"]["state"] == "home"  # what it said last, still shown
            assert (await api.get(f"{KIOSKS}/{kiosk['kioskId']}")).json()["online"] is False
            refused_action = await api.post(f"{KIOSKS}/{kiosk['kioskId']}/actions", json={"action": "join"})
            assert refused_action.status_code == 409
            assert refused_action.json() == {"error": "Kiosk Error", "message": "The kiosk is offline."}
    finally:
        server.stop()
    assert "Traceback" not in server.log()


async def test_remote_actions_settings_and_logs_reach_the_kiosk(
    fleet_server: ServerProcess, api: httpx.AsyncClient, anonymous: httpx.AsyncClient, events: Events
) -> None:
    kiosk = await new_kiosk(api, await new_room(api))
    kiosk_id = kiosk["kioskId"]
    credential = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
    never_seen = await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "join"})
    assert never_seen.status_code == 409 and never_seen.json()["message"] == "The kiosk is offline."
    assert (await api.post(f"{KIOSKS}/{kiosk_id}/logs")).status_code == 409

    async with await connect(fleet_server, credential) as ws:
        socket = KioskSocket(ws)
        await socket.receive()  # welcome
        await socket.beat("home")
        await events.next("kiosk_updated", kioskId=kiosk_id, online=True)

        for action in ("join", "leave", "restart"):
            sent = await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": action})
            assert sent.status_code == 202 and sent.json()["action"] == action and sent.json()["sentAt"] > 0
            assert await socket.receive() == {"type": "command", "action": action}
        bad = await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "explode"})
        assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "action"

        # settings: pushed to the kiosk, pending until it reports them applied
        patched = await api.patch(f"{KIOSKS}/{kiosk_id}", json={"settings": {"volume": 30, "camera": "Huddly IQ"}})
        assert patched.status_code == 200
        assert patched.json()["pendingSettings"] is True
        assert patched.json()["settings"]["volume"] == 30 and patched.json()["settings"]["joinPolicy"] == "always"
        push = await socket.receive()
        assert push["type"] == "settings" and push["settingsVersion"] == 2
        assert push["settings"]["volume"] == 30 and push["settings"]["camera"] == "Huddly IQ"
        await events.next("kiosk_updated", kioskId=kiosk_id, pendingSettings=True)
        await socket.beat("home", settings_version=2)
        applied = await events.next("kiosk_updated", kioskId=kiosk_id, pendingSettings=False)
        assert applied["kiosk"]["settings"]["volume"] == 30

        renamed = await api.patch(f"{KIOSKS}/{kiosk_id}", json={"name": "Room 4 PC"})
        assert renamed.json()["name"] == "Room 4 PC" and renamed.json()["pendingSettings"] is False

        # logs: none yet, asked for, sent by the kiosk, read by the admin
        none_yet = await api.get(f"{KIOSKS}/{kiosk_id}/logs")
        assert none_yet.status_code == 404 and none_yet.json()["error"] == "Kiosk Error"
        assert (await api.post(f"{KIOSKS}/{kiosk_id}/logs")).status_code == 202
        assert await socket.receive() == {"type": "command", "action": "sendLogs"}
        await ws.send(json.dumps({"type": "logs", "text": "10:00:01 INFO Kiosk: joined\n10:00:02 INFO ok\n"}))
        logs = await wait_for_logs(api, kiosk_id)
        assert logs["text"].endswith("INFO ok\n") and logs["receivedAt"] > 0


async def wait_for_logs(api: httpx.AsyncClient, kiosk_id: str) -> dict[str, Any]:
    """Poll: the logs arrive on the kiosk's socket and nothing tells an admin client (no event for them)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        response = await api.get(f"{KIOSKS}/{kiosk_id}/logs")
        if response.status_code == 200:
            return dict(response.json())
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.1)


async def test_removing_a_kiosk_voids_its_credential_at_once(
    fleet_server: ServerProcess, api: httpx.AsyncClient, anonymous: httpx.AsyncClient, events: Events
) -> None:
    kiosk = await new_kiosk(api, await new_room(api))
    kiosk_id = kiosk["kioskId"]
    credential = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
    bearer = {"Authorization": f"Bearer {credential}"}
    assert (await anonymous.post(f"{KIOSKS}/token", headers=bearer)).status_code == 200
    async with await connect(fleet_server, credential) as ws:
        await KioskSocket(ws).receive()
        removed = await api.delete(f"{KIOSKS}/{kiosk_id}")
        assert removed.status_code == 204
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), WAIT_S)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_KIOSK_REMOVED
    await events.next("kiosk_removed", kioskId=kiosk_id)
    assert (await anonymous.post(f"{KIOSKS}/token", headers=bearer)).status_code == 401
    status, body = await refused(fleet_server, bearer)
    assert status == 401 and set(body) == {"error", "message"}
    assert (await api.get(f"{KIOSKS}/{kiosk_id}")).status_code == 404
    assert (await api.delete(f"{KIOSKS}/{kiosk_id}")).status_code == 404


async def test_enrolling_again_voids_the_old_credential(
    fleet_server: ServerProcess, api: httpx.AsyncClient, anonymous: httpx.AsyncClient, events: Events
) -> None:
    kiosk = await new_kiosk(api, await new_room(api))
    kiosk_id = kiosk["kioskId"]
    old = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
    async with await connect(fleet_server, old) as ws:
        socket = KioskSocket(ws)
        await socket.receive()  # welcome
        await socket.beat("meeting")
        await events.next("kiosk_updated", kioskId=kiosk_id, online=True)
    # online (it beat just now) without a socket: kept for its socket, which the new enrolment is not
    assert (await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "restart"})).status_code == 202
    renewed = await api.post(f"{KIOSKS}/{kiosk_id}/enrolment")
    assert renewed.status_code == 200
    fresh_code = renewed.json()["enrolmentCode"]
    assert fresh_code and fresh_code != kiosk["enrolmentCode"] and renewed.json()["enrolled"] is False
    # nothing holds the credential now: not online, in no state, nothing can be sent to it
    assert (renewed.json()["online"], renewed.json()["state"]) == (False, "unknown")
    refused = await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "join"})
    assert refused.status_code == 409 and refused.json()["message"] == "The kiosk is offline."
    assert (await anonymous.post(f"{KIOSKS}/token", headers={"Authorization": f"Bearer {old}"})).status_code == 401
    new = (await enrol(anonymous, fresh_code))["credential"]
    answer = await anonymous.post(f"{KIOSKS}/token", headers={"Authorization": f"Bearer {new}"})
    assert answer.status_code == 200 and answer.json()["roomId"] == kiosk["roomId"]
    async with await connect(fleet_server, new) as ws:
        socket = KioskSocket(ws)
        assert (await socket.receive())["type"] == "welcome"
        await socket.beat("home")
        await events.next("kiosk_updated", kioskId=kiosk_id, online=True, state="home")
        assert (await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "leave"})).status_code == 202
        # the first command it gets is this one: the restart meant for the old enrolment is gone
        assert await socket.receive() == {"type": "command", "action": "leave"}


async def test_a_kiosk_credential_opens_only_the_kiosk_routes_and_its_own_room(
    fleet_server: ServerProcess, api: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    room_id = await new_room(api, "Kiosk's own room")
    other_room = await new_room(api, "Someone else's room")
    kiosk = await new_kiosk(api, room_id)
    credential = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
    bearer = {"Authorization": f"Bearer {credential}"}
    for method, path in (("GET", KIOSKS), ("GET", "/api/v1/rooms"), ("POST", f"{KIOSKS}/{kiosk['kioskId']}/enrolment")):
        answer = await anonymous.request(method, path, headers=bearer)
        assert answer.status_code == 401, (method, path)
    granted = (await anonymous.post(f"{KIOSKS}/token", headers=bearer)).json()
    assert granted["roomId"] == room_id and granted["roomName"] == "Kiosk's own room"
    assert granted["participantName"] == "Board room PC"
    as_member = {"X-Participant-Token": granted["token"]}
    assert (await anonymous.get(f"/api/v1/rooms/{room_id}", headers=as_member)).status_code == 200
    assert (await anonymous.get(f"/api/v1/rooms/{other_room}", headers=as_member)).status_code == 403
    # no credential, a wrong one, an API key: 401 on the kiosk routes (before the body is looked at)
    assert (await anonymous.post(f"{KIOSKS}/token")).status_code == 401
    assert (await anonymous.post(f"{KIOSKS}/token", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await api.post(f"{KIOSKS}/token")).status_code == 401
    assert (await refused(fleet_server, {}))[0] == 401


async def test_bad_requests_are_refused_in_words(api: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    room_id = await new_room(api)
    assert (await anonymous.post(KIOSKS, json={"name": 1})).status_code == 401  # authentication first
    assert (await anonymous.get(KIOSKS)).status_code == 401
    missing_room = await api.post(KIOSKS, json={"name": "PC", "roomId": "no-such-room"})
    assert missing_room.status_code == 422 and missing_room.json()["details"][0]["field"] == "roomId"
    for body in (
        {"name": "", "roomId": room_id},
        {"name": "PC", "roomId": room_id, "settings": {"volume": 101}},
        {"name": "PC", "roomId": room_id, "settings": {"maintenanceHour": 24}},
        {"name": "PC", "roomId": room_id, "settings": {"joinPolicy": "sometimes"}},
        {"name": "PC", "roomId": room_id, "colour": "red"},
    ):
        answer = await api.post(KIOSKS, json=body)
        assert answer.status_code == 422, body
        assert answer.json()["error"] == "Unprocessable Entity" and answer.json()["details"]
    unknown = await api.patch(f"{KIOSKS}/k-nobody", json={"name": "x"})
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "Kiosk Error",
        "message": "Kiosk 'k-nobody' does not exist",
    }
    for method, path in (("GET", "/k-nobody"), ("DELETE", "/k-nobody"), ("POST", "/k-nobody/enrolment")):
        assert (await api.request(method, f"{KIOSKS}{path}")).status_code == 404
    assert (await anonymous.post(f"{KIOSKS}/enrol", json={})).status_code == 422

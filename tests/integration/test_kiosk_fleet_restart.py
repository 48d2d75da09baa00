"""What the fleet keeps through a server killed (SIGKILL) and started again, on the same data: the logs a kiosk
sent (the admin still reads them), settings pushed while the kiosk had no socket (still pending, then given to
the kiosk when it connects and shown applied once it says so), and a command accepted for a kiosk that counted
as online but had no socket (delivered when it connects). The kiosk is played over its own wire by the test."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import websockets

from meetdesk.client.events import events_url
from tests.conftest import API_KEY, ServerProcess
from tests.integration.test_kiosk_fleet_api import (
    KIOSKS,
    WAIT_S,
    Events,
    KioskSocket,
    connect,
    enrol,
    new_kiosk,
    new_room,
    start_server,
    wait_for_logs,
)

pytestmark = pytest.mark.slow


@asynccontextmanager
async def admin_events(server: ServerProcess) -> AsyncIterator[Events]:
    async with websockets.connect(events_url(server.url), additional_headers={"X-API-KEY": API_KEY}) as ws:
        await ws.recv()  # subscribed
        yield Events(ws)


async def test_logs_pushed_settings_and_waiting_commands_survive_a_killed_server(tmp_path: Path) -> None:
    server = start_server(tmp_path, MEETDESK_KIOSK_OFFLINE_AFTER="60")
    try:
        async with (
            httpx.AsyncClient(base_url=server.url, headers={"X-API-KEY": API_KEY}, timeout=WAIT_S) as api,
            httpx.AsyncClient(base_url=server.url, timeout=WAIT_S) as anonymous,
        ):
            kiosk = await new_kiosk(api, await new_room(api))
            kiosk_id = kiosk["kioskId"]
            credential = (await enrol(anonymous, kiosk["enrolmentCode"]))["credential"]
            async with admin_events(server) as events, await connect(server, credential) as ws:
                socket = KioskSocket(ws)
                await socket.receive()  # welcome
                await socket.beat("home")
                await events.next("kiosk_updated", kioskId=kiosk_id, online=True)
                assert (await api.post(f"{KIOSKS}/{kiosk_id}/logs")).status_code == 202
                assert await socket.receive() == {"type": "command", "action": "sendLogs"}
                await socket.ws.send('{"type": "logs", "text": "10:00:01 INFO Kiosk: joined\\n"}')
                await wait_for_logs(api, kiosk_id)
            # the socket is gone (as when its network drops) but the kiosk beat moments ago: it is online
            pushed = await api.patch(f"{KIOSKS}/{kiosk_id}", json={"settings": {"volume": 30, "camera": "Huddly IQ"}})
            assert pushed.status_code == 200 and pushed.json()["pendingSettings"] is True
            restart = await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "restart"})
            assert restart.status_code == 202

            server.stop(signal.SIGKILL)
            server.start()

            after = (await api.get(f"{KIOSKS}/{kiosk_id}")).json()
            assert after["pendingSettings"] is True and after["settings"]["volume"] == 30
            logs = await api.get(f"{KIOSKS}/{kiosk_id}/logs")
            assert logs.status_code == 200 and logs.json()["text"] == "10:00:01 INFO Kiosk: joined\n"

            async with admin_events(server) as events, await connect(server, credential) as ws:
                socket = KioskSocket(ws)
                welcome = await socket.receive()
                assert welcome["type"] == "welcome" and welcome["settingsVersion"] == 2
                assert welcome["settings"]["volume"] == 30 and welcome["settings"]["camera"] == "Huddly IQ"
                assert await socket.receive() == {"type": "command", "action": "restart"}
                await socket.beat("home", settings_version=2)
                await events.next("kiosk_updated", kioskId=kiosk_id, pendingSettings=False)
            # delivered once: a new socket gets its welcome and nothing else
            async with await connect(server, credential) as ws:
                socket = KioskSocket(ws)
                assert (await socket.receive())["type"] == "welcome"
                await socket.beat("home", settings_version=2)
                sent = await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "leave"})
                assert sent.status_code == 202
                assert await socket.receive() == {"type": "command", "action": "leave"}
    finally:
        server.stop()
    assert "Traceback" not in server.log()

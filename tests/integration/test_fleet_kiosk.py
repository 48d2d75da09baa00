"""An enrolled ``meetdesk kiosk`` process (offscreen, synthetic devices) against a real server process: started
with the one-time code an admin got, it enrols, joins its room by itself, and carries out what the admin asks
through the fleet API — leave, join, new settings (at once when idle, after the meeting otherwise), its logs,
restart; removed, it leaves the meeting and says so on its screen. A wrong code gets a clear screen too.

The kiosk's state is read from its heartbeat file (another process: no signal reaches the test) and from what
the server says of it on the admin events socket; its media from what a participant in the room receives.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from meetdesk.client.events import events_url
from meetdesk.client.session import MeetingSession
from meetdesk.kiosk.health import Heartbeat, read_heartbeat
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.meeting_helpers import until

pytestmark = pytest.mark.slow

KIOSKS = "/internal-api/v1/kiosks"
KIOSK_SOURCE = 11
WAIT_S = 60.0


@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"MEETDESK_KIOSK_OFFLINE_AFTER": "8", "MEETDESK_KIOSK_SWEEP_INTERVAL": "0.5"}
    proc = ServerProcess(tmp_path_factory.mktemp("fleet-kiosk") / "data", free_port(), extra_env=env)
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log()


@pytest.fixture
async def api(fleet_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fleet_server.url, headers={"X-API-KEY": API_KEY}, timeout=20) as client:
        yield client


@dataclass
class KioskProcess:
    process: subprocess.Popen[bytes]
    state_dir: Path
    output: Path

    async def reaches(self, check: Callable[[Heartbeat], bool], what: str) -> Heartbeat:
        """Wait until the kiosk's heartbeat file says ``check`` (another process: polled, it has no signal)."""
        seen: list[Heartbeat] = []

        def ok() -> bool:
            assert self.process.poll() is None, f"the kiosk exited:\n{self.output.read_text()[-3000:]}"
            beat = read_heartbeat(self.state_dir)
            if beat is not None and check(beat):
                seen.append(beat)
                return True
            return False

        try:
            await until(ok, WAIT_S)
        except TimeoutError:
            raise AssertionError(f"the kiosk never got to: {what} (last: {read_heartbeat(self.state_dir)})") from None
        return seen[-1]


@pytest.fixture
def start_kiosk(tmp_path: Path) -> Iterator[Callable[..., KioskProcess]]:
    started: list[KioskProcess] = []

    def start(server: str, code: str) -> KioskProcess:
        state = tmp_path / f"kiosk{len(started)}"
        output = tmp_path / f"kiosk{len(started)}.log"
        command = [sys.executable, "-m", "meetdesk", "kiosk", "--server", server, "--enrol", code]
        command += ["--synthetic-devices", "--pin", "2468", "--source-id", str(KIOSK_SOURCE), "--state-dir", str(state)]
        # no keyring here: the credential goes to a 0600 file (the keyring is the OS's business)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        with output.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        kiosk = KioskProcess(process, state, output)
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        if kiosk.process.poll() is None:
            kiosk.process.kill()
            kiosk.process.wait()


class AdminEvents:
    """The admin events socket: what the server says of the kiosk, as it happens."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def kiosk(self, kiosk_id: str, **fields: Any) -> dict[str, Any]:
        """The next KioskUpdated of ``kiosk_id`` with ``fields``."""

        async def find() -> dict[str, Any]:
            while True:
                event = json.loads(await self.ws.recv())
                kiosk = event.get("kiosk", {})
                if kiosk.get("kioskId") == kiosk_id and all(kiosk.get(k) == v for k, v in fields.items()):
                    return dict(kiosk)

        try:
            return await asyncio.wait_for(find(), WAIT_S)
        except TimeoutError:
            raise AssertionError(f"the server never said the kiosk has {fields}") from None


@pytest.fixture
async def events(fleet_server: ServerProcess) -> AsyncIterator[AdminEvents]:
    async with websockets.connect(events_url(fleet_server.url), additional_headers={"X-API-KEY": API_KEY}) as ws:
        await ws.recv()  # subscribed
        yield AdminEvents(ws)


async def new_kiosk(api: httpx.AsyncClient, room_name: str, settings: dict[str, Any]) -> tuple[dict[str, Any], str]:
    room = await api.post("/api/v1/rooms", json={"roomName": room_name})
    assert room.status_code == 201, room.text
    created = await api.post(
        KIOSKS, json={"name": "Board room PC", "roomId": room.json()["roomId"], "settings": settings}
    )
    assert created.status_code == 201, created.text
    return dict(created.json()), str(room.json()["moderatorUrl"])


def in_meeting(beat: Heartbeat) -> bool:
    return beat.stage == "meeting" and beat.connected


async def in_the_meeting(api: httpx.AsyncClient, room_id: str, name: str, *, present: bool = True) -> None:
    """Wait until the room's meeting has (or no longer has) a participant called ``name``; polled: the
    participant list is read from the meetings API, and the observer gets no event the test could await."""

    async def shown() -> bool:
        answer = await api.get(f"/api/v1/meetings/{room_id}/participants")
        names = (
            {p.get("participantName") for p in answer.json().get("participants", [])} if answer.is_success else set()
        )
        return (name in names) == present

    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await shown():
        assert asyncio.get_running_loop().time() < deadline, f"{name!r} {'never joined' if present else 'never left'}"
        await asyncio.sleep(0.2)


async def test_an_enrolled_kiosk_joins_by_itself_and_does_what_the_admin_asks(
    fleet_server: ServerProcess,
    api: httpx.AsyncClient,
    events: AdminEvents,
    start_kiosk: Callable[..., KioskProcess],
) -> None:
    kiosk, moderator_url = await new_kiosk(api, "Board room 4.12", {"displayName": "Board room"})
    kiosk_id, code, room_id = kiosk["kioskId"], kiosk["enrolmentCode"], kiosk["roomId"]
    observer = MeetingSession(moderator_url, "Observer", publish_video=False, publish_audio=False)
    await observer.join()
    try:
        process = start_kiosk(fleet_server.url, code)
        first = await process.reaches(in_meeting, "its room's meeting, by itself")
        assert first.devices_found == {"camera": "Test pattern", "microphone": "Test tone", "speaker": "Null speaker"}
        shown = await events.kiosk(kiosk_id, enrolled=True, online=True, state="meeting")
        # the devices it has, by the names it chooses by (synthetic ones here)
        assert shown["devices"]["camera"] == {
            "name": "Test pattern",
            "found": True,
            "available": ["Test pattern", "Second test pattern"],
        }
        assert shown["devices"]["speaker"]["available"] == ["Null speaker"]
        await in_the_meeting(api, room_id, "Board room")

        # the credential: kept in a file only this user reads, never in the log; the code is not logged either
        credentials = process.state_dir / "credentials.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        credential = next(iter(json.loads(credentials.read_text()).values()))
        log = (process.state_dir / "logs" / "kiosk.log").read_text()
        assert credential not in log and code not in log and code.replace("-", "") not in log

        assert (await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "leave"})).status_code == 202
        await process.reaches(lambda beat: beat.stage == "home", "its home screen, asked to leave")
        await events.kiosk(kiosk_id, state="home")
        await in_the_meeting(api, room_id, "Board room", present=False)

        # idle: new settings apply at once
        pushed = await api.patch(f"{KIOSKS}/{kiosk_id}", json={"settings": {"displayName": "Room 4.12"}})
        assert pushed.json()["pendingSettings"] is True
        await events.kiosk(kiosk_id, pendingSettings=False, state="home")

        assert (await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "join"})).status_code == 202
        await process.reaches(in_meeting, "the meeting again, asked to join")
        await in_the_meeting(api, room_id, "Room 4.12")  # under its new name

        # in the meeting: kept until the meeting is over for the kiosk
        await api.patch(f"{KIOSKS}/{kiosk_id}", json={"settings": {"displayName": "Room 4.12 (east)"}})
        await events.kiosk(kiosk_id, pendingSettings=True)
        assert (await api.get(f"{KIOSKS}/{kiosk_id}")).json()["state"] == "meeting"
        assert (await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "leave"})).status_code == 202
        applied = await events.kiosk(kiosk_id, pendingSettings=False, state="home")
        assert applied["settings"]["displayName"] == "Room 4.12 (east)"

        # its logs, masked
        assert (await api.post(f"{KIOSKS}/{kiosk_id}/logs")).status_code == 202
        logs = await fetched_logs(api, kiosk_id)
        assert "Kiosk: the admin asks to leave" in logs and credential not in logs

        # restart: a fresh start of the process (exec'd again: the same pid), back in its meeting by itself
        # ("always") with the credential it kept
        before = await process.reaches(lambda beat: beat.stage == "home", "home")
        assert (await api.post(f"{KIOSKS}/{kiosk_id}/actions", json={"action": "restart"})).status_code == 202
        again = await process.reaches(lambda beat: in_meeting(beat) and beat.uptime_s < before.uptime_s, "a restart")
        assert again.pid == before.pid
        await in_the_meeting(api, room_id, "Room 4.12 (east)")

        # removed: out of the meeting at once, and it says so
        assert (await api.delete(f"{KIOSKS}/{kiosk_id}")).status_code == 204
        removed = await process.reaches(lambda beat: beat.stage == "removed", "the removed screen")
        assert removed.last_error == "This kiosk was removed from the server."
        await in_the_meeting(api, room_id, "Room 4.12 (east)", present=False)
        assert not json.loads(credentials.read_text())  # the void credential is forgotten
    finally:
        await observer.leave()


async def fetched_logs(api: httpx.AsyncClient, kiosk_id: str) -> str:
    """Polled: the logs reach the server on the kiosk's socket, and no event tells an admin client."""
    text: list[str] = []

    async def arrived() -> bool:
        response = await api.get(f"{KIOSKS}/{kiosk_id}/logs")
        if response.status_code == 200:
            text.append(response.json()["text"])
        return bool(text)

    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await arrived():
        assert asyncio.get_running_loop().time() < deadline, "the kiosk's logs never arrived"
        await asyncio.sleep(0.2)
    return text[0]


async def test_a_refused_code_gets_a_screen_saying_so(
    fleet_server: ServerProcess, api: httpx.AsyncClient, start_kiosk: Callable[..., KioskProcess]
) -> None:
    process = start_kiosk(fleet_server.url, "AAAA-BBBB-CCCC")
    beat = await process.reaches(lambda beat: beat.stage == "not_enrolled", "the not-enrolled screen")
    assert beat.last_error is not None and "refused the enrolment code" in beat.last_error
    assert process.process.poll() is None  # it waits for a fixed configuration, it does not crash or loop

"""The real server process: start-up output, graceful stop, restarts, and SIGKILL losing nothing."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from meetdesk.core.models import RoomStatus
from meetdesk.server.app import create_app
from meetdesk.server.config import ServerSettings
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess, free_port

pytestmark = pytest.mark.slow


def test_rooms_survive_a_restart(server_process: ServerProcess) -> None:
    headers = {"X-API-KEY": API_KEY}
    created = [
        httpx.post(f"{server_process.url}/api/v1/rooms", json={"roomName": f"keep {i}"}, headers=headers).json()
        for i in range(5)
    ]
    # SIGTERM: uvicorn shuts down gracefully, then exits by re-raising the signal
    assert server_process.stop() in (0, -signal.SIGTERM)
    assert "Server stopped" in server_process.log() and "Application shutdown complete" in server_process.log()
    server_process.start()
    for room in created:
        again = httpx.get(f"{server_process.url}/api/v1/rooms/{room['roomId']}", headers=headers)
        assert again.json() == room


def test_sigkill_loses_no_committed_room(server_process: ServerProcess) -> None:
    """Create rooms from several connections at once, kill -9 mid-stream: every 201 is still there."""
    confirmed: list[str] = []
    enough = asyncio.Event()

    async def writer(client: httpx.AsyncClient, n: int) -> None:
        for i in range(10_000):
            try:
                response = await client.post("/api/v1/rooms", json={"roomName": f"w{n}-{i}"})
            except httpx.HTTPError:
                return
            if response.status_code == 201:
                confirmed.append(response.json()["roomId"])
                if len(confirmed) >= 150:
                    enough.set()

    async def run() -> None:
        async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as client:
            tasks = [asyncio.create_task(writer(client, n)) for n in range(4)]
            await enough.wait()
            assert server_process.process is not None
            server_process.process.kill()
            await asyncio.gather(*tasks)

    asyncio.run(run())
    assert server_process.process is not None and server_process.process.wait() == -signal.SIGKILL
    server_process.start()
    headers = {"X-API-KEY": API_KEY}
    stored: set[str] = set()
    token = None
    while True:
        params: dict[str, str | int] = {"maxItems": 100, "fields": "roomId"}
        if token:
            params["nextPageToken"] = token
        body = httpx.get(f"{server_process.url}/api/v1/rooms", params=params, headers=headers).json()
        stored |= {r["roomId"] for r in body["rooms"]}
        token = body["pagination"].get("nextPageToken")
        if not token:
            break
    missing = set(confirmed) - stored
    assert not missing, f"{len(missing)} confirmed room(s) lost"


def _first_start_command(tmp_path: Path, port: int) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETDESK_")}
    command = [sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", str(tmp_path / "d")]
    return command, env


def _run_until_started(command: list[str], env: dict[str, str]) -> str:
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Application startup complete" in line:
            break
    process.terminate()
    rest, _ = process.communicate(timeout=20)
    return "".join(lines) + rest


def test_first_start_writes_the_random_password_to_a_private_file_when_output_is_not_a_terminal(
    tmp_path: Path,
) -> None:
    """The embedded launcher appends the server's output to server.log: the password must not go there."""
    port = free_port()
    command, env = _first_start_command(tmp_path, port)
    first = _run_until_started(command, env)
    path = tmp_path / "d" / "first-start-credentials.txt"
    assert f"password: in {path}" in first
    assert f"First start: the admin password is in {path}, readable by this user only" in first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    match = re.fullmatch(r"MeetDesk admin user: admin\npassword: (\S+)\n", path.read_text())
    assert match, path.read_text()
    password = match.group(1)
    assert len(password) >= 16 and password not in first
    assert f"http://127.0.0.1:{port}/api/v1/docs" in first
    assert "API key: none yet" in first
    second = _run_until_started(command, env)
    assert password not in second and "first-start-credentials" not in second

    # and that password is the admin's
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc = ServerProcess(tmp_path / "d", port, process)
        for _ in range(200):
            try:
                response = httpx.post(
                    f"{proc.url}/internal-api/v1/auth/login", json={"username": "admin", "password": password}
                )
                break
            except httpx.HTTPError:
                import time

                time.sleep(0.05)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_first_start_shows_the_random_password_on_a_terminal_once(tmp_path: Path) -> None:
    command, env = _first_start_command(tmp_path, free_port())
    controller, terminal = pty.openpty()
    process = subprocess.Popen(command, env=env, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""
    try:
        while b"Application startup complete" not in output:
            chunk = os.read(controller, 4096)  # blocks until the server writes: no polling
            assert chunk, output
            output += chunk
    finally:
        process.terminate()
        process.wait(timeout=20)
        os.close(controller)
    shown = output.decode()
    assert re.search(r"Admin user: admin\s+password: \S{16,}\s+\(shown only once\)", shown), shown
    assert not (tmp_path / "d" / "first-start-credentials.txt").exists()


def test_later_starts_never_overwrite_credentials(server_process: ServerProcess) -> None:
    url = server_process.url
    login = httpx.post(f"{url}/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    changed = httpx.post(
        f"{url}/internal-api/v1/users/change-password",
        json={"currentPassword": ADMIN_PASSWORD, "newPassword": "changed-password"},
        headers=bearer,
    )
    assert changed.status_code == 200
    relogin = httpx.post(
        f"{url}/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": "changed-password"}
    )
    bearer = {"Authorization": f"Bearer {relogin.json()['accessToken']}"}
    new_key = httpx.post(f"{url}/internal-api/v1/auth/api-keys", headers=bearer).json()["apiKey"]
    server_process.stop()
    server_process.start()  # same MEETDESK_INITIAL_* environment as the first start
    assert (
        httpx.post(
            f"{url}/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        ).status_code
        == 401
    )
    assert (
        httpx.post(
            f"{url}/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": "changed-password"}
        ).status_code
        == 200
    )
    assert httpx.get(f"{url}/api/v1/rooms", headers={"X-API-KEY": API_KEY}).status_code == 401
    assert httpx.get(f"{url}/api/v1/rooms", headers={"X-API-KEY": new_key}).status_code == 200


async def test_meetings_left_active_are_finished_at_start(settings: ServerSettings) -> None:
    """A crash during a meeting leaves the room 'active_meeting' in the store; the next start repairs it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"X-API-KEY": API_KEY}) as api:
            plain = (await api.post("/api/v1/rooms", json={"roomName": "plain"})).json()["roomId"]
            doomed = (await api.post("/api/v1/rooms", json={"roomName": "doomed"})).json()["roomId"]
            await ctx.meetings.start(plain)
            await ctx.meetings.start(doomed)
            await api.delete(f"/api/v1/rooms/{doomed}", params={"withMeeting": "when_meeting_ends"})
        # the app stops here without ending its meetings, as a crash would
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        rooms = app.state.ctx.rooms
        assert (await rooms.get(plain)).status is RoomStatus.OPEN
        assert await rooms.rooms.get(doomed) is None

"""The admin app as a user starts it: ``meetdesk --smoke-test`` opens the Rooms page against the embedded
server (a child process it starts, signs in to without a dialog, and stops on exit)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import ADMIN_USER, EmbeddedServer

pytestmark = pytest.mark.slow


def run_smoke_test(profile: Path) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "meetdesk", "--smoke-test", "--profile-dir", str(profile)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("smoke test ok "))
    return dict(json.loads(line.removeprefix("smoke test ok ")))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_first_start_runs_the_embedded_server_signs_in_and_stops_it_on_exit(tmp_path: Path) -> None:
    report = run_smoke_test(tmp_path)
    assert report["rooms_shown"] == 0
    assert str(report["server"]).startswith("http://127.0.0.1:")
    state = json.loads((tmp_path / "embedded" / "embedded.json").read_text())
    assert state["pid"] is None  # stopped with the app
    assert (tmp_path / "embedded" / "meetdesk.db").exists()
    # no keyring on this machine: the generated admin password is in a file only this user can read
    secrets_file = tmp_path / "config" / "credentials.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert "password" not in (tmp_path / "embedded" / "server.log").read_text().lower().replace(
        "password: from meetdesk_initial_admin_password", ""
    )


async def test_a_running_embedded_server_is_reused_with_its_rooms_and_left_running(tmp_path: Path) -> None:
    run_smoke_test(tmp_path)  # first start: creates the data and the password
    store = CredentialStore(tmp_path / "config", use_keyring=False)
    embedded = EmbeddedServer(tmp_path / "embedded", store)
    url = await embedded.start()
    try:
        password = embedded.admin_password()
        assert password is not None and len(password) >= 24
        async with MeetDeskClient(url) as client:
            await client.login(ADMIN_USER, password)
            for name in ("Alpha", "Bravo", "Charlie"):
                await client.create_room({"roomName": name})
        report = run_smoke_test(tmp_path)
        assert report["rooms_shown"] == 3
        assert report["server"] == url  # same port as before: room links stay valid
        assert embedded.process is not None and embedded.process.poll() is None  # not ours to stop
    finally:
        await embedded.stop()

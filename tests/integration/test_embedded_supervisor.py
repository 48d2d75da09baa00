"""The embedded server's supervisor against real ``meetdesk server`` processes: it notices an exit by itself,
restarts on the same port, never moves to another port without being told, and gives up (saying where the
log is) on a server that keeps dying."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer, PortTaken
from meetdesk.client.supervisor import RestartPolicy, Supervisor, SupervisorState, SupervisorStatus
from tests.conftest import free_port

pytestmark = pytest.mark.slow


class Watcher:
    """The supervisor's statuses, and a way to await the next one in a given state."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.seen: list[SupervisorStatus] = []
        self._waiting: list[tuple[SupervisorState, asyncio.Future[SupervisorStatus]]] = []
        supervisor.add_listener(self._heard)

    def _heard(self, status: SupervisorStatus) -> None:
        self.seen.append(status)
        for state, future in list(self._waiting):
            if status.state is state and not future.done():
                future.set_result(status)
                self._waiting.remove((state, future))

    async def next(self, state: SupervisorState, timeout: float = 30.0) -> SupervisorStatus:
        future: asyncio.Future[SupervisorStatus] = asyncio.get_running_loop().create_future()
        self._waiting.append((state, future))
        return await asyncio.wait_for(future, timeout)


@pytest.fixture
def store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "config", use_keyring=False)


@pytest.fixture
async def supervisor(tmp_path: Path, store: CredentialStore) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(
        EmbeddedServer(tmp_path / "embedded", store, default_port=free_port()), RestartPolicy(delays=(0.0, 0.1))
    )
    yield supervisor
    await supervisor.stop()


def remembered_port(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "embedded" / "embedded.json").read_text())["port"])


async def test_a_server_that_keeps_dying_is_given_up_with_the_log_path(supervisor: Supervisor, tmp_path: Path) -> None:
    supervisor.policy = RestartPolicy(delays=(0.0, 0.1), max_attempts=2)
    watcher = Watcher(supervisor)
    await supervisor.start()
    pid = supervisor.server.pid
    assert pid is not None
    # its database becomes unreadable: every start from now on fails
    for name in ("meetdesk.db-wal", "meetdesk.db-shm"):
        (tmp_path / "embedded" / name).unlink(missing_ok=True)
    (tmp_path / "embedded" / "meetdesk.db").write_bytes(b"this is not a database" * 100)
    os.kill(pid, signal.SIGKILL)
    failed = await watcher.next(SupervisorState.FAILED, timeout=60)
    restarts = [s.attempt for s in watcher.seen if s.state is SupervisorState.RESTARTING]
    assert restarts == [1, 2]
    assert failed.attempt == 2 and failed.exit_code not in (None, -signal.SIGKILL)  # the failed start's, not the kill's
    assert failed.log_file == tmp_path / "embedded" / "server.log"
    assert failed.message.startswith("The server on this computer keeps stopping, so MeetDesk stopped restarting it")
    assert failed.message.endswith(f"Its log is {tmp_path / 'embedded' / 'server.log'}.")
    assert supervisor.server.process is None  # nothing left running


async def test_a_port_taken_while_restarting_is_reported_and_kept(supervisor: Supervisor, tmp_path: Path) -> None:
    watcher = Watcher(supervisor)
    await supervisor.start()
    port = supervisor.server.port
    assert port is not None
    other_program = socket.socket()
    other_program.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def take_the_port(status: SupervisorStatus) -> None:  # in the moment between the crash and the restart
        if status.state is SupervisorState.RESTARTING and other_program.fileno() >= 0:
            other_program.bind(("127.0.0.1", port))
            other_program.listen()

    supervisor.add_listener(take_the_port)
    try:
        assert supervisor.server.pid is not None
        os.kill(supervisor.server.pid, signal.SIGKILL)
        taken = await watcher.next(SupervisorState.PORT_TAKEN)
        assert taken.port == port and taken.suggestion not in (None, port)
        assert taken.message.startswith(f"Port {port} is used by another program.")
        assert remembered_port(tmp_path) == port
        with pytest.raises(PortTaken):  # still there: the same answer
            await supervisor.try_again()
    finally:
        other_program.close()
        supervisor.remove_listener(take_the_port)
    assert await supervisor.try_again() == f"http://127.0.0.1:{port}"
    assert supervisor.status.state is SupervisorState.RUNNING


async def test_a_server_another_app_started_is_watched_and_replaced_when_it_dies(
    supervisor: Supervisor, tmp_path: Path, store: CredentialStore
) -> None:
    first_app = EmbeddedServer(tmp_path / "embedded", store, default_port=free_port())
    url = await first_app.start()
    try:
        assert await supervisor.start() == url
        assert supervisor.server.process is None  # reused, not ours
        watcher = Watcher(supervisor)
        assert first_app.process is not None
        first_app.process.kill()
        await watcher.next(SupervisorState.RESTARTING, timeout=5)
        await watcher.next(SupervisorState.RUNNING)
        assert supervisor.server.url == url
        assert supervisor.server.process is not None  # ours now
    finally:
        await first_app.stop()

"""The embedded server: ``meetdesk server`` as a child process of the desktop app, on loopback, with its own
data dir — so an admin's first ``meetdesk`` shows rooms without any setup.

The admin password is generated on the very first start, handed to the child through its environment
(``MEETDESK_INITIAL_ADMIN_PASSWORD``, read only when the database is new) and kept in the credential store.
The port is remembered in the data dir so room links stay valid across restarts. A server this app
started earlier and that still runs (another window, a crashed app) is reused, not started twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from meetdesk.client.credentials import CredentialStore

logger = logging.getLogger(__name__)

ADMIN_USER = "admin"
DEFAULT_PORT = 6080
READY_PATH = "/internal-api/v1/config/security"  # answers without credentials once the server is up


class EmbeddedServerError(Exception):
    """The embedded server could not be started; the message says why, for the user."""


@dataclass(frozen=True)
class EmbeddedState:
    """What ``embedded.json`` in the data dir remembers."""

    port: int
    pid: int | None = None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when the app dies, even by SIGKILL — no orphaned servers."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class EmbeddedServer:
    """Start, find and stop the app's own server. ``url`` and ``admin_password`` are set once started."""

    def __init__(self, data_dir: Path, credentials: CredentialStore, *, python: str = sys.executable) -> None:
        self.data_dir = data_dir
        self.credentials = credentials
        self.python = python
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.log_file = data_dir / "server.log"
        self._state_file = data_dir / "embedded.json"

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the embedded server is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def owned(self) -> bool:
        """Whether this app started the process (and so stops it)."""
        return self.process is not None

    @property
    def credential_key(self) -> str:
        """The store's key for this server's admin secret: its data dir (the port may change, the data stays)."""
        return f"embedded:{self.data_dir.resolve()}"

    def admin_password(self) -> str | None:
        return self.credentials.get(self.credential_key, ADMIN_USER)

    def _read_state(self) -> EmbeddedState | None:
        try:
            raw = json.loads(self._state_file.read_text(encoding="utf-8"))
            return EmbeddedState(int(raw["port"]), int(raw["pid"]) if raw.get("pid") else None)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, state: EmbeddedState) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"port": state.port, "pid": state.pid}), encoding="utf-8")
        os.replace(tmp, self._state_file)

    async def _answers(self, port: int, timeout: float = 1.0) -> bool:
        try:
            async with httpx.AsyncClient(timeout=timeout) as http:
                response = await http.get(f"http://127.0.0.1:{port}{READY_PATH}")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def start(self, timeout: float = 30.0) -> str:
        """Reuse the running embedded server or start one; returns its URL."""
        state = self._read_state()
        if state is not None and _alive(state.pid) and await self._answers(state.port):
            self.port = state.port
            logger.info("Embedded server already running on port %d (pid %s); reusing it", state.port, state.pid)
            return self.url
        port = state.port if state is not None and _port_free(state.port) else None
        if port is None:
            port = DEFAULT_PORT if state is None and _port_free(DEFAULT_PORT) else _any_free_port()
        self.port = port
        first_start = not (self.data_dir / "meetdesk.db").exists()
        env = {**os.environ, "MEETDESK_INITIAL_ADMIN_USER": ADMIN_USER}
        if first_start or self.admin_password() is None:
            # Only a new database reads this; an existing one keeps its password (see the README).
            password = self.admin_password() or secrets.token_urlsafe(24)
            self.credentials.set(self.credential_key, ADMIN_USER, password)
            env["MEETDESK_INITIAL_ADMIN_PASSWORD"] = password
        self.process = self._spawn(port, env)
        logger.info("Embedded server starting on port %d (pid %d), log %s", port, self.process.pid, self.log_file)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"The embedded server stopped while starting (exit code {self.process.returncode}). "
                    f"Its log is {self.log_file}."
                )
            if await self._answers(port, timeout=0.5):
                return self.url
            await asyncio.sleep(0.05)
        await self.stop()
        raise EmbeddedServerError(
            f"The embedded server did not start within {timeout:.0f} s. Its log is {self.log_file}."
        )

    def _spawn(self, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """fork + exec only (milliseconds); waiting for readiness is asynchronous."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [self.python, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", str(self.data_dir)]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        self._write_state(EmbeddedState(port, process.pid))
        return process

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this app started it (SIGTERM: participants are told first)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, process.wait), timeout)
        except TimeoutError:
            logger.warning("Embedded server did not stop in %.0f s; killing it", timeout)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await loop.run_in_executor(None, process.wait)
        self._write_state(EmbeddedState(self.port or DEFAULT_PORT, None))

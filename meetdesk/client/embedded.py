"""The embedded server: ``meetdesk server`` as a child process of the desktop app, on loopback, with its own
data dir — so an admin's first ``meetdesk`` shows rooms without any setup.

The admin password is generated on the very first start, handed to the child through its environment
(``MEETDESK_INITIAL_ADMIN_PASSWORD``, read only when the database is new) and kept in the credential store.
The port is remembered in the data dir so room links stay valid across restarts: once a port was used,
the server never moves by itself — when another program holds it, :class:`PortTaken` says so and the
user chooses (:meth:`EmbeddedServer.start` with another ``port``). A server this app started earlier and
that still runs (another window, a crashed app) is reused, not started twice. :meth:`EmbeddedServer.wait_exit`
returns when the server's process ends, which is what :mod:`meetdesk.client.supervisor` waits on.
With "Share on the network" on (:mod:`meetdesk.client.sharing`) it listens on the chosen address, serves
HTTPS with its own certificate, and the app pins that certificate, read from the data dir.
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
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.sharing import NetworkSharing, SharingProblem
from meetdesk.client.tls import pinned_context
from meetdesk.core.addresses import is_unspecified
from meetdesk.core.fingerprint import certificate_pin

logger = logging.getLogger(__name__)

ADMIN_USER = "admin"
DEFAULT_PORT = 6080
READY_PATH = "/internal-api/v1/config/security"  # answers without credentials once the server is up


class EmbeddedServerError(Exception):
    """The embedded server could not be started; the message says why, for the user. ``exit_code``: how its
    process ended when it did (negative: the signal that ended it), None when it did not answer in time or
    was not started."""

    def __init__(self, message: str, exit_code: int | None = None, *, lasting: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        #: trying again will not help until the user changes something (the message says what)
        self.lasting = lasting


class PortTaken(EmbeddedServerError):
    """The remembered port is held by another program: room links point to it, so the server does not move
    without asking. ``suggestion`` is a port free right now."""

    def __init__(self, port: int, suggestion: int) -> None:
        super().__init__(
            f"Port {port} is used by another program. Links you already shared point to it. "
            f"Close that program and try again, or use port {suggestion}."
        )
        self.port = port
        self.suggestion = suggestion


@dataclass(frozen=True)
class EmbeddedState:
    """What ``embedded.json`` in the data dir remembers."""

    port: int
    pid: int | None = None


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether the server could listen on ``port`` of ``host``. With SO_REUSEADDR, as uvicorn binds: the
    connections of a server that just died linger in TIME-WAIT for a minute and would make its own port
    look taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        if sys.platform != "win32":  # on Windows the option means "share a port in use", which is not the question
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
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


def _listens(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` is the one listening on ``port`` — not another program that took the port
    meanwhile (Linux: the listening socket's inode among the process's open files); None where this cannot be
    told (no /proc)."""
    if not Path("/proc/net/tcp").exists():
        return None
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                sockets.add(f"socket:[{fields[9]}]")
    if not sockets:
        return False
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone, or not ours to look into
        return False
    for fd in fds:
        with contextlib.suppress(OSError):  # closed meanwhile
            if os.readlink(fd) in sockets:
                return True
    return False


async def _wait_pid(pid: int, process: subprocess.Popen[bytes] | None) -> int | None:
    """Return when process ``pid`` has ended: its exit code when it is our child (``process``), else None.

    Linux: a pidfd becomes readable when the process ends, for any process (not only our children), and the
    event loop watches it like a socket. Elsewhere: look every quarter of a second.
    """
    loop = asyncio.get_running_loop()
    try:
        fd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd on this system, or the process is gone already
        fd = None
    if fd is not None:
        ended: asyncio.Future[None] = loop.create_future()

        def on_end() -> None:
            if not ended.done():
                ended.set_result(None)

        loop.add_reader(fd, on_end)
        try:
            await ended
        finally:
            loop.remove_reader(fd)
            os.close(fd)
    else:
        while process.poll() is None if process is not None else _alive(pid):  # noqa: ASYNC110
            await asyncio.sleep(0.25)  # nothing to wait on but time
    return process.wait() if process is not None else None


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

    def __init__(
        self,
        data_dir: Path,
        credentials: CredentialStore,
        *,
        python: str = sys.executable,
        default_port: int = DEFAULT_PORT,
    ) -> None:
        self.data_dir = data_dir
        #: the port of the very first start, when free
        self.default_port = default_port
        self.credentials = credentials
        self.python = python
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        #: the process of the server in use (ours, or one a previous app started and that we reuse)
        self.pid: int | None = None
        self.log_file = data_dir / "server.log"
        self._state_file = data_dir / "embedded.json"
        #: "Share on the network": where the server listens and the address its links use
        self.sharing = NetworkSharing.load(data_dir)

    @property
    def url(self) -> str:
        """Where this app reaches the server (room links may name another address: ``sharing.address``)."""
        if self.port is None:
            raise RuntimeError("the embedded server is not started")
        return self._url_on(self.port)

    def _url_on(self, port: int) -> str:
        if not self.sharing.active:
            return f"http://127.0.0.1:{port}"
        host = "127.0.0.1" if is_unspecified(self.sharing.listen) else self.sharing.listen
        return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"

    @property
    def pin(self) -> str | None:
        """The pin of the certificate the server made (None on loopback, or before its first shared start)."""
        der = self._certificate()
        return certificate_pin(der) if der is not None else None

    def _certificate(self) -> bytes | None:
        if not self.sharing.active:
            return None
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        try:
            pem = (self.data_dir / "tls-cert.pem").read_bytes()
        except FileNotFoundError:
            return None
        return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)

    def check_can_restart(self) -> None:
        """Raise :class:`EmbeddedServerError` when the server in use is another window's (this app cannot
        restart it with other settings)."""
        if self.pid is not None and self.process is None:
            raise EmbeddedServerError(
                "The server on this computer was started by another MeetDesk window: close that window, "
                "then change this setting again."
            )

    def use_sharing(self, sharing: NetworkSharing) -> None:
        """Keep ``sharing`` (in the data dir) for the next starts; the running server keeps its settings."""
        sharing.save(self.data_dir)
        self.sharing = sharing

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
        verify: ssl.SSLContext | bool = True
        if self.sharing.active:
            der = self._certificate()
            if der is None:  # the server makes it before it listens
                return False
            verify = pinned_context(der)
        try:
            async with httpx.AsyncClient(timeout=timeout, verify=verify) as http:
                response = await http.get(f"{self._url_on(port)}{READY_PATH}")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def start(self, timeout: float = 30.0, *, port: int | None = None) -> str:
        """Reuse the running embedded server or start one; returns its URL.

        The port is ``port`` when given (the user chose it; it is remembered from now on), else the remembered
        one, else (the very first start) ``default_port`` (6080) when free or any free port. Raises
        :class:`PortTaken` when that port is held by another program, :class:`EmbeddedServerError` when the
        server does not start.
        """
        state = self._read_state()
        # a server started earlier (by us or another window) that is still there: wait for it if it is still
        # starting, rather than calling its port taken
        if (
            port is None
            and state is not None
            and _alive(state.pid)
            and _listens(state.pid or 0, state.port) is not False
            and await self._answers_within(state.port, timeout if self._state_is_ours(state) else 1.0)
        ):
            self.port, self.pid, self.process = state.port, state.pid, None
            logger.info("Embedded server already running on port %d (pid %s); reusing it", state.port, state.pid)
            return self.url
        if self.sharing.problems().get("listen") is SharingProblem.NOT_THIS_COMPUTER:  # moved to another network?
            raise EmbeddedServerError(
                f"The server on this computer cannot listen on {self.sharing.listen}, which "
                "“Share on the network” names: it is not this computer's address any more. Choose another "
                "network there, or turn sharing off.",
                lasting=True,
            )
        host = self.sharing.bind_host
        if port is None and state is not None:
            port = state.port
        may_move = port is None  # the very first start: no link exists yet
        if port is None:
            port = self.default_port if _port_free(self.default_port, host) else _any_free_port()
        elif not _port_free(port, host):
            raise PortTaken(port, _any_free_port())
        first_start = not (self.data_dir / "meetdesk.db").exists()
        env = {**os.environ, "MEETDESK_INITIAL_ADMIN_USER": ADMIN_USER}
        if first_start or self.admin_password() is None:
            # Only a new database reads this; an existing one keeps its password (see the README).
            password = self.admin_password() or secrets.token_urlsafe(24)
            self.credentials.set(self.credential_key, ADMIN_USER, password)
            env["MEETDESK_INITIAL_ADMIN_PASSWORD"] = password
        try:
            return await self._launch(port, env, timeout)
        except EmbeddedServerError:
            if not may_move or _port_free(port, host):
                raise
        # another program took the port between our check and the server's bind: before any link exists, any
        # free port will do
        port = _any_free_port()
        logger.info("Port taken while the embedded server started for the first time; using %d", port)
        return await self._launch(port, env, timeout)

    async def _launch(self, port: int, env: dict[str, str], timeout: float) -> str:
        """Start the process on ``port`` and wait until it answers there (itself, not another program)."""
        self.port = port
        process = self.process = self._spawn(port, env)
        self.pid = process.pid
        logger.info("Embedded server starting on port %d (pid %d), log %s", port, process.pid, self.log_file)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if process.poll() is not None:
                self.process = self.pid = None
                self._write_state(EmbeddedState(port, None))
                raise EmbeddedServerError(
                    f"The server on this computer stopped while starting (exit code {process.returncode}). "
                    f"Its log is {self.log_file}.",
                    process.returncode,
                )
            if _listens(process.pid, port) is not False and await self._answers(port, timeout=0.5):
                return self.url
            await asyncio.sleep(0.05)  # the child has no way to tell us it is ready but to answer
        await self.stop()
        raise EmbeddedServerError(
            f"The server on this computer did not start within {timeout:.0f} s. Its log is {self.log_file}."
        )

    async def _answers_within(self, port: int, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if await self._answers(port, timeout=min(1.0, timeout)):
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)

    def _state_is_ours(self, state: EmbeddedState) -> bool:
        """Whether the remembered process is a MeetDesk server on our data dir (not a pid reused since)."""
        try:
            cmdline = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return b"meetdesk" in cmdline and str(self.data_dir).encode() in cmdline

    async def wait_exit(self) -> int | None:
        """Return when the server in use ends: its exit code if this app started it, else None."""
        if self.pid is None:
            raise RuntimeError("the embedded server is not started")
        return await _wait_pid(self.pid, self.process)

    def _spawn(self, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """fork + exec only (milliseconds); waiting for readiness is asynchronous."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [self.python, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", str(self.data_dir)]
        cmd += ["--host", self.sharing.bind_host]
        if self.sharing.active:  # links name the address others reach; TLS is on off loopback
            cmd += ["--base-url", self.sharing.base_url(port)]
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
        if process is None:
            return
        self.pid = None
        if process.poll() is not None:
            self._write_state(EmbeddedState(self.port or DEFAULT_PORT, None))
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

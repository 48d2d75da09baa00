"""Fixtures shared by every test: a server's settings, the in-process app, and a real server process."""

from __future__ import annotations

import logging
import os
import resource
import secrets
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from meetdesk.server.app import create_app
from meetdesk.server.config import ServerSettings
from meetdesk.server.context import ServerContext
from meetdesk.server.store.db import Database

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"
API_KEY = "meetdesk-test-api-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fail_on_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """An unexpected ERROR log (a 500, a crashed job) fails the test that caused it."""
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR and not getattr(r, "expected", False)]
    if errors:
        pytest.fail("unexpected error log: " + "; ".join(r.getMessage() for r in errors))


@pytest.fixture
async def database_url() -> AsyncIterator[str | None]:
    """None (an SQLite file in the data dir), or with ``MEETDESK_TEST_DATABASE_URL`` set to a PostgreSQL
    URL, a fresh database on that server for this test, dropped afterwards."""
    base = os.environ.get("MEETDESK_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"meetdesk_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port, database=url.database or "postgres"
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def store_url(database_url: str | None, tmp_path: Path) -> str:
    """The store's database for this test: ``database_url``'s PostgreSQL database, or an SQLite file (the same
    on every call within the test, so that it can be opened again)."""
    return database_url or f"sqlite+aiosqlite:///{tmp_path / 'meetdesk.db'}"


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    """The store's database opened (migrated), closed after the test."""
    database = await Database.open(store_url)
    yield database
    await database.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> ServerSettings:
    return ServerSettings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        base_url="https://meet.example.test",
        initial_admin_user=ADMIN_USER,
        initial_admin_password=ADMIN_PASSWORD,
        initial_api_key=API_KEY,
        auto_deletion_interval=3600,
    )


@dataclass
class InProcess:
    """The app running in this process (lifespan included), reached through httpx's ASGI transport."""

    ctx: ServerContext
    transport: httpx.ASGITransport

    def http(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, base_url="http://testserver", headers=headers)


@pytest.fixture
async def server(settings: ServerSettings) -> AsyncIterator[InProcess]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield InProcess(app.state.ctx, httpx.ASGITransport(app=app))


@pytest.fixture
async def api(server: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP with the API key."""
    async with server.http(**{"X-API-KEY": API_KEY}) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """``meetdesk server`` in a child process, on a loopback port."""

    data_dir: Path
    port: int
    process: subprocess.Popen[str] | None = None
    output: Path | None = None
    #: more MEETDESK_* variables for the server (limits, timeouts)
    extra_env: dict[str, str] = field(default_factory=dict)
    #: the server's open-file limit (soft and hard), None: this process's
    max_open_files: int | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def tls(self) -> bool:
        return self.extra_env.get("MEETDESK_TLS") == "1"

    def verify(self) -> ssl.SSLContext | bool:
        """What httpx should trust: over TLS, the certificate the server made for itself."""
        if not self.tls:
            return True
        return ssl.create_default_context(cafile=self.data_dir / "tls-cert.pem")

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "MEETDESK_INITIAL_ADMIN_USER": ADMIN_USER,
            "MEETDESK_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "MEETDESK_INITIAL_API_KEY": API_KEY,
            **self.extra_env,
        }
        limit = self.max_open_files

        def limit_open_files() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.output = self.data_dir.parent / f"server-{self.port}-{time.monotonic_ns()}.log"
        with self.output.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "meetdesk",
                    "server",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                preexec_fn=limit_open_files if limit is not None else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output.read_text()}")
            try:
                probe = httpx.get(f"{self.url}/internal-api/v1/config/security", timeout=1, verify=self.verify())
                if probe.status_code == 200:
                    return
            except (httpx.HTTPError, OSError):  # not listening yet; over TLS, no certificate yet
                pass
            time.sleep(0.05)
        self.process.kill()  # a server that did not come up must not outlive the test
        self.process.wait()
        raise RuntimeError(f"server did not start in {timeout} s:\n{self.output.read_text()}")

    def stop(self, sig: int | None = None) -> int:
        assert self.process is not None
        if sig is None:
            self.process.terminate()
        else:
            self.process.send_signal(sig)
        return self.process.wait(timeout=20)

    def log(self) -> str:
        return self.output.read_text() if self.output else ""


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.start()
    yield proc
    if proc.process is not None and proc.process.poll() is None:
        proc.stop()


@dataclass
class LiveServer:
    """The app under a real uvicorn on a loopback port, in this test's event loop (so tests can look
    inside through ``ctx`` while clients talk to it over real sockets)."""

    url: str
    ctx: ServerContext
    server: object

    def http(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=headers)


@pytest.fixture
async def live_server(settings: ServerSettings) -> AsyncIterator[LiveServer]:
    import asyncio
    from dataclasses import replace

    import uvicorn

    from meetdesk.server.main import MeetDeskServer

    port = free_port()
    settings = replace(settings, port=port, base_url=f"http://127.0.0.1:{port}", reconnect_grace=2.0)
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio"
    )
    server = MeetDeskServer(config, app)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield LiveServer(settings.public_base_url, app.state.ctx, server)
    server.should_exit = True
    await asyncio.wait_for(task, timeout=20)

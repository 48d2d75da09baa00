"""The abuse suite's shared fixtures: real ``meetdesk server`` processes whose log is checked when they stop.

Every server a case starts ends with a log (its standard output and error, as the embedded launcher
keeps them in ``server.log``) that holds no traceback and no secret, and whose event loop never stalled
more than :data:`MAX_LOOP_STALL_MS` while serving; :func:`abuse_servers` asserts it.
Cases are bounded in count and time, and talk only to loopback addresses (127.0.0.0/8).

:func:`abuse_server` is one server for a whole module (configured by the module's ``SERVER_ENV``), with
an admin logged in and helpers for rooms and participant tokens; the tokens and room secrets the tests
handle are registered in :attr:`AbuseServer.secrets`, and the log must hold none of them either.
"""

from __future__ import annotations

import re
import resource
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess, free_port

#: What must never appear in a server's log.
SECRETS = (ADMIN_PASSWORD, API_KEY)

StartServer = Callable[..., ServerProcess]


def assert_clean_log(log: str) -> None:
    assert "Traceback" not in log, log[-4000:]
    for secret in SECRETS:
        assert secret not in log, "a secret is in the server log"


#: The longest a server's event loop may be kept from running while the cases run: no client may freeze a
#: room. The server measures it, leaving out time its thread waited for a busy CPU. This bound catches a
#: freeze (the 1,000-m-line offer held the loop 3.3 s); the 50 ms target of issue 12 is a figure, measured
#: and judged by bench/abuse_bench.py, not a timing a test on a shared CI machine can hold to.
MAX_LOOP_STALL_MS = 250.0


def assert_loop_kept_running(log: str) -> float:
    """The stall the server logged at its stop is within bounds; returns it (ms)."""
    found = re.findall(r"Event loop: longest stall ([\d.]+) ms while serving", log)
    assert found, "the server did not log its longest event-loop stall (was it stopped gracefully?)"
    longest = max(float(value) for value in found)
    assert longest <= MAX_LOOP_STALL_MS, f"the server's event loop stalled {longest} ms"
    return longest


@pytest.fixture(scope="module")
def abuse_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Start servers for this module (``start(name, extra_env=..., max_open_files=...)``); each is
    stopped at the end of the module and its log checked."""
    started: list[ServerProcess] = []

    def start(name: str, **options: Any) -> ServerProcess:
        proc = ServerProcess(tmp_path_factory.mktemp(name) / "data", free_port(), **options)
        started.append(proc)
        proc.start()
        return proc

    yield start
    for proc in started:  # every server stopped before any is judged: a failed check leaves none running
        if proc.process is not None and proc.process.poll() is None:
            proc.stop()
    for proc in started:
        assert_clean_log(proc.log())
        assert_loop_kept_running(proc.log())


@pytest.fixture
def many_open_files() -> Iterator[int]:
    """Let this test process hold a few thousand sockets (its soft open-file limit raised, then restored)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    assert wanted >= 4096, f"the abuse suite needs an open-file limit of 4096 or more (hard limit {hard})"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield wanted
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@dataclass
class AbuseServer:
    process: ServerProcess
    access_token: str = ""
    #: what must not reach the server's log besides :data:`SECRETS`: tokens, room secrets
    secrets: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return self.process.url

    def http(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def keep_secret(self, *values: str) -> None:
        self.secrets.update(value for value in values if value)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def key(self) -> dict[str, str]:
        return {"X-API-KEY": API_KEY}

    def create_room(self, name: str = "Abuse room") -> dict[str, str]:
        """A room: its id and the secrets of its moderator and speaker links."""
        with self.http(**self.key) as http:
            response = http.post("/api/v1/rooms", json={"roomName": name})
            assert response.status_code == 201, response.text
        room = response.json()
        secrets = {role: parse_qs(urlsplit(room[f"{role}Url"]).query)["secret"][0] for role in ("moderator", "speaker")}
        self.keep_secret(*secrets.values())
        return {"roomId": room["roomId"], **secrets}

    def participant_token(self, room_id: str, secret: str, name: str, **headers: str) -> str:
        with self.http(**headers) as http:
            response = http.post(
                "/internal-api/v1/participants/token",
                json={"roomId": room_id, "secret": secret, "participantName": name},
            )
            assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        self.keep_secret(token)
        return token


@pytest.fixture(scope="module")
def abuse_server(request: pytest.FixtureRequest, abuse_servers: StartServer) -> Iterator[AbuseServer]:
    """One server for the module, an admin logged in; stopped at the end and its log checked for the
    secrets the tests registered too."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    server = AbuseServer(abuse_servers(name, extra_env=getattr(request.module, "SERVER_ENV", {})))
    with server.http() as http:
        login = http.post("/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        server.access_token = login.json()["accessToken"]
        server.keep_secret(server.access_token, login.json()["refreshToken"])
    yield server
    if server.process.process is not None and server.process.process.poll() is None:
        server.process.stop()
    log = server.process.log()
    leaked = sorted(secret[:12] + "..." for secret in server.secrets if secret in log)
    assert not leaked, f"secrets in the server log: {leaked}"

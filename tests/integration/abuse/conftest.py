"""The abuse suite's shared fixtures: real ``meetdesk server`` processes whose log is checked when they stop.

Every server a case starts ends with a log (its standard output and error, as the embedded launcher
keeps them in ``server.log``) that holds no traceback and no secret; :func:`abuse_servers` asserts it.
Cases are bounded in count and time, and talk only to loopback addresses (127.0.0.0/8).
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, API_KEY, ServerProcess, free_port

#: What must never appear in a server's log.
SECRETS = (ADMIN_PASSWORD, API_KEY)

StartServer = Callable[..., ServerProcess]


def assert_clean_log(log: str) -> None:
    assert "Traceback" not in log, log[-4000:]
    for secret in SECRETS:
        assert secret not in log, "a secret is in the server log"


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
    for proc in started:
        if proc.process is not None and proc.process.poll() is None:
            proc.stop()
        assert_clean_log(proc.log())


@pytest.fixture
def many_open_files() -> Iterator[int]:
    """Let this test process hold a few thousand sockets (its soft open-file limit raised, then restored)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    assert wanted >= 4096, f"the abuse suite needs an open-file limit of 4096 or more (hard limit {hard})"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield wanted
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

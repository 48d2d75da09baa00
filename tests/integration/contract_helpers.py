"""Shared by the ``test_contract_*`` modules: one real ``meetdesk server`` process per module, reached
over loopback with the API key, as OpenVidu Meet's own integration tests reach their server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import API_KEY, ServerProcess, free_port


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("contract") / "data", free_port())
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log()


@pytest.fixture
def api(contract_server: ServerProcess) -> Iterator[httpx.Client]:
    """Raw HTTP with the API key."""
    with httpx.Client(base_url=contract_server.url, headers={"X-API-KEY": API_KEY}, timeout=10) as client:
        yield client


@pytest.fixture
def anonymous(contract_server: ServerProcess) -> Iterator[httpx.Client]:
    """Raw HTTP without credentials."""
    with httpx.Client(base_url=contract_server.url, timeout=10) as client:
        yield client


@dataclass
class Remote:
    """A server process as the meeting helpers (``tests/integration/meeting_helpers.py``) reach a server: its URL
    and HTTP clients."""

    url: str

    def http(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)

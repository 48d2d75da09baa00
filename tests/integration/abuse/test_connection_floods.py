"""No connection held for free, part two: floods that would exhaust the open-file limit, and TLS
handshakes that never start, against real ``meetdesk server`` processes (see test_connection_holding)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.conftest import API_KEY
from tests.integration.abuse.conftest import StartServer
from tests.integration.abuse.test_connection_holding import (
    HALF_HEAD,
    HEADER_TIMEOUT,
    PER_ADDRESS,
    connect,
    outcome,
    rest_calls_answered,
)

pytestmark = pytest.mark.slow


async def test_over_tls_a_client_that_never_says_hello_is_counted_and_closed_too(
    abuse_servers: StartServer, many_open_files: int
) -> None:
    """The handshake is under the same deadline and cap as a request head: 300 connections that never send
    a TLS ClientHello, from one address, do not stop HTTPS calls from another."""
    server = abuse_servers(
        "tls",
        extra_env={
            "MEETDESK_TLS": "1",
            "MEETDESK_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "MEETDESK_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        },
    )
    connections = [await connect(server, "127.0.0.6", b"") for _ in range(300)]
    waits = [asyncio.create_task(outcome(connection)) for connection in connections]
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-API-KEY": API_KEY}, timeout=5.0, verify=server.verify()
    ) as client:
        for _ in range(10):
            assert (await client.get("/api/v1/rooms")).status_code == 200
    outcomes = await asyncio.wait_for(asyncio.gather(*waits), HEADER_TIMEOUT + 20)
    assert outcomes == [None] * 300  # all closed by the server (no HTTP answer to a TLS client)
    log = server.log()
    assert log.count("Refused a connection from 127.0.0.6") <= 6
    assert "Closed a connection from 127.0.0.6: no TLS handshake in time" in log


async def test_a_flood_from_many_addresses_stays_below_the_open_file_limit(
    abuse_servers: StartServer, many_open_files: int
) -> None:
    """With 1024 open files at most, 1,100 held connections from 11 addresses (each under the per-address
    cap) would exhaust them; the server keeps a quarter free, makes room by closing the oldest connection
    still waiting for its head, and goes on answering."""
    server = abuse_servers("flood", extra_env={"MEETDESK_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}, max_open_files=1024)
    connections = [await connect(server, f"127.0.0.{10 + n % 11}", HALF_HEAD) for n in range(1100)]
    waits = [asyncio.create_task(outcome(connection)) for connection in connections]
    await rest_calls_answered(server, 20)
    outcomes = Counter(await asyncio.wait_for(asyncio.gather(*waits), HEADER_TIMEOUT + 20))
    assert set(outcomes) <= {408, 503, None} and outcomes[408] > 0
    await rest_calls_answered(server, 1)
    log = server.log()
    assert "Too many open files" not in log and "out of system resource" not in log
    assert log.count("Closed the oldest connection waiting") <= 6  # five, and the count of the rest

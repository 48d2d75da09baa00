"""No connection held for free: half-sent heads, stalled bodies, huge heads and connection floods
against a real ``meetdesk server``, while another client's REST calls go on being answered.

The attackers connect from other loopback addresses (127.0.0.2 and up) than the rightful client
(127.0.0.1), as they would from other machines.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import httpx
import pytest

from tests.conftest import API_KEY, ServerProcess
from tests.integration.abuse.conftest import StartServer

# server processes on SQLite whatever the database under test: not run again in the PostgreSQL pass
pytestmark = pytest.mark.slow

HEADER_TIMEOUT = 4.0
BODY_TIMEOUT = 3.0
PER_ADDRESS = 128
HALF_HEAD = b"GET /api/v1/rooms HTTP/1.1\r\nHost: meetdesk\r\nX-API-KEY: "


@pytest.fixture(scope="module")
def server(abuse_servers: StartServer) -> ServerProcess:
    return abuse_servers(
        "holding",
        extra_env={
            "MEETDESK_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "MEETDESK_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "MEETDESK_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        },
    )


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(server: ServerProcess, source: str, data: bytes) -> Connection:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(source, 0))
    writer.write(data)
    return reader, writer


async def outcome(connection: Connection) -> int | None:
    """Wait until the server closes the connection; the status it answered with (None: closed without one)."""
    reader, writer = connection
    try:
        answer = await reader.read()
    except ConnectionResetError:
        answer = b""
    finally:
        writer.close()
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer.split(b" ", 2)[1])


async def rest_calls_answered(server: ServerProcess, count: int) -> None:
    """The rightful client (127.0.0.1): every call answered, none waiting past the client's timeout."""
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-KEY": API_KEY}, timeout=5.0) as client:
        for _ in range(count):
            assert (await client.get("/api/v1/rooms")).status_code == 200


async def test_1100_half_sent_heads_from_one_address_are_capped_and_closed(
    server: ServerProcess, many_open_files: int
) -> None:
    log_before = len(server.log().encode())
    connections = [await connect(server, "127.0.0.2", HALF_HEAD) for _ in range(1100)]
    waits = [asyncio.create_task(outcome(connection)) for connection in connections]
    await rest_calls_answered(server, 20)
    # every held socket is closed by the server: the bound is the header timeout and a margin
    outcomes = Counter(await asyncio.wait_for(asyncio.gather(*waits), HEADER_TIMEOUT + 20))
    assert outcomes[408] == PER_ADDRESS  # held until the head's deadline, then told why
    assert outcomes[429] + outcomes[None] == 1100 - PER_ADDRESS  # over the cap: refused at once
    # the address may connect again once its sockets are gone
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")) as again:
        response = await again.get(f"{server.url}/api/v1/rooms", headers={"X-API-KEY": API_KEY})
        assert response.status_code == 200
    # the log says so in a few lines, not one per socket
    grown = server.log().encode()[log_before:].decode()
    assert len(grown) < 4000, grown
    assert grown.count("Refused a connection from 127.0.0.2") <= 5
    assert "Traceback" not in grown


async def test_a_stalled_body_is_answered_408_and_closed(server: ServerProcess) -> None:
    head = b"POST /api/v1/rooms HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
    connection = await connect(server, "127.0.0.3", head + f"X-API-KEY: {API_KEY}\r\n\r\n".encode() + b'{"roomName')
    assert await asyncio.wait_for(outcome(connection), BODY_TIMEOUT + 10) == 408
    await rest_calls_answered(server, 1)


async def test_a_huge_head_is_refused_with_431(server: ServerProcess) -> None:
    connection = await connect(server, "127.0.0.4", HALF_HEAD + b"x" * 100_000)
    assert await asyncio.wait_for(outcome(connection), HEADER_TIMEOUT + 10) == 431


async def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_head(server: ServerProcess) -> None:
    request = f"GET /api/v1/rooms HTTP/1.1\r\nHost: m\r\nX-API-KEY: {API_KEY}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=("127.0.0.5", 0))
    writer.write(request)
    status = await reader.readline()
    assert status.startswith(b"HTTP/1.1 200")
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    writer.write(HALF_HEAD)  # the next request never finishes its head
    assert await asyncio.wait_for(outcome((reader, writer)), HEADER_TIMEOUT + 10) == 408


def test_the_server_says_at_its_stop_how_many_log_records_it_held_back(server: ServerProcess) -> None:
    """Runs last (it stops the module's server): the refusals of the first case that were not written are
    counted at the stop."""
    server.stop()
    log = server.log()
    counts = re.findall(r"(\d+) more log records like this one were not written in the last \d+ s: Refused a", log)
    assert counts and int(counts[0]) >= 1100 - PER_ADDRESS - 5

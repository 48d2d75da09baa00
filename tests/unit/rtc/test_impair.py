"""The impairment harness does what it says: its shaper's decisions (on a clock of the test's own), and the
relay measured on real loopback sockets."""

from __future__ import annotations

import asyncio
import random
from typing import cast

import pytest

from meetdesk.rtc.impair import HEADER_BYTES, ImpairedLink, Impairment, Shaper


def shaper(seed: int = 1, **impairment: object) -> Shaper:
    return Shaper(impairment=Impairment(**impairment), rng=random.Random(seed))  # type: ignore[arg-type]


def test_random_loss_drops_the_share_asked_for() -> None:
    s = shaper(loss=0.1)
    fates = [s.admit(1000, now=i / 100) for i in range(20_000)]
    lost = fates.count(None)
    assert 0.09 <= lost / len(fates) <= 0.11
    assert s.stats.lost == lost and s.stats.received == 20_000


def runs_of_losses(fates: list[float | None]) -> list[int]:
    runs, current = [], 0
    for fate in fates:
        if fate is None:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return runs


def test_bursty_loss_keeps_the_rate_and_loses_in_runs_of_the_mean_length() -> None:
    s = shaper(loss=0.1, burst=4)
    fates = [s.admit(1000, now=i / 100) for i in range(50_000)]
    assert 0.085 <= fates.count(None) / len(fates) <= 0.115
    runs = runs_of_losses(fates)
    assert 3.5 <= sum(runs) / len(runs) <= 4.5
    plain = shaper(loss=0.1)
    independent = runs_of_losses([plain.admit(1000, now=i / 100) for i in range(50_000)])
    assert sum(independent) / len(independent) < 1.2


def test_delay_and_jitter_stay_within_bounds_and_never_reorder() -> None:
    s = shaper(delay_ms=100, jitter_ms=30)
    sent = [i / 50 for i in range(2000)]  # 50 packets a second
    leaves = [s.admit(1000, now=t) for t in sent]
    delays = [left - t for left, t in zip(leaves, sent, strict=True) if left is not None]
    assert len(delays) == 2000
    assert min(delays) >= 0.070 - 1e-9 and max(delays) <= 0.130 + 1e-9
    assert max(delays) - min(delays) > 0.050  # it really varies
    assert leaves == sorted(leaves)  # type: ignore[type-var]


def test_a_rate_cap_paces_packets_and_drops_what_overflows_its_queue() -> None:
    s = shaper(rate_kbps=200, queue_ms=100)
    size = 1000 - HEADER_BYTES  # 1000 bytes on the link: 40 ms each at 200 kbit/s
    fates = [s.admit(size, now=0.0) for _ in range(50)]  # a burst at once
    passed = [f for f in fates if f is not None]
    # the queue holds what leaves within 100 ms: packets starting at 0, 40 and 80 ms
    assert passed == pytest.approx([0.04, 0.08, 0.12])
    assert s.stats.queue_drops == 47
    assert s.stats.received_bytes == 50 * size  # what was offered, next to what was carried


def test_a_rate_cap_carries_the_rate_whatever_is_offered() -> None:
    s = shaper(rate_kbps=500, queue_ms=200)
    size = 1250 - HEADER_BYTES  # 10 kbit on the link
    offered = [i / 200 for i in range(2000)]  # 2 Mbit/s for 10 s
    leaves = [f for f in (s.admit(size, now=t) for t in offered) if f is not None]
    carried_kbps = len(leaves) * 10 / (leaves[-1] - leaves[0])
    assert carried_kbps == pytest.approx(500, rel=0.01)
    assert len(leaves) == pytest.approx(500 * 10 / 10, rel=0.05)  # four in five dropped


def test_a_cut_drops_everything_until_lifted() -> None:
    s = shaper(cut=True)
    assert all(s.admit(100, now=i / 10) is None for i in range(10))
    assert s.stats.cut == 10
    s.impairment = Impairment()
    assert s.admit(100, now=2.0) == 2.0


@pytest.mark.parametrize(
    "fields", [{"loss": 1.0}, {"loss": -0.1}, {"burst": 0.5}, {"delay_ms": 10, "jitter_ms": 20}, {"rate_kbps": 0}]
)
def test_impossible_impairments_are_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Impairment(**fields)  # type: ignore[arg-type]


class Endpoint(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[tuple[bytes, float]] = []
        self.arrived = asyncio.Event()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append((data, asyncio.get_running_loop().time()))
        self.arrived.set()


async def endpoint() -> Endpoint:
    _, protocol = await asyncio.get_running_loop().create_datagram_endpoint(Endpoint, local_addr=("127.0.0.1", 0))
    return protocol


async def test_the_relay_carries_both_ways_with_each_direction_shaped_on_its_own() -> None:
    participant, server = await endpoint(), await endpoint()
    assert participant.transport is not None and server.transport is not None
    server_at = server.transport.get_extra_info("sockname")[:2]
    try:
        await relay_both_ways(participant, server, server_at)
    finally:
        participant.transport.close()
        server.transport.close()


async def relay_both_ways(participant: Endpoint, server: Endpoint, server_at: tuple[str, int]) -> None:
    assert participant.transport is not None and server.transport is not None
    async with ImpairedLink(server_at, seed=3) as link:
        link.set("up", loss=0.2)
        link.set("down", delay_ms=50)
        loop = asyncio.get_running_loop()
        up = link.stats("up")
        for i in range(500):  # in tens: the socket's buffer is not overrun
            participant.transport.sendto(i.to_bytes(4, "big"), link.client_address)
            while up.received <= i - 10:  # noqa: ASYNC110 - polled: the relay has no event for a packet read
                await asyncio.sleep(0.001)
        while up.received < 500:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        sent_at = loop.time()
        for i in range(20):
            server.transport.sendto(i.to_bytes(4, "big"), participant.transport.get_extra_info("sockname")[:2])
        # the participant is learnt from its first packet: the server reaches it through the relay
        for i in range(20):
            server.transport.sendto(i.to_bytes(4, "big"), link.server_address)
        await asyncio.wait_for(until_count(server, up.sent), 5)
        assert up.received == 500 and 0.15 <= up.lost / 500 <= 0.25
        assert [int.from_bytes(d, "big") for d, _ in server.received] == sorted(
            int.from_bytes(d, "big") for d, _ in server.received
        )
        await asyncio.wait_for(until_count(participant, 40), 5)
        relayed = participant.received[20:]
        assert all(at - sent_at >= 0.050 for _, at in relayed)  # the delayed ones came through the relay
        assert link.stats("down").sent == 20 and link.stats("down").lost == 0


async def until_count(end: Endpoint, n: int) -> None:
    while len(end.received) < n:
        end.arrived.clear()
        await end.arrived.wait()


async def test_the_relay_refuses_to_relay_off_this_computer() -> None:
    with pytest.raises(ValueError, match="this computer only"):
        ImpairedLink(("192.0.2.1", 9))

"""A bad network in user space: a UDP relay on loopback that loses, delays, rate-limits and cuts packets.

This kernel has no ``sch_netem``, so tests and benches put a participant behind an :class:`ImpairedLink`
instead: two UDP sockets on 127.0.0.1, one facing the participant (``client_address``) and one facing the
server (``server_address``). What arrives on one is sent out of the other, after each direction's
:class:`Shaper` has applied its :class:`Impairment`:

- loss, random or in bursts (a two-state Gilbert–Elliott model with the given mean loss and burst length);
- a rate cap with a bounded queue: packets leave one after the other at the capped rate, and a packet that
  would wait longer than ``queue_ms`` is dropped (drop-tail), as on a thin link with a small buffer;
- delay plus jitter (uniform, never reordering packets: each leaves no earlier than the one before it);
- a cut: everything is dropped while it lasts.

The impairment of a direction can be changed at any time (:meth:`ImpairedLink.set`); packets already
queued keep the fate they were given. Every outcome is counted (:class:`DirectionStats`) so that tests
can check the harness does what it says, and benches can report what the link carried.

Bounded: both sockets bind 127.0.0.1 and relay only between addresses of this computer (aioice offers no
loopback candidates, so a server on loopback is met on one of the machine's own interface addresses).
How a participant's ICE is made to use the relay is :mod:`meetdesk.rtc.impaired_path`'s business.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from meetdesk.core.addresses import is_local_address

logger = logging.getLogger(__name__)

Direction = Literal["up", "down"]  # up: participant → server; down: server → participant
Address = tuple[str, int]

LOOPBACK = "127.0.0.1"
#: an IPv4 + UDP header: what a packet costs the link besides its payload
HEADER_BYTES = 28


@dataclass(frozen=True)
class Impairment:
    """What one direction of the link does to packets. The default is a clean link."""

    loss: float = 0.0  #: mean fraction of packets lost, 0..1
    burst: float = 1.0  #: mean length of a run of losses, in packets (1: independent losses)
    delay_ms: float = 0.0  #: one-way delay
    jitter_ms: float = 0.0  #: each packet's delay varies uniformly within ± this (never reordering)
    rate_kbps: float | None = None  #: a rate cap (IP + UDP headers counted); None: no cap
    queue_ms: float = 100.0  #: with a rate cap: the longest a packet may wait to be sent before being dropped
    cut: bool = False  #: drop everything

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss < 1.0:
            raise ValueError(f"loss must be in [0, 1), not {self.loss}")
        if self.burst < 1.0:
            raise ValueError(f"burst must be at least one packet, not {self.burst}")
        if self.delay_ms < 0 or self.jitter_ms < 0 or self.jitter_ms > self.delay_ms:
            raise ValueError("delay and jitter must be non-negative, jitter no more than the delay")
        if self.rate_kbps is not None and self.rate_kbps <= 0:
            raise ValueError(f"rate_kbps must be positive, not {self.rate_kbps}")
        if self.queue_ms <= 0:
            raise ValueError(f"queue_ms must be positive, not {self.queue_ms}")


CLEAN = Impairment()


@dataclass
class DirectionStats:
    """What happened to the packets of one direction."""

    received: int = 0  #: packets that reached the relay
    received_bytes: int = 0  #: their payload bytes (what was offered to the link)
    sent: int = 0  #: packets the relay passed on
    sent_bytes: int = 0  #: their payload bytes
    lost: int = 0  #: dropped by the loss model
    queue_drops: int = 0  #: dropped because the rate cap's queue was full
    cut: int = 0  #: dropped while the link was cut
    unroutable: int = 0  #: dropped because the other end was not known yet


@dataclass
class Shaper:
    """Decides each packet's fate in one direction: dropped (and why) or the time it leaves."""

    impairment: Impairment = CLEAN
    rng: random.Random = field(default_factory=random.Random)
    stats: DirectionStats = field(default_factory=DirectionStats)
    _bad: bool = False  # the Gilbert–Elliott state: in a burst of losses
    _link_free_at: float = 0.0  # when the rate-capped link has sent everything queued
    _last_departure: float = 0.0

    def admit(self, size: int, now: float) -> float | None:
        """The time (on the ``now`` clock) a packet of ``size`` payload bytes arriving now leaves the link,
        or None when it is dropped."""
        imp = self.impairment
        self.stats.received += 1
        self.stats.received_bytes += size
        if imp.cut:
            self.stats.cut += 1
            return None
        if self._lost(imp):
            self.stats.lost += 1
            return None
        leaves = now
        if imp.rate_kbps is not None:
            start = max(now, self._link_free_at)
            if start - now > imp.queue_ms / 1000:
                self.stats.queue_drops += 1
                return None
            self._link_free_at = start + (size + HEADER_BYTES) * 8 / (imp.rate_kbps * 1000)
            leaves = self._link_free_at
        if imp.delay_ms:
            leaves += (imp.delay_ms + self.rng.uniform(-imp.jitter_ms, imp.jitter_ms)) / 1000
        leaves = max(leaves, self._last_departure)  # jitter never reorders
        self._last_departure = leaves
        return leaves

    def _lost(self, imp: Impairment) -> bool:
        if imp.loss <= 0:
            self._bad = False
            return False
        if imp.burst <= 1.0:
            return self.rng.random() < imp.loss
        # Gilbert–Elliott with a lossless good state and an all-loss bad state: the mean bad run is `burst`
        # packets, and the share of time in the bad state is `loss`
        to_good = 1.0 / imp.burst
        to_bad = imp.loss * to_good / (1.0 - imp.loss)
        self._bad = self.rng.random() >= to_good if self._bad else self.rng.random() < to_bad
        return self._bad


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:  # an ICMP "port unreachable": the peer went away
        logger.debug("ImpairedLink: %s", exc)


class ImpairedLink:
    """The relay (module docstring). ``server``: where packets from the participant go (None: set later with
    :attr:`server`, until then they are dropped as unroutable). The participant's address is learnt from the
    first packet it sends. ``seed`` makes loss and jitter repeatable."""

    def __init__(self, server: Address | None = None, *, seed: int | None = None) -> None:
        self._server: Address | None = None
        self.server = server
        self.participant: Address | None = None
        rng = random.Random(seed)  # noqa: S311 - a network simulation, not cryptography
        self.shapers: dict[Direction, Shaper] = {
            "up": Shaper(rng=random.Random(rng.random())),  # noqa: S311
            "down": Shaper(rng=random.Random(rng.random())),  # noqa: S311
        }
        self._client_side: _Side | None = None
        self._server_side: _Side | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> ImpairedLink:
        """Open the two sockets (once: later calls do nothing)."""
        if self._loop is not None:
            return self
        self._loop = asyncio.get_running_loop()
        _, client_side = await self._loop.create_datagram_endpoint(
            lambda: _Side(self._from_participant), local_addr=(LOOPBACK, 0)
        )
        _, server_side = await self._loop.create_datagram_endpoint(
            lambda: _Side(self._from_server), local_addr=(LOOPBACK, 0)
        )
        self._client_side, self._server_side = client_side, server_side
        return self

    async def __aenter__(self) -> ImpairedLink:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        for side in (self._client_side, self._server_side):
            if side is not None and side.transport is not None:
                side.transport.close()

    @property
    def server(self) -> Address | None:
        return self._server

    @server.setter
    def server(self, address: Address | None) -> None:
        if address is not None and not is_local_address(address[0]):
            raise ValueError(f"the impaired link relays on this computer only, not to {address[0]}")
        self._server = address

    @property
    def client_address(self) -> Address:
        """Where the participant sends: the server's address as the participant sees it."""
        return self._address(self._client_side)

    @property
    def server_address(self) -> Address:
        """Where the server sends: the participant's address as the server sees it."""
        return self._address(self._server_side)

    @staticmethod
    def _address(side: _Side | None) -> Address:
        if side is None or side.transport is None:
            raise RuntimeError("the link is not started")
        host, port = side.transport.get_extra_info("sockname")[:2]
        return host, port

    def set(
        self, direction: Direction | Literal["both"], impairment: Impairment | None = None, **changes: object
    ) -> None:
        """Give ``direction`` ``impairment`` (or change fields of its current one: ``set("down", cut=True)``)."""
        directions: tuple[Direction, ...] = ("up", "down") if direction == "both" else (direction,)
        for name in directions:
            shaper = self.shapers[name]
            shaper.impairment = replace(impairment or shaper.impairment, **changes)  # type: ignore[arg-type]

    def stats(self, direction: Direction) -> DirectionStats:
        return self.shapers[direction].stats

    def _from_participant(self, data: bytes, addr: Address) -> None:
        if not is_local_address(addr[0]):
            return
        self.participant = addr
        self._relay("up", data, self._server_side, self.server)

    def _from_server(self, data: bytes, addr: Address) -> None:
        if not is_local_address(addr[0]):
            return
        self._relay("down", data, self._client_side, self.participant)

    def _relay(self, direction: Direction, data: bytes, out: _Side | None, to: Address | None) -> None:
        shaper = self.shapers[direction]
        if to is None or out is None or out.transport is None:
            shaper.stats.received += 1
            shaper.stats.received_bytes += len(data)
            shaper.stats.unroutable += 1
            return
        assert self._loop is not None
        now = self._loop.time()
        leaves = shaper.admit(len(data), now)
        if leaves is None:
            return
        if leaves <= now:
            self._send(shaper, out, data, to)
            return
        handle: asyncio.TimerHandle | None = None

        def send_later() -> None:
            assert handle is not None
            self._pending.discard(handle)
            self._send(shaper, out, data, to)

        handle = self._loop.call_at(leaves, send_later)
        self._pending.add(handle)

    @staticmethod
    def _send(shaper: Shaper, out: _Side, data: bytes, to: Address) -> None:
        if out.transport is None or out.transport.is_closing():
            return
        out.transport.sendto(data, to)
        shaper.stats.sent += 1
        shaper.stats.sent_bytes += len(data)

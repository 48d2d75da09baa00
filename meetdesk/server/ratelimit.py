"""Rate limits per client address, after OpenVidu Meet 3.8's table: a 429 with ``Retry-After`` beyond them.

| limit | counts | per |
|---|---|---|
| login | 5 failed attempts / 5 min | address |
| token generation (``participants/token``) | 200 / min | address |
| expensive routes (listing, bulk deletion, webhook test, password change) | 500 / min | address |
| room secrets (``participants/token``, ``rooms/{id}/roles/{secret}``) | 10 wrong secrets / min | address and room |

Callers with the API key are not limited (server-to-server traffic comes from few addresses). Limits
that count failures count an attempt *before* it is checked (a burst of concurrent guesses cannot all
be checked) and take it back when it succeeds. The client address is the connection's peer, unless
that peer is one of the configured proxies (``MEETDESK_TRUSTED_PROXIES``): then ``X-Forwarded-For``
says, read from the right, skipping the trusted proxies.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from meetdesk.core.errors import TooManyRequests

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: How many addresses (or address-and-room keys) a limit remembers; beyond, the idlest are forgotten.
MAX_KEYS = 50_000


class SlidingWindow:
    """At most ``limit`` hits per key in any ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float, message: str) -> None:
        self.limit = limit
        self.window_s = window_s
        self._message = message
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float:
        """Count a hit now (raises :class:`TooManyRequests` if the key is at its limit); returns its stamp."""
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            seconds = max(1, math.ceil(hits[0] + self.window_s - now))
            raise TooManyRequests(self._message.format(seconds=seconds), retry_after=seconds)
        hits.append(now)
        return now

    def forgive(self, key: str, stamp: float) -> None:
        """Take back a hit that turned out not to count (a successful login, a right secret)."""
        hits = self._hits.get(key)
        if hits is not None:
            with contextlib.suppress(ValueError):  # already out of the window
                hits.remove(stamp)

    def _forget_idle(self, now: float) -> None:
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_s]:
            del self._hits[key]
        if len(self._hits) >= MAX_KEYS:  # all busy: forget the longest-known tenth
            for key in list(self._hits)[: MAX_KEYS // 10]:
                del self._hits[key]


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (``10.0.0.0/8``); raises ValueError naming a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{value.strip()!r} is not an IP address or network") from exc
    return tuple(networks)


@dataclass
class RateLimits:
    trusted_proxies: tuple[Network, ...] = ()
    login: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(
            5, 300, "Too many failed login attempts from this address. Try again in {seconds} s"
        )
    )
    tokens: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(
            200, 60, "Too many token requests from this address. Try again in {seconds} s"
        )
    )
    expensive: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(500, 60, "Too many requests from this address. Try again in {seconds} s")
    )
    secrets: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(
            10, 60, "Too many wrong secrets for this room from this address. Try again in {seconds} s"
        )
    )

    def address(self, request: HTTPConnection) -> str:
        """The client's address: the peer, or what trusted proxies say in ``X-Forwarded-For``."""
        peer = request.client.host if request.client else "unknown"
        if not self._trusted(peer):
            return peer
        hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop if _is_ip(hop) else peer
        return peer

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True

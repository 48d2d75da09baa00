"""No connection held for free: deadlines for a request's head and body, and caps on connections.

uvicorn closes idle keep-alive connections but gives a client all the time in the world to finish a
request head, and accepts every connection until the process runs out of file descriptors. One client
holding a thousand half-sent heads then stops every other caller. Here:

- a request head must be complete within ``header_timeout`` seconds of its first byte (of the
  connection, for the first request), and at most ``max_head_bytes`` long: else 408 / 431 and close;
- a request body may pause for at most ``body_timeout`` seconds between two reads: else 408 and close;
- at most ``per_address`` connections at once from one client address (429 and close);
- at most ``total`` connections at once, kept below the process's file descriptor limit: when full,
  the oldest connection still waiting for its request head is closed to make room; when there is none
  (every connection is serving a request), the newcomer gets 503.

The guard is a subclass of uvicorn's httptools protocol (``uvicorn.Config(http=...)``), built by
:func:`guarded_protocol`. Over HTTPS it does the TLS handshake itself (``loop.start_tls``), so that a
client that connects and never says hello is counted and closed like one that never finishes its head.

Connections are counted by transport, not by protocol object, because a WebSocket upgrade hands the
transport to another protocol; transports that have closed are dropped from the count the next time it
is looked at.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import ssl
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)

#: File descriptors kept back from HTTP connections: the database, WebRTC's UDP sockets, log files.
FD_RESERVE_MIN = 128


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_head_bytes: int = 64 * 1024
    per_address: int = 128
    total: int = 4096


def raise_fd_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            logger.warning("Could not raise the open-file limit from %d to %d: %s", soft, wanted, exc)
    return 65536 if soft == resource.RLIM_INFINITY else soft


def connection_cap(configured: int, fd_limit: int) -> int:
    """The global cap: as configured, but always a quarter (at least FD_RESERVE_MIN) below the fd limit."""
    reserve = max(FD_RESERVE_MIN, fd_limit // 4)
    return max(1, min(configured, fd_limit - reserve))


class ConnectionRegistry:
    """Open connections by client address, and those still waiting for a request head (oldest first)."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._by_address: dict[str, set[asyncio.BaseTransport]] = {}
        self._count = 0
        self._waiting: dict[GuardedProtocol, None] = {}

    def _prune(self, address: str) -> int:
        live = self._by_address.get(address)
        if live is None:
            return 0
        closed = {t for t in live if t.is_closing()}
        if closed:
            live -= closed
            self._count -= len(closed)
        if not live:
            del self._by_address[address]
        return len(live)

    def open_connections(self) -> int:
        for address in list(self._by_address):
            self._prune(address)
        return self._count

    def admit(self, address: str, transport: asyncio.BaseTransport) -> tuple[int, str] | None:
        """Count a new connection, or say why not: (status, message)."""
        if self._prune(address) >= self.limits.per_address:
            logger.warning("Refused a connection from %s: it already has %d open", address, self.limits.per_address)
            return 429, "Too many connections from your address."
        if self._count >= self.limits.total and self.open_connections() >= self.limits.total:
            oldest = next(iter(self._waiting), None)
            if oldest is None:
                logger.warning("Refused a connection from %s: %d connections open", address, self._count)
                return 503, "The server has too many connections open. Try again shortly."
            logger.warning("Closed the oldest connection waiting for a request to make room (%d open)", self._count)
            oldest.abandon()
            self._prune(oldest.address)
        self._by_address.setdefault(address, set()).add(transport)
        self._count += 1
        return None

    def waiting(self, protocol: GuardedProtocol, waiting: bool) -> None:
        if waiting:
            self._waiting[protocol] = None
        else:
            self._waiting.pop(protocol, None)


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines and caps (see the module docstring)."""

    registry: ConnectionRegistry  # set on the subclass that guarded_protocol() builds
    #: HTTPS: the protocol does the TLS handshake itself (uvicorn's listener is plain), so that a connection
    #: is counted and under the head's deadline from its first moment, not only once its handshake is done.
    tls: ssl.SSLContext | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.address = "unknown"
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._body_timer: asyncio.TimerHandle | None = None
        self._raw: asyncio.Transport | None = None  # the TCP transport under TLS, during the handshake
        self._handshake: asyncio.Task[None] | None = None
        self._early: list[bytes] = []

    # connection -------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self.tls is not None:
            self._accept_tls(transport, self.tls)
            return
        super().connection_made(transport)
        self.address = self.client[0] if self.client else "unknown"
        refusal = self.registry.admit(self.address, transport)
        if refusal is not None:
            self._answer_and_close(*refusal)
            return
        self._start_head_timer()

    def _accept_tls(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        peer = raw.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "unknown"
        if self.registry.admit(self.address, raw) is not None:
            raw.close()  # no HTTP answer: the client is still waiting for a TLS handshake
            return
        raw.pause_reading()  # start_tls reads from here
        self._raw = raw
        self._start_head_timer()  # one deadline for the handshake and the request head together
        self._handshake = self.loop.create_task(self._start_tls(raw, context))

    async def _start_tls(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        timeout = self.registry.limits.header_timeout
        try:
            secure = await self.loop.start_tls(raw, self, context, server_side=True, ssl_handshake_timeout=timeout)
        except (OSError, asyncio.CancelledError) as exc:  # ssl.SSLError, TimeoutError, ConnectionError
            self._stop_head_timer()
            if not raw.is_closing():
                raw.abort()
            if isinstance(exc, asyncio.CancelledError):
                raise
            logger.info("No TLS connection with %s: %s", self.address, type(exc).__name__)
            return
        if secure is None or raw.is_closing():
            self._stop_head_timer()
            return
        self._raw = None
        super().connection_made(secure)  # uvicorn's: HTTP starts now
        early, self._early = self._early, []
        for data in early:
            self.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        self._stop_body_timer()
        if self.transport is None:  # refused before its TLS handshake: HTTP never started
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport is None:  # TLS: the request came with the end of the handshake, before start_tls returned
            self._early.append(data)
            return
        if self.transport.is_closing():
            return
        if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._start_head_timer()  # the next request on a kept-alive connection
        if self._head_timer is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # still no complete head after this data: all of it was head (a body only follows a complete one)
        if self._head_timer is not None and self._head_bytes > self.registry.limits.max_head_bytes:
            self._stop_head_timer()
            self._answer_and_close(431, "The request head is too large.")

    def abandon(self) -> None:
        """Closed to make room for a newer connection."""
        self._stop_head_timer()
        if self._raw is not None:  # still in the TLS handshake
            self._raw.abort()
            return
        self._answer_and_close(503, "The server has too many connections open. Try again shortly.")

    # parser callbacks -------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()
        if self.cycle is not None and not self.cycle.response_complete and self.cycle.more_body:
            self._start_body_timer()

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        if self._body_timer is not None:
            self._start_body_timer()

    def on_message_complete(self) -> None:
        self._stop_body_timer()
        super().on_message_complete()

    # deadlines --------------------------------------------------------------------------------------

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.registry.limits.header_timeout, self._head_timed_out)
        self.registry.waiting(self, True)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.registry.waiting(self, False)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self.registry.waiting(self, False)
        if self._raw is not None:  # still in the TLS handshake
            logger.info("Closed a connection from %s: no TLS handshake in time", self.address)
            self._raw.abort()
            return
        if self.transport.is_closing():
            return
        logger.info("Closed a connection from %s: no complete request head in time", self.address)
        self._answer_and_close(408, "The request head was not sent in time.")

    def _start_body_timer(self) -> None:
        self._stop_body_timer()
        self._body_timer = self.loop.call_later(self.registry.limits.body_timeout, self._body_timed_out)

    def _stop_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        if self.flow is not None and self.flow.read_paused:
            self._start_body_timer()  # the app is not reading yet: the client is not the one stalling
            return
        logger.info("Closed a connection from %s: the request body stalled", self.address)
        if self.cycle is not None and not self.cycle.response_started:
            # The app waiting for the body is told the client went away (connection_lost) and answers no one.
            self._answer_and_close(408, "The request body was not sent in time.")
        else:
            self.transport.close()

    def _answer_and_close(self, status: int, message: str) -> None:
        reasons = {408: "Request Timeout", 429: "Too Many Requests", 431: "Request Header Fields Too Large"}
        reason = reasons.get(status, "Service Unavailable")
        body = json.dumps({"error": reason, "message": message}).encode()
        head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(body)}"]
        if status in (429, 503):
            head.append("retry-after: 10")
        head.append("connection: close")
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        self.transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedProtocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` whose connections share one registry."""
    return type("MeetDeskHttpProtocol", (GuardedProtocol,), {"registry": ConnectionRegistry(limits)})

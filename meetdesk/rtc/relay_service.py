"""The impairment relay for another process's media: a test or bench cuts (or impairs) the network of a
participant that runs in a process of its own, such as ``meetdesk kiosk``.

:class:`RelayService` runs in the controlling process. It listens on a control socket (TCP, 127.0.0.1); each
connection to it gets one :class:`~meetdesk.rtc.impair.ImpairedLink` of its own, opened at once and closed when
the connection closes. The protocol is JSON lines:

- the service says where the link is: ``{"client": [host, port], "server": [host, port]}`` (the relay's
  participant-facing and server-facing sockets, :attr:`ImpairedLink.client_address` / ``server_address``);
- the participant says where the server is, once it knows: ``{"server": [host, port]}``.

:class:`RemoteLink` is that connection on the participant's side, with the link's interface as
:class:`~meetdesk.rtc.impaired_path.ImpairedPeerConnection` uses it; :class:`RelayedNetwork` is the
``peer_connection`` factory a :class:`~meetdesk.client.session.MeetingSession` takes, one link per peer
connection. A process started with :data:`MEDIA_RELAY_ENV` set to the service's control address puts its
meeting media behind the service (:func:`relayed_network_from_env`): nothing reaches the server but through the
relay, so :meth:`RelayService.set` ``("both", cut=True)`` cuts that participant's media for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from typing import Final

from aiortc import RTCConfiguration, RTCPeerConnection

from .impair import LOOPBACK, Address
from .impaired_path import ImpairedPeerConnection, LinkGroup

logger = logging.getLogger(__name__)

#: "host:port" of a :class:`RelayService`'s control socket: the process's meeting media goes through it
MEDIA_RELAY_ENV: Final = "MEETDESK_MEDIA_RELAY"
#: the longest a control line may be (a pair of addresses)
_MAX_LINE: Final = 1024


def _address(value: object) -> Address:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], int)
        or isinstance(value[1], bool)
    ):
        raise ValueError(f"not an address: {value!r}")
    return value[0], value[1]


class RelayService(LinkGroup):
    """Links for the peer connections of other processes (module docstring), every one shaped by :meth:`set`
    alike, now and to come. ``seed`` makes each link's loss and jitter repeatable."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> RelayService:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        return self

    @property
    def address(self) -> str:
        """The control address, as :data:`MEDIA_RELAY_ENV` takes it."""
        if self._server is None:
            raise RuntimeError("the relay service is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        link = self.new_link()
        try:
            await link.start()
            ends = {"client": list(link.client_address), "server": list(link.server_address)}
            writer.write(json.dumps(ends).encode() + b"\n")
            await writer.drain()
            while line := await reader.readline():
                if len(line) > _MAX_LINE:
                    raise ValueError("control line too long")
                link.server = _address(json.loads(line)["server"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("RelayService: a control connection ended with: %s", exc)
        finally:
            self._connections.pop(task, None)
            link.close()
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for writer in self._connections.values():
            writer.transport.abort()  # its reader ends, and with it the connection's task (never cancelled:
            # asyncio's stream server logs a cancelled handler as an error)
        await asyncio.gather(*tasks, return_exceptions=True)
        for link in self.links:
            link.close()
        if self._server is not None:
            await self._server.wait_closed()


class RemoteLink:
    """A link of a :class:`RelayService` in another process, as a peer connection uses it: its two ends, the
    server to relay to (set once known), closed with the peer connection."""

    def __init__(self, control: Address) -> None:
        self.control = control
        self._ends: tuple[Address, Address] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._server: Address | None = None

    async def start(self) -> RemoteLink:
        """Ask the service for a link (once: later calls do nothing). Raises OSError when it does not answer."""
        async with self._lock:
            if self._ends is not None:
                return self
            reader, writer = await asyncio.open_connection(*self.control)
            line = await reader.readline()
            try:
                ends = json.loads(line)
                self._ends = _address(ends["client"]), _address(ends["server"])
            except (ValueError, KeyError, TypeError) as exc:
                writer.close()
                raise OSError(f"the media relay at {self.control[0]}:{self.control[1]} did not answer") from exc
            self._writer = writer
            return self

    @property
    def client_address(self) -> Address:
        """Where the participant sends: the server's address as the participant sees it."""
        return self._started()[0]

    @property
    def server_address(self) -> Address:
        """Where the server sends: the participant's address as the server sees it."""
        return self._started()[1]

    def _started(self) -> tuple[Address, Address]:
        if self._ends is None:
            raise RuntimeError("the link is not started")
        return self._ends

    @property
    def server(self) -> Address | None:
        return self._server

    @server.setter
    def server(self, address: Address | None) -> None:
        self._server = address
        if address is not None and self._writer is not None and not self._writer.is_closing():
            self._writer.write(json.dumps({"server": list(address)}).encode() + b"\n")

    def close(self) -> None:
        """Let the link go (the service closes it); idempotent."""
        if self._writer is not None:
            with contextlib.suppress(RuntimeError):  # the event loop already closed
                self._writer.close()
            self._writer = None


class RelayedNetwork:
    """A participant's network through a :class:`RelayService` at ``control``: a link per peer connection."""

    def __init__(self, control: Address) -> None:
        self.control = control

    def peer_connection(self, configuration: RTCConfiguration) -> RTCPeerConnection:
        return ImpairedPeerConnection(configuration, RemoteLink(self.control))


def parse_control_address(value: str) -> Address:
    """``"host:port"`` (this computer's) as an address. Raises ValueError."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{MEDIA_RELAY_ENV} must be host:port, not {value!r}")
    return host, int(port)


def relayed_network_from_env() -> RelayedNetwork | None:
    """The network :data:`MEDIA_RELAY_ENV` names (None: not set, media takes its own path)."""
    value = os.environ.get(MEDIA_RELAY_ENV)
    if not value:
        return None
    network = RelayedNetwork(parse_control_address(value))
    logger.info("Meeting media goes through the relay at %s (%s)", value, MEDIA_RELAY_ENV)
    return network

"""A participant's whole way to a server on this computer, which a test or bench can cut and restore.

- :class:`TcpProxy`: a TCP proxy in front of the server; links through it (:meth:`TcpProxy.link`) carry REST
  and signalling. Cut, it resets every connection through it and refuses new ones until restored.
- :class:`NetworkPath`: that proxy plus the impairment relay for media
  (:class:`~meetdesk.rtc.relay_service.RelayService`), for a participant in a process of its own started with
  :attr:`NetworkPath.env`. :meth:`NetworkPath.cut` cuts both, as a network that fails does.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from .impair import LOOPBACK
from .relay_service import MEDIA_RELAY_ENV, RelayService


@dataclass
class TcpProxy:
    """A TCP proxy to ``target_port`` on this computer (module docstring). Media does not go through it: ICE
    finds the server's own address, as with a signalling server on another network path."""

    target_port: int
    port: int = 0
    cut: bool = False
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def link(self, url: str) -> str:
        """``url`` (a room link, a server address) through the proxy."""
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"{LOOPBACK}:{self.port}"))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)

    def drop_all(self) -> None:
        """The network fails: every connection through the proxy is reset, new ones too until restored."""
        self.cut = True
        for writer in list(self._writers):
            writer.transport.abort()

    async def close(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class NetworkPath:
    """REST, signalling and media of one participant process to the server at ``server_port`` (module
    docstring): give it :meth:`link` and start it with :attr:`env` in its environment."""

    def __init__(self, server_port: int) -> None:
        self.proxy = TcpProxy(server_port)
        self.media = RelayService()

    async def start(self) -> NetworkPath:
        await self.proxy.start()
        await self.media.start()
        return self

    def link(self, url: str) -> str:
        return self.proxy.link(url)

    @property
    def env(self) -> dict[str, str]:
        """What the participant's process needs in its environment for its media to take this path."""
        return {MEDIA_RELAY_ENV: self.media.address}

    @property
    def is_cut(self) -> bool:
        return self.proxy.cut

    def cut(self) -> None:
        """The network fails: connections reset, new ones refused, media dropped both ways."""
        self.proxy.drop_all()
        self.media.set("both", cut=True)

    def restore(self) -> None:
        self.proxy.cut = False
        self.media.set("both", cut=False)

    async def close(self) -> None:
        await self.proxy.close()
        await self.media.close()

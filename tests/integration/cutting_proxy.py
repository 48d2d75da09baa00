"""A TCP proxy in front of a server on this computer that cuts a connection after a given number of bytes of the
server's answer: a download killed part way, at a known place, however fast the machine is."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

LOOPBACK = "127.0.0.1"


class CuttingProxy:
    """Pass everything through, except: once :meth:`cut_after` is armed, the connection on which the answers'
    bytes from then on reach that many gets those bytes and then a reset (both ways). ``cuts`` counts them."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cuts = 0
        self._after: int | None = None
        self._passed = 0  # bytes of answers since armed
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def link(self, url: str) -> str:
        return urlunsplit(urlsplit(url)._replace(netloc=f"{LOOPBACK}:{self.port}"))

    def cut_after(self, size: int) -> None:
        self._after, self._passed = size, 0

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()  # the connections end by themselves (a cancelled handler would be logged)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.target_port)
        except OSError:
            writer.transport.abort()
            self._tasks.discard(task)
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._up(reader, up_writer), self._down(up_reader, writer, up_writer))
        finally:
            self._tasks.discard(task)
            self._writers -= {writer, up_writer}
            writer.transport.abort()
            up_writer.transport.abort()

    async def _up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    async def _down(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up_writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                after = self._after
                if after is not None and self._passed + len(data) >= after:
                    writer.write(data[: after - self._passed])
                    await writer.drain()
                    self._after = None
                    self.cuts += 1
                    break  # the network fails here: both sides reset
                self._passed += len(data)
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        up_writer.transport.abort()

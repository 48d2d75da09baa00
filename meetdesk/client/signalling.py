"""The client end of the signalling socket: send protocol messages, receive them as an async stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from enum import StrEnum

import websockets
from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection

from meetdesk.client.errors import CertificateError, ConnectionFailed
from meetdesk.client.tls import KnownServers, certificate_problem, is_certificate_failure, server_context
from meetdesk.core.errors import ErrorCode
from meetdesk.core.signalling import SERVER_MESSAGE, ErrorMessage, Join, Joined, ServerMessage

logger = logging.getLogger(__name__)

SIGNALLING_PATH = "/internal-api/v1/signalling"


class LinkFailure(StrEnum):
    """What went wrong on this side of the socket, where the server sent no code of its own."""

    NETWORK = "network"
    CERTIFICATE = "certificate"
    #: the server answered with something this client does not take for an answer
    PROTOCOL = "protocol"
    #: the publisher connection closed while it negotiated
    CLOSED = "closed"
    UNKNOWN = "unknown"


#: why a signalling step failed: the server's code (core's one list), or what failed on this side
FailureCode = ErrorCode | LinkFailure


class SignallingError(Exception):
    """The server refused to let us in (bad token, kicked, closed room...), or the socket failed."""

    def __init__(self, message: str, code: FailureCode = LinkFailure.UNKNOWN) -> None:
        super().__init__(message)
        self.code = code


def signalling_url(base_url: str) -> str:
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{SIGNALLING_PATH}"


async def _open(base_url: str, pin: str | None, known: KnownServers | None, timeout: float) -> ClientConnection:
    for attempt in range(2):
        try:
            context = await server_context(base_url, pin=pin, known=known, timeout=timeout)
            return await asyncio.wait_for(
                websockets.connect(signalling_url(base_url), max_size=2**20, ssl=context), timeout
            )
        except CertificateError as exc:
            raise SignallingError(exc.message, LinkFailure.CERTIFICATE) from exc
        except ConnectionFailed as exc:
            raise SignallingError(exc.message, LinkFailure.NETWORK) from exc
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            if not is_certificate_failure(exc):
                raise SignallingError(
                    f"Cannot reach the signalling server at {base_url}: {exc}", LinkFailure.NETWORK
                ) from exc
            problem = await certificate_problem(base_url, pin=pin, known=known, timeout=timeout)
            if problem is not None or attempt:  # else: a new certificate for the same key; trusted on the retry
                message = problem.message if problem is not None else "Its certificate was refused."
                raise SignallingError(message, LinkFailure.CERTIFICATE) from exc
    raise AssertionError("unreachable")


class SignallingClient:
    """One signalling connection. ``messages()`` yields what the server sends until the socket closes."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self.joined: Joined | None = None

    @classmethod
    async def connect(
        cls,
        base_url: str,
        token: str,
        *,
        resume: str | None = None,
        timeout: float = 10.0,
        pin: str | None = None,
        known: KnownServers | None = None,
    ) -> SignallingClient:
        """Open the socket and join. Over wss:// the server's certificate must match ``pin`` (a room link's
        fingerprint) or the one ``known`` remembers, as for the REST client (see client/tls.py)."""
        ws = await _open(base_url, pin, known, timeout)
        client = cls(ws)
        await client.send(Join(token=token, resume=resume))
        try:
            first = await asyncio.wait_for(client._receive(), timeout)
        except (TimeoutError, websockets.WebSocketException) as exc:
            await ws.close()
            raise SignallingError(f"The server did not answer the join: {exc}", LinkFailure.NETWORK) from exc
        if isinstance(first, ErrorMessage):
            await ws.close()
            raise SignallingError(first.message, first.code)
        if not isinstance(first, Joined):
            await ws.close()
            raise SignallingError(f"Unexpected first message {first.type!r}", LinkFailure.PROTOCOL)
        client.joined = first
        return client

    async def send(self, message: BaseModel) -> None:
        await self._ws.send(message.model_dump_json(exclude_none=True))

    async def send_raw(self, text: str) -> None:
        """Send text as is (tests use it to check how the server treats bad input)."""
        await self._ws.send(text)

    async def _receive(self) -> ServerMessage:
        while True:
            text = await self._ws.recv()
            try:
                return SERVER_MESSAGE.validate_json(text)
            except ValidationError:
                logger.warning("Ignoring a signalling message this client does not understand")

    async def messages(self) -> AsyncIterator[ServerMessage]:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                yield await self._receive()

    @property
    def closed(self) -> bool:
        return self._ws.close_code is not None

    async def close(self) -> None:
        await self._ws.close()

    def abort(self) -> None:
        """Drop the connection without a closing handshake, as a network failure would."""
        self._ws.transport.abort()

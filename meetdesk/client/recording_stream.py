"""Recordings for a media player that cannot authenticate: a loopback address per recording that streams its
``/media`` (byte ranges included) from the server with this client's credentials and trust.

QtMultimedia's player (FFmpeg underneath) opens a URL and sends ``Range`` requests of its own as it plays and
seeks; it cannot add our ``Authorization`` / ``X-Participant-Token`` headers, nor check a pinned certificate
(a self-signed server shared on the network). A share link's secret in the URL would not do either: a public
link only plays while the room lets anyone watch, and a private one still needs the admin's header. So the
player is given ``http://127.0.0.1:<port>/<key>/<recording>`` and :class:`RecordingStream` forwards each of
its requests to the server through the client's own HTTP client: the same credentials (refreshed on a 401),
the same pinned TLS context, the ``Range`` passed through and the answer (206, ``Content-Range``, 416...)
passed back as it arrives, so playing starts at once and seeking anywhere asks the server for that range only.

The listening socket is on loopback only and every path starts with a random 128-bit key made per stream:
another local user or a web page cannot guess an address. The key is a secret and never logged. Each
request gets its own connection (``Connection: close``), which is what FFmpeg does when it seeks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Mapping
from typing import Final, Protocol
from urllib.parse import quote, unquote

import httpx

from meetdesk.client.errors import ApiError, ConnectionFailed, error_from_response
from meetdesk.client.links import Credentials

logger = logging.getLogger(__name__)

#: the request headers passed on to the server (the rest is the player's business)
FORWARDED_REQUEST: Final = ("range", "if-range")
#: the answer's headers passed back to the player
FORWARDED_RESPONSE: Final = ("content-type", "content-length", "content-range", "accept-ranges", "etag")
MAX_HEAD: Final = 16 * 1024
HEAD_TIMEOUT_S: Final = 10.0
REASONS: Final = {
    200: "OK",
    206: "Partial Content",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    416: "Range Not Satisfiable",
    502: "Bad Gateway",
}


class StreamClient(Protocol):
    """What the stream needs of :class:`~meetdesk.client.api.MeetDeskClient`."""

    base_url: str

    async def _http(self) -> httpx.AsyncClient: ...

    def _auth_headers(self) -> dict[str, str]: ...

    async def _refresh_after_401(self, sent_token: str) -> bool: ...

    @property
    def credentials(self) -> Credentials: ...


class RecordingStream:
    """A loopback HTTP server that plays one client's recordings (module docstring)::

        stream = RecordingStream(client)
        url = await stream.url(recording_id)  # give it to QMediaPlayer
        ...
        await stream.aclose()

    ``failures`` keeps the last refusal or connection failure per recording, for the player to say in words
    what FFmpeg can only report as "server returned 4XX".
    """

    def __init__(self, client: StreamClient) -> None:
        self.client = client
        self._key = secrets.token_urlsafe(16)
        self._server: asyncio.Server | None = None
        self._port = 0
        self._handlers: set[asyncio.Task[None]] = set()
        self.failures: dict[str, ApiError] = {}
        #: requests answered (tests and the bench count the range requests a seek makes)
        self.requests = 0

    def __repr__(self) -> str:
        return f"RecordingStream({self.client.base_url!r}, port={self._port})"  # never the key

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self._port = self._server.sockets[0].getsockname()[1]
            logger.debug("%r listening", self)

    async def url(self, recording_id: str) -> str:
        """The loopback address that plays ``recording_id`` (the stream starts on first use)."""
        await self.start()
        return f"http://127.0.0.1:{self._port}/{self._key}/{quote(recording_id, safe='')}"

    def redact(self, text: str) -> str:
        """``text`` (a player's error, which may quote the address) without the stream's key."""
        return text.replace(self._key, "***")

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # the answer runs as a task of its own, which closing cancels: asyncio logs the cancellation of a
        # connection's handler itself as an error, so that one always ends normally
        answer = asyncio.ensure_future(self._answer(reader, writer))
        self._handlers.add(answer)
        try:
            await answer
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # the player went away (it does so each time it seeks) or sent nothing sensible
        except asyncio.CancelledError:
            if not answer.cancelled():
                raise  # this handler itself is cancelled (the loop is closing): as asyncio wants
        finally:
            self._handlers.discard(answer)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
        if len(head) > MAX_HEAD:
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if len(parts) != 3:
            return
        method, target, _version = parts
        recording_id = self._recording_of(target)
        if recording_id is None:
            await _reply(writer, 404, {}, b"Not found\n")
            return
        if method != "GET":
            await _reply(writer, 405, {"Allow": "GET"}, b"")
            return
        self.requests += 1
        forwarded: dict[str, str] = {name: headers[name] for name in FORWARDED_REQUEST if name in headers}
        await self._forward(recording_id, forwarded, writer)

    def _recording_of(self, target: str) -> str | None:
        path = target.split("?", 1)[0]
        prefix = f"/{self._key}/"
        if not secrets.compare_digest(path[: len(prefix)].encode(), prefix.encode()):
            return None
        recording_id = unquote(path[len(prefix) :])
        return recording_id or None

    async def _forward(self, recording_id: str, headers: Mapping[str, str], writer: asyncio.StreamWriter) -> None:
        client = self.client
        try:
            response = await self._open_upstream(recording_id, headers)
            try:
                if not response.is_success:
                    await response.aread()
                    raise error_from_response(response)
                self.failures.pop(recording_id, None)
                passed = {name: response.headers[name] for name in FORWARDED_RESPONSE if name in response.headers}
                logger.debug("%r: %s %s -> %d", self, recording_id, headers.get("range", ""), response.status_code)
                writer.write(_head(response.status_code, passed))
                async for chunk in response.aiter_raw():
                    writer.write(chunk)
                    await writer.drain()  # the player reads at its pace: no more is held than a socket's worth
            finally:
                await response.aclose()
        except (httpx.TransportError, ApiError) as exc:
            failure = exc if isinstance(exc, ApiError) else ConnectionFailed(client.base_url, str(exc) or "no answer")
            if not isinstance(failure, _RangeRefused):
                self.failures[recording_id] = failure
            logger.info("%r: recording %s did not stream: %s", self, recording_id, failure)
            status = failure.status or 502
            extra = {"Content-Range": failure.content_range} if isinstance(failure, _RangeRefused) else {}
            with contextlib.suppress(ConnectionError):
                await _reply(writer, status, {"Content-Type": "text/plain", **extra}, failure.message.encode())

    async def _open_upstream(self, recording_id: str, headers: Mapping[str, str]) -> httpx.Response:
        """The server's answer for the recording's media, its body still to read (a 401 to an access token
        refreshes it and asks once more)."""
        client = self.client
        http = await client._http()
        path = f"/api/v1/recordings/{quote(recording_id, safe='').replace('.', '%2E')}/media"
        for attempt in range(2):
            sent_token = client.credentials.access_token
            request = http.build_request("GET", path, headers={**client._auth_headers(), **headers, "Accept": "*/*"})
            response = await http.send(request, stream=True)
            if response.status_code == 416:
                await response.aread()
                await response.aclose()
                raise _RangeRefused(response)
            retry = response.status_code == 401 and not attempt and sent_token
            if retry and sent_token and await client._refresh_after_401(sent_token):
                await response.aclose()
                continue
            return response
        raise AssertionError("unreachable: the second attempt returns")


class _RangeRefused(ApiError):
    """416: the player asked past the end (it does so to learn the size); passed back with the size."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(416, "Range Not Satisfiable", "The range asked for is past the end of the recording")
        self.content_range = response.headers.get("content-range", "bytes */0")


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _reply(writer: asyncio.StreamWriter, status: int, headers: Mapping[str, str], body: bytes) -> None:
    writer.write(_head(status, {**headers, "Content-Length": str(len(body))}) + body)
    await writer.drain()

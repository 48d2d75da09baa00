"""``meetdesk server``: run the bundled server under uvicorn until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from meetdesk.server import logrepeat
from meetdesk.server.app import create_app
from meetdesk.server.config import ServerSettings, SettingsError
from meetdesk.server.connections import (
    ConnectionLimits,
    GuardedProtocol,
    connection_cap,
    guarded_protocol,
    raise_fd_limit,
)
from meetdesk.server.context import ServerContext
from meetdesk.server.looplag import LoopLagProbe
from meetdesk.server.private_files import PRIVATE_UMASK, write_private
from meetdesk.server.tls import ServerCertificate, ensure_certificate, provided_certificate

logger = logging.getLogger(__name__)

#: Where a first start that cannot show the generated admin password on a terminal writes it instead.
FIRST_START_FILE = "first-start-credentials.txt"


async def _announce(ctx: ServerContext) -> None:
    """Tell the person who started the server how to reach it (stdout, not the log: secrets stay out of logs)."""
    settings = ctx.settings
    lines = [f"MeetDesk server on {settings.public_base_url}  (API docs: {settings.public_base_url}/api/v1/docs)"]
    first = ctx.first_start
    if first is not None and first.generated_password is not None:
        if sys.stdout.isatty():
            lines.append(f"  Admin user: {first.admin_user}   password: {first.generated_password}   (shown only once)")
        else:
            # stdout may be a log file (the embedded launcher appends it to server.log): no secret there
            path = settings.data_dir / FIRST_START_FILE
            text = f"MeetDesk admin user: {first.admin_user}\npassword: {first.generated_password}\n"
            await asyncio.to_thread(write_private, path, text.encode())
            lines.append(f"  Admin user: {first.admin_user}   password: in {path} (yours only; delete it once read)")
            logger.info("First start: the admin password is in %s, readable by this user only", path)
    elif first is not None:
        lines.append(f"  Admin user: {first.admin_user}   password: from MEETDESK_INITIAL_ADMIN_PASSWORD")
    else:
        lines.append(f"  Admin user: {settings.initial_admin_user}   password: the one set at first start")
    keys = await ctx.accounts.api_keys()
    if keys:
        # the key was shown when it was created; this output may be appended to a log file
        lines.append("  API key: set (shown only when it was created)")
    else:
        lines.append("  API key: none yet (create one with POST /internal-api/v1/auth/api-keys)")
    if settings.link_pin:
        lines.append(f"  TLS certificate (made by this server): {settings.link_pin}")
    lines.append(f"  Data: {settings.data_dir}")
    print("\n".join(lines), flush=True)


#: seconds a TLS connection that uvicorn closed may wait for the client's close_notify before it is dropped
TLS_CLOSE_GRACE_S = 1.0


def _resident_memory() -> str:
    """This process's resident memory now and at its peak (Linux; where unknown, says so)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return "unknown"
    fields = dict(line.split(":", 1) for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM")))
    return f"resident {fields.get('VmRSS', '?').strip()}, peak {fields.get('VmHWM', '?').strip()}"


class MeetDeskServer(uvicorn.Server):
    """uvicorn, but participants are told the server is stopping before their sockets are closed, the counts
    of repeated log records held back are written once a minute, the event loop's longest stall while
    serving is logged at the stop (``looplag.py``), and over TLS idle keep-alive connections do
    not hold the stop up: asyncio waits for the client's close_notify, which an idle HTTP client never sends,
    so uvicorn would wait its whole graceful-shutdown timeout."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, repeats: logrepeat.RepeatFilter | None = None) -> None:
        super().__init__(config)
        self._app = app
        self._repeats = repeats
        self._lag = LoopLagProbe()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        protocol = self.config.http_protocol_class
        tls = self.config.ssl
        if tls is not None and isinstance(protocol, type) and issubclass(protocol, GuardedProtocol):
            # the guard does the handshake itself, under its deadline and caps: uvicorn listens in plain TCP
            protocol.tls = tls
            self.config.ssl = None
            try:
                await super().startup(sockets)
            finally:
                self.config.ssl = tls
        else:
            await super().startup(sockets)
        # what start-up made (modules, the app, aiortc's and PyAV's tables) lives as long as the process: out of
        # the collector's sight, so that a full collection while serving walks only what serving made (without,
        # a full collection took ~100 ms of the loop's time once a few peer connections had come and gone)
        gc.collect()
        gc.freeze()
        logger.info("Memory: %s at the start of serving", _resident_memory())
        self._lag.start(asyncio.get_running_loop())  # from now on, every stall is a client's doing

    def _log_started_message(self, listeners: Sequence[socket.SocketType]) -> None:
        protocol = self.config.http_protocol_class
        if self.config.ssl is None and isinstance(protocol, type) and issubclass(protocol, GuardedProtocol):
            self.config.ssl = protocol.tls  # so that uvicorn names the scheme clients use
            try:
                super()._log_started_message(listeners)
            finally:
                self.config.ssl = None
        else:
            super()._log_started_message(listeners)

    async def on_tick(self, counter: int) -> bool:
        if self._repeats is not None and counter % 600 == 0:  # uvicorn ticks ten times a second
            self._repeats.flush()
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        logger.info("Event loop: longest stall %.1f ms while serving", self._lag.stop() * 1000)
        logger.info("Memory: %s at the end of serving", _resident_memory())
        ctx: ServerContext | None = getattr(self._app.state, "ctx", None)
        if ctx is not None:
            await ctx.meetings.shutdown()
        drop = asyncio.get_running_loop().call_later(TLS_CLOSE_GRACE_S, self._drop_closing_connections)
        try:
            await super().shutdown(sockets)
        finally:
            drop.cancel()
            if self._repeats is not None:
                self._repeats.flush(everything=True)  # the counts of records held back, before the process ends

    def _drop_closing_connections(self) -> None:
        """Abort the connections uvicorn closed already (answered, idle) that still wait for their peer."""
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if isinstance(transport, asyncio.Transport) and transport.is_closing():
                transport.abort()


def prepare(settings: ServerSettings) -> tuple[ServerSettings, ServerCertificate | None]:
    """Check the settings and get the certificate ready: the settings to run with (room links carry the
    certificate's pin) and the certificate (None for plain HTTP on loopback). Raises SettingsError."""
    settings.check()
    if not settings.tls_enabled:
        return settings, None
    if settings.tls_cert_file is not None and settings.tls_key_file is not None:
        try:
            return settings, provided_certificate(settings.tls_cert_file, settings.tls_key_file)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
    hosts = [settings.public_host, settings.host]
    certificate = ensure_certificate(settings.data_dir, hosts)
    return replace(settings, link_pin=certificate.pin), certificate


ACCEPT_BACKLOG = 64


def run(settings: ServerSettings) -> None:
    """Serve until SIGINT/SIGTERM. Raises SettingsError (before binding anything) for refused settings."""
    os.umask(PRIVATE_UMASK)  # every file this process makes (database, WAL, keys, certificates) is its user's only
    settings, certificate = prepare(settings)
    app = create_app(settings, on_ready=_announce)
    limits = ConnectionLimits(
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        per_address=settings.max_connections_per_address,
        total=connection_cap(settings.max_connections, raise_fd_limit()),
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(certificate.cert_file) if certificate else None,
        ssl_keyfile=str(certificate.key_file) if certificate else None,
        log_level="info",
        access_log=False,  # access lines would carry room-link secrets and tokens in query strings
        lifespan="on",
        ws="websockets-sansio",  # the maintained implementation (the default one is deprecated)
        timeout_graceful_shutdown=10,
        # uvicorn would take X-Forwarded-For from any local peer; ratelimit.py trusts only configured proxies
        proxy_headers=False,
        http=guarded_protocol(limits),
        # asyncio accepts up to `backlog` sockets per readiness before the guard sees any of them: keep that
        # burst well inside the guard's reserve of open files (uvicorn's default is 2048)
        backlog=ACCEPT_BACKLOG,
    )
    repeats = logrepeat.RepeatFilter()
    logrepeat.install(repeats, "uvicorn", "uvicorn.access")  # after uvicorn.Config has set up its handlers
    server = MeetDeskServer(config, app, repeats)
    # uvicorn installs SIGINT/SIGTERM handlers and runs the lifespan shutdown: a graceful stop.
    asyncio.run(server.serve())

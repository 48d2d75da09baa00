"""``meetdesk server``: run the bundled server under uvicorn until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from fastapi import FastAPI

from meetdesk.server.app import create_app
from meetdesk.server.config import ServerSettings
from meetdesk.server.context import ServerContext

logger = logging.getLogger(__name__)


async def _announce(ctx: ServerContext) -> None:
    """Tell the person who started the server how to reach it (stdout, not the log: secrets stay out of logs)."""
    settings = ctx.settings
    lines = [f"MeetDesk server on {settings.public_base_url}  (API docs: {settings.public_base_url}/api/v1/docs)"]
    first = ctx.first_start
    if first is not None and first.generated_password is not None:
        lines.append(f"  Admin user: {first.admin_user}   password: {first.generated_password}   (shown only once)")
    elif first is not None:
        lines.append(f"  Admin user: {first.admin_user}   password: from MEETDESK_INITIAL_ADMIN_PASSWORD")
    else:
        lines.append(f"  Admin user: {settings.initial_admin_user}   password: the one set at first start")
    keys = await ctx.accounts.api_keys()
    if keys:
        lines.append(f"  API key: {keys[0].api_key}")
    else:
        lines.append("  API key: none yet (create one with POST /internal-api/v1/auth/api-keys)")
    lines.append(f"  Data: {settings.data_dir}")
    print("\n".join(lines), flush=True)


class MeetDeskServer(uvicorn.Server):
    """uvicorn, but participants are told the server is stopping before their sockets are closed."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        ctx: ServerContext | None = getattr(self._app.state, "ctx", None)
        if ctx is not None:
            await ctx.meetings.shutdown()
        await super().shutdown(sockets)


def run(settings: ServerSettings) -> None:
    app = create_app(settings, on_ready=_announce)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,  # access lines would carry room-link secrets and tokens in query strings
        lifespan="on",
        ws="websockets-sansio",  # the maintained implementation (the default one is deprecated)
        timeout_graceful_shutdown=10,
    )
    server = MeetDeskServer(config, app)
    # uvicorn installs SIGINT/SIGTERM handlers and runs the lifespan shutdown: a graceful stop.
    asyncio.run(server.serve())

"""The FastAPI application: routes, error handlers, limits, and the start-up/shutdown sequence."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from meetdesk import __version__
from meetdesk.server import errors
from meetdesk.server.allow import AllowedMethods
from meetdesk.server.api import (
    auth,
    events,
    global_config,
    kiosks,
    meetings,
    participants,
    public_meetings,
    recordings,
    recordings_media,
    room_recordings_page,
    rooms,
    signalling,
    webhooks,
)
from meetdesk.server.authfirst import AuthenticateFirst
from meetdesk.server.config import ServerSettings
from meetdesk.server.context import ServerContext
from meetdesk.server.limits import BodySizeLimit
from meetdesk.server.scheduler import AutoDeletionJob

logger = logging.getLogger(__name__)

ReadyHook = Callable[[ServerContext], Awaitable[None]]


def create_app(settings: ServerSettings, on_ready: ReadyHook | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await ServerContext.open(settings)
        app.state.ctx = ctx
        job = AutoDeletionJob(ctx.rooms, settings.auto_deletion_interval)
        app.state.auto_deletion = job
        job.start()
        if on_ready is not None:
            await on_ready(ctx)
        try:
            yield
        finally:
            await job.stop()
            await ctx.close()
            logger.info("Server stopped")

    app = FastAPI(
        title="MeetDesk API",
        version=__version__,
        summary="Rooms and meetings, compatible with OpenVidu Meet's REST API",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    errors.install(app)
    # recordings_media before recordings: /recordings/download is not a recording id
    modules = (
        rooms,
        recordings_media,
        recordings,
        room_recordings_page,
        auth,
        participants,
        global_config,
        meetings,
        public_meetings,
        webhooks,
        events,
        kiosks,
        signalling,
    )
    routers = [module.router for module in modules]
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # outermost: a stranger's body is not even read
    all_routes = [route for router in routers for route in router.routes]
    app.add_middleware(AuthenticateFirst, routes=all_routes)
    # outside authentication: which methods a path has is public (OPTIONS, and the Allow of a 405)
    app.add_middleware(AllowedMethods, routes=all_routes)
    return app

"""ASGI middleware that answers ``OPTIONS`` and wrong methods with the path's real ``Allow`` header.

Starlette answers a method a path does not have with the methods of the *first* route whose path
matches (``GET`` alone for ``/api/v1/rooms/{roomId}``, which also has ``PATCH`` and ``DELETE``), and
``OPTIONS`` with a 405. Here ``OPTIONS`` on a known path is a 204 listing every method of every route
of that path, as OpenVidu Meet's Express server answers, and a 405 carries the same list. Neither needs
credentials: they say what the API is, not what is in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from meetdesk.server.errors import error_response


class AllowedMethods:
    """``routes``: the app's routes."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self._routes = [route for route in routes if isinstance(route, Route) and route.methods]

    def allowed(self, scope: Scope) -> set[str]:
        """The methods of every route whose path matches the request's (empty: an unknown path)."""
        methods: set[str] = set()
        for route in self._routes:
            if route.path_regex.match(scope["path"]):
                methods |= route.methods or set()
        return methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        methods = self.allowed(scope)
        method = scope["method"]
        if not methods or (method in methods and method != "OPTIONS"):
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        response: Response
        if method == "OPTIONS":
            response = Response(status_code=204, headers={"Allow": allow})
        else:
            response = error_response(405, "Method Not Allowed", f"{method} is not allowed here: use {allow}")
            response.headers["Allow"] = allow
        await response(scope, receive, send)

"""ASGI middleware that authenticates a request before anything of its body or query is read.

FastAPI reads and parses a route's body before it runs the route's dependencies, and validates the
query alongside them: a caller without credentials would learn the route's input rules from a 422 (or
a 400 for JSON that does not parse). This middleware finds the route a request is for, runs its
:class:`~meetdesk.server.security.Requirement` with nothing but the request's headers, and answers a
refused caller at once; the route's dependency then reuses the caller it found.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from meetdesk.core.errors import MeetDeskError
from meetdesk.server.errors import respond_to
from meetdesk.server.security import ANYONE, CALLER_SCOPE_KEY, Requirement, resolve_caller


class AuthenticateFirst:
    """``routes``: the app's routes, in the order the app matches them."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self._routes = [(route, _route_requirement(route)) for route in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        requirement, path_params = self._requirement_of(scope)
        if requirement is not None:
            # no receive: the body cannot be read here even by mistake
            request = Request({**scope, "path_params": path_params})
            try:
                scope[CALLER_SCOPE_KEY] = await requirement.check(request)
            except MeetDeskError as exc:
                response = await respond_to(request, exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _requirement_of(self, scope: Scope) -> tuple[Requirement | None, dict[str, Any]]:
        """The requirement of the route the request is for, and the parameters in its path."""
        for route, requirement in self._routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return requirement, dict(child.get("path_params", {}))
        return None, {}


def _route_requirement(route: BaseRoute) -> Requirement | None:
    if not isinstance(route, APIRoute):
        return None
    return next(_requirements(route.dependant), None)


def _requirements(dependant: Dependant) -> Iterator[Requirement]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Requirement):
            yield dependency.call
        elif dependency.call is resolve_caller:
            yield ANYONE
        yield from _requirements(dependency)

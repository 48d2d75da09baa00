"""What the client's mixins (rooms' members, access, meetings, recordings, downloads, webhooks, kiosks) need of
``MeetDeskClient``, the class they are mixed into: one protocol, so that each mixin annotates ``self`` with it
instead of restating the client's request methods."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel

_M = TypeVar("_M", bound=BaseModel)


class ApiRequests(Protocol):
    """The client's requests: sent with its credentials, errors raised as ``ApiError``, answers read."""

    base_url: str

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
        refresh: bool = True,
    ) -> httpx.Response: ...

    def _json(self, response: httpx.Response) -> Any: ...

    def _object(self, response: httpx.Response) -> dict[str, Any]: ...

    def _parse(self, model: type[_M], response: httpx.Response) -> _M: ...

    async def _http(self) -> httpx.AsyncClient: ...

    def _auth_headers(self) -> dict[str, str]: ...

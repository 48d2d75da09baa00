"""Field selection on every room response (OpenVidu Meet 3.8): ``fields`` / ``X-Fields`` and
``extraFields`` / ``X-ExtraFields``.

``fields`` keeps only the named properties of each MeetRoom (unknown names are ignored, as in 3.4);
``extraFields`` adds upstream's "extra" properties to that selection (the union of both). Upstream leaves
its extras (``config``, ``roles``, ``access``) out unless asked for; MeetDesk's base contract is 3.4, where
``config`` is always there, so ``config`` is sent without being asked for, and ``roles`` and ``access``
only when asked. The query parameter wins over its header; an unknown extra is a 422 naming the choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query

from meetdesk.core.errors import ValidationFailed
from meetdesk.server.rooms.service import ROOM_FIELDS

#: upstream's extra fields of a MeetRoom, and the ones a MeetDesk room has
EXTRA_FIELDS = ("config", "roles", "access")


def _names(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@dataclass(frozen=True)
class RoomProjection:
    """Which properties of a MeetRoom a response carries (``None``: all of them)."""

    fields: frozenset[str] | None = None
    #: the extra properties asked for (``roles``, ``access``: computed only then)
    extras: frozenset[str] = frozenset()

    @property
    def as_set(self) -> set[str] | None:
        return set(self.fields) if self.fields is not None else None

    def room(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.fields is None:
            return data
        return {key: value for key, value in data.items() if key in self.fields}

    def body(self, data: dict[str, Any]) -> dict[str, Any]:
        """A response that carries a room under ``room`` (status, config and deletion answers)."""
        room = data.get("room")
        if self.fields is None or not isinstance(room, dict):
            return data
        return {**data, "room": self.room(room)}


async def room_projection(
    fields: Annotated[
        str | None, Query(max_length=500, description="Comma-separated MeetRoom properties to return")
    ] = None,
    extraFields: Annotated[
        str | None, Query(max_length=200, description="Comma-separated extra properties to add: config, roles, access")
    ] = None,
    x_fields: Annotated[str | None, Header(alias="X-Fields", max_length=500)] = None,
    x_extra_fields: Annotated[str | None, Header(alias="X-ExtraFields", max_length=200)] = None,
) -> RoomProjection:
    selected = _names(fields if fields is not None else x_fields)
    extras = _names(extraFields if extraFields is not None else x_extra_fields)
    for name in extras:
        if name not in EXTRA_FIELDS:
            raise ValidationFailed.one("extraFields", f"extraFields must be one of: {', '.join(EXTRA_FIELDS)}")
    asked = frozenset(extras)
    if not selected:
        return RoomProjection(extras=asked)  # every property (3.4's MeetRoom has config) and the extras asked for
    known = (set(selected) | set(extras)) & set(ROOM_FIELDS)
    return RoomProjection(frozenset(known) if known else None, asked)


Projection = Annotated[RoomProjection, Depends(room_projection)]

"""A room's roles and access (OpenVidu Meet 3.8), mixed into :class:`~meetdesk.client.api.MeetDeskClient`::

    roles = await client.get_room_roles(room_id)
    roles = await client.update_room_roles(room_id, speaker={"canShareScreen": False})
    access = await client.update_room_access(room_id, speaker=False)  # the speaker link stops working

Both changes are partial (only the permissions or links named change) and the server answers with the
whole of them. Errors are the client's ApiError classes (422 names a bad key, 404 a missing room).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from meetdesk.client.requesting import ApiRequests
from meetdesk.core.access import AccessView
from meetdesk.core.permissions import RoomRoles

ROOMS = "/api/v1/rooms"


def _room(room_id: str) -> str:
    if not room_id:
        raise ValueError("room_id cannot be empty")
    return f"{ROOMS}/{quote(room_id, safe='').replace('.', '%2E')}"


class RoomAccessApi:
    """``extraFields=roles|access`` and ``PUT /rooms/{roomId}/roles|access``."""

    async def get_room_roles(self: ApiRequests, room_id: str) -> RoomRoles:
        """The room's roles with every permission of each."""
        response = await self._request("GET", _room(room_id), params={"fields": "roomId", "extraFields": "roles"})
        return RoomRoles.model_validate(self._object(response)["roles"])

    async def get_room_access(self: ApiRequests, room_id: str) -> AccessView:
        """Which of the room's anonymous links work, and their URLs."""
        response = await self._request("GET", _room(room_id), params={"fields": "roomId", "extraFields": "access"})
        return AccessView.model_validate(self._object(response)["access"])

    async def update_room_roles(
        self: ApiRequests,
        room_id: str,
        *,
        moderator: Mapping[str, bool] | None = None,
        speaker: Mapping[str, bool] | None = None,
    ) -> RoomRoles:
        """Change some permissions of either role (the others stay); applies at once to the meeting under way."""
        roles: dict[str, Any] = {}
        if moderator is not None:
            roles["moderator"] = {"permissions": dict(moderator)}
        if speaker is not None:
            roles["speaker"] = {"permissions": dict(speaker)}
        response = await self._request("PUT", f"{_room(room_id)}/roles", body={"roles": roles})
        return RoomRoles.model_validate(self._object(response))

    async def update_room_access(
        self: ApiRequests,
        room_id: str,
        *,
        moderator: bool | None = None,
        speaker: bool | None = None,
        recording: bool | None = None,
    ) -> AccessView:
        """Turn anonymous links off (False) or on (True); a link not named stays as it is."""
        links = {
            kind: {"enabled": on}
            for kind, on in (("moderator", moderator), ("speaker", speaker), ("recording", recording))
            if on is not None
        }
        response = await self._request("PUT", f"{_room(room_id)}/access", body={"access": {"anonymous": links}})
        return AccessView.model_validate(self._object(response))

"""OpenVidu Meet 3.9's public meetings API, mixed into :class:`~meetdesk.client.api.MeetDeskClient`: a room's
live meeting and its participants, ending it, removing a participant, promoting or demoting one.

The caller is the API key, or a room member token of that room (a moderator's, to act).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from meetdesk.client.requesting import ApiRequests
from meetdesk.core.meetings import MeetMeetingInfo, MeetParticipantInfo

PUBLIC = "/api/v1/meetings"


def _segment(value: str) -> str:
    if not value:
        raise ValueError("a room id or participant identity cannot be empty")
    return quote(value, safe="").replace(".", "%2E")  # ``..`` cannot climb out of the route


class PublicMeetings:
    """``/api/v1/meetings``: raises the client's errors (NotFound when the room has no meeting)."""

    async def get_meeting(self: ApiRequests, room_id: str) -> MeetMeetingInfo:
        response = await self._request("GET", f"{PUBLIC}/{_segment(room_id)}")
        return MeetMeetingInfo.model_validate(self._object(response))

    async def end_meeting(self: ApiRequests, room_id: str) -> None:
        """End the room's meeting for everyone (no error when none runs)."""
        await self._request("DELETE", f"{PUBLIC}/{_segment(room_id)}")

    async def meeting_participants(self: ApiRequests, room_id: str) -> list[MeetParticipantInfo]:
        response = await self._request("GET", f"{PUBLIC}/{_segment(room_id)}/participants")
        listed = self._object(response).get("participants", [])
        return [MeetParticipantInfo.model_validate(item) for item in listed]

    async def meeting_participant(self: ApiRequests, room_id: str, identity: str) -> MeetParticipantInfo:
        response = await self._request("GET", f"{PUBLIC}/{_segment(room_id)}/participants/{_segment(identity)}")
        return MeetParticipantInfo.model_validate(self._object(response))

    async def kick_participant(self: ApiRequests, room_id: str, identity: str) -> None:
        await self._request("DELETE", f"{PUBLIC}/{_segment(room_id)}/participants/{_segment(identity)}")

    async def change_participant_role(
        self: ApiRequests, room_id: str, identity: str, action: Literal["upgrade", "downgrade"]
    ) -> None:
        """``upgrade`` promotes to moderator; ``downgrade`` undoes a promotion (Conflict when none applies)."""
        path = f"{PUBLIC}/{_segment(room_id)}/participants/{_segment(identity)}/role"
        await self._request("PUT", path, body={"action": action})

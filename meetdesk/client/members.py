"""Room member tokens (OpenVidu Meet 3.5+), mixed into :class:`~meetdesk.client.api.MeetDeskClient`.

A room member token is the participant token under its newer name: it is asked for at
``/internal-api/v1/rooms/{roomId}/members/token`` and may be sent as ``X-Room-Member-Token: Bearer <token>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from meetdesk.client.errors import UnexpectedResponse
from meetdesk.client.requesting import ApiRequests

INTERNAL = "/internal-api/v1"


class MemberTokens:
    """The 3.5+ spelling of the participant-token exchange."""

    async def room_member_token(
        self: ApiRequests, room_id: str, secret: str, participant_name: str | None = None
    ) -> str:
        """Exchange a room link's secret for a room member token (without a name: to browse recordings only).

        The token is returned, not stored: set ``credentials.participant_token`` to act as the participant.
        """
        if not room_id:
            raise ValueError("room_id cannot be empty")
        body: Mapping[str, str] = {"secret": secret}
        if participant_name is not None:
            body = {**body, "participantName": participant_name}
        segment = quote(room_id, safe="").replace(".", "%2E")  # ``..`` cannot climb out of the route
        response = await self._request("POST", f"{INTERNAL}/rooms/{segment}/members/token", body=body)
        token = self._object(response).get("token")
        if not isinstance(token, str) or not token:
            raise UnexpectedResponse(response.status_code, "Unexpected Response", "The server's answer has no token")
        return token

"""Issue 14, item 6: who may call what, as OpenVidu Meet answers — against a real server process.

A participant token on an API-key or admin route is a 401 (not 403); a valid participant token next to
an invalid ``Authorization`` header is used; a token of a deleted room is a 401; ending the meeting of a
room that does not exist is a 404.
"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.contract_helpers import anonymous, api, contract_server

__all__ = ["anonymous", "api", "contract_server"]  # fixtures


def room_and_token(api: httpx.Client, anonymous: httpx.Client, role: str = "moderator") -> tuple[str, str]:
    room = api.post("/api/v1/rooms", json={"roomName": "Auth"}).json()
    secret = room[f"{role}Url"].split("secret=")[1]
    body = {"roomId": room["roomId"], "secret": secret, "participantName": "Mo"}
    issued = anonymous.post("/internal-api/v1/participants/token", json=body)
    assert issued.status_code == 200, issued.text
    return room["roomId"], issued.json()["token"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/rooms"),
        ("POST", "/api/v1/rooms"),
        ("DELETE", "/api/v1/rooms/{room}"),
        ("PUT", "/api/v1/rooms/{room}/status"),
        ("GET", "/internal-api/v1/config/webhooks"),
        ("PUT", "/internal-api/v1/config/rooms/appearance"),
    ],
)
def test_a_participant_token_on_an_api_key_or_admin_route_is_401(
    api: httpx.Client, anonymous: httpx.Client, method: str, path: str
) -> None:
    room_id, token = room_and_token(api, anonymous)
    response = anonymous.request(method, path.format(room=room_id), headers={"X-Participant-Token": token}, json={})
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "Authentication Error"
    assert api.get(f"/api/v1/rooms/{room_id}").status_code == 200  # nothing happened to the room


def test_a_valid_participant_token_wins_over_an_invalid_authorization_header(
    api: httpx.Client, anonymous: httpx.Client
) -> None:
    room_id, token = room_and_token(api, anonymous, "speaker")
    headers = {"Authorization": "Bearer not.a.valid.token", "X-Participant-Token": token}
    response = anonymous.get(f"/api/v1/rooms/{room_id}", headers=headers)
    assert response.status_code == 200 and response.json()["roomId"] == room_id
    # with nothing valid the request is still refused
    bad = anonymous.get(f"/api/v1/rooms/{room_id}", headers={**headers, "X-Participant-Token": token + "x"})
    assert bad.status_code == 401


def test_a_token_of_a_deleted_room_is_401(api: httpx.Client, anonymous: httpx.Client) -> None:
    room_id, token = room_and_token(api, anonymous)
    assert api.delete(f"/api/v1/rooms/{room_id}").status_code == 200
    response = anonymous.get(f"/api/v1/rooms/{room_id}", headers={"X-Participant-Token": token})
    assert response.status_code == 401 and response.json()["message"] == "Invalid token"
    ended = anonymous.delete(f"/internal-api/v1/meetings/{room_id}", headers={"X-Participant-Token": token})
    assert ended.status_code == 401


def test_ending_the_meeting_of_a_missing_room_is_404(api: httpx.Client, anonymous: httpx.Client) -> None:
    _room_id, token = room_and_token(api, anonymous)
    response = anonymous.delete("/internal-api/v1/meetings/no_such_room-123", headers={"X-Participant-Token": token})
    assert response.status_code == 404
    assert response.json() == {"error": "Room Error", "message": "Room 'no_such_room-123' does not exist"}

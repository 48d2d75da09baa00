"""Issue 14, rooms: names and ids as OpenVidu Meet makes them, sorting by auto-deletion date, deletion
bodies, upstream's validation sentences, ``OPTIONS`` and ``Allow`` — against a real server process."""

from __future__ import annotations

import re

import httpx
import pytest

from meetdesk.core.models import now_ms
from tests.integration.contract_helpers import anonymous, api, contract_server

__all__ = ["anonymous", "api", "contract_server"]  # fixtures

HOUR_MS = 3600 * 1000


def create(api: httpx.Client, **body: object) -> dict[str, object]:
    response = api.post("/api/v1/rooms", json=body)
    assert response.status_code == 201, response.text
    room: dict[str, object] = response.json()
    return room


def details(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.text
    found: list[dict[str, str]] = response.json()["details"]
    return found


# --- 3. names and ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stored", "prefix"),
    [
        ("meeting 🎉 room", "meeting 🎉 room", "meeting_room"),
        ("  Weekly \t\t sync   call ", "Weekly sync call", "weekly_sync_call"),
        ("a - _ b", "a - _ b", "a_b"),
        ("Habitación  José", "Habitación José", "habitacion_jose"),
        ("🎉🎉", "🎉🎉", "room"),
    ],
)
def test_room_name_and_id_are_sanitised_as_upstream(api: httpx.Client, name: str, stored: str, prefix: str) -> None:
    room = create(api, roomName=name)
    assert room["roomName"] == stored
    assert re.fullmatch(rf"{prefix}-[A-Za-z0-9]{{15}}", str(room["roomId"])), room["roomId"]


def test_a_renamed_room_collapses_whitespace_too(api: httpx.Client) -> None:
    room = create(api, roomName="Before")
    response = api.patch(f"/api/v1/rooms/{room['roomId']}", json={"roomName": "After \n\n  all"})
    assert response.status_code == 200 and response.json()["roomName"] == "After all"


# --- 4. sorting by auto-deletion date --------------------------------------------------------------


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_rooms_without_a_date_sort_first_ascending_last_descending(api: httpx.Client, order: str) -> None:
    tag = f"sortdate{order}"
    base = now_ms() + 2 * HOUR_MS
    for i in range(3):
        create(api, roomName=f"{tag} dated {i}", autoDeletionDate=base + (3 - i) * 60_000)
        create(api, roomName=f"{tag} never {i}")
    found: list[dict[str, object]] = []
    params: dict[str, object] = {"sortField": "autoDeletionDate", "sortOrder": order, "roomName": tag, "maxItems": 2}
    while True:  # paged, so that the page tokens carry the missing date too
        page = api.get("/api/v1/rooms", params=params).json()
        found += page["rooms"]
        if not page["pagination"]["isTruncated"]:
            break
        params["nextPageToken"] = page["pagination"]["nextPageToken"]
    has_date = ["autoDeletionDate" in room for room in found]
    assert has_date == ([False] * 3 + [True] * 3 if order == "asc" else [True] * 3 + [False] * 3)
    dates = [room["autoDeletionDate"] for room in found if "autoDeletionDate" in room]
    assert dates == sorted(dates, reverse=order == "desc")  # type: ignore[type-var]


# --- 5. deletion bodies ----------------------------------------------------------------------------


def test_a_deleted_room_is_not_in_the_answer(api: httpx.Client) -> None:
    room = create(api, roomName="Gone soon")
    response = api.delete(f"/api/v1/rooms/{room['roomId']}")
    assert response.status_code == 200
    assert response.json() == {
        "successCode": "room_deleted",
        "message": f"Room '{room['roomId']}' deleted successfully",
    }


def test_bulk_delete_messages_and_unknown_room(api: httpx.Client) -> None:
    a, b = create(api, roomName="Bulk a"), create(api, roomName="Bulk b")
    done = api.delete("/api/v1/rooms", params={"roomIds": f"{a['roomId']},{b['roomId']}"})
    assert done.status_code == 200
    body = done.json()
    assert body["message"] == "All rooms successfully processed for deletion"
    assert all("room" not in item for item in body["successful"])
    partial = api.delete("/api/v1/rooms", params={"roomIds": "missing_room-123"})
    assert partial.status_code == 400
    assert partial.json()["failed"] == [
        {"roomId": "missing_room-123", "error": "Room Error", "message": "Room 'missing_room-123' does not exist"}
    ]


# --- 8. upstream's sentences, OPTIONS and Allow, forged page tokens ---------------------------------


def test_validation_sentences_are_upstreams(api: httpx.Client) -> None:
    soon = api.post("/api/v1/rooms", json={"autoDeletionDate": now_ms() + 60_000})
    assert details(soon) == [
        {"field": "autoDeletionDate", "message": "autoDeletionDate must be at least 1h in the future"}
    ]
    empty_id = api.get("/api/v1/rooms/%F0%9F%8E%89")
    assert details(empty_id) == [{"field": "roomId", "message": "roomId cannot be empty after sanitization"}]


def test_options_lists_every_method_of_the_path(anonymous: httpx.Client) -> None:
    room = anonymous.options("/api/v1/rooms/some_room-123")
    assert room.status_code == 204
    assert set(room.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE", "OPTIONS"}
    rooms = anonymous.options("/api/v1/rooms")
    assert set(rooms.headers["Allow"].split(", ")) == {"GET", "POST", "DELETE", "OPTIONS"}
    wrong = anonymous.put("/api/v1/rooms/some_room-123")
    assert wrong.status_code == 405 and set(wrong.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE", "OPTIONS"}
    assert wrong.json()["error"] == "Method Not Allowed"
    assert anonymous.options("/api/v1/no-such-thing").status_code == 404


def test_a_forged_page_token_is_422(api: httpx.Client) -> None:
    for i in range(2):
        create(api, roomName=f"Forged {i}")
    token = api.get("/api/v1/rooms", params={"maxItems": 1}).json()["pagination"]["nextPageToken"]
    body, _, signature = token.partition(".")
    forged = api.get("/api/v1/rooms", params={"maxItems": 1, "nextPageToken": "WzFd." + signature})
    assert details(forged)[0]["field"] == "nextPageToken"
    assert api.get("/api/v1/rooms", params={"nextPageToken": body + ".x"}).status_code == 422

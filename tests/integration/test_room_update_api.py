"""``PATCH /api/v1/rooms/{roomId}``: renaming a room and changing its auto-deletion, with every status a
client can meet (200, 400, 401, 403, 404, 409, 422), against the in-process app and a live server."""

from __future__ import annotations

import httpx
import pytest

from meetdesk.client.api import Conflict, MeetDeskClient, NotFound, Unauthorized, ValidationError
from meetdesk.core.models import AutoDeletionPolicy, RoomUpdate, now_ms
from tests.conftest import API_KEY, InProcess, LiveServer
from tests.integration.meeting_helpers import create_room, join

HOUR_MS = 3600 * 1000


async def create(api: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await api.post("/api/v1/rooms", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


async def test_rename_keeps_the_id_and_the_links(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Daily")
    response = await api.patch(f"/api/v1/rooms/{room['roomId']}", json={"roomName": "  Weekly review  "})
    assert response.status_code == 200
    patched = response.json()
    assert patched == {**room, "roomName": "Weekly review"}  # id, links, dates and config unchanged
    assert (await api.get(f"/api/v1/rooms/{room['roomId']}")).json() == patched
    # the new name is what search and sorting by name see
    found = (await api.get("/api/v1/rooms", params={"roomName": "weekly"})).json()["rooms"]
    assert [r["roomId"] for r in found] == [room["roomId"]]
    assert (await api.get("/api/v1/rooms", params={"roomName": "daily"})).json()["rooms"] == []
    await create(api, roomName="Monthly")
    by_name = (await api.get("/api/v1/rooms", params={"sortField": "roomName", "sortOrder": "asc"})).json()
    assert [r["roomName"] for r in by_name["rooms"]] == ["Monthly", "Weekly review"]


async def test_set_change_and_clear_the_auto_deletion_date(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Dated")
    path = f"/api/v1/rooms/{room['roomId']}"
    date = now_ms() + 3 * HOUR_MS
    policy = {"withMeeting": "force", "withRecordings": "force"}
    response = await api.patch(path, json={"autoDeletionDate": date, "autoDeletionPolicy": policy})
    assert response.status_code == 200
    assert (response.json()["autoDeletionDate"], response.json()["autoDeletionPolicy"]) == (date, policy)
    assert response.json()["roomName"] == "Dated"
    later = date + 24 * HOUR_MS
    assert (await api.patch(path, json={"autoDeletionDate": later})).json()["autoDeletionDate"] == later
    assert (await api.get(path)).json()["autoDeletionPolicy"] == policy  # not given: unchanged

    cleared = await api.patch(path, json={"autoDeletionDate": None})
    assert cleared.status_code == 200 and "autoDeletionDate" not in cleared.json()
    assert "autoDeletionDate" not in (await api.get(path)).json()
    # a room without a date sorts first by date ascending, as upstream's store sorts a missing value
    await create(api, roomName="Soon", autoDeletionDate=now_ms() + 2 * HOUR_MS)
    by_date = await api.get("/api/v1/rooms", params={"sortField": "autoDeletionDate", "sortOrder": "asc"})
    assert [r["roomName"] for r in by_date.json()["rooms"]] == ["Dated", "Soon"]


async def test_a_date_moved_into_the_past_is_refused_and_a_due_room_is_deleted_by_the_job(
    api: httpx.AsyncClient, server: InProcess
) -> None:
    kept = await create(api, roomName="Kept", autoDeletionDate=now_ms() + 2 * HOUR_MS)
    refused = await api.patch(f"/api/v1/rooms/{kept['roomId']}", json={"autoDeletionDate": now_ms() - 1})
    assert refused.status_code == 422
    assert refused.json()["details"] == [
        {"field": "autoDeletionDate", "message": "autoDeletionDate must be at least 1h in the future"}
    ]
    # clearing the date takes the room out of the auto-deletion job
    await api.patch(f"/api/v1/rooms/{kept['roomId']}", json={"autoDeletionDate": None})
    assert await server.ctx.rooms.rooms.ids_due_for_auto_deletion(now_ms() + 3 * HOUR_MS) == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"roomName": "x" * 51}, "roomName", "roomName cannot exceed 50 characters"),
        ({"roomName": "   "}, "roomName", "roomName cannot be empty"),
        ({"roomName": None}, "roomName", "roomName cannot be null"),
        ({"roomName": 5}, "roomName", "Input should be a valid string"),
        ({"roomName": "Team\u200broom"}, "roomName", "roomName cannot contain control or invisible characters"),
        ({"autoDeletionDate": -1}, "autoDeletionDate", "autoDeletionDate must be a positive integer"),
        ({"autoDeletionDate": 1.5}, "autoDeletionDate", "Input should be a valid integer"),
        ({"autoDeletionDate": "tomorrow"}, "autoDeletionDate", "Input should be a valid integer"),
        ({"autoDeletionDate": 10**16}, "autoDeletionDate", "autoDeletionDate is too far in the future"),
        ({"autoDeletionPolicy": None}, "autoDeletionPolicy", "autoDeletionPolicy cannot be null"),
        (
            {"autoDeletionPolicy": {"withMeeting": "fail"}},
            "autoDeletionPolicy.withMeeting",
            "FAIL policy is not allowed for withMeeting auto-deletion policy",
        ),
        (
            {"autoDeletionPolicy": {"withRecordings": "fail"}},
            "autoDeletionPolicy.withRecordings",
            "FAIL policy is not allowed for withRecordings auto-deletion policy",
        ),
        ({"name": "Typo"}, "name", "Extra inputs are not permitted"),
        ({}, "body", "Give at least one of roomName, autoDeletionDate and autoDeletionPolicy"),
        ([1], "body", "Input should be a valid dictionary or instance of RoomUpdate"),
    ],
)
async def test_bad_input_is_422_and_changes_nothing(
    api: httpx.AsyncClient, body: object, field: str, message: str
) -> None:
    room = await create(api, roomName="Steady")
    response = await api.patch(f"/api/v1/rooms/{room['roomId']}", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "error": "Unprocessable Entity",
        "message": "Invalid request",
        "details": [{"field": field, "message": message}],
    }
    assert (await api.get(f"/api/v1/rooms/{room['roomId']}")).json() == room


async def test_one_detail_per_bad_field(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Steady")
    response = await api.patch(f"/api/v1/rooms/{room['roomId']}", json={"roomName": "", "autoDeletionDate": 0})
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == ["roomName", "autoDeletionDate"]


async def test_malformed_json_is_400_and_an_empty_body_422(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Steady")
    path = f"/api/v1/rooms/{room['roomId']}"
    response = await api.patch(path, content=b'{"roomName": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "Bad Request", "message": "Malformed body"}
    empty = await api.patch(path)
    assert empty.status_code == 422 and empty.json()["details"][0]["field"] == "body"


async def test_unknown_room_is_404(api: httpx.AsyncClient) -> None:
    response = await api.patch("/api/v1/rooms/nope-123456789012345", json={"roomName": "Ghost"})
    assert response.status_code == 404
    assert response.json() == {"error": "Room Error", "message": "Room 'nope-123456789012345' does not exist"}
    empty_id = await api.patch("/api/v1/rooms/%E2%82%AC", json={"roomName": "Ghost"})
    assert empty_id.status_code == 422 and empty_id.json()["details"][0]["field"] == "roomId"


async def test_401_comes_before_any_validation(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Private")
    path = f"/api/v1/rooms/{room['roomId']}"
    async with server.http() as anonymous:
        for kwargs in (
            {"json": {"roomName": "Mine now"}},
            {"json": {"roomName": "x" * 80, "nope": 1}},
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ):
            response = await anonymous.patch(path, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 401
            assert response.json() == {"error": "Authentication Error", "message": "Unauthorized"}
        unknown = await anonymous.patch("/api/v1/rooms/%E2%82%AC", json={})
        assert unknown.status_code == 401
    async with server.http(**{"X-API-KEY": "wrong"}) as wrong:
        response = await wrong.patch(path, json={"roomName": 7})
        assert response.status_code == 401 and response.json()["message"] == "Invalid API key"
    assert (await api.get(path)).json()["roomName"] == "Private"


async def test_a_participant_token_is_401(server: InProcess, api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Meeting room")
    secret = str(room["moderatorUrl"]).split("secret=")[1]
    async with server.http() as http:
        body = {"roomId": room["roomId"], "secret": secret, "participantName": "Mo"}
        token = (await http.post("/internal-api/v1/participants/token", json=body)).json()["token"]
        response = await http.patch(
            f"/api/v1/rooms/{room['roomId']}", json={"roomName": "Hijack"}, headers={"X-Participant-Token": token}
        )
    assert response.status_code == 401 and response.json()["error"] == "Authentication Error"
    assert (await api.get(f"/api/v1/rooms/{room['roomId']}")).json()["roomName"] == "Meeting room"


async def test_the_openapi_document_describes_patch(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/api/v1/openapi.json")).json()
    patch = spec["paths"]["/api/v1/rooms/{roomId}"]["patch"]
    schema = patch["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"roomName", "autoDeletionDate", "autoDeletionPolicy"}
    policy_ref = str(schema["properties"]["autoDeletionPolicy"])
    assert (
        "#/components/schemas/AutoDeletionPolicy" in policy_ref
        and "AutoDeletionPolicy" in spec["components"]["schemas"]
    )


async def test_client_library_against_a_live_server_with_a_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server, roomName="Live")
    async with MeetDeskClient(live_server.url, api_key=API_KEY) as client:
        date = now_ms() + 5 * HOUR_MS
        renamed = await client.update_room(
            room["roomId"],
            RoomUpdate(roomName="Live review", autoDeletionDate=date, autoDeletionPolicy=AutoDeletionPolicy()),
        )
        assert (renamed.roomId, renamed.roomName, renamed.autoDeletionDate) == (room["roomId"], "Live review", date)
        assert renamed.moderatorUrl == room["moderatorUrl"] and renamed.speakerUrl == room["speakerUrl"]
        cleared = await client.update_room(room["roomId"], {"autoDeletionDate": None})
        assert cleared.autoDeletionDate is None and cleared.roomName == "Live review"
        assert (await client.get_room(room["roomId"])).autoDeletionDate is None
        # a RoomUpdate sends only the fields it was given: an explicit None clears, an absent one stays
        await client.update_room(room["roomId"], RoomUpdate(autoDeletionDate=date))
        kept = await client.update_room(room["roomId"], RoomUpdate(roomName="Live"))
        assert (kept.roomName, kept.autoDeletionDate) == ("Live", date)

        with pytest.raises(ValidationError) as invalid:
            await client.update_room(room["roomId"], {"roomName": "x" * 51})
        assert [(d.field, d.message) for d in invalid.value.details] == [
            ("roomName", "roomName cannot exceed 50 characters")
        ]
        with pytest.raises(NotFound):
            await client.update_room("nobody-123456789012345", {"roomName": "x"})

        moderator = await join(live_server, room, "moderator", "Ana")
        try:
            assert moderator.client.joined is not None
            with pytest.raises(Conflict) as busy:
                await client.update_room(room["roomId"], {"roomName": "During"})
        finally:
            await moderator.client.close()
        assert busy.value.status == 409 and busy.value.error == "Room Error"
        assert str(busy.value) == (
            f"Room '{room['roomId']}' has an active meeting: its name and auto-deletion can change once the "
            "meeting ends"
        )
        assert (await client.get_room(room["roomId"])).roomName == "Live"
    async with MeetDeskClient(live_server.url) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.update_room(room["roomId"], {"roomName": "x"})

"""The public rooms API through the in-process app: every status code a client can meet."""

from __future__ import annotations

import httpx
import pytest

from meetdesk.core.models import now_ms
from tests.conftest import InProcess

HOUR_MS = 3600 * 1000


async def create(api: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await api.post("/api/v1/rooms", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


async def test_create_room_returns_meetroom_and_location(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/rooms", json={"roomName": "  Habitación José  "})
    assert response.status_code == 201
    room = response.json()
    assert room["roomName"] == "Habitación José"
    assert room["roomId"].startswith("habitacion_jose-") and len(room["roomId"]) == len("habitacion_jose-") + 15
    assert response.headers["location"] == f"https://meet.example.test/api/v1/rooms/{room['roomId']}"
    assert room["status"] == "open" and room["meetingEndAction"] == "none"
    assert "autoDeletionDate" not in room
    assert room["autoDeletionPolicy"] == {"withMeeting": "when_meeting_ends", "withRecordings": "close"}
    assert abs(room["creationDate"] - now_ms()) < 60_000
    for role in ("moderatorUrl", "speakerUrl"):
        prefix = f"https://meet.example.test/room/{room['roomId']}?secret="
        assert room[role].startswith(prefix) and len(room[role]) - len(prefix) >= 22
    assert room["moderatorUrl"] != room["speakerUrl"]


async def test_create_room_with_no_body_uses_defaults(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/rooms")
    assert response.status_code == 201
    assert response.json()["roomName"] == "Room" and response.json()["roomId"].startswith("room-")


async def test_create_room_with_every_option(api: httpx.AsyncClient) -> None:
    date = now_ms() + 2 * HOUR_MS
    room = await create(
        api,
        roomName="Board",
        autoDeletionDate=date,
        autoDeletionPolicy={"withMeeting": "force", "withRecordings": "force"},
        config={
            "chat": {"enabled": False},
            "recording": {"enabled": True, "allowAccessTo": "admin"},
            "maxParticipants": 4,
            "maxDurationMinutes": 45,
            "initialAudioEnabled": False,
            "initialVideoEnabled": True,
        },
    )
    assert room["autoDeletionDate"] == date
    assert room["autoDeletionPolicy"] == {"withMeeting": "force", "withRecordings": "force"}
    assert room["config"] == {
        "maxParticipants": 4,
        "maxDurationMinutes": 45,
        "initialAudioEnabled": False,
        "initialVideoEnabled": True,
        "chat": {"enabled": False},
        "recording": {"enabled": True, "allowAccessTo": "admin", "layout": "grid", "encoding": "H264_720P_30"},
        "virtualBackground": {"enabled": True},
        "e2ee": {"enabled": False},
        "captions": {"enabled": False},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roomName": "x" * 51}, "roomName"),
        ({"roomName": 5}, "roomName"),
        ({"autoDeletionDate": None}, "autoDeletionDate"),
        ({"autoDeletionDate": -1}, "autoDeletionDate"),
        ({"autoDeletionDate": 1.5}, "autoDeletionDate"),
        ({"autoDeletionDate": 1000}, "autoDeletionDate"),
        ({"autoDeletionPolicy": {"withMeeting": "fail"}}, "autoDeletionPolicy.withMeeting"),
        ({"autoDeletionPolicy": {"withRecordings": "fail"}}, "autoDeletionPolicy.withRecordings"),
        ({"config": {"chat": {"enabled": "yes"}}}, "config.chat.enabled"),
        ({"config": {"recording": {"allowAccessTo": "all"}}}, "config.recording.allowAccessTo"),
    ],
)
async def test_create_room_validation_422(api: httpx.AsyncClient, body: dict[str, object], field: str) -> None:
    response = await api.post("/api/v1/rooms", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "Unprocessable Entity" and error["message"] == "Invalid request"
    assert [d["field"] for d in error["details"]] == [field]


async def test_one_detail_per_bad_field(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/rooms", json={"roomName": "x" * 60, "autoDeletionDate": -3})
    assert response.status_code == 422
    details = response.json()["details"]
    assert {d["field"]: d["message"] for d in details} == {
        "roomName": "roomName cannot exceed 50 characters",
        "autoDeletionDate": "autoDeletionDate must be a positive integer",
    }


async def test_malformed_json_is_400(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/rooms", content=b'{"roomName": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "Bad Request", "message": "Malformed body"}


async def test_body_over_1mb_is_413(api: httpx.AsyncClient) -> None:
    big = b'{"roomName": "' + b"x" * (1024 * 1024) + b'"}'
    response = await api.post("/api/v1/rooms", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "Payload Too Large"

    async def chunks():  # no Content-Length: refused while streaming
        for _ in range(20):
            yield b"x" * 65536

    response = await api.post("/api/v1/rooms", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


async def test_credentials(server: InProcess) -> None:
    async with server.http() as anonymous:
        response = await anonymous.post("/api/v1/rooms", json={})
        assert response.status_code == 401
        assert response.json() == {"error": "Authentication Error", "message": "Unauthorized"}
    async with server.http(**{"X-API-KEY": "wrong"}) as wrong:
        response = await wrong.get("/api/v1/rooms")
        assert response.status_code == 401 and response.json()["message"] == "Invalid API key"
    async with server.http(Authorization="Bearer not-a-jwt") as bad_token:
        assert (await bad_token.get("/api/v1/rooms")).status_code == 401


async def test_admin_bearer_token_manages_rooms(server: InProcess) -> None:
    from tests.conftest import ADMIN_PASSWORD, ADMIN_USER

    async with server.http() as http:
        login = await http.post(
            "/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        token = login.json()["accessToken"]
        response = await http.post(
            "/api/v1/rooms", json={"roomName": "By admin"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201


async def test_get_room_and_projection(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Projection")
    response = await api.get(f"/api/v1/rooms/{room['roomId']}")
    assert response.status_code == 200 and response.json() == room
    response = await api.get(f"/api/v1/rooms/{room['roomId']}", params={"fields": "roomId, creationDate,nope"})
    assert response.json() == {"roomId": room["roomId"], "creationDate": room["creationDate"]}


async def test_unknown_room_is_404_with_room_error(api: httpx.AsyncClient) -> None:
    for method in ("GET", "DELETE"):
        response = await api.request(method, "/api/v1/rooms/nope-123456789012345")
        assert response.status_code == 404
        assert response.json() == {"error": "Room Error", "message": "Room 'nope-123456789012345' does not exist"}
    assert (await api.get("/api/v1/rooms/nope/config")).status_code == 404
    assert (await api.put("/api/v1/rooms/nope/status", json={"status": "closed"})).status_code == 404


async def test_room_id_empty_after_sanitizing_is_422(api: httpx.AsyncClient) -> None:
    response = await api.delete("/api/v1/rooms/%E2%82%AC%E2%82%AC")
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "roomId"


async def test_config_get_and_partial_put(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Config")
    room_id = room["roomId"]
    response = await api.put(
        f"/api/v1/rooms/{room_id}/config", json={"config": {"recording": {"allowAccessTo": "admin"}}}
    )
    assert response.status_code == 200
    config = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()
    defaults = {"layout": "grid", "encoding": "H264_720P_30"}
    assert config["recording"] == {"enabled": True, "allowAccessTo": "admin", **defaults}
    assert config["chat"] == {"enabled": True}
    bad = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"chat": {"enabled": 1}}})
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "config.chat.enabled"
    missing = await api.put(f"/api/v1/rooms/{room_id}/config", json={})
    assert missing.status_code == 422 and missing.json()["details"][0]["field"] == "config"


async def test_status_close_and_reopen(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Status")
    room_id = room["roomId"]
    response = await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "closed"})
    assert response.status_code == 200 and response.json()["room"]["status"] == "closed"
    assert (await api.get(f"/api/v1/rooms/{room_id}")).json()["status"] == "closed"
    response = await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "open"})
    assert response.status_code == 200 and response.json()["room"]["status"] == "open"
    bad = await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "active_meeting"})
    assert bad.status_code == 422


async def test_delete_room_without_meeting_or_recordings(api: httpx.AsyncClient) -> None:
    room = await create(api, roomName="Gone")
    response = await api.delete(f"/api/v1/rooms/{room['roomId']}")
    assert response.status_code == 200
    body = response.json()
    assert body == {"successCode": "room_deleted", "message": f"Room '{room['roomId']}' deleted successfully"}
    assert (await api.get(f"/api/v1/rooms/{room['roomId']}")).status_code == 404
    bad_policy = await api.delete(f"/api/v1/rooms/{room['roomId']}", params={"withMeeting": "sometimes"})
    assert bad_policy.status_code == 422 and bad_policy.json()["details"][0]["field"] == "withMeeting"


async def test_bulk_delete(api: httpx.AsyncClient) -> None:
    a, b = await create(api, roomName="A"), await create(api, roomName="B")
    ids = f" {a['roomId']} ,{b['roomId']},{a['roomId']}"
    response = await api.delete("/api/v1/rooms", params={"roomIds": ids})
    assert response.status_code == 200
    assert [s["roomId"] for s in response.json()["successful"]] == [a["roomId"], b["roomId"]]
    c = await create(api, roomName="C")
    response = await api.delete("/api/v1/rooms", params={"roomIds": f"{c['roomId']},missing-1"})
    assert response.status_code == 400
    body = response.json()
    assert [s["roomId"] for s in body["successful"]] == [c["roomId"]]
    assert body["failed"] == [
        {"roomId": "missing-1", "error": "Room Error", "message": "Room 'missing-1' does not exist"}
    ]
    empty = await api.delete("/api/v1/rooms", params={"roomIds": " , ,"})
    assert empty.status_code == 422 and empty.json()["details"][0]["field"] == "roomIds"
    assert (await api.delete("/api/v1/rooms")).status_code == 422


async def test_unknown_route_and_method_use_error_body(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/nothing-here")
    assert response.status_code == 404 and set(response.json()) == {"error", "message"}
    response = await api.patch("/api/v1/rooms")
    assert response.status_code == 405 and set(response.json()) == {"error", "message"}


async def test_openapi_and_docs_served(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/api/v1/openapi.json")).json()
    assert "/api/v1/rooms" in spec["paths"] and "/api/v1/rooms/{roomId}" in spec["paths"]
    assert (await api.get("/api/v1/docs")).status_code == 200

"""Issue 14, item 1: no room setting is silently dropped — against a real server process.

Upstream's options for capabilities MeetDesk does not have (``e2ee``, ``captions``) are accepted off,
stored and reported off; asking for one on is a 422 naming it; any other unknown or malformed option
is a 422 too, never a 201 that quietly ignores it.
"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.contract_helpers import api, contract_server

__all__ = ["api", "contract_server"]  # fixtures

OFF = {"enabled": False}


def test_e2ee_and_captions_are_reported_off(api: httpx.Client) -> None:
    created = api.post("/api/v1/rooms", json={"roomName": "Plain"})
    assert created.status_code == 201
    config = created.json()["config"]
    assert (config["e2ee"], config["captions"]) == (OFF, OFF)
    room_id = created.json()["roomId"]
    assert api.get(f"/api/v1/rooms/{room_id}/config").json()["e2ee"] == OFF


def test_e2ee_and_captions_off_are_accepted_and_stored(api: httpx.Client) -> None:
    created = api.post("/api/v1/rooms", json={"config": {"e2ee": OFF, "captions": OFF}})
    assert created.status_code == 201
    room_id = created.json()["roomId"]
    changed = api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"captions": OFF, "chat": OFF}})
    assert changed.status_code == 200
    stored = api.get(f"/api/v1/rooms/{room_id}").json()["config"]
    assert (stored["e2ee"], stored["captions"], stored["chat"]) == (OFF, OFF, OFF)


@pytest.mark.parametrize(
    ("option", "sentence"),
    [
        ("e2ee", "e2ee cannot be enabled: MeetDesk has no end-to-end encryption yet"),
        ("captions", "captions cannot be enabled: MeetDesk has no live captions yet"),
    ],
)
def test_turning_on_what_meetdesk_lacks_is_refused(api: httpx.Client, option: str, sentence: str) -> None:
    before = api.get("/api/v1/rooms", params={"maxItems": 100}).json()["rooms"]
    refused = api.post("/api/v1/rooms", json={"roomName": "Secret", "config": {option: {"enabled": True}}})
    assert refused.status_code == 422
    assert refused.json()["details"] == [{"field": f"config.{option}.enabled", "message": sentence}]
    assert api.get("/api/v1/rooms", params={"maxItems": 100}).json()["rooms"] == before  # nothing created

    room_id = api.post("/api/v1/rooms", json={}).json()["roomId"]
    patch = api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {option: {"enabled": True}}})
    assert patch.status_code == 422 and patch.json()["details"][0]["message"] == sentence
    assert api.get(f"/api/v1/rooms/{room_id}/config").json()[option] == OFF


@pytest.mark.parametrize(
    "config",
    [
        {"e2ee": {"enabled": "yes"}},  # wrong type
        {"captions": True},  # not an object
        {"chat": {"enabled": 1}},
        {"recording": {"allowAccessTo": "everyone"}},  # unknown preset
        {"recording": {"encoding": "H264_4K"}},  # not one of the encoding presets
        {"recording": {"enabled": True, "junk": {"a": 1}}},  # junk object
        {"virtualBackground": []},
        {"junk": {"enabled": True}},
        "junk",
    ],
)
def test_invalid_options_are_422_not_201(api: httpx.Client, config: object) -> None:
    created = api.post("/api/v1/rooms", json={"roomName": "Invalid", "config": config})
    assert created.status_code == 422, created.text
    body = created.json()
    assert body["error"] == "Unprocessable Entity" and body["details"][0]["field"].startswith("config")
    room_id = api.post("/api/v1/rooms", json={}).json()["roomId"]
    assert api.put(f"/api/v1/rooms/{room_id}/config", json={"config": config}).status_code == 422

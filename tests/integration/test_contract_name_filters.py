"""Room-name filters (OpenVidu Meet 3.8) against a real server on loopback (and on PostgreSQL under
tests/postgres.sh): ``roomNameMatchMode`` exact | prefix | partial | regex, ``roomNameCaseInsensitive``,
3.4's default, a regex refused with 422 when outside the safe subset, and pages of a filter checked
name by name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from meetdesk.client.api import MeetDeskClient, ValidationError
from tests.conftest import API_KEY, LiveServer

MODE = "roomNameMatchMode"
NAMES = ["Team Sync", "team sync", "Sync team", "Weekly TEAM", "Daily 123", "Other", "a_b%c", "axb-c"]


async def names(api: httpx.AsyncClient, **params: str) -> list[str]:
    answer = await api.get("/api/v1/rooms", params={"maxItems": "100", "sortField": "creationDate", **params})
    assert answer.status_code == 200, answer.text
    return sorted(room["roomName"] for room in answer.json()["rooms"])


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """The API key's HTTP client, with the rooms of NAMES made."""
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        for name in NAMES:
            assert (await api.post("/api/v1/rooms", json={"roomName": name})).status_code == 201
        yield api


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # 3.4's default: part of the name, ignoring case
        ({"roomName": "team"}, ["Sync team", "Team Sync", "Weekly TEAM", "team sync"]),
        ({"roomName": "team", "roomNameMatchMode": "partial"}, ["Sync team", "Team Sync", "Weekly TEAM", "team sync"]),
        ({"roomName": "TEAM", "roomNameCaseInsensitive": "false"}, ["Weekly TEAM"]),
        ({"roomName": "team sync", "roomNameMatchMode": "exact"}, ["Team Sync", "team sync"]),
        ({"roomName": "team sync", "roomNameMatchMode": "exact", "roomNameCaseInsensitive": "false"}, ["team sync"]),
        ({"roomName": "team", "roomNameMatchMode": "exact"}, []),
        ({"roomName": "team", "roomNameMatchMode": "prefix"}, ["Team Sync", "team sync"]),
        ({"roomName": "Team", "roomNameMatchMode": "prefix", "roomNameCaseInsensitive": "false"}, ["Team Sync"]),
        # LIKE's wildcards in a name are plain characters
        ({"roomName": "a_b%", "roomNameMatchMode": "prefix"}, ["a_b%c"]),
        ({"roomName": r"^[a-z]+ \w+$", MODE: "regex", "roomNameCaseInsensitive": "false"}, ["team sync"]),
        ({"roomName": r"^[a-z]+ [a-z]+$", MODE: "regex"}, ["Sync team", "Team Sync", "Weekly TEAM", "team sync"]),
        ({"roomName": r"\d{3}$", "roomNameMatchMode": "regex"}, ["Daily 123"]),
        ({"roomName": "^a.b", "roomNameMatchMode": "regex"}, ["a_b%c", "axb-c"]),
        ({"roomName": "other|daily", "roomNameMatchMode": "regex"}, ["Daily 123", "Other"]),
        ({"roomName": "[^a-z ]", "roomNameMatchMode": "regex"}, ["Daily 123", "a_b%c", "axb-c"]),
        # a pattern that takes a backtracking engine exponential time answers like any other
        ({"roomName": "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*z", "roomNameMatchMode": "regex"}, []),
    ],
)  # fmt: skip
async def test_name_filters(api: httpx.AsyncClient, params: dict[str, str], expected: list[str]) -> None:
    assert await names(api, **params) == expected


async def test_invalid_filters_are_422(api: httpx.AsyncClient) -> None:
    for pattern, sentence in [
        ("(team)", "Groups are not supported in a room-name regex."),
        ("[abc", "The regex ends in the middle of an expression."),
        ("a**", "A quantifier in a room-name regex cannot follow another one."),
        ("x" * 101, "A room-name regex cannot be longer than 100 characters."),
        ("a{1000}", "A repetition in a room-name regex may count up to 50."),
    ]:
        answer = await api.get("/api/v1/rooms", params={"roomName": pattern, "roomNameMatchMode": "regex"})
        assert answer.status_code == 422, pattern
        assert answer.json()["details"] == [{"field": "roomName", "message": sentence}]
    for params in ({"roomNameMatchMode": "fuzzy"}, {"roomNameCaseInsensitive": "maybe"}):
        answer = await api.get("/api/v1/rooms", params={"roomName": "team", **params})
        assert answer.status_code == 422
        assert answer.json()["error"]


async def test_pages_of_a_filter_checked_name_by_name(live_server: LiveServer) -> None:
    """A case-sensitive filter is checked outside SQL: its pages still hold maxItems matches each, in
    order, each match once, and the last page says it is the last."""
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        for i in range(12):
            name = f"Room {i:02d}" if i % 3 else f"room {i:02d}"  # every third one does not match "Room"
            assert (await api.post("/api/v1/rooms", json={"roomName": name})).status_code == 201
        seen: list[str] = []
        params = {
            "roomName": "Room",
            "roomNameMatchMode": "prefix",
            "roomNameCaseInsensitive": "false",
            "maxItems": "3",
            "sortField": "roomName",
            "sortOrder": "asc",
        }
        while True:
            page = (await api.get("/api/v1/rooms", params=params)).json()
            seen += [room["roomName"] for room in page["rooms"]]
            if not page["pagination"]["isTruncated"]:
                break
            assert len(page["rooms"]) == 3
            params["nextPageToken"] = page["pagination"]["nextPageToken"]
    assert seen == [f"Room {i:02d}" for i in range(12) if i % 3]


async def test_client_name_filters(live_server: LiveServer, api: httpx.AsyncClient) -> None:
    async with MeetDeskClient(live_server.url, api_key=API_KEY) as client:
        page = await client.list_rooms(
            room_name="Team", room_name_match_mode="prefix", room_name_case_insensitive=False
        )
        assert [room.roomName for room in page.rooms] == ["Team Sync"]
        every = [r.roomName async for r in client.iter_rooms(room_name="sync", room_name_match_mode="regex")]
        assert sorted(every) == ["Sync team", "Team Sync", "team sync"]
        with pytest.raises(ValidationError):
            await client.list_rooms(room_name="(x)", room_name_match_mode="regex")

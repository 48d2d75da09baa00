"""Registered webhooks through the in-process app on the test database (SQLite, or PostgreSQL when
``MEETDESK_TEST_DATABASE_URL`` is set, as ``make test``'s second pass does): schema migration 5 and the store's
SQL hold on both engines, and a room's limits are stored in its config on both."""

from __future__ import annotations

import asyncio

import httpx


async def test_webhooks_are_stored_replaced_and_deleted(api: httpx.AsyncClient) -> None:
    created = [
        (await api.post("/api/v1/webhooks", json={"url": f"http://example.test/{n}", "events": ["meetingEnded"]}))
        for n in range(3)
    ]
    assert [response.status_code for response in created] == [201] * 3
    first = created[0].json()["webhookId"]
    replaced = await api.put(f"/api/v1/webhooks/{first}", json={"url": "https://example.test/new", "roomId": "r-1"})
    assert replaced.json()["roomId"] == "r-1" and "events" not in replaced.json()
    assert (await api.delete(f"/api/v1/webhooks/{created[1].json()['webhookId']}")).status_code == 200
    listed = (await api.get("/api/v1/webhooks")).json()["webhooks"]
    assert [w["webhookId"] for w in listed] == [first, created[2].json()["webhookId"]]
    assert listed[1]["events"] == ["meetingEnded"]


async def test_the_twentieth_is_the_last_even_when_created_at_once(api: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(
        *(api.post("/api/v1/webhooks", json={"url": f"http://example.test/{n}"}) for n in range(25))
    )
    assert sorted(response.status_code for response in answers) == [201] * 20 + [409] * 5
    assert len((await api.get("/api/v1/webhooks")).json()["webhooks"]) == 20


async def test_room_limits_are_stored(api: httpx.AsyncClient) -> None:
    limits = {"maxParticipants": 3, "maxDurationMinutes": 30, "initialAudioEnabled": False}
    room_id = (await api.post("/api/v1/rooms", json={"config": limits})).json()["roomId"]
    config = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()
    assert {key: config[key] for key in limits} == limits

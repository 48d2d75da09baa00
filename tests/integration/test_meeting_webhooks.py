"""meetingStarted / meetingEnded webhooks from real meetings, signed, retried, never blocking."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from meetdesk.core.signalling import Leave
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, LiveServer
from tests.integration.meeting_helpers import create_room, join
from tests.integration.webhook_receiver import Receiver


async def enable_webhooks(live: LiveServer, url: str) -> None:
    async with live.http() as http:
        login = await http.post(
            "/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        response = await http.put(
            "/internal-api/v1/config/webhooks", json={"enabled": True, "url": url}, headers=bearer
        )
        assert response.status_code == 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(statuses=[])
    yield r
    r.close()


async def test_meeting_started_and_ended_are_delivered_signed(live_server: LiveServer, receiver: Receiver) -> None:
    await enable_webhooks(live_server, receiver.url)
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    assert await asyncio.to_thread(receiver.wait, 1)
    await ana.client.send(Leave())
    assert await asyncio.to_thread(receiver.wait, 4)  # with Ana's participantJoined and participantLeft
    events = receiver.events(API_KEY)
    assert [e["event"] for e in events] == ["meetingStarted", "participantJoined", "participantLeft", "meetingEnded"]
    started, ended = events[0], events[3]
    assert started["data"]["roomId"] == ended["data"]["roomId"] == room["roomId"]
    assert started["data"]["moderatorUrl"] == room["moderatorUrl"]
    assert ended["creationDate"] >= started["creationDate"]


async def test_failed_deliveries_are_retried(live_server: LiveServer) -> None:
    flaky = Receiver(statuses=[500, 503])
    try:
        await enable_webhooks(live_server, flaky.url)
        room = await create_room(live_server)
        await join(live_server, room, "moderator", "Ana")
        assert await asyncio.to_thread(flaky.wait, 3)
        assert [e["event"] for e in flaky.events(API_KEY)[:3]] == ["meetingStarted"] * 3  # then the next event
        assert flaky.statuses == []  # the third attempt got the 200
    finally:
        flaky.close()


async def test_an_unreachable_receiver_never_blocks_the_meeting(live_server: LiveServer) -> None:
    from tests.conftest import free_port

    await enable_webhooks(live_server, f"http://127.0.0.1:{free_port()}/nobody")
    room = await create_room(live_server)
    ana = await asyncio.wait_for(join(live_server, room, "moderator", "Ana"), timeout=3)
    await ana.client.send(Leave())
    await ana.expect("left", timeout=3)


async def test_nothing_is_sent_while_disabled(live_server: LiveServer, receiver: Receiver) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    await ana.client.send(Leave())
    await ana.expect("left")
    await enable_webhooks(live_server, receiver.url)  # enabled afterwards: the next meeting is announced
    bo = await join(live_server, room, "moderator", "Bo")
    assert await asyncio.to_thread(receiver.wait, 2)
    assert [e["event"] for e in receiver.events(API_KEY)] == ["meetingStarted", "participantJoined"]
    await bo.client.close()

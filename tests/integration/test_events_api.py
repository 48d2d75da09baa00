"""The events socket (``/internal-api/v1/events``) and the meetings listing, against real servers: who may
listen, what they hear when rooms and meetings change elsewhere, and that a listener who stops reading is
dropped without holding anyone else up."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from meetdesk.client.api import EventsLost, MeetDeskClient, parse_room_link
from meetdesk.client.errors import Unauthorized
from meetdesk.client.events import events_url
from meetdesk.client.signalling import SignallingClient
from meetdesk.core.events import (
    CLOSE_TOO_SLOW,
    MeetingEnded,
    MeetingUpdated,
    RoomCreated,
    RoomDeleted,
    RoomUpdated,
    Subscribed,
)
from meetdesk.core.models import MeetRoom, RoomStatus
from meetdesk.core.signalling import Leave
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, LiveServer, ServerProcess

pytestmark = pytest.mark.slow

ServerEventOrLost = object


class Listening:
    """``client.events()`` read into a queue by a task, so a test can wait for the next event of a kind."""

    def __init__(self, client: MeetDeskClient) -> None:
        self.inbox: asyncio.Queue[ServerEventOrLost] = asyncio.Queue()
        self.received = 0
        self._count = asyncio.Condition()
        self._task = asyncio.create_task(self._read(client))

    async def _read(self, client: MeetDeskClient) -> None:
        async for event in client.events(retry_delay=0.1, max_retry_delay=0.5):
            self.received += 1
            await self.inbox.put(event)
            async with self._count:
                self._count.notify_all()

    async def reached(self, count: int, timeout: float = 10.0) -> None:
        async with self._count:
            await asyncio.wait_for(self._count.wait_for(lambda: self.received >= count), timeout)

    async def next(self, kind: type, timeout: float = 10.0, **fields: object) -> object:
        """The next event of ``kind`` whose attributes match ``fields`` (others are skipped)."""

        async def find() -> object:
            while True:
                event = await self.inbox.get()
                if isinstance(event, kind) and all(_get(event, k) == v for k, v in fields.items()):
                    return event

        return await asyncio.wait_for(find(), timeout)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def _get(event: object, path: str) -> object:
    value = event
    for part in path.split("__"):
        value = getattr(value, part)
    return value


@pytest.fixture
async def admin(server_process: ServerProcess) -> AsyncIterator[MeetDeskClient]:
    """A client signed in as the admin (access token, no API key)."""
    async with MeetDeskClient(server_process.url) as client:
        await client.login(ADMIN_USER, ADMIN_PASSWORD)
        yield client


@pytest.fixture
async def rest(server_process: ServerProcess) -> AsyncIterator[MeetDeskClient]:
    """Another API client: the changes "elsewhere" the listener should hear about."""
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as client:
        yield client


async def refused(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    with pytest.raises(websockets.InvalidStatus) as caught:
        async with websockets.connect(url, additional_headers=headers):
            pass
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"{}")


async def test_only_admins_and_api_keys_may_listen(server_process: ServerProcess, rest: MeetDeskClient) -> None:
    url = events_url(server_process.url)
    assert await refused(url, {}) == (401, {"error": "Authentication Error", "message": "Unauthorized"})
    status, body = await refused(url, {"X-API-KEY": "not-the-key"})
    assert (status, body["error"]) == (401, "Authentication Error")
    status, body = await refused(url, {"Authorization": "Bearer not-a-token"})
    assert status == 401

    room = await rest.create_room({"roomName": "Scoped"})
    assert room.moderatorUrl is not None
    participant = await rest.participant_token(room.roomId, parse_room_link(room.moderatorUrl).secret, "Ana")
    status, body = await refused(url, {"X-Participant-Token": participant})
    # a room's moderator is no admin: its token is not a credential here (401, as OpenVidu Meet answers)
    assert (status, body["error"]) == (401, "Authentication Error")

    async with MeetDeskClient(server_process.url, participant_token=participant) as as_participant:
        with pytest.raises(Unauthorized):
            await anext(as_participant.events())
        with pytest.raises(Unauthorized):
            await as_participant.list_meetings()
    async with MeetDeskClient(server_process.url, api_key="wrong") as wrong:
        with pytest.raises(Unauthorized):
            await anext(wrong.events())

    async with websockets.connect(url, additional_headers={"X-API-KEY": API_KEY}) as ws:
        assert json.loads(await ws.recv()) == {"v": 1, "type": "subscribed", "meetings": []}


async def test_an_admin_hears_rooms_and_meetings_change_elsewhere(
    server_process: ServerProcess, admin: MeetDeskClient, rest: MeetDeskClient
) -> None:
    listening = Listening(admin)
    try:
        await listening.next(Subscribed)

        room = await rest.create_room({"roomName": "Weekly sync"})
        created = await listening.next(RoomCreated)
        assert isinstance(created, RoomCreated)
        assert created.room.roomName == "Weekly sync" and created.room.moderatorUrl == room.moderatorUrl

        await rest.set_room_status(room.roomId, "closed")
        await listening.next(RoomUpdated, room__roomId=room.roomId, room__status=RoomStatus.CLOSED)
        await rest.set_room_status(room.roomId, "open")
        await listening.next(RoomUpdated, room__roomId=room.roomId, room__status=RoomStatus.OPEN)
        await rest.update_room(room.roomId, {"roomName": "Weekly sync (moved)"})  # PATCH, as roomedit's form
        await listening.next(RoomUpdated, room__roomId=room.roomId, room__roomName="Weekly sync (moved)")
        await rest.update_room_config(room.roomId, {"chat": {"enabled": False}})
        await listening.next(RoomUpdated, room__roomId=room.roomId, room__config__chat__enabled=False)

        assert room.moderatorUrl is not None and room.speakerUrl is not None
        moderator = await rest.participant_token(room.roomId, parse_room_link(room.moderatorUrl).secret, "Ana")
        ana = await SignallingClient.connect(server_process.url, moderator)
        await listening.next(RoomUpdated, room__roomId=room.roomId, room__status=RoomStatus.ACTIVE_MEETING)
        await listening.next(MeetingUpdated, meeting__roomId=room.roomId, meeting__participants=1)
        speaker = await rest.participant_token(room.roomId, parse_room_link(room.speakerUrl).secret, "Bo")
        bo = await SignallingClient.connect(server_process.url, speaker)
        await listening.next(MeetingUpdated, meeting__roomId=room.roomId, meeting__participants=2)

        # the listing a client starts from says the same, and the public room body has not grown
        meetings = await admin.list_meetings()
        assert [(m.roomId, m.participants) for m in meetings] == [(room.roomId, 2)]
        async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as http:
            body = (await http.get(f"/api/v1/rooms/{room.roomId}")).json()
        assert set(body) <= set(MeetRoom.model_fields)  # no people count or other internal field

        await bo.send(Leave())
        await listening.next(MeetingUpdated, meeting__roomId=room.roomId, meeting__participants=1)
        await ana.send(Leave())
        await listening.next(MeetingEnded, roomId=room.roomId)
        await listening.next(RoomUpdated, room__roomId=room.roomId, room__status=RoomStatus.OPEN)
        await bo.close()
        await ana.close()

        await rest.delete_room(room.roomId)
        await listening.next(RoomDeleted, roomId=room.roomId)
    finally:
        await listening.stop()


async def test_the_stream_comes_back_after_the_server_does(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as client:
        listening = Listening(client)
        try:
            await listening.next(Subscribed)
            server_process.stop()
            lost = await listening.next(EventsLost)
            assert isinstance(lost, EventsLost) and lost.reason
            server_process.start()
            await listening.next(Subscribed)  # reconnected by itself: the snapshot to resync from
            await client.create_room({"roomName": "After the restart"})
            await listening.next(RoomCreated, room__roomName="After the restart")
        finally:
            await listening.stop()


async def test_a_listener_that_stops_reading_is_dropped_and_holds_no_one_up(live_server: LiveServer) -> None:
    """The slow listener's socket stops being read (its kernel buffers fill up); the server keeps publishing
    to everyone else and answering requests, then drops it with CLOSE_TOO_SLOW."""
    hub = live_server.ctx.events
    async with MeetDeskClient(live_server.url, api_key=API_KEY) as client:
        fast = Listening(client)
        await fast.next(Subscribed)
        # max_queue=1: the client library stops reading its socket as soon as one message waits
        slow = await websockets.connect(
            events_url(live_server.url), additional_headers={"X-API-KEY": API_KEY}, max_queue=1
        )
        assert hub.listener_count == 2
        # large events (that compression cannot shrink) fill the socket buffers sooner
        big = MeetRoom(roomId="filler", roomName=secrets.token_hex(10_000))
        published = 0
        try:
            while hub.listener_count == 2:
                assert published < 5_000, "the slow listener was never dropped"
                for _ in range(50):
                    hub.publish(RoomUpdated(room=big))
                published += 50
                await fast.reached(published + 1)  # +1: the Subscribed; the fast one keeps up, batch by batch
                async with httpx.AsyncClient(base_url=live_server.url, headers={"X-API-KEY": API_KEY}) as http:
                    assert (await http.get("/api/v1/rooms")).status_code == 200  # the server still answers
            assert fast.received == published + 1  # nothing was dropped for the listener that reads
            # The slow listener, reading at last, finds its socket closed with the reason.
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await slow.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_TOO_SLOW
        finally:
            await fast.stop()
            await slow.close()

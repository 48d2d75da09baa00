"""Helpers for meeting tests: rooms, participant tokens and signalling clients against a live server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from meetdesk.client.session import MeetingSession, SessionEvent, SessionState, StateChanged
from meetdesk.client.signalling import SignallingClient
from meetdesk.core.signalling import ServerMessage
from meetdesk.rtc.network_path import TcpProxy as SignallingProxy  # noqa: F401 - the tests' name for it
from tests.conftest import API_KEY, LiveServer


async def create_room(live: LiveServer, **body: object) -> dict[str, str]:
    async with live.http(**{"X-API-KEY": API_KEY}) as api:
        response = await api.post("/api/v1/rooms", json={"roomName": "Meeting", **body})
        assert response.status_code == 201
        room: dict[str, str] = response.json()
        return room


def secret(room: dict[str, str], role: str) -> str:
    return parse_qs(urlsplit(room[f"{role}Url"]).query)["secret"][0]


async def token(live: LiveServer, room: dict[str, str], role: str, name: str) -> str:
    async with live.http() as http:
        body = {"roomId": room["roomId"], "secret": secret(room, role), "participantName": name}
        response = await http.post("/internal-api/v1/participants/token", json=body)
        assert response.status_code == 200, response.text
        value: str = response.json()["token"]
        return value


@dataclass
class Peer:
    """A signalling client that collects everything the server sends it."""

    client: SignallingClient
    token: str
    inbox: asyncio.Queue[ServerMessage] = field(default_factory=asyncio.Queue)
    seen: list[ServerMessage] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def identity(self) -> str:
        assert self.client.joined is not None
        return self.client.joined.you.identity

    def start(self) -> Peer:
        async def read() -> None:
            async for message in self.client.messages():
                self.seen.append(message)
                await self.inbox.put(message)

        self.reader = asyncio.create_task(read())
        return self

    async def expect(self, kind: str, timeout: float = 5.0, **fields: object) -> ServerMessage:
        """The next message of type ``kind`` (matching ``fields``), skipping others."""

        async def find() -> ServerMessage:
            while True:
                message = await self.inbox.get()
                if message.type == kind and all(getattr(message, k, None) == v for k, v in fields.items()):
                    return message

        return await asyncio.wait_for(find(), timeout)

    async def closed(self, timeout: float = 5.0) -> None:
        assert self.reader is not None
        await asyncio.wait_for(self.reader, timeout)


async def join(live: LiveServer, room: dict[str, str], role: str, name: str) -> Peer:
    value = await token(live, room, role, name)
    return Peer(await SignallingClient.connect(live.url, value), value).start()


async def api_as(live: LiveServer, participant_token: str) -> httpx.AsyncClient:
    return live.http(**{"X-Participant-Token": participant_token})


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for a condition on media counters (frames arrive on aiortc's schedule, not as events we own)."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - frame counters have no event to await
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


def frames_from(session: MeetingSession, identity: str, source: str = "camera") -> int:
    """Frames ``session`` received of ``identity``'s ``source`` track."""
    return sum(r.frames for r in session.remote.values() if r.identity == identity and r.source == source)


class SessionLog:
    """Every event of a session, from its creation on (start it before ``join``: one reader per session)."""

    def __init__(self, session: MeetingSession) -> None:
        self.events: list[SessionEvent] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._collect(session))

    async def _collect(self, session: MeetingSession) -> None:
        async for event in session.events():
            self.events.append(event)
            self._changed.set()

    @property
    def states(self) -> list[str]:
        return [e.state.value for e in self.events if isinstance(e, StateChanged)]

    async def next(self, match: Callable[[SessionEvent], bool], after: int = 0, timeout: float = 30.0) -> int:
        """The index of the first event from ``after`` on that ``match`` accepts, waiting for it if need be."""

        async def find() -> int:
            index = after
            while True:
                while index < len(self.events):
                    if match(self.events[index]):
                        return index
                    index += 1
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def state(self, state: SessionState, after: int = 0, timeout: float = 30.0) -> int:
        return await self.next(lambda e: isinstance(e, StateChanged) and e.state is state, after, timeout)

    def close(self) -> None:
        self._task.cancel()

"""Helpers for meeting tests: rooms, participant tokens and signalling clients against a live server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from meetdesk.client.signalling import SignallingClient
from meetdesk.core.signalling import ServerMessage
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

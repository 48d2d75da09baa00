"""A kiosk driven by hand over the fleet API's own wire (enrol with the code, the ``kiosks/connect`` socket): the
tests of the admin app's Kiosks page send its heartbeats and read the commands the server passes on to it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

ENROL = "/internal-api/v1/kiosks/enrol"
CONNECT = "/internal-api/v1/kiosks/connect"


class WireKiosk:
    """One enrolled kiosk with its socket open. ``received`` holds every message the server sent down."""

    def __init__(self, base_url: str, credential: str, ws: ClientConnection) -> None:
        self.base_url = base_url
        self.credential = credential
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        #: the settings version it runs with (reported in heartbeats): the welcome's, until told otherwise
        self.settings_version = 0
        self._arrived = asyncio.Condition()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def enrol(cls, base_url: str, code: str) -> WireKiosk:
        async with httpx.AsyncClient(base_url=base_url) as http:
            answer = await http.post(ENROL, json={"code": code})
        assert answer.status_code == 200, answer.text
        return await cls.connect(base_url, answer.json()["credential"])

    @classmethod
    async def connect(cls, base_url: str, credential: str) -> WireKiosk:
        url = base_url.replace("http://", "ws://") + CONNECT
        ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {credential}"})
        kiosk = cls(base_url, credential, ws)
        kiosk.settings_version = (await kiosk.next_message("welcome"))["settingsVersion"]
        return kiosk

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                async with self._arrived:
                    self.received.append(json.loads(text))
                    self._arrived.notify_all()
        except websockets.ConnectionClosed:
            pass
        async with self._arrived:
            self._arrived.notify_all()

    async def next_message(self, kind: str, action: str | None = None, timeout: float = 20.0) -> dict[str, Any]:
        """The first message of ``kind`` (and ``action``) not taken yet; waits for it."""

        def found() -> dict[str, Any] | None:
            for message in self.received:
                if message.get("type") == kind and (action is None or message.get("action") == action):
                    self.received.remove(message)
                    return message
            return None

        async def wait() -> dict[str, Any]:
            async with self._arrived:
                while True:
                    message = found()
                    if message is not None:
                        return message
                    if self._reader.done():
                        raise AssertionError(f"the socket closed before a {kind} {action or ''} came")
                    await self._arrived.wait()

        return await asyncio.wait_for(wait(), timeout)

    async def beat(
        self,
        state: str = "home",
        *,
        camera: bool = True,
        microphone: bool = True,
        speaker: bool = True,
        version: str = "1.0.0",
        settings_version: int | None = None,
        available: dict[str, list[str]] | None = None,
    ) -> None:
        """``available``: the names listed for each kind of device (none listed when not given)."""
        listed = available or {}
        devices = {
            "camera": {"name": "Room Camera", "found": camera, "available": listed.get("camera", [])},
            "microphone": {"name": "Speakerphone", "found": microphone, "available": listed.get("microphone", [])},
            "speaker": {"name": "Speakerphone", "found": speaker, "available": listed.get("speaker", [])},
        }
        heartbeat = {
            "type": "heartbeat",
            "state": state,
            "devices": devices,
            "version": version,
            "uptimeSeconds": 12.0,
            "settingsVersion": self.settings_version if settings_version is None else settings_version,
        }
        await self.ws.send(json.dumps(heartbeat))

    async def send_logs(self, text: str) -> None:
        await self.ws.send(json.dumps({"type": "logs", "text": text}))

    async def closed(self, timeout: float = 20.0) -> int | None:
        """Wait for the server to close the socket; its close code."""
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)

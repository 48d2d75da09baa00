"""The admin client's fleet methods against canned answers: what each sends, what it parses the answer into,
and which error a failure is. (The same methods against a real server: tests/integration/test_kiosks_client.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError as PydanticValidationError

from meetdesk.client import kiosks as kiosks_module
from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import Conflict, NotFound, UnexpectedResponse, ValidationError
from meetdesk.client.kiosks import KioskLogsTimeout
from meetdesk.core.kiosks import Kiosk, KioskSettings

KIOSK = {
    "kioskId": "ksk_1",
    "name": "Board room",
    "roomId": "board",
    "roomName": "Board",
    "enrolled": False,
    "enrolmentCode": "K7QF-2MXD-9TRP",
    "enrolmentExpiresAt": 1_780_086_400_000,
    "online": False,
    "state": "unknown",
    "devices": {},
    "settings": {},
    "pendingSettings": False,
    "createdAt": 1_780_000_000_000,
}

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> MeetDeskClient:
    return MeetDeskClient("http://meet.test", api_key="key", transport=httpx.MockTransport(handler))


async def test_create_sends_name_room_and_every_setting_and_returns_the_code() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=KIOSK)

    async with _client(handler) as client:
        kiosk = await client.create_kiosk("Board room", "board", KioskSettings(volume=40, camera="MeetUp"))
    assert kiosk.enrolmentCode == "K7QF-2MXD-9TRP" and kiosk.state == "unknown"
    request = seen[0]
    assert (request.method, request.url.path) == ("POST", "/internal-api/v1/kiosks")
    body = json.loads(request.content)
    assert body["name"] == "Board room" and body["roomId"] == "board"
    assert body["settings"]["volume"] == 40 and body["settings"]["camera"] == "MeetUp"
    assert body["settings"]["microphone"] is None  # a setting cleared is sent as such, not left out


async def test_list_and_patch_parse_kiosks() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"kiosks": [KIOSK, {**KIOSK, "kioskId": "ksk_2", "online": True}]})
        body = json.loads(request.content)
        assert request.url.path == "/internal-api/v1/kiosks/ksk_1"
        return httpx.Response(200, json={**KIOSK, "name": body["name"], "pendingSettings": True})

    async with _client(handler) as client:
        listed = await client.list_kiosks()
        renamed = await client.update_kiosk("ksk_1", name="Lobby")
    assert [k.kioskId for k in listed] == ["ksk_1", "ksk_2"] and listed[1].online
    assert renamed.name == "Lobby" and renamed.pendingSettings


async def test_an_id_cannot_climb_out_of_the_route() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(204)

    async with _client(handler) as client:
        await client.delete_kiosk("../rooms")
        with pytest.raises(ValueError):
            await client.delete_kiosk("  ")
    assert paths == ["/internal-api/v1/kiosks/%2E%2E%2Frooms"]


async def test_an_answer_that_is_not_a_kiosk_is_an_unexpected_response() -> None:
    async with _client(lambda _request: httpx.Response(200, json={"kiosks": [{"name": "no id"}]})) as client:
        with pytest.raises(UnexpectedResponse):
            await client.list_kiosks()


async def test_an_offline_kiosk_refuses_actions_with_the_servers_sentence() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"action": "restart"}
        return httpx.Response(409, json={"error": "Conflict", "message": "The kiosk is offline."})

    async with _client(handler) as client:
        with pytest.raises(Conflict) as caught:
            await client.kiosk_action("ksk_1", "restart")
    assert str(caught.value) == "The kiosk is offline."


async def test_bad_settings_come_back_with_the_field_named() -> None:
    error = {
        "error": "Unprocessable Entity",
        "message": "Invalid settings.",
        "details": [{"field": "settings.volume", "message": "Input should be less than or equal to 100"}],
    }
    async with _client(lambda _request: httpx.Response(422, json=error)) as client:
        with pytest.raises(ValidationError) as caught:
            await client.update_kiosk("ksk_1", settings={"volume": 300})
    assert caught.value.details[0].field == "settings.volume"


async def test_logs_none_yet_versus_an_unknown_kiosk() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/logs"):
            return httpx.Response(404, json={"error": "Not Found", "message": "No logs received yet."})
        if request.url.path.endswith("/ksk_1"):
            return httpx.Response(200, json=KIOSK)
        return httpx.Response(404, json={"error": "Not Found", "message": "No such kiosk."})

    async with _client(handler) as client:
        assert await client.kiosk_logs("ksk_1") is None
        with pytest.raises(NotFound):
            await client.kiosk_logs("ksk_gone")


async def test_fetching_logs_waits_for_newer_ones_than_were_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kiosks_module, "LOGS_POLL_S", 0)
    reads = {"n": 0}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            asked.append(request.url.path)
            return httpx.Response(202)
        reads["n"] += 1
        # the old logs at first (twice: before the asking, and once after), then the kiosk's new ones
        logs: dict[str, Any] = (
            {"receivedAt": 1000, "text": "old"} if reads["n"] <= 2 else {"receivedAt": 2000, "text": "new"}
        )
        return httpx.Response(200, json=logs)

    async with _client(handler) as client:
        logs = await client.fetch_kiosk_logs("ksk_1")
    assert logs.text == "new" and asked == ["/internal-api/v1/kiosks/ksk_1/logs"]


async def test_fetching_logs_a_kiosk_never_sends_ends_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kiosks_module, "LOGS_POLL_S", 0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202)
        if request.url.path.endswith("/logs"):
            return httpx.Response(404, json={"error": "Not Found", "message": "No logs received yet."})
        return httpx.Response(200, json=KIOSK)

    async with _client(handler) as client:
        with pytest.raises(KioskLogsTimeout) as caught:
            await client.fetch_kiosk_logs("ksk_1", timeout=0)
    assert str(caught.value).endswith(". Try again.")


HEARTBEATING = {
    **KIOSK,
    "enrolled": True,
    "enrolmentCode": None,
    "online": True,
    "state": "meeting",
    "devices": {
        "camera": {"name": "Logitech MeetUp", "found": False},
        "microphone": {"name": "Jabra Speak 710", "found": True},
        "speaker": {"name": None, "found": True},
    },
    "version": "0.9.0",
    "uptimeSeconds": 3600,
    "lastSeenAt": 1_780_000_000_000,
    "settings": {"joinPolicy": "one-touch", "leaveWhenAloneMinutes": None, "maintenanceHour": 3, "volume": 60},
    "pendingSettings": True,
    "somethingNewer": {"ignored": True},
}


def test_a_heartbeating_kiosk_parses_with_its_devices_and_settings() -> None:
    kiosk = Kiosk.model_validate(HEARTBEATING)
    assert kiosk.state == "meeting" and kiosk.online
    assert kiosk.devices.camera.name == "Logitech MeetUp" and not kiosk.devices.camera.found
    assert kiosk.devices.speaker.name is None and kiosk.devices.speaker.found
    assert kiosk.settings.joinPolicy == "one-touch" and kiosk.settings.leaveWhenAloneMinutes is None
    assert kiosk.settings.maintenanceHour == 3 and kiosk.pendingSettings


@pytest.mark.parametrize(
    "settings",
    [
        {"maintenanceHour": 24},
        {"volume": 101},
        {"joinPolicy": "sometimes"},
        {"displayName": "   "},
        {"camera": "c" * 201},
    ],
)
def test_settings_out_of_range_are_refused_before_sending(settings: dict[str, object]) -> None:
    with pytest.raises(PydanticValidationError) as caught:
        KioskSettings.model_validate(settings)
    assert caught.value.errors()[0]["loc"][0] == next(iter(settings))

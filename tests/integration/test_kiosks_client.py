"""The admin client's fleet methods (``MeetDeskClient.create_kiosk`` …) against a real server process: what each
returns as typed models and which of the client's errors a refusal is, with a kiosk played over the fleet wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import Conflict, NotFound, Unauthorized, ValidationError
from meetdesk.core.events import KioskRemoved, KioskUpdated, Subscribed
from meetdesk.core.kiosks import KioskSettings
from tests.conftest import API_KEY, ServerProcess
from tests.integration.kiosk_wire import WireKiosk

pytestmark = pytest.mark.slow

WAIT_S = 30.0


@pytest.fixture
async def client(server_process: ServerProcess) -> AsyncIterator[MeetDeskClient]:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as api:
        yield api


async def test_add_push_settings_act_read_logs_re_enrol_and_remove(client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Board room"})
    kiosk = await client.create_kiosk("Board room PC", room.roomId, KioskSettings(volume=40, maintenanceHour=2))
    assert kiosk.enrolmentCode and not kiosk.enrolled and not kiosk.online
    assert kiosk.roomName == "Board room" and kiosk.settings.volume == 40 and kiosk.settings.maintenanceHour == 2
    assert [k.kioskId for k in await client.list_kiosks()] == [kiosk.kioskId]

    # offline: actions and logs are refused with the server's sentence; there are no logs yet
    with pytest.raises(Conflict) as refused:
        await client.kiosk_action(kiosk.kioskId, "join")
    assert str(refused.value) == "The kiosk is offline."
    assert await client.kiosk_logs(kiosk.kioskId) is None

    wire = await WireKiosk.enrol(client.base_url, kiosk.enrolmentCode)
    await wire.beat("home", camera=False)
    for _ in range(200):  # the heartbeat is stored on the server's side of a socket: no answer says when
        seen = await client.get_kiosk(kiosk.kioskId)
        if seen.online:
            break
        await asyncio.sleep(0.05)
    assert seen.enrolled and seen.state == "home" and not seen.devices.camera.found

    accepted = await client.kiosk_action(kiosk.kioskId, "restart")
    assert accepted.action == "restart" and accepted.sentAt > 0
    await wire.next_message("command", "restart")

    renamed = await client.update_kiosk(kiosk.kioskId, name="Board room, east", settings={"volume": 70})
    assert renamed.name == "Board room, east" and renamed.settings.volume == 70 and renamed.pendingSettings
    assert (await wire.next_message("settings"))["settings"]["volume"] == 70

    async def kiosk_answers() -> None:
        await wire.next_message("command", "sendLogs")
        await wire.send_logs("started\njoined\n")

    answering = asyncio.ensure_future(kiosk_answers())
    logs = await client.fetch_kiosk_logs(kiosk.kioskId, timeout=WAIT_S)
    await answering
    assert logs.text == "started\njoined\n"

    fresh = await client.reenrol_kiosk(kiosk.kioskId)
    assert fresh.enrolmentCode and fresh.enrolmentCode != kiosk.enrolmentCode
    await wire.closed()

    await client.delete_kiosk(kiosk.kioskId)
    assert await client.list_kiosks() == []
    with pytest.raises(NotFound):
        await client.get_kiosk(kiosk.kioskId)
    with pytest.raises(NotFound):
        await client.kiosk_logs(kiosk.kioskId)


async def test_bad_input_comes_back_as_the_clients_errors(client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Board room"})
    with pytest.raises(ValidationError) as bad:
        await client.create_kiosk("Board room PC", room.roomId, {"volume": 300})
    assert any(detail.field.endswith("volume") for detail in bad.value.details)
    with pytest.raises(ValidationError) as blank:
        await client.create_kiosk("   ", room.roomId)
    assert any(detail.field.endswith("name") for detail in blank.value.details)
    async with MeetDeskClient(client.base_url, api_key="not-the-key") as stranger:
        with pytest.raises(Unauthorized):
            await stranger.list_kiosks()


async def test_kiosk_events_reach_the_clients_event_stream(client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Board room"})
    events = client.events()
    try:
        assert isinstance(await asyncio.wait_for(anext(events), WAIT_S), Subscribed)
        kiosk = await client.create_kiosk("Board room PC", room.roomId)
        added = await asyncio.wait_for(anext(events), WAIT_S)
        assert isinstance(added, KioskUpdated) and added.kiosk.kioskId == kiosk.kioskId
        await client.delete_kiosk(kiosk.kioskId)
        removed = await asyncio.wait_for(anext(events), WAIT_S)
        assert isinstance(removed, KioskRemoved) and removed.kioskId == kiosk.kioskId
    finally:
        await events.aclose()

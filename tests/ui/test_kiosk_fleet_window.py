"""An enrolled kiosk window (configured with a server and a one-time code, no room link), offscreen, against a real
server process: it enrols, takes its name and room from the server, joins by itself, applies settings pushed while
idle at once and those pushed during a meeting after it, and once removed shows a page saying so (out of the
meeting); a refused code gets a page saying what to do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.kiosk.config import parse_config
from meetdesk.kiosk.health import read_heartbeat
from meetdesk.kiosk.pin import hash_pin
from meetdesk.ui.kiosk.window import KioskWindow
from tests.conftest import ServerProcess
from tests.ui.helpers import emitted, shoot

pytestmark = pytest.mark.slow


@pytest.fixture
async def kiosks(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[Callable[..., KioskWindow]]:
    """Makes enrolled kiosk windows (a test ends with ``await window.shutdown()`` in its own body)."""
    made: list[KioskWindow] = []

    def make(server: str, code: str) -> KioskWindow:
        config = parse_config(
            {"server": server, "enrolment_code": code, "synthetic_devices": True, "admin_pin_hash": hash_pin("2468")}
        )
        state = tmp_path / f"state{len(made)}"
        state.mkdir()
        window = KioskWindow(config, state, source_id=12)
        assert window.fleet is not None
        window.fleet.credentials.secrets._backend = None  # no keyring in a test: the 0600 file
        made.append(window)
        return window

    yield make
    for window in made:
        window.unlocked = True
        window.close()
        window.deleteLater()


async def reach(window: KioskWindow, stage: str, timeout: float = 60.0) -> None:
    """Wait on the window's stage changes until it is in ``stage``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while window.stage.value != stage:
        left = deadline - loop.time()
        assert left > 0, f"the kiosk never reached {stage} (it is {window.stage.value})"
        try:
            await asyncio.wait_for(emitted(window.stageChanged), left)
        except TimeoutError:
            continue


async def pending(client: MeetDeskClient, kiosk_id: str, value: bool) -> None:
    """Polled: the server learns it from the kiosk's next heartbeat, and this test holds no events socket."""
    for _ in range(600):
        if (await client.get_kiosk(kiosk_id)).pendingSettings is value:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"pendingSettings never became {value}")


async def test_an_enrolled_kiosk_follows_its_server(
    server_process: ServerProcess, client: MeetDeskClient, kiosks: Callable[..., KioskWindow], qtbot: QtBot
) -> None:
    room = await client.create_room({"roomName": "Board room 4.12"})
    kiosk = await client.create_kiosk("Board room PC", room.roomId, {"displayName": "Board room"})
    assert kiosk.enrolmentCode is not None
    window = kiosks(server_process.url, kiosk.enrolmentCode)
    try:
        window.start()
        await reach(window, "meeting")
        assert window.config is not None and window.config.display_name == "Board room"
        assert window.home.room.text() == "Board room 4.12"  # its room, named by the server

        await client.kiosk_action(kiosk.kioskId, "leave")
        await reach(window, "home")
        settings = {"leaveWhenAloneMinutes": 3, "camera": "Test pattern 2", "volume": 30}
        await client.update_kiosk(kiosk.kioskId, settings=settings)
        await pending(client, kiosk.kioskId, False)  # idle: applied at once
        assert (window.config.leave_when_alone_s, window.config.camera) == (180, "Test pattern 2")
        assert window.meeting.volume.volume == 30
        assert window.home.room.text() == "Board room 4.12"

        await client.kiosk_action(kiosk.kioskId, "join")
        await reach(window, "meeting")
        await client.update_kiosk(kiosk.kioskId, settings={"maintenanceHour": 4})
        await pending(client, kiosk.kioskId, True)
        assert window.config.maintenance_hour is None  # not during the meeting
        await client.kiosk_action(kiosk.kioskId, "leave")
        await reach(window, "home")
        assert window.config.maintenance_hour == 4  # after it
        assert window.home.room.text() == "Board room 4.12"  # still its room's name, not the kiosk's
        await pending(client, kiosk.kioskId, False)

        await client.kiosk_action(kiosk.kioskId, "join")
        await reach(window, "meeting")
        assert window.fleet is not None
        removed = emitted(window.fleet.removed)
        await client.delete_kiosk(kiosk.kioskId)
        await asyncio.wait_for(removed, 60)
        assert window.pages.currentWidget() is window.problem_page
        assert window.problem_page.title.text() == "This kiosk was removed from the server"
        assert "Kiosks page" in window.problem_page.hint.text()
        shoot(window, "kiosk-removed")
        for _ in range(600):  # polled: the meeting page has no signal for its session's end
            if not window.meeting.in_meeting:
                break
            await asyncio.sleep(0.1)
        assert not window.meeting.in_meeting
        beat = read_heartbeat(window.state_dir)
        assert beat is not None and beat.stage == "removed"
    finally:
        await window.shutdown()


async def test_a_refused_code_gets_a_page_saying_what_to_do(
    server_process: ServerProcess, kiosks: Callable[..., KioskWindow], qtbot: QtBot
) -> None:
    window = kiosks(server_process.url, "AAAA-BBBB-CCCC")
    assert window.fleet is not None
    try:
        failed = emitted(window.fleet.enrolmentFailed)
        window.start()
        await asyncio.wait_for(failed, 60)
        assert window.pages.currentWidget() is window.problem_page
        assert window.problem_page.title.text() == "This kiosk could not be enrolled"
        message = window.problem_page.field.text()
        assert message.startswith("The server refused the enrolment code") and message.endswith(".")
        assert window.stage.value == "home"  # never tried to join
        shoot(window, "kiosk-not-enrolled")
    finally:
        await window.shutdown()

"""The admin app's Kiosks page against a real server process, with kiosks driven over the fleet API's own wire
(enrolled with the code the page shows, heartbeats sent on the kiosk socket): adding a kiosk shows its code and a
QR code of the command; heartbeats show it online with its state and devices, live; silence shows it offline
without a Refresh; remote join / leave / restart, settings, logs, re-enrolment and removal reach the kiosk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.kiosks import Kiosk, KioskSettings
from meetdesk.core.models import MeetRoom
from meetdesk.ui.admin.kiosks_enrol import QR_BORDER, QR_SCALE, AddKioskDialog, EnrolmentDialog, enrol_command
from meetdesk.ui.admin.kiosks_logs import KioskLogsDialog
from meetdesk.ui.admin.kiosks_model import (
    COL_DEVICES,
    COL_LAST_SEEN,
    COL_NAME,
    COL_STATE,
    COL_STATUS,
    COL_VERSION,
)
from meetdesk.ui.admin.kiosks_page import KiosksPage
from meetdesk.ui.admin.kiosks_settings import KioskSettingsDialog
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.servers import ServerProfile
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.kiosk_wire import WireKiosk
from tests.ui.helpers import emitted, quiet_window, shoot
from tests.ui.test_main_window import window

__all__ = ["window"]  # fixtures

pytestmark = pytest.mark.slow

#: a generous deadline on a loaded machine, not a speed the tests assert
DEADLINE = 30.0


@pytest.fixture
def page(qtbot: QtBot) -> Iterator[KiosksPage]:
    page = KiosksPage()
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    yield page
    page.live.stop()


@pytest.fixture
async def room(client: MeetDeskClient) -> MeetRoom:
    return await client.create_room({"roomName": "Board room"})


async def shown(page: KiosksPage, client: MeetDeskClient) -> None:
    """The page on ``client``'s server, its list read and its events socket open."""
    live = emitted(page.live.liveChanged)
    loaded = emitted(page.model.loaded)
    page.set_client(client)
    await asyncio.wait_for(loaded, DEADLINE)
    if not page.live.live:
        await asyncio.wait_for(live, DEADLINE)


def source_row(page: KiosksPage, kiosk_id: str) -> int:
    row = page.model.row_of(kiosk_id)
    assert row is not None, "the kiosk is not in the table"
    return row


def cell(page: KiosksPage, kiosk_id: str, column: int) -> str:
    return str(page.model.index(source_row(page, kiosk_id), column).data())


async def until_row(page: KiosksPage, kiosk_id: str, column: int, text: str) -> None:
    """Wait on the model's change signals until the row says ``text`` in ``column``."""
    while page.model.row_of(kiosk_id) is None or cell(page, kiosk_id, column) != text:
        await asyncio.wait_for(emitted(page.model.kioskChanged), DEADLINE)


async def online_kiosk(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom, name: str = "Board room PC"
) -> tuple[Kiosk, WireKiosk]:
    kiosk = await client.create_kiosk(name, room.roomId)
    assert kiosk.enrolmentCode is not None
    wire = await WireKiosk.enrol(client.base_url, kiosk.enrolmentCode)
    await wire.beat("home")
    await until_row(page, kiosk.kioskId, COL_STATUS, "Online")
    page.select(kiosk.kioskId)
    return kiosk, wire


async def test_no_kiosks_is_said_in_words(page: KiosksPage, client: MeetDeskClient) -> None:
    assert page.empty.text() == "Connect to a server to see its kiosks."
    await shown(page, client)
    assert page.stack.currentWidget() is page.empty
    assert page.empty.text() == "No kiosks yet. Add one to let a meeting-room PC join its room by itself."
    shoot(page, "kiosks-empty")


async def test_adding_a_kiosk_shows_a_code_that_enrols_it_and_a_qr_code_of_the_command(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await client.create_room({"roomName": "Lobby"})
    await shown(page, client)
    dialog = page.open_add_dialog()
    assert isinstance(dialog, AddKioskDialog)
    assert dialog.rooms_loaded is not None
    await asyncio.wait_for(dialog.rooms_loaded, DEADLINE)
    assert [dialog.room_combo.itemText(i) for i in range(dialog.room_combo.count())] == ["Board room", "Lobby"]
    dialog.name_edit.setText("Board room PC")
    dialog.choose_room(room.roomId)
    assert await dialog.submit()

    enrolment = page.dialog
    assert isinstance(enrolment, EnrolmentDialog) and enrolment.isVisible()
    code = enrolment.code_label.text()
    assert len(code.replace("-", "")) >= 8
    assert enrolment.command == enrol_command(client.base_url, code)
    assert enrolment.command_edit.text() == enrolment.command
    # the QR code's modules are the command's, black on white with its quiet zone
    matrix = segno.make(enrolment.command, error="m").matrix
    image = enrolment.qr_label.pixmap().toImage()
    assert image.width() == (len(matrix) + 2 * QR_BORDER) * QR_SCALE
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            pixel = QColor(image.pixel((x + QR_BORDER) * QR_SCALE + 1, (y + QR_BORDER) * QR_SCALE + 1))
            assert pixel == (QColor("black") if dark else QColor("white")), (x, y)
    assert QColor(image.pixel(1, 1)) == QColor("white")
    enrolment.copy_button.click()
    assert QGuiApplication.clipboard().text() == enrolment.command
    shoot(enrolment, "kiosks-enrolment")

    # the table has it, waiting; the code shown is the one the server takes
    added = page.current()
    assert added is not None
    kiosk_id = added.kioskId
    assert cell(page, kiosk_id, COL_NAME) == "Board room PC"
    assert cell(page, kiosk_id, COL_STATUS) == "Waiting to be enrolled"
    wire = await WireKiosk.enrol(client.base_url, code)
    await wire.beat("home")
    await until_row(page, kiosk_id, COL_STATUS, "Online")
    await wire.close()


async def test_the_add_dialog_says_what_is_missing_next_to_the_field_and_adds_nothing(
    page: KiosksPage, client: MeetDeskClient
) -> None:
    await shown(page, client)
    dialog = page.open_add_dialog()
    assert dialog is not None and dialog.rooms_loaded is not None
    await asyncio.wait_for(dialog.rooms_loaded, DEADLINE)
    assert dialog.room_error.text() == "This server has no rooms yet. Add one on the Rooms page first."
    assert not await dialog.submit()
    assert dialog.name_error.isVisible()
    assert dialog.name_error.text() == "Type a name for the kiosk, such as the room it stands in."
    assert dialog.room_error.text() == "Choose the room whose meetings the kiosk joins."
    dialog.name_edit.setText("x" * 101)
    assert not await dialog.submit()
    assert dialog.name_error.text() == "A kiosk's name has at most 100 characters; this one has 101."
    assert dialog.isVisible()
    assert await client.list_kiosks() == []


async def test_heartbeats_show_online_state_devices_and_version_live(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await shown(page, client)
    kiosk, wire = await online_kiosk(page, client, room)
    assert cell(page, kiosk.kioskId, COL_STATE) == "On the home screen"
    assert cell(page, kiosk.kioskId, COL_DEVICES) == "All found"
    assert cell(page, kiosk.kioskId, COL_VERSION) == "1.0.0"
    assert cell(page, kiosk.kioskId, COL_LAST_SEEN).endswith(" s ago")
    await wire.beat("meeting", camera=False)
    await until_row(page, kiosk.kioskId, COL_STATE, "In the meeting")
    assert cell(page, kiosk.kioskId, COL_DEVICES) == "Camera missing"
    await wire.beat("reconnecting", camera=False, speaker=False, version="1.0.1")
    await until_row(page, kiosk.kioskId, COL_STATE, "Reconnecting…")
    assert cell(page, kiosk.kioskId, COL_DEVICES) == "Camera missing, Speaker missing"
    assert cell(page, kiosk.kioskId, COL_VERSION) == "1.0.1"
    shoot(page, "kiosks-online")
    await wire.close()


async def test_remote_join_leave_and_restart_reach_the_kiosk(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await shown(page, client)
    kiosk, wire = await online_kiosk(page, client, room)
    # on the home screen: nothing to leave
    assert not page.buttons["leave"].isEnabled()
    assert page.reason.text() == "“Board room PC” is on its home screen: there is no meeting to leave."
    said = emitted(page.actionDone)
    page.buttons["join"].click()
    assert await asyncio.wait_for(said, DEADLINE) == ("“Board room PC” was told to join its room's meeting.",)
    await wire.next_message("command", "join")

    await wire.beat("meeting")
    await until_row(page, kiosk.kioskId, COL_STATE, "In the meeting")
    assert not page.buttons["join"].isEnabled()
    # the row's context menu: the same actions, unavailable ones disabled
    row = page.proxy.mapFromSource(page.model.index(source_row(page, kiosk.kioskId), COL_NAME))
    page._context_menu(page.table.visualRect(row).center())
    items = {action.text(): action.isEnabled() for action in page.menu.actions() if not action.isSeparator()}
    assert items == {
        "Join now": False,
        "Leave": True,
        "Restart": True,
        "Edit settings…": True,
        "Fetch logs…": True,
        "Re-enrol…": True,
        "Remove…": True,
    }
    page.menu.close()
    said = emitted(page.actionDone)
    page.buttons["leave"].click()
    await asyncio.wait_for(said, DEADLINE)
    await wire.next_message("command", "leave")
    # on the home screen a restart goes at once; in a meeting it is asked first
    await wire.beat("home")
    await until_row(page, kiosk.kioskId, COL_STATE, "On the home screen")
    said = emitted(page.actionDone)
    page.actions["restart"].trigger()  # the context menu's action is the button's
    await asyncio.wait_for(said, DEADLINE)
    await wire.next_message("command", "restart")
    await wire.beat("meeting")
    await until_row(page, kiosk.kioskId, COL_STATE, "In the meeting")
    said = emitted(page.actionDone)
    page.buttons["restart"].click()
    box = page.dialog
    assert isinstance(box, QMessageBox) and box.text() == "Restart “Board room PC” during its meeting?"
    next(b for b in box.buttons() if b.text() == "Restart").click()
    await asyncio.wait_for(said, DEADLINE)
    await wire.next_message("command", "restart")
    assert page.outcome.text() == "“Board room PC” was told to restart; it is back in a few seconds."
    await wire.close()


async def test_settings_are_checked_next_to_their_field_then_pushed_to_the_kiosk(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await shown(page, client)
    kiosk, wire = await online_kiosk(page, client, room)
    dialog = page.open_settings_dialog()
    assert isinstance(dialog, KioskSettingsDialog)
    # the device the kiosk uses now, as a hint where none is chosen
    assert dialog.device_edits["camera"].currentText() == "The first camera found (now: Room Camera)"
    dialog.display_edit.setText("B" * 65)
    assert not await dialog.submit()
    assert dialog.errors["displayName"].text() == "The name in meetings has at most 64 characters."
    assert dialog.errors["displayName"].isVisible() and dialog.isVisible()
    assert (await client.get_kiosk(kiosk.kioskId)).settings.displayName == "Board room PC"  # nothing sent

    dialog.display_edit.setText("Board room")
    dialog.device_edits["camera"].setEditText("Logitech MeetUp")  # any name may be typed
    dialog.policy_combo.setCurrentIndex(dialog.policy_combo.findData("one-touch"))
    dialog.leave_check.setChecked(True)
    dialog.leave_minutes.setValue(25)
    dialog.maintenance_combo.setCurrentIndex(dialog.maintenance_combo.findData(3))
    dialog.volume_slider.setValue(35)
    shoot(dialog, "kiosks-settings")
    said = emitted(page.actionDone)
    assert await dialog.submit()
    await asyncio.wait_for(said, DEADLINE)
    pushed = (await wire.next_message("settings"))["settings"]
    assert pushed["displayName"] == "Board room" and pushed["camera"] == "Logitech MeetUp"
    assert pushed["joinPolicy"] == "one-touch" and pushed["leaveWhenAloneMinutes"] == 25
    assert pushed["maintenanceHour"] == 3 and pushed["volume"] == 35
    assert (await client.get_kiosk(kiosk.kioskId)).settings.volume == 35
    await wire.close()


async def test_the_settings_offer_the_devices_the_kiosk_has_and_mark_a_configured_one_it_lacks(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await shown(page, client)
    kiosk, wire = await online_kiosk(page, client, room)
    await client.update_kiosk(
        kiosk.kioskId, settings=KioskSettings(camera="Huddly IQ", microphone="speakerphone")
    )  # the kiosk never had a Huddly; its speakerphone is named with other capitals
    await wire.next_message("settings")
    listed = {
        "camera": ["Room Camera", "Integrated Webcam"],
        "microphone": ["Speakerphone", "Built-in Microphone"],
        "speaker": ["Speakerphone", "HDMI 1"],
    }
    while page.current() is None or page.current().devices.camera.available != tuple(listed["camera"]):
        changed = emitted(page.model.kioskChanged)
        await wire.beat("home", available=listed)
        await asyncio.wait_for(changed, DEADLINE)
    dialog = page.open_settings_dialog()
    assert isinstance(dialog, KioskSettingsDialog)
    camera, microphone, speaker = (dialog.device_edits[kind] for kind in ("camera", "microphone", "speaker"))
    items = [camera.itemText(i) for i in range(camera.count())]
    assert items == [
        "The first camera found (now: Room Camera)",
        "Room Camera",
        "Integrated Webcam",
        "Huddly IQ (not connected)",
    ]
    assert camera.currentText() == "Huddly IQ (not connected)" and camera.isEditable()
    assert microphone.currentText() == "speakerphone" and microphone.name() == "speakerphone"
    assert speaker.currentText() == "The first speaker found (now: Speakerphone)" and speaker.name() is None
    shoot(dialog, "kiosks-settings-devices")
    # kept as it is, the configured name is sent back (not the words around it); a listed one, or a typed one
    assert dialog.settings_body()["camera"] == "Huddly IQ"
    camera.setCurrentIndex(camera.findText("Integrated Webcam"))
    speaker.setEditText("USB Speaker (not plugged in yet)")
    said = emitted(page.actionDone)
    assert await dialog.submit()
    await asyncio.wait_for(said, DEADLINE)
    pushed = (await wire.next_message("settings"))["settings"]
    assert (pushed["camera"], pushed["microphone"]) == ("Integrated Webcam", "speakerphone")
    assert pushed["speaker"] == "USB Speaker (not plugged in yet)"
    # a long name is shortened where it is marked, so that the mark shows; the whole name is what is sent
    long_name = "Poly Studio X30 conference bar (USB audio, front speakers)"
    await client.update_kiosk(kiosk.kioskId, settings=KioskSettings(speaker=long_name))
    other = KioskSettingsDialog(client, await client.get_kiosk(kiosk.kioskId), page)
    assert other.device_edits["speaker"].currentText() == "Poly Studio X30 conference… (not connected)"
    assert other.device_edits["speaker"].name() == long_name
    other.close()
    await wire.close()


async def test_fetched_logs_are_shown_read_only_copied_and_saved(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom, tmp_path: Path
) -> None:
    await shown(page, client)
    _kiosk, wire = await online_kiosk(page, client, room)
    dialog = page.open_logs_dialog()
    assert isinstance(dialog, KioskLogsDialog)
    assert dialog.status.text() == "Asking the kiosk for its recent logs…"
    done = emitted(dialog.loadFinished)
    await wire.next_message("command", "sendLogs")
    await wire.send_logs("09:00:01 kiosk started\n09:00:02 joined Board room\n")
    await asyncio.wait_for(done, DEADLINE)
    assert dialog.text.isReadOnly()
    assert dialog.text.toPlainText() == "09:00:01 kiosk started\n09:00:02 joined Board room\n"
    assert dialog.status.text().startswith("2 lines received at ")
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.text.toPlainText()
    assert dialog.save(tmp_path / "board.log")
    assert (tmp_path / "board.log").read_text() == dialog.text.toPlainText()
    assert not dialog.save(tmp_path / "missing-folder" / "board.log")
    assert dialog.status.text().startswith(f"The logs were not saved to {tmp_path / 'missing-folder' / 'board.log'}:")
    shoot(dialog, "kiosks-logs")
    await wire.close()


async def test_removing_asks_first_then_the_kiosk_is_refused_and_gone(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await shown(page, client)
    kiosk, wire = await online_kiosk(page, client, room)
    settings = page.open_settings_dialog()  # left open while the kiosk goes
    assert settings is not None
    box = page.confirm_remove()
    assert box is not None and box.text() == "Remove the kiosk “Board room PC”?"
    gone = emitted(page.model.rowsRemoved)
    next(b for b in box.buttons() if b.text() == "Remove").click()
    await asyncio.wait_for(gone, DEADLINE)
    assert page.model.row_of(kiosk.kioskId) is None
    assert page.empty.text() == "No kiosks yet. Add one to let a meeting-room PC join its room by itself."
    assert await client.list_kiosks() == []
    await wire.closed()
    # the form of a kiosk removed meanwhile: the server's words about the kiosk, not about a room
    assert not await settings.submit()
    assert settings.error.text().startswith("The settings were not saved. Kiosk ")
    assert settings.error.text().endswith(".") and "room" not in settings.error.text()


async def test_re_enrolling_shows_a_new_code_and_voids_the_old_credential(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom
) -> None:
    await shown(page, client)
    kiosk, wire = await online_kiosk(page, client, room)
    box = page.confirm_reenrol()
    assert isinstance(box, QMessageBox)
    opened = emitted(page.actionDone)
    next(b for b in box.buttons() if b.text() == "Re-enrol").click()
    assert await asyncio.wait_for(opened, DEADLINE) == ("“Board room PC” has a new enrolment code.",)
    enrolment = page.dialog
    assert isinstance(enrolment, EnrolmentDialog)
    assert enrolment.code_label.text() and enrolment.code_label.text() != kiosk.enrolmentCode
    await wire.closed()
    again = await WireKiosk.enrol(client.base_url, enrolment.code_label.text())
    await again.close()


# offline ------------------------------------------------------------------------------------------------------


@pytest.fixture
def quick_offline_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that counts a kiosk offline after 3 s of silence (60 s in production) and checks every 0.5 s."""
    proc = ServerProcess(
        tmp_path / "quick",
        free_port(),
        extra_env={"MEETDESK_KIOSK_OFFLINE_AFTER": "3", "MEETDESK_KIOSK_SWEEP_INTERVAL": "0.5"},
    )
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
async def quick_client(quick_offline_server: ServerProcess) -> AsyncIterator[MeetDeskClient]:
    async with MeetDeskClient(quick_offline_server.url, api_key=API_KEY) as api:
        yield api


async def test_a_silent_kiosk_shows_offline_without_refresh_and_its_actions_say_why(
    page: KiosksPage, quick_client: MeetDeskClient
) -> None:
    room = await quick_client.create_room({"roomName": "Board room"})
    await shown(page, quick_client)
    kiosk, wire = await online_kiosk(page, quick_client, room)
    stale = page.current()
    assert stale is not None and stale.online
    # its logs, once while online
    dialog = page.open_logs_dialog()
    assert isinstance(dialog, KioskLogsDialog)
    done = emitted(dialog.loadFinished)
    await wire.next_message("command", "sendLogs")
    await wire.send_logs("09:00:01 kiosk started\n")
    await asyncio.wait_for(done, DEADLINE)
    dialog.close()
    await wire.close()  # no more heartbeats
    await until_row(page, kiosk.kioskId, COL_STATUS, "Offline")
    index = page.model.index(source_row(page, kiosk.kioskId), COL_STATUS)
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None  # the icon's shape says it too
    for key in ("join", "leave", "restart"):
        assert not page.buttons[key].isEnabled()
    assert page.buttons["settings"].isEnabled() and page.buttons["remove"].isEnabled()
    assert page.reason.text() == "“Board room PC” is offline: Join now, Leave and Restart need it online."
    # the logs it sent while online can still be read: the server keeps them
    assert page.buttons["logs"].isEnabled()
    dialog = page.open_logs_dialog()
    assert isinstance(dialog, KioskLogsDialog)
    done = emitted(dialog.loadFinished)
    await asyncio.wait_for(done, DEADLINE)
    assert dialog.text.toPlainText() == "09:00:01 kiosk started\n" and dialog.copy_button.isEnabled()
    assert dialog.status.text().startswith("No new logs came from the kiosk. The kiosk is offline. These are the ")
    shoot(dialog, "kiosks-logs-offline")
    dialog.close()
    shoot(page, "kiosks-offline")
    # an action sent on what the page showed before it knew: the server's refusal, in words
    assert not await page.send_action(stale, "join")
    assert page.outcome.text() == "Nothing was sent to “Board room PC”. The kiosk is offline."


async def test_the_main_window_has_a_kiosks_page_next_to_rooms_and_recordings(
    window: MainWindow, client: MeetDeskClient, room: MeetRoom, server_process: ServerProcess
) -> None:
    await client.create_kiosk("Board room PC", room.roomId)
    pages = [window.nav.item(row).text() for row in range(window.nav.count())]
    assert pages[:4] == ["Rooms", "Appearance", "Recordings", "Kiosks"]
    loaded = emitted(window.kiosks_page.model.loaded)
    assert await window.open_server(ServerProfile(name="Office", url=server_process.url, auth="api_key"), API_KEY)
    assert not window.kiosks_page.live.following  # a page not on screen holds no socket
    window.nav.setCurrentRow(pages.index("Kiosks"))
    assert window.pages.currentWidget() is window.kiosks_page
    assert window.kiosks_page.live.following
    await asyncio.wait_for(loaded, DEADLINE)
    assert [k.name for k in window.kiosks_page.model.kiosks] == ["Board room PC"]
    if not window.kiosks_page.live.live:
        await asyncio.wait_for(emitted(window.kiosks_page.live.liveChanged), DEADLINE)
    window.nav.setCurrentRow(pages.index("Rooms"))
    assert not window.kiosks_page.live.following
    # shown again: read again (what changed meanwhile was not heard)
    await client.create_kiosk("Lobby screen", room.roomId)
    loaded = emitted(window.kiosks_page.model.loaded)
    window.nav.setCurrentRow(pages.index("Kiosks"))
    await asyncio.wait_for(loaded, DEADLINE)
    assert [k.name for k in window.kiosks_page.model.kiosks] == ["Board room PC", "Lobby screen"]
    await quiet_window(window)


async def test_a_server_gone_keeps_the_rows_and_says_they_may_be_out_of_date(
    page: KiosksPage, client: MeetDeskClient, room: MeetRoom, server_process: ServerProcess
) -> None:
    await client.create_kiosk("Board room PC", room.roomId)
    await shown(page, client)
    failed = emitted(page.model.errorChanged)
    server_process.stop()
    await asyncio.wait_for(failed, DEADLINE)  # the events socket dropped and the list could not be read again
    assert page.model.rowCount() == 1 and page.stack.currentWidget() is page.table
    assert page.stale.isVisible()
    assert page.stale.text().startswith(
        f"The kiosks could not be read again. Cannot reach the server at {client.base_url}."
    )
    assert page.stale.text().endswith("What is shown may be out of date.")

"""The main window against a real server: connecting with an API key or a password, the sign-in dialog,
the banner when the server goes away and the recovery when it comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.ui.admin.connect_dialog import ConnectDialog
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.servers import ServerList, ServerProfile
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess
from tests.ui.conftest import wait_until
from tests.ui.helpers import quiet_window

pytestmark = pytest.mark.slow


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    store = CredentialStore(tmp_path / "config", use_keyring=False)
    connection = AdminConnection(
        ServerList.load(tmp_path / "config" / "servers.json"), store, EmbeddedServer(tmp_path / "embedded", store)
    )
    settings = QSettings(str(tmp_path / "config" / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(connection, settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    await connection.close()


def open_dialog() -> ConnectDialog:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectDialog) and w.isVisible()]
    assert len(dialogs) == 1, "expected one sign-in dialog on screen"
    return dialogs[0]


async def test_api_key_server_shows_rooms_then_banner_when_down_and_recovers(
    window: MainWindow, server_process: ServerProcess, tmp_path: Path
) -> None:
    profile = ServerProfile(name="Office", url=server_process.url, auth="api_key")
    assert await window.open_server(profile, API_KEY)
    assert window.server_state.text() == "Connected"
    assert window.rooms_page.model.loaded_once
    # remembered: the next start opens this server, and its key is in the store, not in the list
    servers = ServerList.load(tmp_path / "config" / "servers.json")
    assert servers.last == server_process.url
    assert API_KEY not in (tmp_path / "config" / "servers.json").read_text()

    server_process.stop()
    window.rooms_page.refresh_button.click()
    await wait_until(lambda: window.banner.isVisible(), what="the banner")
    assert "Cannot reach the server at " + server_process.url in window.banner.text.text()
    assert window.banner.retry_button.isVisible()

    server_process.start()
    assert await window.banner.retry()
    assert not window.banner.isVisible()
    assert window.rooms_page.model.loaded_once
    await quiet_window(window)


async def test_a_server_without_a_saved_secret_asks_for_it_and_keeps_what_was_typed(
    window: MainWindow, server_process: ServerProcess
) -> None:
    profile = ServerProfile(name="Office", url=server_process.url, auth="password", username=ADMIN_USER)
    assert not await window.open_server(profile)
    dialog = open_dialog()
    assert dialog.ui.urlEdit.text() == server_process.url

    dialog.ui.secretEdit.setText("not-the-password")
    dialog.submit()
    await wait_until(lambda: dialog.ui.secretError.isVisible(), what="the refusal next to the password")
    assert "refused" in dialog.ui.secretError.text()
    assert dialog.isVisible() and dialog.ui.urlEdit.text() == server_process.url

    dialog.ui.secretEdit.setText(ADMIN_PASSWORD)
    dialog.submit()
    await wait_until(lambda: not dialog.isVisible() and window.rooms_page.model.loaded_once, what="connected")
    assert window.connection.client is not None and window.connection.client.credentials.access_token
    # the password was saved: reconnecting needs no dialog
    assert window.connection.credentials.get(server_process.url, ADMIN_USER) == ADMIN_PASSWORD


async def test_the_connect_dialog_checks_the_address_before_sending(window: MainWindow) -> None:
    window._ask_sign_in(None, None)
    dialog = open_dialog()
    dialog.ui.urlEdit.setText("   ")
    assert dialog.request() is None
    assert dialog.ui.urlError.isVisible() and dialog.ui.secretError.isVisible()
    dialog.ui.urlEdit.setText("meet.example.com:6080")
    dialog.ui.secretEdit.setText("x")
    request = dialog.request()
    assert request is not None
    assert request[0].url == "http://meet.example.com:6080"
    dialog.reject()


async def test_an_unreachable_server_is_reported_next_to_its_address(window: MainWindow) -> None:
    window._ask_sign_in(None, None)
    dialog = open_dialog()
    dialog.ui.urlEdit.setText("http://127.0.0.1:9")  # discard port: nothing listens
    dialog.ui.secretEdit.setText("whatever")
    dialog.submit()
    await wait_until(lambda: dialog.ui.urlError.isVisible(), what="the address error")
    assert "Cannot reach the server at http://127.0.0.1:9" in dialog.ui.urlError.text()
    assert dialog.isVisible()
    dialog.reject()


async def test_an_expired_sign_in_is_renewed_by_retry_without_a_dialog(
    window: MainWindow, server_process: ServerProcess
) -> None:
    profile = ServerProfile(name="Office", url=server_process.url, auth="password", username=ADMIN_USER)
    assert await window.open_server(profile, ADMIN_PASSWORD)
    client = window.connection.client
    assert client is not None
    # both tokens no longer valid, as after a long sleep of the laptop
    client.credentials.access_token = client.credentials.refresh_token = "expired-" + "x" * 40
    window.rooms_page.refresh_button.click()
    await wait_until(lambda: window.banner.isVisible(), what="the banner")
    assert "no longer accepts your sign-in" in window.banner.text.text()
    assert await window.banner.retry()  # signs in again with the saved password
    assert not window.banner.isVisible()
    assert (
        window.connection.client is not None
        and window.connection.client.credentials.access_token != client.credentials.access_token
    )
    assert window.rooms_page.model.loaded_once


async def test_join_from_the_rooms_page_and_with_a_pasted_link_open_the_meeting_window(
    window: MainWindow, server_process: ServerProcess
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from meetdesk.client.api import MeetDeskClient

    async with MeetDeskClient(server_process.url, api_key=API_KEY) as api:
        room = await api.create_room({"roomName": "Board room"})
    assert await window.open_server(ServerProfile(name="Office", url=server_process.url, auth="api_key"), API_KEY)
    window.rooms_page.table.selectRow(0)
    window.rooms_page.act_join.trigger()
    assert len(window.participant_windows) == 1
    meeting = next(iter(window.participant_windows))
    await wait_until(lambda: meeting.stage == "join", what="the join view")
    assert meeting.join_page.title.text() == "Board room"
    assert "moderator" in meeting.join_page.role.text()
    meeting.close()
    assert not window.participant_windows

    assert room.speakerUrl is not None
    window.join_link_button.click()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QInputDialog) and w.isVisible())
    dialog.setTextValue(room.speakerUrl)
    dialog.accept()
    meeting = next(iter(window.participant_windows))
    await wait_until(lambda: meeting.stage == "join", what="the join view from a pasted link")
    assert "speaker" in meeting.join_page.role.text()
    meeting.close()

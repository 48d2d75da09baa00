"""Saved servers can be edited and removed (from the window's server switcher), against a real server: an
edit connects with the new details before saving them, a removal asks first and forgets the saved secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MANAGE_SERVERS, MainWindow
from meetdesk.ui.admin.servers import EMBEDDED, ServerList, ServerProfile
from meetdesk.ui.admin.servers_dialog import ServersDialog
from tests.conftest import API_KEY, ServerProcess
from tests.ui.conftest import wait_until
from tests.ui.helpers import clipped_texts, emitted

DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    config = tmp_path / "config"
    store = CredentialStore(config, use_keyring=False)
    servers = ServerList.load(config / "servers.json")
    connection = AdminConnection(servers, store, EmbeddedServer(tmp_path / "embedded", store))
    window = MainWindow(connection, QSettings(str(config / "meetdesk.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    yield window
    await connection.close()


def saved(window: MainWindow) -> dict[str, str]:
    """What is on disk: server name by key (the list the next start reads)."""
    data = json.loads(window.connection.servers.path.read_text(encoding="utf-8"))
    return {item["url"]: item["name"] for item in data["profiles"]}


def remember(window: MainWindow, profile: ServerProfile, secret: str) -> None:
    window.connection.servers.add(profile)
    window.connection.credentials.set(profile.url, "api-key", secret)
    window._fill_servers()


def combo_texts(window: MainWindow) -> list[str]:
    return [window.server_combo.itemText(i) for i in range(window.server_combo.count())]


def select(dialog: ServersDialog, key: str) -> None:
    rows = [dialog.list.item(i).data(0x0100) for i in range(dialog.list.count())]
    dialog.list.setCurrentRow(rows.index(key))


def message_box() -> QMessageBox:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


async def test_remove_asks_first_and_forgets_the_secret(window: MainWindow, server_process: ServerProcess) -> None:
    office = ServerProfile(name="Office", url=server_process.url, auth="api_key")
    old = ServerProfile(name="Old branch", url=DEAD, auth="api_key")
    remember(window, old, "old-key")
    assert await window.open_server(office, API_KEY)  # the server in use

    index = window.server_combo.findData(MANAGE_SERVERS)
    assert window.server_combo.itemText(index) == "Edit or remove saved servers…"
    window.server_combo.activated.emit(index)
    # polled: the slot runs as a task, and nothing signals that it opened the dialog
    saved_servers = window.saved_servers
    await wait_until(lambda: saved_servers.dialog is not None and saved_servers.dialog.isVisible(), what="the list")
    dialog = window.saved_servers.dialog
    assert dialog is not None
    assert window.server_combo.currentData() == office.key  # the switcher stays on the server in use
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [
        "This computer",
        f"Old branch — {DEAD}",
        f"Office — {server_process.url}",
    ]
    select(dialog, EMBEDDED)
    assert not dialog.edit_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert "cannot be edited or removed" in dialog.note.text()
    select(dialog, office.key)
    assert dialog.edit_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert dialog.note.text() == "This is the server in use: switch to another one before removing it."

    select(dialog, old.key)
    dialog.remove_button.click()
    box = message_box()
    assert box.text() == "Remove “Old branch” from the saved servers?"
    assert box.informativeText() == "Its saved API key is forgotten too. Its rooms stay on the server."
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter keeps it
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert old.key in saved(window)

    dialog.remove_button.click()
    box = message_box()
    removed = emitted(dialog.removed)
    next(b for b in box.buttons() if b.text() == "Remove").click()
    assert removed.result() == (old.key,)
    assert saved(window) == {server_process.url: "Office"}
    assert window.connection.credentials.get(DEAD, "api-key") is None
    assert window.connection.credentials.get(server_process.url, "api-key") == API_KEY  # the others' kept
    assert not any("Old branch" in text for text in combo_texts(window))
    assert dialog.list.count() == 2
    assert clipped_texts(dialog) == []


async def test_edit_renames_and_keeps_the_saved_secret(window: MainWindow, server_process: ServerProcess) -> None:
    office = ServerProfile(name="Office", url=server_process.url, auth="api_key")
    remember(window, office, API_KEY)
    dialog = window.saved_servers.manage()
    select(dialog, office.key)
    dialog.edit_button.click()
    edit = next(w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Edit server" and w.isVisible())
    ui = edit.ui  # type: ignore[attr-defined]
    assert ui.urlEdit.text() == server_process.url and ui.nameEdit.text() == "Office"
    assert ui.apiKeyRadio.isChecked() and ui.secretEdit.text() == ""
    assert ui.secretEdit.placeholderText() == "Saved: leave empty to keep it"
    assert ui.buttonBox.button(ui.buttonBox.StandardButton.Ok).text() == "Save and connect"

    ui.nameEdit.setText("Head office")
    loaded = emitted(window.rooms_page.model.pageLoaded)  # connected, the edit saved, the rooms shown
    edit.submit()  # type: ignore[attr-defined]
    await asyncio.wait_for(loaded, 15)
    assert not edit.isVisible()
    assert edit.result() == QDialog.DialogCode.Accepted
    assert saved(window) == {server_process.url: "Head office"}
    assert f"Head office ({server_process.url})" in combo_texts(window)
    assert window.connection.profile is not None and window.connection.profile.name == "Head office"
    assert window.connection.credentials.get(server_process.url, "api-key") == API_KEY
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())][-1] == (
        f"Head office — {server_process.url}"
    )


async def test_a_server_that_moved_takes_its_new_address_and_its_saved_key(
    window: MainWindow, server_process: ServerProcess
) -> None:
    moved = ServerProfile(name="Office", url=DEAD, auth="api_key")
    remember(window, moved, API_KEY)
    edit = window.saved_servers.edit(moved)
    edit.ui.urlEdit.setText(DEAD + "0 ")  # a mistyped port first: not reachable, nothing saved
    edit.submit()
    # polled: a refusal shows in the dialog, which has no signal for it
    await wait_until(lambda: edit.ui.urlError.isVisible(), what="the address error")
    assert edit.isVisible() and saved(window) == {DEAD: "Office"}
    assert clipped_texts(edit) == []

    edit.ui.urlEdit.setText(server_process.url)
    loaded = emitted(window.rooms_page.model.pageLoaded)
    edit.submit()
    await asyncio.wait_for(loaded, 15)
    assert not edit.isVisible()
    assert saved(window) == {server_process.url: "Office"}  # the old address is gone, not listed twice
    store = window.connection.credentials
    assert store.get(server_process.url, "api-key") == API_KEY and store.get(DEAD, "api-key") is None
    assert window.rooms_page.model.loaded_once


async def test_a_wrong_key_keeps_the_old_entry(window: MainWindow, server_process: ServerProcess) -> None:
    office = ServerProfile(name="Office", url=server_process.url, auth="api_key")
    remember(window, office, API_KEY)
    edit = window.saved_servers.edit(office)
    edit.ui.nameEdit.setText("Renamed")
    edit.ui.secretEdit.setText("not-the-key")
    edit.submit()
    # polled: a refusal shows in the dialog, which has no signal for it
    await wait_until(lambda: edit.ui.secretError.isVisible(), what="the refusal next to the key")
    assert edit.ui.secretError.text() == "The server refused these credentials."
    assert saved(window) == {server_process.url: "Office"}
    assert window.connection.credentials.get(server_process.url, "api-key") == API_KEY

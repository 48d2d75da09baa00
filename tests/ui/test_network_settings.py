""" "Share on the network" in the admin app: the settings dialog restarts this computer's server on the
network (same port, HTTPS, pinned links) and back; the copied link says when it works on this computer
only; another server's unknown certificate is confirmed once. Real server processes, real widgets."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from meetdesk.client.api import parse_room_link
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.client.lobby import inspect_link
from meetdesk.core.addresses import local_addresses
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.network_dialog import NetworkSettingsDialog
from meetdesk.ui.admin.servers import EMBEDDED_PROFILE, ServerList, ServerProfile
from tests.conftest import API_KEY, free_port
from tests.integration.test_network_sharing import NetworkServer
from tests.ui.conftest import wait_until
from tests.ui.helpers import click_box, clipped_texts, emitted, shoot

pytestmark = pytest.mark.slow


def lan_address() -> str:
    for local in local_addresses():
        if local.version == 4:
            return local.address
    pytest.skip("this machine has no non-loopback IPv4 address to share a server on")


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    store = CredentialStore(tmp_path / "config", use_keyring=False)
    # a port of its own, remembered as after an earlier start: tests running meanwhile may hold 6080
    (tmp_path / "embedded").mkdir()
    (tmp_path / "embedded" / "embedded.json").write_text(json.dumps({"port": free_port(), "pid": None}))
    connection = AdminConnection(
        ServerList.load(tmp_path / "config" / "servers.json"), store, EmbeddedServer(tmp_path / "embedded", store)
    )
    settings = QSettings(str(tmp_path / "config" / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(connection, settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    await connection.close()


def copy_first_link(window: MainWindow) -> str:
    """Copy the first room's moderator link as a user would; what the status bar said."""
    window.rooms_page.table.selectRow(0)
    window.rooms_page.act_copy_moderator.trigger()
    return window.statusBar().currentMessage()


async def test_sharing_restarts_the_server_on_the_network_with_pinned_links_and_back(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    address = lan_address()
    assert await window.open_server(EMBEDDED_PROFILE)
    embedded = window.connection.embedded
    port = embedded.port
    assert window.connection.url == f"http://127.0.0.1:{port}"
    assert window.connection.client is not None
    await window.connection.client.create_room({"roomName": "Weekly"})
    await window.rooms_page.reload()
    said = copy_first_link(window)
    assert QGuiApplication.clipboard().text().startswith(f"http://127.0.0.1:{port}/room/")
    assert "It works on this computer only" in said and "Share on the network" in said

    qtbot.mouseClick(window.share_button, qtbot_left())
    dialog = open_dialog()
    assert not dialog.ui.shareCheck.isChecked() and not dialog.ui.addressCombo.isEnabled()
    click_box(qtbot, dialog.ui.shareCheck)
    dialog.ui.listenCombo.setCurrentIndex(dialog.ui.listenCombo.findData(address))
    assert dialog.ui.addressCombo.currentText() == address  # suggested from the machine's addresses
    assert dialog.ui.linkPreview.text() == f"https://{address}:{port}/room/…"
    assert clipped_texts(dialog) == []
    shoot(dialog, "network-settings-on")
    changed = emitted(window.sharingChanged)
    qtbot.mouseClick(dialog.save_button, qtbot_left())
    assert not dialog.ui.buttonBox.isEnabled()  # no Cancel halfway through a restart
    dialog.reject()  # nor Escape
    assert dialog.isVisible()
    await changed

    # same port (links keep their port), HTTPS on the shared address, the certificate pinned from the data dir
    assert embedded.port == port
    assert window.connection.url == f"https://{address}:{port}"
    assert window.server_state.text() == "Connected"
    assert window.share_button.text() == f"Shared at {address}"  # the header says so
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, NetworkSettingsDialog) and w.isVisible()]
    assert stat.S_IMODE((tmp_path / "embedded" / "tls-key.pem").stat().st_mode) == 0o600
    await wait_until(lambda: window.rooms_page.model.loaded_once and window.rooms_page.model.rowCount() == 1)
    said = copy_first_link(window)
    link = QGuiApplication.clipboard().text()
    assert link.startswith(f"https://{address}:{port}/room/") and link.endswith(f"#fp={embedded.pin}")
    assert "this computer only" not in said
    info = await inspect_link(link)  # what someone else's MeetDesk does with the link: pinned, and it works
    assert info.room_name == "Weekly" and info.link.pin == embedded.pin
    saved = json.loads((tmp_path / "embedded" / "sharing.json").read_text())
    assert saved == {"enabled": True, "listen": address, "address": address}

    # and back to this computer only
    qtbot.mouseClick(window.share_button, qtbot_left())
    dialog = open_dialog()
    assert dialog.ui.shareCheck.isChecked() and dialog.ui.addressCombo.currentText() == address
    assert dialog.ui.fingerprintValue.text().startswith("SHA-256 ")
    click_box(qtbot, dialog.ui.shareCheck)
    changed = emitted(window.sharingChanged)
    qtbot.mouseClick(dialog.save_button, qtbot_left())
    await changed
    assert window.connection.url == f"http://127.0.0.1:{port}"
    assert window.share_button.text() == "Share on the network…"
    await wait_until(lambda: window.rooms_page.model.loaded_once and window.rooms_page.model.rowCount() == 1)
    copy_first_link(window)
    assert parse_room_link(QGuiApplication.clipboard().text()).base_url == f"http://127.0.0.1:{port}"


async def test_an_address_with_a_space_is_refused_next_to_it_and_nothing_restarts(
    window: MainWindow, qtbot: QtBot
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    process = window.connection.embedded.process
    dialog = window.open_network_settings()
    click_box(qtbot, dialog.ui.shareCheck)
    dialog.ui.addressCombo.setEditText("my computer")
    qtbot.mouseClick(dialog.save_button, qtbot_left())
    assert [label.text() for label in dialog.error_labels()] == ["An address has no spaces."]
    assert dialog.ui.addressError.isVisible() and dialog.isVisible()
    shoot(dialog, "network-settings-error")
    assert window.connection.embedded.process is process and window.connection.url.startswith("http://127.0.0.1:")
    dialog.reject()


async def test_another_servers_unknown_certificate_is_confirmed_once(window: MainWindow, tmp_path: Path) -> None:
    remote = NetworkServer(lan_address(), free_port(), tmp_path / "remote")
    assert await remote.start() is None, "".join(remote.output)
    try:
        profile = ServerProfile(name="Office", url=remote.url, auth="api_key")
        window.connection.credentials.set(remote.url, "api-key", API_KEY)
        connected = emitted(window.connected)
        assert not await window.open_server(profile)
        box = trust_box()
        assert remote.pin.removeprefix("sha256:")[:4] in box.informativeText()
        shoot(box, "trust-certificate")
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert window.connection.known.get(remote.url) is None  # not trusted: nothing remembered
        assert not await window.open_server(profile)
        trust = trust_box()
        [button] = [b for b in trust.buttons() if b.text() == "Trust and connect"]
        button.click()
        await connected
        assert window.connection.url == remote.url
        known = json.loads((tmp_path / "config" / "known_servers.json").read_text())
        assert known["servers"] == {f"{remote.address}:{remote.port}": remote.pin}
    finally:
        await remote.stop()


def qtbot_left() -> object:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def open_dialog() -> NetworkSettingsDialog:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, NetworkSettingsDialog) and w.isVisible()]
    assert len(dialogs) == 1, "expected one network settings dialog on screen"
    return dialogs[0]


def top_levels() -> list[QWidget]:
    return QApplication.topLevelWidgets()


def trust_box() -> QMessageBox:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert len(boxes) == 1, "expected the question whether to trust the certificate"
    return boxes[0]


async def test_a_changed_certificate_is_refused_and_trusted_again_only_when_asked(
    window: MainWindow, tmp_path: Path
) -> None:
    remote = NetworkServer(lan_address(), free_port(), tmp_path / "remote")
    assert await remote.start() is None, "".join(remote.output)
    try:
        window.connection.known.remember(remote.url, "sha256:" + "B" * 43)  # trusted before; the server changed
        window.connection.credentials.set(remote.url, "api-key", API_KEY)
        profile = ServerProfile(name="Office", url=remote.url, auth="api_key")
        assert not await window.open_server(profile)
        assert "changed since you last connected, so MeetDesk refused it" in window.banner.text.text()
        [action] = [b for b in window.banner.findChildren(QAbstractButton) if b.objectName() == "trustNew"]
        connected = emitted(window.connected)
        action.click()
        # the banner runs its action as a task: the question appears on a later turn, and nothing signals it
        await wait_until(lambda: any(isinstance(w, QMessageBox) and w.isVisible() for w in top_levels()))
        box = trust_box()
        assert box.text() == f"The certificate of {remote.url} changed."
        [button] = [b for b in box.buttons() if b.text() == "Trust the new certificate"]
        button.click()
        await connected
        assert window.connection.url == remote.url
        assert window.connection.known.get(remote.url) == remote.pin
    finally:
        await remote.stop()


async def test_adding_a_self_certified_server_asks_to_trust_it_first(window: MainWindow, tmp_path: Path) -> None:
    from meetdesk.ui.admin.connect_dialog import ConnectDialog

    remote = NetworkServer(lan_address(), free_port(), tmp_path / "remote")
    assert await remote.start() is None, "".join(remote.output)
    try:
        window._ask_sign_in(None, None)
        [dialog] = [w for w in top_levels() if isinstance(w, ConnectDialog) and w.isVisible()]
        dialog.ui.urlEdit.setText(remote.url)
        dialog.ui.apiKeyRadio.setChecked(True)
        dialog.ui.secretEdit.setText(API_KEY)
        connected = emitted(window.connected)
        dialog.submit()
        # the sign-in runs as a task and the question comes when it fails; nothing signals the box's showing
        await wait_until(lambda: any(isinstance(w, QMessageBox) and w.isVisible() for w in top_levels()))
        assert dialog.isVisible()  # what was typed stays, under the question
        [button] = [b for b in trust_box().buttons() if b.text() == "Trust and connect"]
        button.click()
        await connected
        assert window.connection.url == remote.url and window.connection.known.get(remote.url) == remote.pin
    finally:
        await remote.stop()

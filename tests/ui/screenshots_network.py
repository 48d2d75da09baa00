"""Screenshots of "Share on the network", light and dark — to look at, not to assert on.

    DISPLAY=:102 .venv/bin/python -m tests.ui.screenshots_network [OUT_DIR, default ./screenshots]

Runs the real window against its real embedded server in a throwaway profile: the copied link's sentence while
the server is loopback-only, the settings dialog (off, on, a refused address, shared with its fingerprint), the
window once shared; then a server of its own certificate on this machine's address (the question whether to
trust it) and a participant window opening a link with a wrong fingerprint and one cut short of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.client.errors import ConnectionFailed
from meetdesk.client.tls import fetch_certificate
from meetdesk.core.addresses import local_addresses
from meetdesk.core.fingerprint import certificate_pin
from meetdesk.core.models import MeetRoomTheme
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.servers import EMBEDDED_PROFILE, ServerList, ServerProfile
from meetdesk.ui.theme.theming import apply_theme
from tests.conftest import free_port
from tests.ui.screenshot_kit import run

THEMES = {
    "light": MeetRoomTheme(name="default-light", enabled=True, baseTheme="light"),
    "dark": MeetRoomTheme(name="default-dark", enabled=True, baseTheme="dark"),
}
KEY = "screenshots-api-key-0123456789abcdef"


async def settle(app: QApplication, seconds: float = 0.5) -> None:
    await asyncio.sleep(seconds)  # let layouts and paints happen before the picture
    app.processEvents()


def grab_box(out: Path, name: str) -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.grab().save(str(out / f"{name}.png"))
            widget.reject()


async def own_server(base: Path, address: str) -> tuple[asyncio.subprocess.Process, str]:
    """``meetdesk server`` on ``address`` (HTTPS, its own certificate); its URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "meetdesk", "server", "--host", address, "--port", str(port),
               "--data-dir", str(base / "remote")]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, "MEETDESK_INITIAL_API_KEY": KEY}, stdout=asyncio.subprocess.DEVNULL
    )
    url = f"https://{address}:{port}"
    for _ in range(300):
        try:
            await fetch_certificate(url, 1)
            return process, url
        except ConnectionFailed:
            await asyncio.sleep(0.2)  # another process: nothing to wait on but its port
    raise RuntimeError(f"the server on {url} did not start")


async def shoot(out: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    address = next(a.address for a in local_addresses() if a.version == 4)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        base = Path(tmp)
        (base / "embedded").mkdir()
        (base / "embedded" / "embedded.json").write_text(json.dumps({"port": free_port(), "pid": None}))
        store = CredentialStore(base / "config", use_keyring=False)
        connection = AdminConnection(
            ServerList.load(base / "config" / "servers.json"), store, EmbeddedServer(base / "embedded", store)
        )
        window = MainWindow(connection, QSettings(str(base / "meetdesk.ini"), QSettings.Format.IniFormat))
        window.resize(1100, 720)
        window.show()
        try:
            await window.open_server(EMBEDDED_PROFILE)
            assert connection.client is not None
            await connection.client.create_room({"roomName": "Quarterly planning, whole EMEA sales team"})
            await window.rooms_page.reload()
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                window.rooms_page.table.selectRow(0)
                window.rooms_page.act_copy_moderator.trigger()
                await settle(app)
                window.grab().save(str(out / f"network-copy-loopback-{mode}.png"))
                dialog = window.open_network_settings()
                await settle(app)
                dialog.grab().save(str(out / f"network-dialog-off-{mode}.png"))
                dialog.ui.shareCheck.setChecked(True)
                dialog.ui.listenCombo.setCurrentIndex(dialog.ui.listenCombo.findData(address))
                await settle(app)
                dialog.grab().save(str(out / f"network-dialog-on-{mode}.png"))
                dialog.ui.addressCombo.setEditText("my computer")
                dialog.request()
                await settle(app)
                dialog.grab().save(str(out / f"network-dialog-error-{mode}.png"))
                dialog.reject()
            apply_theme(app, THEMES["light"])
            dialog = window.open_network_settings()
            dialog.ui.shareCheck.setChecked(True)
            dialog.ui.listenCombo.setCurrentIndex(dialog.ui.listenCombo.findData(address))
            changed = asyncio.get_running_loop().create_future()
            window.sharingChanged.connect(lambda sharing: changed.done() or changed.set_result(sharing))
            dialog.submit()
            await settle(app, 0.2)
            dialog.grab().save(str(out / "network-dialog-restarting.png"))
            await asyncio.wait_for(changed, 60)
            await window.rooms_page.reload()
            window.rooms_page.table.selectRow(0)
            window.rooms_page.act_copy_moderator.trigger()
            await settle(app)
            window.grab().save(str(out / "network-shared.png"))
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                shown: QWidget = window.open_network_settings()
                await settle(app)
                shown.grab().save(str(out / f"network-dialog-shared-{mode}.png"))
                shown.close()
            process, url = await own_server(base, address)
            try:
                store.set(url, "api-key", KEY)
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    await window.open_server(ServerProfile(name="Office", url=url, auth="api_key"))
                    await settle(app)
                    grab_box(out, f"network-trust-{mode}")
                connection.known.remember(url, "sha256:" + "B" * 43)  # as if the server's certificate had changed
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    await window.open_server(ServerProfile(name="Office", url=url, auth="api_key"))
                    await settle(app)
                    window.grab().save(str(out / f"network-changed-certificate-{mode}.png"))
                await participant_pages(app, out, base, url)
            finally:
                process.terminate()
                await process.wait()
        finally:
            await connection.close()
            window.close()


async def participant_pages(app: QApplication, out: Path, base: Path, url: str) -> None:
    from meetdesk.ui.meeting.window import ParticipantWindow

    pin = certificate_pin(await fetch_certificate(url))
    async with MeetDeskClient(url, api_key=KEY, pin=pin) as api:
        room = await api.create_room({"roomName": "Design review"})
    assert room.speakerUrl is not None
    links = {
        "wrong-fingerprint": re.sub(r"#fp=.*$", "#fp=sha256:" + "A" * 43, room.speakerUrl),
        "no-fingerprint": room.speakerUrl.split("#")[0],
    }
    for name, link in links.items():
        for mode, theme in THEMES.items():
            apply_theme(app, theme)
            window = ParticipantWindow(QSettings(str(base / "p.ini"), QSettings.Format.IniFormat), synthetic=True)
            window.resize(900, 600)
            window.show()
            window.open_link(link)
            await settle(app, 3.0)
            window.grab().save(str(out / f"network-participant-{name}-{mode}.png"))
            window.close()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())

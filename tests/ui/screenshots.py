"""Screenshots of the admin app's pages, light and dark, empty and full — to look at, not to assert on.

    DISPLAY=:99 .venv/bin/python -m tests.ui.screenshots [OUT_DIR, default ./screenshots]

Runs the real app window against an embedded server in a throwaway profile (rooms seeded through the API).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.core.models import MeetRoomTheme
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.servers import EMBEDDED_PROFILE, ServerList
from tests.ui.screenshot_kit import run

THEMES = {
    "light": MeetRoomTheme(name="default-light", enabled=True, baseTheme="light"),
    "dark": MeetRoomTheme(name="default-dark", enabled=True, baseTheme="dark"),
}


async def settle(app: QApplication, seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)
    app.processEvents()


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        base = Path(tmp)
        store = CredentialStore(base / "config", use_keyring=False)
        connection = AdminConnection(
            ServerList.load(base / "config" / "servers.json"), store, EmbeddedServer(base / "embedded", store)
        )
        window = MainWindow(connection, QSettings(str(base / "meetdesk.ini"), QSettings.Format.IniFormat))
        window.resize(1100, 720)
        window.show()
        try:
            await window.open_server(EMBEDDED_PROFILE)
            client = connection.client
            assert client is not None
            for state in ("empty", "full"):
                if state == "full":
                    names = ["Weekly sync", "Board meeting", "Design review", "Customer onboarding — ACME",
                             "All hands", "Retrospective", "1:1 Ana / Luis", "Support escalations"]  # fmt: skip
                    for name in names:
                        room = await client.create_room({"roomName": name})
                        if name in ("All hands", "Retrospective"):
                            await client.set_room_status(room.roomId, "closed")
                    await window.rooms_page.reload()
                    window.rooms_page.table.selectRow(1)
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    window.nav.setCurrentRow(0)
                    await settle(app)
                    window.grab().save(str(out / f"rooms-{state}-{mode}.png"))
                    if state == "full":
                        window.nav.setCurrentRow(1)
                        await settle(app, 1.0)
                        window.grab().save(str(out / f"appearance-{mode}.png"))
            window.banner.show_message("Cannot reach the server at http://127.0.0.1:6080. Check that it is running.")
            window.nav.setCurrentRow(0)
            await settle(app)
            window.grab().save(str(out / "rooms-banner.png"))
        finally:
            await connection.close()
            window.close()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())

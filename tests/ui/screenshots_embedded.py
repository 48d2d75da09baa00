"""Screenshots of the embedded server's states in the admin window, light and dark — to look at, not to assert on.

    DISPLAY=:101 .venv/bin/python -m tests.ui.screenshots_embedded [OUT_DIR, default ./screenshots]

Runs the real window against its real embedded server in a throwaway profile: kills the server (the banner
while it restarts), takes its port with another socket (the question), stops a remote server (reconnecting).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.client.supervisor import SupervisorState
from meetdesk.core.models import MeetRoomTheme
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.server_link import LinkState
from meetdesk.ui.admin.servers import EMBEDDED_PROFILE, ServerList
from tests.ui.screenshot_kit import run

THEMES = {
    "light": MeetRoomTheme(name="default-light", enabled=True, baseTheme="light"),
    "dark": MeetRoomTheme(name="default-dark", enabled=True, baseTheme="dark"),
}


async def settle(app: QApplication, seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)
    app.processEvents()


async def until(predicate: object, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.02)


def open_window(base: Path, store: CredentialStore) -> tuple[AdminConnection, MainWindow]:
    """The app's window on the profile in ``base``, as a start of the app makes it."""
    connection = AdminConnection(
        ServerList.load(base / "config" / "servers.json"), store, EmbeddedServer(base / "embedded", store)
    )
    window = MainWindow(connection, QSettings(str(base / "meetdesk.ini"), QSettings.Format.IniFormat))
    window.resize(1100, 720)
    window.show()
    return connection, window


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        base = Path(tmp)
        store = CredentialStore(base / "config", use_keyring=False)
        connection, window = open_window(base, store)
        try:
            await window.open_server(EMBEDDED_PROFILE)
            assert connection.client is not None
            await connection.client.create_room({"roomName": "Weekly sync"})
            await window.rooms_page.reload()
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                await settle(app)
                window.grab().save(str(out / f"embedded-connected-{mode}.png"))
            # restarting: hold the restart back a moment so the banner can be seen
            connection.supervisor.policy = type(connection.supervisor.policy)(delays=(3.0,))
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                pid = connection.embedded.pid
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                await until(lambda: window.link.state is LinkState.RESTARTING)
                await settle(app)
                window.grab().save(str(out / f"embedded-restarting-{mode}.png"))
                await until(lambda: window.link.state is LinkState.CONNECTED)
            # the app quits; another program takes the port; the app starts again
            port = connection.embedded.port
            window.close()
            await connection.close()
            other = socket.socket()
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            other.bind(("127.0.0.1", port or 0))
            other.listen()
            connection, window = open_window(base, store)
            await window.open_server(EMBEDDED_PROFILE)
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                await settle(app)
                window.grab().save(str(out / f"embedded-port-taken-{mode}.png"))
            # narrow window: the question wraps, the buttons stay whole
            window.resize(760, 600)
            await settle(app)
            window.grab().save(str(out / "embedded-port-taken-narrow.png"))
            window.resize(1100, 720)
            # giving up after repeated failures
            other.close()
            await window.embedded_news.start_again()
            connection.supervisor.policy = type(connection.supervisor.policy)(delays=(0.0,), max_attempts=1)
            (base / "embedded" / "meetdesk.db").write_bytes(b"not a database" * 100)
            for name in ("meetdesk.db-wal", "meetdesk.db-shm"):
                (base / "embedded" / name).unlink(missing_ok=True)
            pid = connection.embedded.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await until(lambda: connection.supervisor.status.state is SupervisorState.FAILED)
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                await settle(app)
                window.grab().save(str(out / f"embedded-failed-{mode}.png"))
        finally:
            window.close()
            await connection.close()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())

"""``meetdesk`` (the admin app): a Qt application with asyncio on Qt's loop (:mod:`meetdesk.ui.eventloop`), opening
the last server used — on the first run the embedded one, started as a child process and signed in without a
dialog."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from meetdesk import __version__
from meetdesk.kiosk.memory import rss_mb

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from meetdesk.ui.eventloop import QtAsyncLoop

logger = logging.getLogger(__name__)

SMOKE_TEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class AppOptions:
    profile_dir: Path | None = None  # config + embedded server data under one dir (tests, kiosks, benchmarks)
    smoke_test: bool = False
    server_url: str | None = None


def _dirs(options: AppOptions) -> tuple[Path, Path]:
    """(config dir, embedded server data dir)."""
    base = options.profile_dir or (Path(os.environ["MEETDESK_APP_DIR"]) if os.environ.get("MEETDESK_APP_DIR") else None)
    if base is not None:
        return base / "config", base / "embedded"
    import platformdirs

    return Path(platformdirs.user_config_dir("meetdesk")), Path(platformdirs.user_data_dir("meetdesk")) / "embedded"


def _no_display() -> bool:
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def _start_qt(options: AppOptions) -> tuple[QtAsyncLoop, QSettings, Path, Path] | None:
    """The Qt application on its asyncio loop (:class:`~meetdesk.ui.eventloop.QtAsyncLoop`), and the settings:
    (loop, settings, config dir, data dir); None (after saying why) when there is no display."""
    if _no_display():  # Qt would abort with a cryptic plugin error; say what to do instead
        print(
            "MeetDesk needs a display for its window (DISPLAY or WAYLAND_DISPLAY is not set).\n"
            "  For the server alone:   meetdesk server\n"
            "  Headless check:         QT_QPA_PLATFORM=offscreen meetdesk --smoke-test",
            file=sys.stderr,
        )
        return None
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from meetdesk.ui import plurals
    from meetdesk.ui.eventloop import QtAsyncLoop

    QCoreApplication.setOrganizationName("MeetDesk")
    QCoreApplication.setApplicationName("MeetDesk")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    plurals.install(app)  # "Delete 1 room", "Delete 2 rooms"
    app.setQuitOnLastWindowClosed(False)  # the loop ends when main() returns, after the child server stops
    loop = QtAsyncLoop(app)
    asyncio.set_event_loop(loop)
    config_dir, data_dir = _dirs(options)
    settings = QSettings(str(config_dir / "meetdesk.ini"), QSettings.Format.IniFormat)
    return loop, settings, config_dir, data_dir


def run_app(options: AppOptions) -> int:
    started = time.monotonic()
    qt = _start_qt(options)
    if qt is None:
        return 2
    loop, settings, config_dir, data_dir = qt
    from meetdesk.ui import crash_dialog

    crash_dialog.install(config_dir, "app")  # masked rotating logs, and a crash file + "Copy diagnostics"
    with loop:
        return int(loop.run_until_complete(_main(options, config_dir, data_dir, settings, started)))


def run_participant(link: str, options: AppOptions, *, synthetic: bool = False) -> int:
    """``meetdesk open <link>``: the participant window for one room link, until it is closed."""
    qt = _start_qt(options)
    if qt is None:
        return 2
    loop, settings, config_dir, _ = qt
    from meetdesk.ui import crash_dialog

    crash_dialog.install(config_dir, "participant")  # masked rotating logs, and a crash file + "Copy diagnostics"

    async def main() -> int:
        from meetdesk.ui.meeting.window import ParticipantWindow

        window = ParticipantWindow(settings, synthetic=synthetic)
        closed = asyncio.Event()
        window.closing.connect(closed.set)
        window.show()
        window.open_link(link)
        await closed.wait()
        return 0

    with loop:
        return int(loop.run_until_complete(main()))


async def _main(options: AppOptions, config_dir: Path, data_dir: Path, settings: object, started: float) -> int:
    from meetdesk.client.credentials import CredentialStore
    from meetdesk.client.embedded import EmbeddedServer
    from meetdesk.ui.admin.connection import AdminConnection
    from meetdesk.ui.admin.main_window import MainWindow
    from meetdesk.ui.admin.servers import ServerList, ServerProfile

    credentials = CredentialStore(config_dir)
    servers = ServerList.load(config_dir / "servers.json")
    connection = AdminConnection(servers, credentials, EmbeddedServer(data_dir, credentials))
    window = MainWindow(connection, settings)  # type: ignore[arg-type]
    closed = asyncio.Event()
    window.closing.connect(closed.set)
    window.show()
    profile = servers.find(servers.last) or servers.profiles[0]
    if options.server_url:
        profile = servers.find(options.server_url.rstrip("/")) or ServerProfile(
            name=options.server_url, url=options.server_url.rstrip("/")
        )
    try:
        if options.smoke_test:
            return await _smoke_test(window, profile, started)
        await window.open_server(profile)
        await closed.wait()
        return 0
    finally:
        await connection.close()


async def _smoke_test(window: object, profile: object, started: float) -> int:
    """Show the Rooms page populated from the server, print what was shown, exit 0 (1 with the reason)."""
    from meetdesk.ui.admin.main_window import MainWindow

    assert isinstance(window, MainWindow)
    try:
        ok = await asyncio.wait_for(window.open_server(profile), SMOKE_TEST_TIMEOUT)  # type: ignore[arg-type]
    except TimeoutError:
        print(f"smoke test failed: the Rooms page was not populated within {SMOKE_TEST_TIMEOUT:.0f} s", flush=True)
        return 1
    if not ok:
        print(f"smoke test failed: {window.banner.text.text()}", flush=True)
        return 1
    window.repaint()  # the populated page is on screen, not just in the model
    report = {
        "rooms_shown": window.rooms_page.model.rowCount(),
        "more_pages": window.rooms_page.model.has_more,
        "server": window.connection.url,
        "populated_s": round(time.monotonic() - started, 3),
        "rss_mb": round(rss_mb(), 1),
    }
    print("smoke test ok " + json.dumps(report), flush=True)
    window.close()
    return 0

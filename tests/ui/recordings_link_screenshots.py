"""Screenshots of the participant window opened with a room's recordings link — to look at, not to assert on:
light and dark, a long room name, several statuses, empty, a wrong secret, a room not sharing, the server gone.

    DISPLAY=:109 .venv/bin/python -m tests.ui.recordings_link_screenshots [OUT_DIR, default ./screenshots]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.links import parse_recordings_link
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess, free_port
from tests.integration.recording_helpers import seed_recording
from tests.ui.helpers import emitted
from tests.ui.screenshot_kit import run
from tests.ui.screenshots import THEMES


async def until(window: ParticipantWindow, stage: str) -> None:
    while window.stage != stage:
        await emitted(window.stageChanged)
    await asyncio.sleep(1.0)  # the list's first page and the layout (a picture, not a test)
    QApplication.processEvents()


async def shoot(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="meetdesk-reclink-") as tmp:
        server = ServerProcess(Path(tmp) / "data", free_port())
        server.start()
        try:
            async with MeetDeskClient(server.url, api_key=API_KEY) as api, MeetDeskClient(server.url) as admin:
                await admin.login(ADMIN_USER, ADMIN_PASSWORD)
                long_name = "Quarterly planning with the EMEA regional leads"
                full = await api.create_room({"roomName": long_name})
                empty = await api.create_room({"roomName": "Empty room"})
                for status in ("complete", "complete", "failed", "active"):
                    seed_recording(
                        server, full.roomId, long_name, status=status, media=None if status != "complete" else b""
                    )
                full_url = (await api.get_room_access(full.roomId)).anonymous.recording.url
                empty_url = (await api.get_room_access(empty.roomId)).anonymous.recording.url
                assert full_url is not None and empty_url is not None
                settings = QSettings(str(Path(tmp) / "meetdesk.ini"), QSettings.Format.IniFormat)
                for theme_name, theme in THEMES.items():
                    await admin.set_appearance(theme)
                    window = ParticipantWindow(settings, synthetic=True)
                    window.show()
                    window.open_link(full_url)
                    await until(window, "recordings")
                    window.recording_view.table.selectRow(0)
                    window.grab().save(str(out / f"reclink-{theme_name}-full.png"))
                    window.open_link(empty_url)
                    await until(window, "recordings")
                    window.grab().save(str(out / f"reclink-{theme_name}-empty.png"))
                    link = parse_recordings_link(full_url)
                    window.open_link(link.url.replace(link.secret, "wrong"))
                    await until(window, "error")
                    window.grab().save(str(out / f"reclink-{theme_name}-wrong.png"))
                    await api.update_room_access(full.roomId, recording=False)
                    window.open_link(full_url)
                    await until(window, "error")
                    window.grab().save(str(out / f"reclink-{theme_name}-not-shared.png"))
                    await api.update_room_access(full.roomId, recording=True)
                    window.close()
                window = ParticipantWindow(settings, synthetic=True)
                window.show()
                window.open_link(full_url)
                await until(window, "recordings")
        finally:
            server.stop()
        window.recording_view.model.recordings.reload()
        await asyncio.sleep(3)
        window.grab().save(str(out / "reclink-server-gone-open.png"))
        window.open_link(full_url)
        await until(window, "error")
        window.grab().save(str(out / "reclink-server-gone.png"))
        window.close()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())

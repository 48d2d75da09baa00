"""Screenshots of the participant window's recording view — empty, many recordings in every status (a long
reason among them), a long room name, the delete question, a share link copied, the player playing, the server
gone — light and dark, to look at, not to assert on.

    DISPLAY=:105 .venv/bin/python -m tests.ui.recording_view_screenshots [OUT_DIR, default ./screenshots]

Starts a real server process, puts recordings in its store (tests/integration/recording_helpers.py) and opens the
room's moderator link in the participant window.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.ui.meeting.window import ParticipantWindow
from meetdesk.ui.recordings.player_model import PlayerState
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.recording_helpers import seed_recording
from tests.ui.player_media import recorded_mp4
from tests.ui.screenshot_kit import THEMES, run, until

ROOM = "Quarterly planning, Northern Europe partner teams"  # 49 characters: a room name has at most 50


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        server = ServerProcess(Path(tmp) / "data", free_port())
        server.start()
        window = ParticipantWindow(QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat), synthetic=True)
        try:
            async with MeetDeskClient(server.url, api_key=API_KEY) as api:
                room = await api.create_room({"roomName": ROOM})
            assert room.moderatorUrl is not None
            window.resize(1180, 760)
            window.show()
            view = window.recording_view

            async def both(name: str, widget: QWidget | None = None) -> None:
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    await asyncio.sleep(0.6)
                    (widget or window).grab().save(str(out / f"{name}-{mode}.png"))

            window.open_link(room.moderatorUrl)
            await until(lambda: window.stage == "join")
            await both("recview-join")
            window.join_page.recordings.click()
            await until(lambda: window.stage == "recordings" and view.table_model.loaded_once)
            await both("recview-empty")

            now = int(time.time() * 1000)
            statuses = ["complete", "failed", "limit_reached", "aborted", *["complete"] * 14]
            for index, status in enumerate(statuses):
                seed_recording(
                    server,
                    room.roomId,
                    ROOM,
                    status=status,
                    start_date=now - index * 3_600_000,
                    duration_ms=(index + 1) * 61_000,
                    media=None if status in ("failed", "aborted") else recorded_mp4(12) if index == 0 else b"",
                )
            with sqlite3.connect(server.data_dir / "meetdesk.db") as db:
                db.execute(
                    "UPDATE recordings SET error = ? WHERE status = 'failed'",
                    ("the recorder stopped: no space left on the recordings disk while writing the last fragment",),
                )
            seed_recording(server, room.roomId, ROOM, status="active", start_date=now + 1000)
            view.back.click()
            await until(lambda: window.stage == "join")
            window.join_page.recordings.click()
            await until(lambda: window.stage == "recordings" and len(view.table_model.recordings) > 10)
            view.table.selectRow(2)
            await both("recview-many")
            box = view.confirm_delete()
            assert box is not None
            await both("recview-delete-box", box)
            box.reject()
            view.table.selectRow(1)  # a ready one
            await view.copy_share_link(private=False)
            await both("recview-shared")
            await view.play_recording(view.table_model.recordings[1])
            await until(lambda: view.player.model.state is PlayerState.PLAYING, 30)
            await both("recview-playing")
            view.hide_player()
            server.stop()
            await until(lambda: view.table_model.error is not None, 30)
            await both("recview-server-down")
        finally:
            window._closing_confirmed = True
            window.close()
            if server.process is not None and server.process.poll() is None:
                server.stop()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())

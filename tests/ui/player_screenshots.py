"""Screenshots of the recordings player window — playing, paused, full screen, a recording that cannot play, the
server gone — light and dark, with a long room name, to look at, not to assert on.

    Xvfb :104 -screen 0 1600x1000x24 &
    DISPLAY=:104 .venv/bin/python -m tests.ui.player_screenshots [OUT_DIR, default ./screenshots]

Starts a real server process, puts a recorder-made recording in its store and plays it from the admin app's
Recordings page (its Play button), as a person would. ``--hold`` leaves the window open for driving it by hand
(xdotool) until it is closed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.ui.eventloop import QtAsyncLoop
from meetdesk.ui.recordings.model import COL_ROOM
from meetdesk.ui.recordings.player_model import PlayerState
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.ui.player_media import ready_recording
from tests.ui.screenshot_kit import THEMES, until

ROOM = "Quarterly planning, Northern Europe partner teams"  # 49 characters: a room name has at most 50


async def shoot(out: Path, hold: bool) -> None:
    from meetdesk.ui.admin.recordings_page import RecordingsPage
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        server = ServerProcess(Path(tmp) / "data", free_port())
        server.start()
        page = RecordingsPage()
        try:
            async with MeetDeskClient(server.url, api_key=API_KEY) as api:
                recording = await ready_recording(api, server, ROOM, seconds=30)
                deleted = await ready_recording(api, server, "Stand-up", seconds=12)
                page.resize(1100, 600)
                page.show()
                page.set_client(api)
                await until(lambda: page.model.rowCount() == 2)
                rooms = [page.model.index(row, COL_ROOM).data() for row in range(2)]
                page.table.selectRow(next(i for i, text in enumerate(rooms) if text == ROOM))
                page.play.click()
                window = page.player_window
                assert window is not None
                model = window.player.model
                await until(lambda: model.state is PlayerState.PLAYING and model.position > 1500)

                async def both(name: str, widget: QWidget | None = None) -> None:
                    for mode, theme in THEMES.items():
                        apply_theme(app, theme)
                        await asyncio.sleep(0.6)
                        (widget or window).grab().save(str(out / f"{name}-{mode}.png"))

                await both("player-playing")
                model.seek(20_000)
                model.pause()
                await until(lambda: model.state is PlayerState.PAUSED)
                await both("player-paused")
                window.player.enter_full_screen()
                await asyncio.sleep(1.0)
                await both("player-fullscreen", window.player)
                window.player.leave_full_screen()
                if hold:
                    await until(lambda: not window.isVisible(), timeout=3600)
                await api.delete_recording(deleted.recordingId)
                window.play(api, deleted)
                await until(lambda: model.state is PlayerState.FAILED)
                await both("player-error")
                server.stop()
                window.play(api, recording)
                await until(lambda: model.state is PlayerState.FAILED)
                await both("player-server-down")
                await window.player.close_recording()
        finally:
            page.close()
            if server.process is not None and server.process.poll() is None:
                server.stop()


def main() -> None:
    out = Path(next((a for a in sys.argv[1:] if not a.startswith("--")), "screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = QtAsyncLoop(app)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(shoot(out, "--hold" in sys.argv))
    finally:
        loop.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()

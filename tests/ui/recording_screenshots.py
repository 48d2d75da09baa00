"""Screenshots of recording in the meeting window — the start dialog, the indicator and its notice, the ended
notice with "Open", a refusal — light and dark with a long room name, to look at, not to assert on.

    DISPLAY=:108 .venv/bin/python -m tests.ui.recording_screenshots [OUT_DIR, default ./screenshots]

Starts a real server process (one recording at a time) and joins its room with the participant window.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ConnectionFailed
from meetdesk.client.session import MeetingSession
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.meeting_screenshots import ROOM, YOU
from tests.ui.screenshot_kit import KEY, THEMES, run, until


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        env = dict(os.environ, MEETDESK_INITIAL_API_KEY=KEY, MEETDESK_MAX_COMPOSITES="1")
        server = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", tmp],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        window = ParticipantWindow(QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat), synthetic=True)
        other: MeetingSession | None = None
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    async with MeetDeskClient(url, api_key=KEY) as api:
                        room = await api.create_room({"roomName": ROOM})
                        spare = await api.create_room({"roomName": "Another room"})
                    break
                except ConnectionFailed:
                    await asyncio.sleep(0.2)
            assert room.moderatorUrl is not None and spare.moderatorUrl is not None
            window.resize(1180, 760)
            window.show()
            window.open_link(room.moderatorUrl)
            await until(lambda: window.stage == "join")
            window.join_page.name.setText(YOU)
            window.join_page.next.click()
            await until(lambda: window.stage == "devices" and window.device_page.join.isEnabled())
            window.device_page.join.click()
            await until(lambda: window.stage == "meeting")
            page = window.meeting_page

            async def both(name: str, widget: QWidget | None = None) -> None:
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    await asyncio.sleep(0.6)
                    (widget or window).grab().save(str(out / f"{name}-{mode}.png"))

            await both("rec-idle")
            page.record_button.click()
            dialog = page.recording.start_dialog
            assert dialog is not None
            await both("rec-dialog", dialog)
            dialog.start.click()
            await until(lambda: page.model.recording is not None and page.model.recording.status == "active", 90)
            await asyncio.sleep(2)
            await both("rec-active")
            page.record_button.click()
            box = page.recording.stop_box
            assert box is not None
            await both("rec-stop-box", box)
            [stop] = [b for b in box.buttons() if b.text() == "Stop recording"]
            stop.click()
            await until(lambda: page.model.recording is None, 120)
            await both("rec-ended")
            # a refusal: another room's recording holds the server's only slot
            other = MeetingSession(spare.moderatorUrl, "Ana", source_id=2)
            await other.join()
            async with MeetDeskClient(url, api_key=KEY) as api:
                await api.start_recording(spare.roomId)
            page.record_button.click()
            dialog = page.recording.start_dialog
            assert dialog is not None
            dialog.start.click()
            await until(lambda: page.problem.isVisible(), 30)
            await both("rec-refused")
        finally:
            if other is not None:
                await other.leave()
            if window.meeting_page.in_meeting:
                await window.meeting_page.leave()
            window._closing_confirmed = True
            window.close()
            if server.returncode is None:
                server.kill()
            await server.wait()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())

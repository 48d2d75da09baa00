"""Screenshots of the meeting window — light and dark, 1 and 9 participants, long names, panels, the filmstrip,
the settings dialog, the server gone, and the theme editor's preview — to look at, not to assert on.

    DISPLAY=:99 .venv/bin/python -m tests.ui.meeting_screenshots [OUT_DIR, default ./screenshots]

Starts a real server process and joins its room with the participant window (synthetic devices) and headless
participants.
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
from PySide6.QtWidgets import QApplication

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ConnectionFailed
from meetdesk.client.session import MeetingSession
from meetdesk.core.theme import derive_tokens
from meetdesk.ui.meeting.model import Layout
from meetdesk.ui.meeting.tiles import SELF
from meetdesk.ui.meeting.window import ParticipantWindow
from meetdesk.ui.theme.preview import MeetingPreview
from tests.ui.screenshot_kit import KEY, THEMES, run, until

ROOM = "Quarterly planning, Northern Europe partner teams"
YOU = "Alexandra Konstantinopoulou-Richardson"
OTHERS = ["Bo", "Cy Twombly", "Dana Scully", "Émile Zola", "Fatima Al-Fihri", "Grace Hopper",
          "Hiroshi Yamauchi-Nakamura de la Cruz", "Ines"]  # fmt: skip


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        env = dict(os.environ, MEETDESK_INITIAL_API_KEY=KEY)
        server = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", tmp],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        others: list[MeetingSession] = []
        joiners: list[asyncio.subprocess.Process] = []
        window = ParticipantWindow(QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat), synthetic=True)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    async with MeetDeskClient(url, api_key=KEY) as api:
                        room = await api.create_room({"roomName": ROOM})
                    break
                except ConnectionFailed:
                    await asyncio.sleep(0.2)
            assert room.moderatorUrl is not None and room.speakerUrl is not None
            window.resize(1180, 760)
            window.show()
            window.open_link(room.moderatorUrl)
            await until(lambda: window.stage == "join")
            window.join_page.name.setText(YOU)
            window.join_page.next.click()
            await until(lambda: window.stage == "devices" and window.device_page.join.isEnabled())
            await asyncio.sleep(1)
            window.grab().save(str(out / "devices.png"))
            window.device_page.join.click()
            await until(lambda: window.stage == "meeting")
            page = window.meeting_page

            async def both(name: str) -> None:
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    await asyncio.sleep(0.6)
                    window.grab().save(str(out / f"{name}-{mode}.png"))

            await both("meeting-1")
            for n, name in enumerate(OTHERS):
                if n in (1, 6):  # in this process, to raise their hands
                    session = MeetingSession(room.speakerUrl, name, source_id=n + 1)
                    await session.join()
                    others.append(session)
                else:  # headless participants of their own, as people on other machines
                    joiners.append(
                        await asyncio.create_subprocess_exec(
                            *[sys.executable, "-m", "meetdesk", "join", room.speakerUrl, "--name", name],
                            *["--synthetic", "--duration", "300"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )
                    )
            await until(lambda: len(page.tiles.tiles) == 9)
            for session in others:
                await session.raise_hand(True)
            await asyncio.sleep(3)  # frames, the quality grades and the active speaker arrive
            await both("meeting-9")
            page.people_button.click()
            await both("meeting-9-participants")
            page.chat_button.click()
            await others[0].chat("Here is the agenda: https://example.com/agenda — shall we start?")
            await both("meeting-9-chat")
            page.chat_button.click()
            page.tiles.pin(SELF)
            page.tiles.set_layout(Layout.SPEAKER)
            await both("meeting-9-filmstrip")
            page.tiles.pin("")
            page.tiles.set_layout(Layout.GRID)
            page.mic_button.click()
            page.camera_button.click()
            await both("meeting-muted")
            dialog = window.open_settings()
            assert dialog is not None
            await until(lambda: dialog.choices.camera_box.count() > 0)
            for mode, theme in THEMES.items():
                apply_theme(app, theme)
                await asyncio.sleep(0.6)
                dialog.grab().save(str(out / f"settings-{mode}.png"))
            dialog.reject()
            for mode, theme in THEMES.items():
                preview = MeetingPreview()
                preview.resize(640, 430)
                preview.set_tokens(derive_tokens(theme))
                preview.grab().save(str(out / f"preview-{mode}.png"))
                preview.deleteLater()
            server.kill()  # the server gone: the window says it is reconnecting
            await until(lambda: page.overlay.isVisible())
            await both("meeting-server-down")
        finally:
            for session in others:
                await session.leave()
            for joiner in joiners:
                joiner.kill()
                await joiner.wait()
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

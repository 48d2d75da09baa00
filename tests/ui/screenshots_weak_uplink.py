"""Screenshots of the meeting window when someone's uplink is thin (the connection-quality bars on that person's tile
follow the uplink estimate), light and dark, with a long name, and once the link recovers — to look at, not to
assert on.

    DISPLAY=:107 .venv/bin/python -m tests.ui.screenshots_weak_uplink [OUT_DIR, default ./screenshots]

Starts a real server process; the window joins on a clean link, Bo on a clean link, and a participant with a long
name behind the impairment harness, whose uplink is capped to 250 kbit/s (the camera's full layer stops) and lifted.
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
from meetdesk.core.models import MeetRoomTheme
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.ui.eventloop import QtAsyncLoop
from meetdesk.ui.meeting.window import ParticipantWindow

THEMES = {
    "light": MeetRoomTheme(name="default-light", enabled=True, baseTheme="light"),
    "dark": MeetRoomTheme(name="default-dark", enabled=True, baseTheme="dark"),
}
KEY = "meetdesk-screenshots-api-key-0123456789"
THIN = "Hiroshi Yamauchi-Nakamura de la Cruz"


async def until(predicate: object, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.1)


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    network = ImpairedNetwork(seed=7)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        server = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", tmp],
            env=dict(os.environ, MEETDESK_INITIAL_API_KEY=KEY),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        others: list[MeetingSession] = []
        window = ParticipantWindow(QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat), synthetic=True)
        page = window.meeting_page
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    async with MeetDeskClient(url, api_key=KEY) as api:
                        room = await api.create_room({"roomName": "Thin uplink"})
                    break
                except ConnectionFailed:
                    await asyncio.sleep(0.2)
            assert room.moderatorUrl is not None and room.speakerUrl is not None
            window.resize(1180, 760)
            window.show()
            window.open_link(room.moderatorUrl)
            await until(lambda: window.stage == "join")
            window.join_page.name.setText("Desk")
            window.join_page.next.click()
            await until(lambda: window.stage == "devices" and window.device_page.join.isEnabled())
            window.device_page.join.click()
            await until(lambda: window.stage == "meeting")
            bo = MeetingSession(room.speakerUrl, "Bo", source_id=2, publish_audio=False)
            thin = MeetingSession(room.speakerUrl, THIN, source_id=3, peer_connection=network.peer_connection)
            for session in (bo, thin):
                await session.join()
                others.append(session)
            assert thin.joined is not None
            key = f"{thin.joined.you.identity}/camera"
            await until(lambda: len(page.tiles.tiles) == 3 and all(t.has_video for t in page.tiles.tiles.values()))
            await until(lambda: key in page.tiles.tiles and page.tiles.tiles[key].quality == "excellent", 60)

            async def both(name: str) -> None:
                for mode, theme in THEMES.items():
                    apply_theme(app, theme)
                    await asyncio.sleep(0.6)
                    window.grab().save(str(out / f"{name}-{mode}.png"))

            network.set("up", rate_kbps=250, queue_ms=100)
            await until(lambda: page.tiles.tiles[key].quality == "poor", timeout=90)
            await asyncio.sleep(1)
            await both("weak-uplink-poor")
            print("poor: window up for xdotool", flush=True)
            await asyncio.sleep(float(os.environ.get("HOLD_S", "0")))  # real input and root pictures meanwhile
            network.set("up", rate_kbps=None)
            await until(lambda: page.tiles.tiles[key].quality in ("good", "excellent"), timeout=90)
            await asyncio.sleep(2)
            await both("weak-uplink-recovered")
        finally:
            for session in others:
                await session.leave()
            if page.in_meeting:
                await page.leave()
            window._closing_confirmed = True
            window.close()
            network.close()
            server.kill()
            await server.wait()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = QtAsyncLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(shoot(out))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from meetdesk.client.session import MeetingSession
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.screenshot_kit import both_themes, create_room, join, run, server_process, until

THIN = "Hiroshi Yamauchi-Nakamura de la Cruz"


async def shoot(out: Path) -> None:
    network = ImpairedNetwork(seed=7)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        async with server_process(tmp) as url:
            others: list[MeetingSession] = []
            window = ParticipantWindow(
                QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat), synthetic=True
            )
            page = window.meeting_page
            try:
                room = await create_room(url, {"roomName": "Thin uplink"})
                assert room.moderatorUrl is not None and room.speakerUrl is not None
                window.resize(1180, 760)
                window.show()
                await join(window, room.moderatorUrl, "Desk")
                bo = MeetingSession(room.speakerUrl, "Bo", source_id=2, publish_audio=False)
                thin = MeetingSession(room.speakerUrl, THIN, source_id=3, peer_connection=network.peer_connection)
                for session in (bo, thin):
                    await session.join()
                    others.append(session)
                assert thin.joined is not None
                key = f"{thin.joined.you.identity}/camera"
                await until(lambda: len(page.tiles.tiles) == 3 and all(t.has_video for t in page.tiles.tiles.values()))
                await until(lambda: key in page.tiles.tiles and page.tiles.tiles[key].quality == "excellent", 60)
                network.set("up", rate_kbps=250, queue_ms=100)
                await until(lambda: page.tiles.tiles[key].quality == "poor", timeout=90)
                await asyncio.sleep(1)
                await both_themes(window, out, "weak-uplink-poor")
                print("poor: window up for xdotool", flush=True)
                await asyncio.sleep(float(os.environ.get("HOLD_S", "0")))  # real input and root pictures meanwhile
                network.set("up", rate_kbps=None)
                await until(lambda: page.tiles.tiles[key].quality in ("good", "excellent"), timeout=90)
                await asyncio.sleep(2)
                await both_themes(window, out, "weak-uplink-recovered")
            finally:
                for session in others:
                    await session.leave()
                if page.in_meeting:
                    await page.leave()
                window._closing_confirmed = True
                window.close()
                network.close()


if __name__ == "__main__":
    sys.exit(run(shoot))

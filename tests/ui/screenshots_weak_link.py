"""Screenshots of the meeting window behind a thin downlink ("Video paused: weak connection" on the tiles), light and
dark, in the grid and in the filmstrip, with long names, and once the link recovers — to look at, not to assert on.

    DISPLAY=:106 .venv/bin/python -m tests.ui.screenshots_weak_link [OUT_DIR, default ./screenshots]

Starts a real server process; the participant window's media go through the impairment harness, whose downlink is
capped to 60 kbit/s (no camera's low layer fits) and then lifted; three headless participants publish cameras.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from meetdesk.client.session import MeetingSession
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.ui.meeting.model import Layout
from meetdesk.ui.meeting.tiles import SELF
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.screenshot_kit import both_themes, create_room, join, run, server_process, until

OTHERS = ["Bo", "Hiroshi Yamauchi-Nakamura de la Cruz", "Fatima Al-Fihri"]


async def shoot(out: Path) -> None:
    network = ImpairedNetwork(seed=7)
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        async with server_process(tmp) as url:
            others: list[MeetingSession] = []
            window = ParticipantWindow(
                QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat), synthetic=True
            )
            page = window.meeting_page
            factory = functools.partial(MeetingSession, peer_connection=network.peer_connection)
            page.start = functools.partial(page.start, session_factory=factory)  # type: ignore[method-assign]
            try:
                room = await create_room(url, {"roomName": "Weak link"})
                assert room.moderatorUrl is not None and room.speakerUrl is not None
                window.resize(1180, 760)
                window.show()
                await join(window, room.moderatorUrl, "Desk")
                for n, name in enumerate(OTHERS):
                    session = MeetingSession(room.speakerUrl, name, source_id=n + 2, publish_audio=False)
                    await session.join()
                    others.append(session)
                await until(lambda: len(page.tiles.tiles) == 4 and all(t.has_video for t in page.tiles.tiles.values()))
                network.set("down", rate_kbps=60, queue_ms=100)
                await until(lambda: len(page.model.paused_video) == len(OTHERS), timeout=90)
                await asyncio.sleep(1)
                await both_themes(window, out, "weak-link-paused-grid")
                page.tiles.pin(SELF)
                page.tiles.set_layout(Layout.SPEAKER)
                await both_themes(window, out, "weak-link-paused-filmstrip")
                print("paused: window up for xdotool", flush=True)
                await asyncio.sleep(float(os.environ.get("HOLD_S", "0")))  # real input and root pictures meanwhile
                page.tiles.pin("")
                page.tiles.set_layout(Layout.GRID)
                network.set("down", rate_kbps=None)
                await until(lambda: not page.model.paused_video, timeout=90)
                await asyncio.sleep(2)
                await both_themes(window, out, "weak-link-resumed")
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

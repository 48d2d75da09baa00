"""What the screenshot scripts share (every ``tests/ui/*screenshots*.py``): the script's ``main`` (:func:`run`),
the themes and a poll for what has no signal; for the meeting scripts also a real server process with a known API
key, a room made once it answers and the participant window walked from its link into the meeting. These scripts
make pictures to look at; they assert nothing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ConnectionFailed
from meetdesk.core.models import MeetRoom, MeetRoomTheme
from meetdesk.ui.eventloop import QtAsyncLoop
from meetdesk.ui.meeting.window import ParticipantWindow

KEY = "meetdesk-screenshots-api-key-0123456789"


async def until(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll ``predicate`` every 0.1 s (window stages, tiles and frames have no one signal to wait on here)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def server_process(data_dir: str, **env: str) -> AsyncIterator[str]:
    """A ``meetdesk server`` child on a free loopback port with :data:`KEY`; yields its URL, killed on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", data_dir],
        env=dict(os.environ, MEETDESK_INITIAL_API_KEY=KEY, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if server.returncode is None:
            server.kill()
        await server.wait()


async def create_room(url: str, body: dict[str, Any]) -> MeetRoom:
    """A room, as soon as the server answers (another process: nothing to wait on but its port)."""
    for _ in range(100):
        try:
            async with MeetDeskClient(url, api_key=KEY) as api:
                room = await api.create_room(body)
            break
        except ConnectionFailed:
            await asyncio.sleep(0.2)
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    return room


async def join(window: ParticipantWindow, link: str, name: str) -> None:
    """The window from ``link`` through the join and device views into the meeting, as a person clicks it."""
    window.open_link(link)
    await until(lambda: window.stage == "join")
    window.join_page.name.setText(name)
    window.join_page.next.click()
    await until(lambda: window.stage == "devices" and window.device_page.join.isEnabled())
    window.device_page.join.click()
    await until(lambda: window.stage == "meeting")


def run(shoot: Callable[[Path], Awaitable[None]]) -> int:
    """The scripts' ``main``: pictures into ``argv[1]`` (default ``./screenshots``) on a Qt-driven asyncio loop."""
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


THEMES = {
    "light": MeetRoomTheme(name="default-light", enabled=True, baseTheme="light"),
    "dark": MeetRoomTheme(name="default-dark", enabled=True, baseTheme="dark"),
}


async def both_themes(window: QWidget, out: Path, name: str) -> None:
    """``window`` grabbed in the light and the dark theme, as ``<name>-light.png`` and ``<name>-dark.png``."""
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    for mode, theme in THEMES.items():
        apply_theme(app, theme)
        await asyncio.sleep(0.6)  # the restyle and a paint happen before the picture
        window.grab().save(str(out / f"{name}-{mode}.png"))

"""The connection-quality indicator on a tile follows the bandwidth estimates (issue 13): Bo's uplink is capped
through the impairment harness, Bo's camera's full layer stops for it, Bo grades its connection "poor" and the
meeting window draws that on Bo's tile; the cap lifted, the full layer back, the tile shows a good connection again.

A real server process, the desktop window (synthetic devices) and Bo, a headless participant behind the harness.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.session import MeetingSession
from meetdesk.core.models import MeetRoom
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.ui.meeting.meeting_page import MeetingPage
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot

pytestmark = pytest.mark.slow


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[ParticipantWindow]:
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings, synthetic=True, source_id=7, admin=True)
    window.show()
    yield window
    window._closing_confirmed = True
    window.close()
    window.deleteLater()


async def until(signal: Any, predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Wait on ``signal``'s emissions until ``predicate()`` holds (checked first, and after each emission)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        try:
            await asyncio.wait_for(emitted(signal), left)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


async def join(window: ParticipantWindow, link: str) -> MeetingPage:
    window.open_link(link)
    await until(window.stageChanged, lambda: window.stage == "join", 20, "the join stage")
    window.join_page.name.setText("Desk")
    window.join_page.next.click()
    await until(window.stageChanged, lambda: window.stage == "devices", 20, "the devices stage")
    # the devices open off the GUI thread; the Join button says when they are ready (no signal of its own)
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    window.device_page.join.click()
    await until(window.stageChanged, lambda: window.stage == "meeting", 20, "the meeting stage")
    return window.meeting_page


async def test_a_tile_shows_the_connection_its_uplink_estimate_allows(
    window: ParticipantWindow, client: MeetDeskClient
) -> None:
    room: MeetRoom = await client.create_room({"roomName": "Thin links"})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    network = ImpairedNetwork(seed=17)
    bo = MeetingSession(room.speakerUrl, "Bo", source_id=2, peer_connection=network.peer_connection)
    await bo.join()
    try:
        assert bo.joined is not None
        page = await join(window, room.moderatorUrl)
        tile_key = f"{bo.joined.you.identity}/camera"

        def bo_quality() -> str | None:
            tile = page.tiles.tiles.get(tile_key)
            return tile.quality if tile is not None else None

        # (a clean link: excellent, or good on a busy machine whose round trips and losses show its load)
        await until(page.model.participantChanged, lambda: bo_quality() in ("excellent", "good"), 60, "Bo's quality")

        # Bo's uplink cannot carry its camera's full layer: Bo stops it, and its tile says the connection is poor
        network.set("up", rate_kbps=250, queue_ms=100)
        await until(page.model.participantChanged, lambda: bo_quality() == "poor", 45, "Bo's poor connection")
        tile = page.tiles.tiles[tile_key]
        assert tile.quality_text == "Poor connection"
        assert tile.shows_quality and tile.rect().contains(tile.quality_rect())
        shoot(window, "meeting-quality-poor")

        # the cap lifted: the full layer comes back, and so does a good connection on the tile
        network.set("up", rate_kbps=None)
        await until(
            page.model.participantChanged, lambda: bo_quality() in ("excellent", "good"), 60, "Bo's connection back"
        )
    finally:
        await bo.leave()
        network.close()
        await window.meeting_page.leave()

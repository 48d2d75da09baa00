"""The meeting window behind a thin downlink: the tile of a camera the server pauses for this window says "Video
paused: weak connection" (initials, no frozen picture, poor connection bars), and goes back to the picture when
the link recovers.

A real server process, the desktop window (synthetic devices) whose media go through the impairment harness
(:class:`~meetdesk.rtc.impaired_path.ImpairedNetwork`, its downlink capped), and a headless participant that
publishes a camera with its low layer and no microphone.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.session import MeetingSession
from meetdesk.core.models import MeetRoom
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.test_meeting_window import join

pytestmark = pytest.mark.slow

PAUSED = "Video paused: weak connection"


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[ParticipantWindow]:
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings, synthetic=True, source_id=7, admin=True)
    window.show()
    yield window
    window._closing_confirmed = True
    window.close()
    window.deleteLater()


async def test_a_camera_paused_for_a_weak_downlink_says_so_on_its_tile_until_the_link_recovers(
    window: ParticipantWindow, client: MeetDeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    room: MeetRoom = await client.create_room({"roomName": "Weak link"})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    window.resize(1000, 700)
    network = ImpairedNetwork(seed=5)
    # the window's session reaches the server through the harness (the one seam: the page's session factory)
    page = window.meeting_page
    factory = functools.partial(MeetingSession, peer_connection=network.peer_connection)
    monkeypatch.setattr(page, "start", functools.partial(page.start, session_factory=factory))
    page = await join(window, room.moderatorUrl)
    bo = MeetingSession(room.speakerUrl, "Bo", source_id=3, publish_audio=False)
    try:
        await bo.join()
        assert bo.joined is not None and page.session is not None
        bo_id = bo.joined.you.identity
        tile_key = f"{bo_id}/camera"
        # frames arrive 30 times a second and have no signal of their own: poll the tile's frames
        await wait_until(lambda: tile_key in page.tiles.tiles, what="Bo's tile")
        tile = page.tiles.tiles[tile_key]
        await wait_until(lambda: tile.frames_received >= 20, timeout=30, what="Bo's video on the tile")
        assert tile.has_video and PAUSED.lower() not in tile.badges

        # 60 kbit/s: not even Bo's low layer fits; the server pauses it for this window and says so
        paused = emitted(page.model.pausedVideoChanged)
        network.set("down", rate_kbps=60, queue_ms=100)
        await paused
        await wait_until(lambda: page.model.is_video_paused(bo_id), timeout=60, what="Bo's video paused")
        assert tile.video_paused and not tile.has_video  # the initials, not a frozen picture
        assert PAUSED.lower() in tile.badges
        assert tile.quality in ("poor", "lost")  # the bars say this window gets Bo poorly
        assert page.session.paused_video == frozenset({bo_id})
        shoot(window, "meeting-weak-link-paused")

        # the cap lifted: the server probes the link, resumes Bo's video, and the tile shows it again
        network.set("down", rate_kbps=None)
        await wait_until(lambda: not page.model.is_video_paused(bo_id), timeout=60, what="Bo's video resumed")
        bo_info = page.model.participant(bo_id)
        assert bo_info is not None
        assert PAUSED.lower() not in tile.badges and tile.quality == bo_info.quality  # Bo's own grade again
        received = tile.frames_received
        await wait_until(lambda: tile.frames_received >= received + 10, timeout=30, what="Bo's video again")
        assert tile.has_video
    finally:
        await bo.leave()
        await page.leave()
        network.close()

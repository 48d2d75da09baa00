"""The meeting window reports the size of its tiles: a camera in the filmstrip gets the low simulcast layer,
the same camera on the stage the full one.

A real server process, the desktop window (synthetic devices) and a headless participant that publishes a
640x480 camera and its 320x240 low layer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.session import MeetingSession
from meetdesk.core.models import MeetRoom
from meetdesk.ui.meeting.meeting_page import SELF
from meetdesk.ui.meeting.model import Layout
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.test_meeting_window import join

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


async def test_a_filmstrip_tile_gets_the_low_layer_and_the_stage_the_full_one(
    window: ParticipantWindow, client: MeetDeskClient
) -> None:
    room: MeetRoom = await client.create_room({"roomName": "Simulcast"})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    window.resize(1200, 800)
    page = await join(window, room.moderatorUrl)
    bo = MeetingSession(room.speakerUrl, "Bo", source_id=3, publish_audio=False)
    await bo.join()
    try:
        assert bo.joined is not None
        bo_id = bo.joined.you.identity
        tile_key = f"{bo_id}/camera"
        # frames arrive 30 times a second and have no signal of their own: poll the tile's last frame
        await wait_until(
            lambda: tile_key in page.tiles.tiles and page.tiles.tiles[tile_key].frame_size == QSize(640, 480),
            what="Bo's full picture in a large tile",
        )
        assert page.tiles.camera_sizes[bo_id][1] > 300

        # you on the stage, Bo in the filmstrip: the window reports the small tile, the server sends the low layer
        sizes = emitted(page.tiles.cameraSizesChanged)
        page.tiles.pin(SELF)
        assert page.tiles.layout_mode is Layout.SPEAKER
        reported = (await sizes)[0]
        assert reported[bo_id][1] <= 300
        tile = page.tiles.tiles[tile_key]
        await wait_until(lambda: tile.frame_size == QSize(320, 240), what="Bo's low layer in the filmstrip")
        received = tile.frames_received
        await wait_until(lambda: tile.frames_received >= received + 10, what="the low layer to keep coming")
        assert tile.frame_size == QSize(320, 240)
        shoot(window, "meeting-simulcast-filmstrip-low")

        # Bo on the stage: the full picture again
        page.tiles.pin(tile_key)
        await wait_until(lambda: tile.frame_size == QSize(640, 480), what="Bo's full picture on the stage")
        shoot(window, "meeting-simulcast-stage-full")
    finally:
        await bo.leave()
        await page.leave()

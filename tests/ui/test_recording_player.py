"""The recordings player against a real server process: streamed through the loopback stream with the client's
credentials, it reaches "playing" and its position advances; seek, pause, volume, full screen and the keys;
what went wrong said in words on the player; the Recordings page's Play. And downloads: cut part way (a TCP proxy
between the app and the server), resumed to a byte-identical file, after the app started again too."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaDevices
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.downloads import info_path, partial_path
from meetdesk.ui.admin.recordings_page import RecordingsPage
from meetdesk.ui.recordings.download import DownloadBar
from meetdesk.ui.recordings.model import COL_ROOM
from meetdesk.ui.recordings.player import RecordingPlayer
from meetdesk.ui.recordings.player_model import PlayerModel, PlayerState
from tests.conftest import API_KEY, ServerProcess
from tests.integration.cutting_proxy import CuttingProxy
from tests.integration.recording_helpers import seed_recording
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.player_media import ready_recording

pytestmark = [
    pytest.mark.slow,
    # FFmpeg's own complaints when a read of the stream is cut under it (the player seeking away while a range
    # is still arriving): the player carries on from the new range, which the tests check
    pytest.mark.qt_log_ignore("QFFmpeg::Demuxer received AVPacket with pts == AV_NOPTS_VALUE", "Demuxing failed"),
]

#: a safety net on a loaded shared machine, not a speed the tests assert
DEADLINE_S = 60.0


async def reach(model: PlayerModel, state: PlayerState) -> None:
    """Until the player is in ``state`` (the view-model says each change)."""
    while model.state is not state:
        await asyncio.wait_for(emitted(model.stateChanged), DEADLINE_S)


async def position_past(model: PlayerModel, ms: int) -> int:
    """Until the player's position is past ``ms``; the position then."""
    while model.position <= ms:
        await asyncio.wait_for(emitted(model.positionChanged), DEADLINE_S)
    return model.position


async def frame_from(player: RecordingPlayer, ms: int) -> int:
    """Until a frame of the recording's time ``ms`` or later is painted; that frame's time."""
    while True:
        (shown,) = await asyncio.wait_for(emitted(player.surface.framePainted), DEADLINE_S)
        if shown >= ms:
            return int(shown)


@pytest.fixture
async def holder(qtbot: QtBot) -> AsyncIterator[tuple[QWidget, RecordingPlayer]]:
    """A player inside a window, as a page holds it (its stream closed at the end, whatever happened)."""
    window = QWidget()
    player = RecordingPlayer(window)
    QVBoxLayout(window).addWidget(player)
    window.resize(800, 520)
    window.show()
    yield window, player
    await player.close_recording()
    window.close()
    window.deleteLater()


async def test_plays_from_the_server_seeks_pauses_and_answers_the_keys(
    qtbot: QtBot, holder: tuple[QWidget, RecordingPlayer], client: MeetDeskClient, server_process: ServerProcess
) -> None:
    window, player = holder
    model = player.model
    recording = await ready_recording(client, server_process)
    assert model.state is PlayerState.EMPTY and not player.play_button.isEnabled()

    first_frame = frame_from(player, 0)
    await player.open(client, recording)
    await reach(model, PlayerState.PLAYING)
    await first_frame
    assert model.error == ""
    assert model.duration == pytest.approx(12_000, abs=100)
    assert player.total.text() == "0:12"
    assert player.play_button.toolTip() == "Pause (Space)"
    # the position advances while it plays, and the bar and the elapsed time follow it
    advanced = await position_past(model, 1000)
    assert player.seek_bar.value() >= 1000 and player.elapsed.text() != "0:00"
    assert model.stream is not None and model.stream.requests >= 1
    shoot(window, "player-playing")

    # seek: the picture shown is from the new place
    model.seek(9000)
    assert await frame_from(player, 8000) >= 8000
    assert model.position >= 8000

    # Space pauses, Space plays again
    qtbot.keyClick(player.surface, Qt.Key.Key_Space)
    await reach(model, PlayerState.PAUSED)
    assert player.play_button.toolTip() == "Play (Space)"
    qtbot.keyClick(player.surface, Qt.Key.Key_Space)
    await reach(model, PlayerState.PLAYING)

    # ← goes back 5 s, → forward 5 s
    qtbot.keyClick(player.surface, Qt.Key.Key_Space)
    await reach(model, PlayerState.PAUSED)
    model.seek(6000)
    qtbot.keyClick(player.surface, Qt.Key.Key_Left)
    assert model.position == 1000 and player.seek_bar.value() == 1000
    qtbot.keyClick(player.surface, Qt.Key.Key_Right)
    assert model.position == 6000
    assert await frame_from(player, 5000) >= 5000  # the paused player shows the picture it moved to
    del advanced

    # ↑/↓ volume, M mute (the controls are there only with a sound output)
    volume = model.volume
    qtbot.keyClick(player.surface, Qt.Key.Key_Down)
    assert model.volume == volume - 10 and player.volume.value() == volume - 10
    qtbot.keyClick(player.surface, Qt.Key.Key_Up)
    assert model.volume == volume
    qtbot.keyClick(player.surface, Qt.Key.Key_M)
    assert model.muted and player.mute_button.isChecked()
    qtbot.keyClick(player.surface, Qt.Key.Key_M)
    assert not model.muted

    # F: the player alone on the screen; Esc: back in its window
    changed = emitted(player.fullScreenChanged)
    qtbot.keyClick(player.surface, Qt.Key.Key_F)
    assert (await changed) == (True,)
    assert player.isWindow() and player.isFullScreen()
    # a window's geometry has no signal of its own; the window system applies full screen when it gets to it
    await wait_until(
        lambda: player.geometry() == player.screen().geometry(), DEADLINE_S, "the player to fill the screen"
    )
    assert player.full_screen_button.toolTip() == "Leave full screen (Esc)"
    qtbot.keyClick(player.surface, Qt.Key.Key_Escape)
    assert not player.isWindow() and player.window() is window and player.isVisible()
    assert player.full_screen_button.toolTip() == "Full screen (F)"
    player.full_screen_button.click()
    assert player.isFullScreen()
    player.full_screen_button.click()
    assert not player.isWindow()

    # played to the end: "ended", and Play starts again from the beginning
    model.seek(11_000)
    model.play()
    await reach(model, PlayerState.ENDED)
    model.play()
    await reach(model, PlayerState.PLAYING)
    assert model.position < 11_000
    await player.close_recording()
    assert model.state is PlayerState.EMPTY and model.stream is None


async def test_without_a_sound_output_it_plays_muted_and_says_so(
    holder: tuple[QWidget, RecordingPlayer], client: MeetDeskClient, server_process: ServerProcess
) -> None:
    _window, player = holder
    model = player.model
    recording = await ready_recording(client, server_process)
    await player.open(client, recording)
    await reach(model, PlayerState.PLAYING)
    await position_past(model, 500)
    if QMediaDevices.audioOutputs():  # a computer with sound: no note, the sound controls work
        assert model.note == "" and not player.note.isVisible() and player.volume.isEnabled()
    else:  # this machine and CI: no sound card, no sound server
        assert model.note == "No sound output was found on this computer: the recording plays without sound."
        assert player.note.isVisible() and player.note.text() == model.note
        assert not player.volume.isEnabled() and not player.mute_button.isEnabled()
        assert player.mute_button.isChecked()
    assert model.error == ""
    await player.close_recording()


@pytest.mark.qt_log_ignore("Could not open media")  # QtMultimedia's own line for what the player says in words
async def test_a_recording_that_cannot_play_is_said_in_words_on_the_player(
    holder: tuple[QWidget, RecordingPlayer], client: MeetDeskClient, server_process: ServerProcess
) -> None:
    window, player = holder
    model = player.model
    recording = await ready_recording(client, server_process, "Quarterly planning, Northern Europe partners")
    await client.delete_recording(recording.recordingId)  # deleted by someone else since the list was shown
    await player.open(client, recording)
    await reach(model, PlayerState.FAILED)
    expected = "The recording could not be played: it no longer exists; someone may have deleted it."
    assert model.error == expected
    assert player.error.isVisible() and player.error.text() == expected
    assert not player.seek_bar.isEnabled()
    assert player.play_button.isEnabled()  # Play tries again
    shoot(window, "player-error")

    # the server stopped: said as such (and Play again once it is back would work)
    other = await ready_recording(client, server_process, "Stand-up")
    server_process.stop()
    await player.open(client, other)
    await reach(model, PlayerState.FAILED)
    assert model.error.startswith("The recording could not be played: cannot reach the server at http://127.0.0.1:")
    assert model.error.endswith(".")
    await player.close_recording()


async def test_the_recordings_page_plays_the_highlighted_recording_in_the_player_window(
    qtbot: QtBot, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    page = RecordingsPage()
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    recording = await ready_recording(client, server_process, "Quarterly planning, Northern Europe partners")
    room = await client.create_room({"roomName": "Still recording"})
    seed_recording(server_process, room.roomId, "Still recording", status="active")
    arrived = emitted(page.model.pageLoaded)
    page.set_client(client)
    await asyncio.wait_for(arrived, DEADLINE_S)
    rooms = [page.model.index(row, COL_ROOM).data() for row in range(page.model.rowCount())]
    page.table.selectRow(rooms.index("Still recording"))
    assert not page.play.isEnabled()  # nothing to watch until it is finished
    assert page.play.toolTip() == "Highlight one recording that is ready to watch it."
    ready_row = rooms.index(recording.roomName)
    page.table.selectRow(ready_row)
    assert page.play.isEnabled()

    page.play.click()
    window = page.player_window
    assert window is not None and window.isVisible()
    model = window.player.model
    await reach(model, PlayerState.PLAYING)
    await position_past(model, 500)
    assert window.title.text() == recording.roomName
    assert window.details.text().endswith(", 0:12 long")
    assert window.windowTitle() == f"{recording.roomName} — recording"
    shoot(window, "player-window")

    # closing the window stops the playing and lets the stream go; a double-click on the row opens it again
    window.close()
    await window.closed()
    assert model.state is PlayerState.EMPTY and model.stream is None
    cell = page.table.visualRect(page.model.index(ready_row, COL_ROOM)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a double-click: click, then
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert page.player_window is window and window.isVisible()
    await reach(model, PlayerState.PLAYING)
    window.close()
    await window.closed()


async def test_a_download_cut_part_way_resumes_to_a_byte_identical_file(
    qtbot: QtBot, server_process: ServerProcess, tmp_path: Path
) -> None:
    video = os.urandom(8 * 1024 * 1024)
    proxy = await CuttingProxy(server_process.port).start()  # the network between the app and the server
    target = tmp_path / "meeting.mp4"
    try:
        async with MeetDeskClient(proxy.link(server_process.url), api_key=API_KEY) as client:
            room = await client.create_room({"roomName": "Board meeting"})
            seeded = seed_recording(server_process, room.roomId, "Board meeting", media=video)
            recording = await client.get_recording(seeded.recording_id)
            bar = DownloadBar()
            qtbot.addWidget(bar)
            bar.resize(900, 60)
            bar.client = client
            proxy.cut_after(len(video) // 3)  # the network fails a third of the way
            bar.start(recording, target)
            assert bar.isVisible() and bar.cancel.isVisible()
            await asyncio.wait_for(bar.wait(), DEADLINE_S)
            kept = partial_path(target).stat().st_size
            percent = kept * 100 // len(video)
            assert 0 < kept <= len(video) // 3
            assert bar.text.text() == (
                f"The download of “meeting.mp4” stopped at {percent}%: Cannot reach the server at "
                f"{client.base_url}. Check that it is running and the address is right. "
                "Resume continues where it stopped."
            )
            assert bar.resume.isVisible() and not bar.cancel.isVisible() and not target.exists()
            shoot(bar, "download-cut")

            bar.resume.click()  # the network is back
            assert bar.text.text() == f"Resuming “meeting.mp4” from {percent}%…"
            assert bar.progress.value() == kept * 1000 // len(video)  # the bar starts where the part ends
            await asyncio.wait_for(bar.wait(), DEADLINE_S)
            assert bar.text.text() == f"Saved “meeting.mp4” in {tmp_path}."
            assert target.read_bytes() == video
            assert not partial_path(target).exists() and not info_path(target).exists()  # no part, no note of it

            # cut again, then the app closes: a new download bar (the app started again) saving the same
            # recording to the same place goes on from the part
            again = tmp_path / "again.mp4"
            proxy.cut_after(len(video) // 2)
            bar.start(recording, again)
            await asyncio.wait_for(bar.wait(), DEADLINE_S)
            assert partial_path(again).exists() and proxy.cuts == 2
        async with MeetDeskClient(proxy.link(server_process.url), api_key=API_KEY) as client:
            later = DownloadBar()
            qtbot.addWidget(later)
            later.client = client
            later.start(recording, again)
            assert later.text.text().startswith("Resuming “again.mp4” from ")
            await asyncio.wait_for(later.wait(), DEADLINE_S)
            assert again.read_bytes() == video
            assert later.text.text() == f"Saved “again.mp4” in {tmp_path}."
    finally:
        await proxy.close()

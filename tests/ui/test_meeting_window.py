"""The meeting window as a Zoom user expects it: toolbar icons with labels and visible states, the device
settings during the meeting, initials, the meeting's timer, connection quality per tile, who speaks in the
participants list, the layout menu and a raised hand in the filmstrip.

A real server process, the desktop window (synthetic camera and microphone) and headless participants
(``MeetingSession``) in one room; what the others receive is read from their sessions.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QToolButton
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.effects.track import effects_available
from meetdesk.client.media.audio import frame_to_mono
from meetdesk.client.media.devices import list_cameras, list_microphones, list_speakers
from meetdesk.client.media.local import SYNTHETIC_CAMERAS, SYNTHETIC_MICROPHONES
from meetdesk.client.media.synthetic import MarkerError, decode_marker, dominant_frequency, tone_frequency
from meetdesk.client.session import MeetingSession
from meetdesk.core.models import MeetRoom
from meetdesk.ui.meeting.meeting_page import SELF, MeetingPage
from meetdesk.ui.meeting.model import Layout
from meetdesk.ui.meeting.participants_panel import BadgesRole
from meetdesk.ui.meeting.tiles import STRIP_HEIGHT
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot

pytestmark = pytest.mark.slow

WINDOW_SOURCE = 7  # the number the window's synthetic camera draws into its frames


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[ParticipantWindow]:
    """The window; a test that joins leaves before it returns (the teardown runs when asyncio's loop does not)."""
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings, synthetic=True, source_id=WINDOW_SOURCE, admin=True)
    window.show()
    yield window
    window._closing_confirmed = True
    window.close()
    window.deleteLater()


@pytest.fixture
async def room(client: MeetDeskClient) -> MeetRoom:
    return await client.create_room({"roomName": "Daily stand-up"})


async def reach(window: ParticipantWindow, stage: str, timeout: float = 20.0) -> None:
    await until(window.stageChanged, lambda: window.stage == stage, timeout, what=f"the {stage} stage")


async def until(signal: Any, predicate: Callable[[], object], timeout: float = 20.0, what: str = "it") -> None:
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


async def join(window: ParticipantWindow, link: str, name: str = "Desk") -> MeetingPage:
    window.open_link(link)
    await reach(window, "join")
    window.join_page.name.setText(name)
    window.join_page.next.click()
    await reach(window, "devices")
    # the devices open off the GUI thread; the Join button says when they are ready (no signal of its own)
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    window.device_page.join.click()
    await reach(window, "meeting")
    return window.meeting_page


def icon_of(page: MeetingPage, button: QToolButton) -> str:
    return page.toolbar.icon_name(button)


async def test_toolbar_buttons_have_icons_labels_and_their_state(window: ParticipantWindow, room: MeetRoom) -> None:
    assert room.moderatorUrl is not None
    window.open_link(room.moderatorUrl)
    await reach(window, "join")
    window.join_page.name.setText("Desk")
    window.join_page.next.click()
    await reach(window, "devices")
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    devices = window.device_page
    assert devices.mic_toggle.property("iconName") == "mic" and devices.camera_toggle.property("iconName") == "camera"
    devices.mic_toggle.click()  # the device view's toggles show the toolbar's icons, struck through when off
    assert devices.mic_toggle.property("iconName") == "mic-off"
    devices.mic_toggle.click()
    devices.join.click()
    await reach(window, "meeting")
    page = window.meeting_page
    bar = page.toolbar
    buttons = [b for b in bar.findChildren(QToolButton) if b.objectName().endswith("Button")]
    assert len(buttons) >= 10
    for button in buttons:  # icon above label, both there
        assert button.toolButtonStyle().name == "ToolButtonTextUnderIcon", button.objectName()
        assert not button.icon().isNull() and button.text(), button.objectName()
    assert (page.mic_button.text(), icon_of(page, page.mic_button)) == ("Mute", "mic")
    assert (page.camera_button.text(), icon_of(page, page.camera_button)) == ("Stop video", "camera")
    page.mic_button.click()
    page.camera_button.click()
    assert (page.mic_button.text(), icon_of(page, page.mic_button)) == ("Unmute", "mic-off")
    assert (page.camera_button.text(), icon_of(page, page.camera_button)) == ("Start video", "camera-off")
    assert page.mic_button.isChecked() and page.mic_button.accessibleName() == "Unmute"
    shoot(window, "meeting-toolbar-muted")
    page.mic_button.click()
    assert icon_of(page, page.mic_button) == "mic"

    # the layout menu marks the layout shown, whichever way it was chosen
    assert page.grid_action.isCheckable() and page.grid_action.isChecked() and not page.speaker_action.isChecked()
    page.speaker_action.trigger()
    assert page.tiles.layout_mode is Layout.SPEAKER
    assert page.speaker_action.isChecked() and not page.grid_action.isChecked()
    page.tiles.set_layout(Layout.GRID)
    assert page.grid_action.isChecked() and not page.speaker_action.isChecked()
    await page.leave()


async def test_without_devices_the_buttons_say_why_and_test_speaker_says_there_is_none(
    qtbot: QtBot, tmp_path: Path, room: MeetRoom
) -> None:
    """On a machine with no camera, microphone or speaker (this one), the real-device path."""
    if list_cameras() or list_microphones() or list_speakers():
        pytest.skip("this machine has a camera, a microphone or a speaker: the no-device path cannot be shown")
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings)
    window.show()
    try:
        assert room.moderatorUrl is not None
        window.open_link(room.moderatorUrl)
        await reach(window, "join")
        window.join_page.name.setText("Listener")
        window.join_page.next.click()
        await reach(window, "devices")
        await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
        devices = window.device_page
        assert [devices.mic_toggle.property("iconName"), devices.camera_toggle.property("iconName")] == [
            "mic-off",
            "camera-off",
        ]
        test_speaker = window.device_page.test_speaker
        assert not test_speaker.isEnabled()
        assert test_speaker.toolTip() == "No speaker: there is nothing to play the test tone on."
        window.device_page.join.click()
        await reach(window, "meeting")
        page = window.meeting_page
        for button, device in ((page.mic_button, "microphone"), (page.camera_button, "camera")):
            assert not button.isEnabled()
            tip = button.toolTip()
            assert f"No {device} found" in tip and tip.endswith("."), tip
        assert icon_of(page, page.mic_button) == "mic-off" and icon_of(page, page.camera_button) == "camera-off"
        await page.leave()
        await reach(window, "ended")
    finally:
        window.close()
        window.deleteLater()


async def test_the_settings_change_devices_during_the_meeting_and_the_others_get_them(
    window: ParticipantWindow, room: MeetRoom, tmp_path: Path
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    page = await join(window, room.moderatorUrl)
    desk = page.model.you_identity
    tones: list[float] = []
    marked: list[bool] = []  # whether each video frame received carries the test pattern's marker

    def listen(track: Any, frame: Any) -> None:
        if track.key == f"{desk}/microphone":
            tones.append(dominant_frequency(frame_to_mono(frame), frame.sample_rate))
        elif track.key == f"{desk}/camera":
            try:
                decode_marker(frame)
                marked.append(True)
            except MarkerError:
                marked.append(False)

    bo = MeetingSession(room.speakerUrl, "Bo", source_id=2, publish_video=False, on_frame=listen)
    await bo.join()
    try:
        camera = f"{desk}/camera"
        await wait_until(lambda: camera in bo.remote and WINDOW_SOURCE in bo.remote[camera].markers_seen, 20)
        await wait_until(lambda: len(tones) > 20, 20, what="the window's microphone at Bo")
        assert abs(np.median(tones[-10:]) - tone_frequency(WINDOW_SOURCE)) < 30

        page.settings_button.click()
        dialog = window.settings_dialog
        assert dialog is not None
        await until(dialog.choices.devicesChanged, lambda: dialog.choices.camera_box.count() > 0, what="the devices")
        assert dialog.isVisible() and window.stage == "meeting"
        choices = dialog.choices
        assert [choices.camera_box.itemText(i) for i in range(choices.camera_box.count())] == list(SYNTHETIC_CAMERAS)
        assert choices.camera_box.currentText() == SYNTHETIC_CAMERAS[0]
        shoot(dialog, "meeting-settings")

        pick(choices.camera_box, SYNTHETIC_CAMERAS[1])
        await wait_until(
            lambda: (
                bo.remote[f"{desk}/camera"].last_marker is not None
                and bo.remote[f"{desk}/camera"].last_marker[0] == WINDOW_SOURCE + 1
            ),  # type: ignore[index]
            20,
            what="the second camera at Bo",
        )
        pick(choices.microphone_box, SYNTHETIC_MICROPHONES[1])
        heard = len(tones)
        await wait_until(
            lambda: len(tones) > heard + 20 and abs(np.median(tones[-10:]) - tone_frequency(WINDOW_SOURCE + 1)) < 30,
            20,
            what="the second microphone at Bo",
        )
        assert window.local is not None and window.local.microphone_name == SYNTHETIC_MICROPHONES[1]

        if effects_available() is None:
            beach = next(key for key in choices.background_buttons if key.endswith("beach.jpg"))
            choices.background_buttons[beach].click()
            # the picture replaces the test pattern (and its marker) in what Bo receives
            seen = len(marked)
            await wait_until(lambda: len(marked) > seen + 10 and not any(marked[-10:]), 20, what="the background at Bo")
            # a file that is no picture: said next to the pictures, the background in use stays chosen
            in_use = choices.background
            choices.background_buttons["file"].click()
            files = choices.file_dialog
            assert files is not None and files.isVisible()  # window-modal: the meeting runs on meanwhile
            (tmp_path / "notes.png").write_text("not a picture")
            files.fileSelected.emit(str(tmp_path / "notes.png"))
            files.reject()
            note = choices.background_note.text()
            assert note.startswith("That picture cannot be used: ") and note.endswith("."), note
            assert choices.background == in_use and choices.background_buttons[in_use].isChecked()
        dialog.reject()
        assert window.settings_dialog is None and page.in_meeting
    finally:
        await bo.leave()
        await page.leave()


def pick(box: QComboBox, text: str) -> None:
    """Choose ``text`` in ``box`` as a user does (``activated`` follows a choice by the user only)."""
    index = box.findText(text)
    assert index >= 0, text
    box.setCurrentIndex(index)
    box.activated.emit(index)


async def test_initials_come_from_the_name_everywhere(window: ParticipantWindow, room: MeetRoom) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    window.open_link(room.moderatorUrl)
    await reach(window, "join")
    window.join_page.name.setText("Alice Admin")
    window.join_page.next.click()
    await reach(window, "devices")
    assert window.device_page.preview.initials == "AA"  # shown while the camera is off
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    window.device_page.join.click()
    await reach(window, "meeting")
    page = window.meeting_page
    bo = MeetingSession(room.speakerUrl, "bo", source_id=2)
    await bo.join()
    try:
        assert bo.joined is not None
        bo_tile = f"{bo.joined.you.identity}/camera"
        await until(page.model.participantAdded, lambda: bo_tile in page.tiles.tiles, what="Bo's tile")
        mine = page.tiles.tiles[SELF]
        assert mine.label == "Alice Admin (you)" and mine.initials == "AA"  # never "A(" from "(you)"
        assert page.tiles.tiles[bo_tile].initials == "B"
    finally:
        await bo.leave()
        await page.leave()


async def test_timer_quality_and_who_speaks(window: ParticipantWindow, room: MeetRoom) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    bo = MeetingSession(room.speakerUrl, "Bo", source_id=2)
    await bo.join()  # the meeting starts with Bo, before the window joins
    try:
        assert bo.joined is not None and bo.joined.startedAt is not None
        bo_id = bo.joined.you.identity
        page = await join(window, room.moderatorUrl)
        # the timer counts from the meeting's start as the server knows it, not from this window's join
        assert page.model.started_at == bo.joined.startedAt / 1000
        timer = page.header.timer
        assert timer.isVisible() and re.fullmatch(r"\d+:\d\d", timer.text()), timer.text()

        # Bo's connection, graded by Bo and broadcast by the server, is drawn on Bo's tile
        tile_key = f"{bo_id}/camera"
        await until(
            page.model.participantChanged,
            lambda: tile_key in page.tiles.tiles and page.tiles.tiles[tile_key].quality == "excellent",
            what="Bo's connection quality",
        )
        tile = page.tiles.tiles[tile_key]
        assert tile.quality_text == "Excellent connection"
        # and the window's own, on its self view
        await until(
            page.model.participantChanged, lambda: page.tiles.tiles[SELF].quality == "excellent", what="its quality"
        )
        assert tile.rect().contains(tile.quality_rect())

        # Bo's tone makes Bo the active speaker (the window's own tone muted): the participants list says so
        page.mic_button.click()
        await until(page.model.activeSpeakerChanged, lambda: page.model.active_speaker == bo_id, what="Bo speaking")
        page.people_button.click()
        row = next(
            page.people.proxy.index(r, 0)
            for r in range(page.people.proxy.rowCount())
            if page.people.shown_identities()[r] == bo_id
        )
        assert ("speaking", "Speaking") in row.data(BadgesRole)
        shoot(window, "meeting-speaking")
    finally:
        await bo.leave()
        await window.meeting_page.leave()


async def test_a_raised_hand_fits_a_filmstrip_tile(window: ParticipantWindow, room: MeetRoom) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    window.resize(1000, 700)
    page = await join(window, room.moderatorUrl)
    others = [MeetingSession(room.speakerUrl, name, source_id=n + 2) for n, name in enumerate(["Bo", "Cy", "Di"])]
    for session in others:
        await session.join()
    try:
        bo = others[0]
        assert bo.joined is not None
        key = f"{bo.joined.you.identity}/camera"
        await bo.raise_hand(True)
        await until(
            page.model.participantChanged,
            lambda: key in page.tiles.tiles and page.tiles.tiles[key].hand_raised,
            what="Bo's hand",
        )
        page.tiles.pin(SELF)  # the others go to the filmstrip
        tile = page.tiles.tiles[key]
        assert page.tiles.layout_mode is Layout.SPEAKER and tile.height() == STRIP_HEIGHT
        chip = tile.hand_rect()
        assert tile.rect().contains(chip)
        assert tile.hand_text() in ("Hand raised", "Hand")  # words that fit, never cut mid-word
        assert not chip.intersects(tile.quality_rect())
        shoot(window, "meeting-filmstrip-hand")
    finally:
        for session in others:
            await session.leave()
        await page.leave()

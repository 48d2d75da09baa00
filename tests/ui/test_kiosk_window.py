"""The kiosk window, offscreen, against a real server process with headless participants: it joins by itself,
shows "Reconnecting in N s" and gets in once it can, leaves when left alone, refuses every way out without the
admin PIN, and shows one page naming the field of a bad configuration (and starts once the file is fixed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.session import MeetingSession, SessionState
from meetdesk.core.models import MeetRoom
from meetdesk.kiosk.config import ConfigProblem, KioskConfig, load_config, parse_config
from meetdesk.kiosk.health import UNPLUGGED_FILE, read_heartbeat
from meetdesk.kiosk.pin import FIRST_LOCKOUT_S, hash_pin
from meetdesk.ui.kiosk.window import KioskWindow
from tests.conftest import ServerProcess, free_port
from tests.integration.meeting_helpers import SignallingProxy, until
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot

KIOSK_SOURCE = 9  # drawn into the kiosk's synthetic camera frames
PIN = "2468"


@pytest.fixture
async def room(client: MeetDeskClient) -> MeetRoom:
    return await client.create_room({"roomName": "Board room 4.12"})


@pytest.fixture
async def kiosks(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[Callable[..., KioskWindow]]:
    """Makes kiosk windows. A test that starts one ends with ``await window.shutdown()`` (the meeting left, its
    tasks ended) in its own body: this teardown does not run on the test's event loop, so it only closes."""
    made: list[KioskWindow] = []

    def make(config: KioskConfig | None, state_dir: Path | None = None, **kwargs: Any) -> KioskWindow:
        """A kiosk window with a state dir of its own (``state_dir``: that one, as a restarted kiosk has)."""
        if state_dir is None:
            state_dir = tmp_path / f"state{len(made)}"
            state_dir.mkdir()
        window = KioskWindow(config, state_dir, source_id=KIOSK_SOURCE, **kwargs)
        made.append(window)
        return window

    yield make
    for window in made:
        window.unlocked = True
        window.close()
        window.deleteLater()


def config(link: str, **changes: object) -> KioskConfig:
    data: dict[str, object] = {
        "room_link": link,
        "display_name": "Board room",
        "synthetic_devices": True,
        "admin_pin_hash": hash_pin(PIN),
        **changes,
    }
    return parse_config(data)


async def reach(window: KioskWindow, stage: str, timeout: float = 30.0) -> None:
    """Wait on the window's stage changes until it is in ``stage``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while window.stage.value != stage:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"timed out waiting for the kiosk's {stage} stage (it is {window.stage.value})")
        try:
            await asyncio.wait_for(emitted(window.stageChanged), left)
        except TimeoutError:
            continue


async def sees_kiosk(observer: MeetingSession, frames: int = 10) -> set[int]:
    """Wait until ``observer`` receives ``frames`` more camera frames (the kiosk is the only one who sends any);
    returns the markers drawn in every camera frame received (the kiosk's: :data:`KIOSK_SOURCE`)."""

    def received() -> int:
        return sum(r.frames for r in observer.remote.values() if r.source == "camera")

    start = received()
    await until(lambda: received() >= start + frames)
    return {m for r in observer.remote.values() if r.source == "camera" for m in r.markers_seen}


@pytest.mark.slow
async def test_the_kiosk_joins_by_itself_and_the_room_sees_its_camera(
    room: MeetRoom, kiosks: Callable[..., KioskWindow]
) -> None:
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    observer = MeetingSession(room.moderatorUrl, "Observer", publish_video=False, publish_audio=False)
    await observer.join()
    window = None
    try:
        window = kiosks(config(room.speakerUrl))
        window.start()
        await wait_until(window.isFullScreen, what="full screen")  # the platform applies the state when it can
        assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
        await reach(window, "meeting")
        assert window.home.room.text() == "Board room 4.12"  # the room's name, from its server
        assert await sees_kiosk(observer) == {KIOSK_SOURCE}
        toolbar = window.meeting.toolbar
        shown = {
            b.objectName() for b in (toolbar.mic_button, toolbar.camera_button, toolbar.leave_button) if b.isVisible()
        }
        assert shown == {"micButton", "cameraButton", "leaveButton"}
        assert not toolbar.share_button.isVisible() and not toolbar.chat_button.isVisible()
        assert not toolbar.more_button.isVisible() and not toolbar.settings_button.isVisible()
        window.beat()
        beat = read_heartbeat(window.state_dir)
        assert beat is not None and beat.stage == "meeting"
        shoot(window, "kiosk-meeting")
    finally:
        if window is not None:
            await window.shutdown()
        await observer.leave()


@pytest.mark.slow
async def test_a_kiosk_that_cannot_reach_its_server_counts_down_and_gets_in_once_it_can(
    room: MeetRoom, server_process: ServerProcess, kiosks: Callable[..., KioskWindow]
) -> None:
    assert room.speakerUrl is not None
    proxy = SignallingProxy(server_process.port)
    await proxy.start()
    proxy.cut = True  # the network is down when the kiosk starts
    window = kiosks(config(proxy.link(room.speakerUrl)))
    try:
        window.start()
        await reach(window, "waiting")
        assert window.pages.currentWidget() is window.waiting
        assert window.waiting.title.text().startswith("Reconnecting in ")
        assert window.waiting.title.text().endswith(" s")
        assert "Could not join the meeting" in window.waiting.reason.text()
        shoot(window, "kiosk-waiting")
        await reach(window, "joining")  # it tries again by itself, and again...
        await reach(window, "waiting")
        proxy.cut = False  # the network is back
        await reach(window, "meeting")
        assert window.meeting.session is not None and window.meeting.session.state is SessionState.CONNECTED
    finally:
        await window.shutdown()  # before the proxy goes (its closing would be a network loss to recover from)
        await proxy.close()


@pytest.mark.slow
async def test_left_alone_the_kiosk_leaves_and_goes_home(room: MeetRoom, kiosks: Callable[..., KioskWindow]) -> None:
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    observer = MeetingSession(room.moderatorUrl, "Observer", publish_video=False, publish_audio=False)
    await observer.join()
    window = kiosks(config(room.speakerUrl, join_policy="one-touch", leave_when_alone_minutes=0.01))
    window.start()
    await reach(window, "home")
    assert window.stage.value == "home"  # one-touch: it waits for a touch
    window.home.join.click()
    await reach(window, "meeting")
    await sees_kiosk(observer)
    assert window.meeting.model.count == 2
    await observer.leave()  # the kiosk is alone now
    await reach(window, "home")
    assert window.pages.currentWidget() is window.home
    assert window.meeting.session is not None and window.meeting.session.state is SessionState.DISCONNECTED
    await window.shutdown()


async def test_no_way_out_without_the_pin(kiosks: Callable[..., KioskWindow], qtbot: QtBot) -> None:
    window = kiosks(config(f"http://127.0.0.1:{free_port()}/room/r-1?secret=x", join_policy="one-touch"))
    window.start()
    await wait_until(window.isFullScreen, what="full screen")  # the platform applies the state when it can
    screen = window.screen().geometry()
    assert window.geometry() == screen, f"the kiosk does not fit its {screen.width()} px screen"
    exits: list[bool] = []
    window.exitRequested.connect(lambda: exits.append(True))
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.isVisible() and window.isFullScreen()
    assert window.pin_dialog is None
    window.close()  # Alt+F4, the window manager's close button
    assert window.isVisible()
    dialog = window.pin_dialog
    assert dialog is not None and dialog.isVisible()
    shoot(dialog, "kiosk-pin")
    for wrong in ("1111", "2222"):
        qtbot.keyClicks(dialog.entry, wrong)
        qtbot.keyClick(dialog.entry, Qt.Key.Key_Return)
        assert dialog.error.text() == "That PIN is not right. Try again."
        assert dialog.entry.text() == "" and dialog.isVisible()
    qtbot.keyClicks(dialog.entry, "3333")
    dialog.keys["OK"].click()
    assert dialog.error.text() == f"Too many wrong PINs. Try again in {FIRST_LOCKOUT_S:.0f} seconds."
    assert not dialog.entry.isEnabled() and not dialog.keys["OK"].isEnabled()
    dialog.cancel.click()
    assert window.isVisible() and not exits
    await window.shutdown()


async def test_the_right_pin_on_the_keypad_closes_the_kiosk(kiosks: Callable[..., KioskWindow]) -> None:
    window = kiosks(config(f"http://127.0.0.1:{free_port()}/room/r-1?secret=x", join_policy="one-touch"))
    window.start()
    window.home.admin.click()
    dialog = window.pin_dialog
    assert dialog is not None
    exited = emitted(window.exitRequested)
    for digit in PIN:
        dialog.keys[digit].click()
    dialog.keys["OK"].click()
    await asyncio.wait_for(exited, 10)
    assert not window.isVisible()


async def test_without_a_pin_the_dialog_says_how_to_stop_the_kiosk(kiosks: Callable[..., KioskWindow]) -> None:
    window = kiosks(config(f"http://127.0.0.1:{free_port()}/room/r-1?secret=x", admin_pin_hash=None))
    window.start()
    window.close()
    assert window.isVisible()
    dialog = window.pin_dialog
    assert dialog is not None
    assert "has no admin PIN" in dialog.prompt.text() and not dialog.entry.isVisible()
    await window.shutdown()


async def test_a_bad_config_shows_one_page_naming_the_field_until_the_file_is_fixed(
    kiosks: Callable[..., KioskWindow], tmp_path: Path
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'room_link = "http://127.0.0.1:9/room/r-1?secret=x"\ndisplay_name = "Board room"\nmaintenance_hour = 25\n'
    )
    with pytest.raises(ConfigProblem) as caught:
        load_config(path)
    window = kiosks(None, problem=caught.value, config_path=path)
    window.start()
    assert window.pages.currentWidget() is window.problem_page
    page = window.problem_page
    assert page.title.text() == "This kiosk is not set up correctly"
    assert page.field.text() == "The setting “maintenance_hour”: Input should be less than or equal to 23."
    assert str(path) in page.hint.text()
    window.close()
    assert window.isVisible(), "even misconfigured, the kiosk is left only with the PIN (or from its computer)"
    window.pin_dialog.reject() if window.pin_dialog else None
    shoot(window, "kiosk-bad-config")
    fixed = emitted(window.configFixed)
    path.write_text(
        'room_link = "http://127.0.0.1:9/room/r-1?secret=x"\ndisplay_name = "Board room"\nmaintenance_hour = 3\n'
    )
    await asyncio.wait_for(fixed, 10)
    await window.shutdown()


@pytest.mark.slow
async def test_a_camera_unplugged_is_named_the_meeting_goes_on_and_it_is_used_again_when_back(
    room: MeetRoom, kiosks: Callable[..., KioskWindow]
) -> None:
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    observer = MeetingSession(room.moderatorUrl, "Observer", publish_video=False, publish_audio=False)
    await observer.join()
    window = None
    try:
        window = kiosks(config(room.speakerUrl, camera="Second test pattern"))
        window.start()
        await reach(window, "meeting")
        assert await sees_kiosk(observer) == {KIOSK_SOURCE + 1}  # the camera chosen by name
        (window.state_dir / UNPLUGGED_FILE).write_text("Second test pattern\n")  # the test hook: unplugged
        await window.check_health()
        assert window.home.problems == ["Camera “Second test pattern” not found"]
        assert window.local is not None and not window.local.has_camera
        assert not window.meeting.toolbar.camera_button.isEnabled()
        assert window.meeting.toolbar.camera_button.toolTip() == "Camera “Second test pattern” not found."
        window.beat()
        beat = read_heartbeat(window.state_dir)
        assert beat is not None and beat.devices_missing == {"camera": "Second test pattern"}
        assert beat.stage == "meeting" and beat.connected  # the meeting goes on without it
        (window.state_dir / UNPLUGGED_FILE).write_text("")  # plugged back
        await window.check_health()
        assert window.home.problems == []
        assert window.local.has_camera and window.meeting.toolbar.camera_button.isEnabled()
        assert await sees_kiosk(observer) == {KIOSK_SOURCE + 1}
    finally:
        if window is not None:
            await window.shutdown()
        await observer.leave()


@pytest.mark.slow
async def test_the_home_screen_says_who_is_in_the_meeting_now(
    room: MeetRoom, kiosks: Callable[..., KioskWindow]
) -> None:
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    window = kiosks(config(room.speakerUrl, join_policy="one-touch"))
    window.start()
    await window.check_health()
    assert window.home.presence.text() == "Nobody is in the meeting yet."
    assert window.home.problems == []  # the server answers, the synthetic devices are there
    observer = MeetingSession(room.moderatorUrl, "Ana Lima", publish_video=False, publish_audio=False)
    await observer.join()
    try:
        await window.check_health()
        assert window.home.presence.text() == "In the meeting now (1): Ana Lima"
        shoot(window, "kiosk-home")
    finally:
        await window.shutdown()
        await observer.leave()


class Played:
    """The loudest sample the kiosk's speaker played in each block, as it plays them (a tap on the speaker)."""

    def __init__(self, window: KioskWindow) -> None:
        assert window.audio is not None
        self.peaks: list[int] = []
        window.audio.speaker.taps.append(lambda block: self.peaks.append(int(np.max(np.abs(block.astype(np.int32))))))

    async def next_peak(self, blocks: int = 50) -> int:
        """The loudest sample of the next ``blocks`` blocks played (10 ms each)."""
        start = len(self.peaks)
        await until(lambda: len(self.peaks) >= start + blocks)  # played on the speaker's clock: no event
        return max(self.peaks[start : start + blocks])


@pytest.mark.slow
async def test_the_volume_control_changes_how_loud_the_meeting_plays_and_is_remembered(
    room: MeetRoom, kiosks: Callable[..., KioskWindow], qtbot: QtBot
) -> None:
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    observer = MeetingSession(room.moderatorUrl, "Observer", publish_video=False)  # its microphone: a tone
    await observer.join()
    window = None
    try:
        window = kiosks(config(room.speakerUrl, volume=80))
        window.start()
        await reach(window, "meeting")
        control = window.meeting.volume_control
        assert control.isVisible()
        assert control.level.text() == "80%" and control.slider.value() == 80
        played = Played(window)
        await until(lambda: max(played.peaks, default=0) > 1000)  # the observer's tone arrives
        loud = await played.next_peak()

        for _ in range(6):  # a finger on "−", six times
            qtbot.mouseClick(control.quieter, Qt.MouseButton.LeftButton)
        assert control.level.text() == "20%" and control.slider.value() == 20
        await played.next_peak(5)  # what was already on its way out
        quiet = await played.next_peak()
        assert 0.15 < quiet / loud < 0.35, (loud, quiet)  # a quarter of the level at 80%

        control.slider.setValue(0)  # the slider dragged to the left end
        assert control.level.text() == "0%" and not control.quieter.isEnabled()
        await played.next_peak(5)
        assert await played.next_peak() == 0  # nothing is heard
        shoot(window, "kiosk-meeting-volume")

        slider = control.slider
        qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() * 3 // 4, slider.height() // 2))
        tapped = slider.value()
        assert 60 <= tapped <= 95 and control.level.text() == f"{tapped}%"  # about where the finger touched it
        qtbot.mouseClick(control.louder, Qt.MouseButton.LeftButton)  # to the next step of ten
        kept = min(100, (tapped // 10 + 1) * 10)
        assert control.level.text() == f"{kept}%"
        await window.shutdown()

        again = kiosks(config(room.speakerUrl, volume=80, join_policy="one-touch"), state_dir=window.state_dir)
        again.start()  # the kiosk restarted: the room's last touch stays
        assert again.meeting.volume_control.level.text() == f"{kept}%"
        await again.shutdown()
        pushed = kiosks(config(room.speakerUrl, volume=30, join_policy="one-touch"), state_dir=window.state_dir)
        pushed.start()  # a new volume in its settings (the admin's): that one, until the next touch
        assert pushed.meeting.volume_control.level.text() == "30%"
        await pushed.shutdown()
        window = None
    finally:
        if window is not None:
            await window.shutdown()
        await observer.leave()


@pytest.mark.slow
async def test_a_microphone_and_a_speaker_unplugged_are_named_and_used_again_when_back(
    room: MeetRoom, kiosks: Callable[..., KioskWindow]
) -> None:
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    observer = MeetingSession(room.moderatorUrl, "Observer", publish_video=False)  # its microphone: a tone
    await observer.join()
    window = None

    def kiosk_audio() -> int:
        return sum(r.frames for r in observer.remote.values() if r.source == "microphone")

    try:
        window = kiosks(config(room.speakerUrl, microphone="Second test tone", speaker="Null speaker"))
        window.start()
        await reach(window, "meeting")
        start = kiosk_audio()
        await until(lambda: kiosk_audio() >= start + 25)  # the room hears the kiosk's microphone
        (window.state_dir / UNPLUGGED_FILE).write_text("Second test tone\nNull speaker\n")  # the test hook: unplugged
        await window.check_health()
        assert window.home.problems == ["Microphone “Second test tone” not found", "Speaker “Null speaker” not found"]
        assert window.local is not None and not window.local.has_microphone
        mic = window.meeting.toolbar.mic_button
        assert not mic.isEnabled() and mic.toolTip() == "Microphone “Second test tone” not found."
        volume = window.meeting.volume_control
        assert not volume.isEnabled() and volume.slider.toolTip() == "Speaker “Null speaker” not found."
        assert window.audio is not None and window.audio.speaker.note == "Speaker “Null speaker” not found"
        shoot(window, "kiosk-speaker-unplugged")
        window.beat()
        beat = read_heartbeat(window.state_dir)
        assert beat is not None and beat.stage == "meeting" and beat.connected  # the meeting goes on without them
        assert beat.devices_missing == {"microphone": "Second test tone", "speaker": "Null speaker"}

        (window.state_dir / UNPLUGGED_FILE).write_text("")  # plugged back
        await window.check_health()
        assert window.home.problems == []
        assert window.local.has_microphone and mic.isEnabled()
        assert volume.isEnabled() and volume.slider.toolTip() == "Volume"
        assert window.audio.speaker.note != "Speaker “Null speaker” not found"  # the speaker opened again...
        played = Played(window)
        await until(lambda: max(played.peaks, default=0) > 1000)  # ...plays the room
        start = kiosk_audio()
        await until(lambda: kiosk_audio() >= start + 25)  # and the room hears the microphone again
    finally:
        if window is not None:
            await window.shutdown()
        await observer.leave()


async def test_a_volume_pushed_in_the_settings_is_heard_at_once_and_a_touch_survives_a_restart(
    kiosks: Callable[..., KioskWindow], qtbot: QtBot
) -> None:
    link = f"http://127.0.0.1:{free_port()}/room/r-1?secret=x"
    window = kiosks(config(link, join_policy="one-touch", volume=80))
    window.start()
    control = window.meeting.volume_control
    assert control.level.text() == "80%"
    qtbot.mouseClick(control.quieter, Qt.MouseButton.LeftButton)  # a touch
    assert control.level.text() == "70%"
    window.apply_volume_setting(40)  # the admin pushes 40: it wins over the touch
    assert control.level.text() == "40%" and window.config is not None and window.config.volume == 40
    qtbot.mouseClick(control.louder, Qt.MouseButton.LeftButton)  # the room touches it again
    assert control.level.text() == "50%"
    await window.shutdown()

    # restarted: the file still says 80, the pushed settings (40) are applied after the start, as the fleet
    # link does; the room's last touch (50, made under 40) is what plays
    again = kiosks(config(link, join_policy="one-touch", volume=80), state_dir=window.state_dir)
    again.start()
    assert again.meeting.volume_control.level.text() == "80%"
    again.apply_volume_setting(40)
    assert again.meeting.volume_control.level.text() == "50%"
    await again.shutdown()

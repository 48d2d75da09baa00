"""Room limits in the participant window, against a real server process: a full meeting is refused on the device
view, a meeting that reaches its time limit warns and then shows its own end reason, and a room whose participants
join with the microphone and camera off preselects them off.

The server's minute is shortened (``MEETDESK_MINUTE_SECONDS``, a test-only setting) so that a limit of minutes
runs in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.conftest import ServerProcess, free_port
from tests.ui.conftest import wait_until
from tests.ui.helpers import shoot
from tests.ui.test_participant_window import headless, join_from_link, reach, window

__all__ = ["window"]  # fixtures

pytestmark = pytest.mark.slow

MINUTE_S = 3.0


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """The server of this module's ``client``, with short minutes."""
    proc = ServerProcess(tmp_path / "data", free_port(), extra_env={"MEETDESK_MINUTE_SECONDS": str(MINUTE_S)})
    proc.start()
    yield proc
    if proc.process is not None and proc.process.poll() is None:
        proc.stop()


async def test_a_full_meeting_is_refused_on_the_device_view(window: ParticipantWindow, client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Small room", "config": {"maxParticipants": 1}})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    ana, ana_log = await headless(room.moderatorUrl, "Alice", 1)
    try:
        window.open_link(room.speakerUrl)
        await reach(window, "join")
        window.join_page.name.setText("Desk")
        window.join_page.next.click()
        await reach(window, "devices")
        await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
        window.device_page.join.click()
        await wait_until(lambda: window.device_page.join_error.isVisible(), what="the refusal")  # a label, no signal
        assert window.device_page.join_error.text().startswith("This meeting is full.")
        assert window.stage == "devices" and window.device_page.join.isEnabled()
        shoot(window, "devices-meeting-full")
    finally:
        ana_log.close()
        await ana.leave()


async def test_a_meeting_at_its_time_limit_warns_then_ends_with_its_reason(
    window: ParticipantWindow, client: MeetDeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = await client.create_room({"roomName": "Timed", "config": {"maxDurationMinutes": 2}})
    assert room.moderatorUrl is not None
    toasts: list[str] = []
    shown = window.meeting_page.toast
    monkeypatch.setattr(window.meeting_page, "toast", lambda text: (toasts.append(text), shown(text)))
    await join_from_link(window, room.moderatorUrl, "Desk")
    header = window.meeting_page.header
    assert header.ends.isVisible() and header.ends.text().startswith("Ends at ")  # for as long as the meeting lasts
    # toasts are a label's text with no signal of their own
    await wait_until(lambda: any(t.startswith("This meeting ends at ") for t in toasts), what="the end time")
    await wait_until(lambda: any(t.startswith("The meeting ends in 1 minute, at ") for t in toasts), what="a warning")
    shoot(window, "meeting-ending-soon")
    await reach(window, "ended", timeout=60)
    assert window.end_page.title.text() == "The meeting reached its time limit"
    assert window.end_page.text.text() == "The room allows meetings of a limited length, and this one has run its time."
    assert window.end_page.rejoin.isVisible()
    shoot(window, "end-time-limit")


async def test_a_room_that_starts_muted_preselects_the_mic_and_camera_off(
    window: ParticipantWindow, client: MeetDeskClient
) -> None:
    config = {"initialAudioEnabled": False, "initialVideoEnabled": False}
    room = await client.create_room({"roomName": "Quiet", "config": config})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    ana, ana_log = await headless(room.moderatorUrl, "Alice", 1)
    try:
        window.open_link(room.speakerUrl)
        await reach(window, "join")
        window.join_page.name.setText("Desk")
        window.join_page.next.click()
        await reach(window, "devices")
        await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
        page = window.device_page
        assert page.mic_toggle.isChecked() and page.mic_toggle.text() == "Microphone off"
        assert page.camera_toggle.isChecked() and page.camera_toggle.text() == "Camera off"
        shoot(window, "devices-start-muted")
        page.join.click()
        await reach(window, "meeting")
        model = window.meeting_page.model
        assert not model.mic_on and not model.camera_on  # joined with both off: the toolbar offers to turn them on
        assert not window.meeting_page.header.ends.isVisible()  # no time limit in this room
    finally:
        ana_log.close()
        await ana.leave()

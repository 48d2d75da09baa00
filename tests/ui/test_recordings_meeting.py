"""Recording from the meeting window, against a real server (its recorder makes real MP4s) with headless
participants: a moderator starts with a chosen layout and stops after a confirmation, everyone sees the
"Recording" indicator, a late joiner is told on arrival, the end brings "Open" (the recording view) to those who may
see recordings, a speaker has no Record button, and the server's refusal is said in words."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.models import MeetRoom
from meetdesk.core.signalling import RecordingChanged
from meetdesk.ui.meeting.meeting_page import MeetingPage
from meetdesk.ui.meeting.model import MeetingModel
from meetdesk.ui.meeting.recording import StartRecordingDialog
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.test_participant_window import headless, join_from_link, reach, room, window

__all__ = ["room", "window"]  # fixtures

pytestmark = pytest.mark.slow

#: how long a recording may take to start or to be finished by the recorder: a safety net on a shared machine,
#: not a speed the tests assert
RECORDER_S = 90.0


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """The server of this module's ``client``, making one recording at a time (so that a second is refused)."""
    proc = ServerProcess(tmp_path / "data", free_port(), extra_env={"MEETDESK_MAX_COMPOSITES": "1"})
    proc.start()
    yield proc
    if proc.process is not None and proc.process.poll() is None:
        proc.stop()


async def recording_is(model: MeetingModel, status: str | None) -> None:
    """Wait on the model's signal until its recording has ``status`` (None: nothing recorded)."""

    async def reached() -> None:
        while (model.recording.status if model.recording else None) != status:
            await emitted(model.recordingChanged)

    await asyncio.wait_for(reached(), RECORDER_S)


async def stop(server: ServerProcess, recording_id: str) -> None:
    """Stop it over the API (answered once the recorder has written the file: a long timeout)."""
    async with MeetDeskClient(server.url, api_key=API_KEY, timeout=RECORDER_S) as api:
        await api.stop_recording(recording_id)


async def test_a_moderator_records_with_a_layout_and_stops_after_a_confirmation(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    bo, bo_log = await headless(room.speakerUrl, "Bo", 2)
    try:
        await join_from_link(window, room.moderatorUrl, "Desk")
        page = window.meeting_page
        assert page.record_button.isVisible() and page.record_button.text() == "Record"
        assert not page.recording_indicator.isVisible()

        page.record_button.click()
        dialog = page.recording.start_dialog
        assert isinstance(dialog, StartRecordingDialog) and dialog.isVisible()
        assert dialog.layout_choice.currentText() == "The room's layout"
        dialog.layout_choice.setCurrentIndex(dialog.layout_choice.findData("speaker"))
        shoot(dialog, "recording-start-dialog")
        dialog.start.click()

        await recording_is(page.model, "active")
        recording = page.model.recording
        assert recording is not None
        assert page.recording_indicator.isVisible()
        assert page.recording_indicator.words().startswith("Recording 0:")
        assert page.record_button.text() == "Stop recording"
        assert page.recording_notice.isVisible()
        assert page.recording_notice.text.text() == "This meeting is being recorded. Everyone in it has been told."
        stored = await client.get_recording(recording.recordingId)
        assert stored.layout == "speaker"
        # the other participant is told too
        await bo_log.next(lambda e: isinstance(e, RecordingChanged) and e.recording.status == "active")
        shoot(window, "meeting-recording")

        # stop: asked first; Cancel keeps recording
        page.record_button.click()
        box = page.recording.stop_box
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert box.text() == "Stop recording the meeting?"
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert page.model.recording is not None and page.model.recording.status == "active"

        page.record_button.click()
        box = page.recording.stop_box
        assert box is not None
        [stop] = [b for b in box.buttons() if b.text() == "Stop recording"]
        stop.click()
        await recording_is(page.model, None)
        assert not page.recording_indicator.isVisible() and page.record_button.text() == "Record"
        assert (await client.get_recording(recording.recordingId)).status == "complete"
        assert page.recording_notice.text.text() == "The recording has ended and is ready to watch."
        assert page.recording_notice.action.isVisible() and page.recording_notice.action.text() == "Open"
        shoot(window, "meeting-recording-ended")

        page.recording_notice.action.click()  # the recording view, with this recording highlighted
        await reach(window, "recordings")
        assert not page.recording_notice.isVisible()
        view = window.recording_view
        while view.current() is None:
            await asyncio.wait_for(emitted(view.table_model.pageLoaded), 30)
        current = view.current()
        assert current is not None and current.recordingId == recording.recordingId
        view.back.click()
        await reach(window, "meeting")
        await page.leave()
        await reach(window, "ended")
    finally:
        bo_log.close()
        await bo.leave()


async def test_a_late_speaker_is_told_on_arrival_and_has_no_record_button(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    ana, ana_log = await headless(room.moderatorUrl, "Ana", 1)
    try:
        started = await client.start_recording(room.roomId)
        await ana_log.next(lambda e: isinstance(e, RecordingChanged) and e.recording.status == "active", timeout=90)

        await join_from_link(window, room.speakerUrl, "Desk")
        page = window.meeting_page
        assert page.model.recording is not None and page.model.recording.recordingId == started.recordingId
        assert page.recording_indicator.isVisible() and page.recording_indicator.words().startswith("Recording ")
        assert page.recording_notice.isVisible()
        assert page.recording_notice.text.text() == (
            "This meeting is being recorded. By staying in it, you agree to be recorded."
        )
        assert not page.recording_notice.action.isVisible()
        assert not page.record_button.isVisible()  # a speaker's role may not record
        shoot(window, "meeting-recording-late-joiner")

        await stop(server_process, started.recordingId)
        await recording_is(page.model, None)
        # the room lets speakers see recordings (its default): the notice offers to open it
        assert page.recording_notice.text.text() == "The recording has ended and is ready to watch."
        assert page.recording_notice.action.text() == "Open"
        await page.leave()
        await reach(window, "ended")
    finally:
        ana_log.close()
        await ana.leave()


async def test_a_speaker_who_may_not_see_recordings_gets_no_open(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    await client.update_room_config(room.roomId, {"recording": {"allowAccessTo": "admin_moderator"}})
    await join_from_link(window, room.speakerUrl, "Desk")
    page = window.meeting_page
    started = await client.start_recording(room.roomId)
    await recording_is(page.model, "active")
    await stop(server_process, started.recordingId)
    await recording_is(page.model, None)
    assert page.recording_notice.text.text() == "The meeting is no longer being recorded."
    assert not page.recording_notice.action.isVisible()
    await page.leave()
    await reach(window, "ended")


async def test_the_servers_refusal_is_said_next_to_the_button(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient
) -> None:
    assert room.moderatorUrl is not None
    # the server makes one recording at a time (this module's server): another room's takes its only slot
    other = await client.create_room({"roomName": "Board meeting"})
    assert other.moderatorUrl is not None
    ana, ana_log = await headless(other.moderatorUrl, "Ana", 1)
    try:
        busy = await client.start_recording(other.roomId)
        await join_from_link(window, room.moderatorUrl, "Desk")
        page = window.meeting_page
        page.record_button.click()
        dialog = page.recording.start_dialog
        assert dialog is not None
        dialog.start.click()
        # the server's own sentence between the window's: "Try again later." only for a 503 (no capacity, disk)
        await page_says(page, lambda text: text.startswith("The recording did not start. ") and "capacity" in text)
        assert page.problem.text().endswith(". Try again later.")
        assert page.model.recording is None and not page.recording_indicator.isVisible()
        assert page.record_button.text() == "Record"
        shoot(window, "meeting-recording-refused")
        del busy  # it ends with Ana's meeting
        await page.leave()
        await reach(window, "ended")
    finally:
        ana_log.close()
        await ana.leave()


async def page_says(page: MeetingPage, says: Callable[[str], bool]) -> None:
    problem = page.problem
    # the sentence under the toolbar is a label's text, which has no signal of its own
    await wait_until(lambda: problem.isVisible() and says(problem.text()), 30, what="the page's sentence")

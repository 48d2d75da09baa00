"""The participant window's recording view against a real server process (its recorder makes real MP4s), with
headless participants: which actions each role is offered under each access rule and which the server accepts,
statuses followed live (by the meeting's events in the meeting, by reading the list again from the join view),
reached from the join view and from the meeting (toolbar and "Open"), Back, download, share links, and play (the
recordings player reaches "playing")."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.errors import Forbidden, Unauthorized
from meetdesk.core.models import MeetRoom
from meetdesk.ui.meeting.recording_view import RecordingView
from meetdesk.ui.meeting.window import ParticipantWindow
from meetdesk.ui.recordings.model import COL_DURATION, COL_SIZE, COL_STARTED, COL_STATUS
from meetdesk.ui.recordings.player_model import PlayerState
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.integration.recording_helpers import seed_recording
from tests.ui.helpers import clipped_texts, emitted, shoot
from tests.ui.player_media import recorded_mp4
from tests.ui.test_participant_window import headless, join_from_link, reach, room, window

__all__ = ["room", "window"]  # fixtures

pytestmark = pytest.mark.slow

#: how long a recording may take to start or be finished by the recorder: a safety net on a shared machine
RECORDER_S = 90.0


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "data", free_port(), extra_env={"MEETDESK_MAX_COMPOSITES": "1"})
    proc.start()
    yield proc
    if proc.process is not None and proc.process.poll() is None:
        proc.stop()


def statuses(view: RecordingView) -> list[str]:
    rows = view.table_model
    return [rows.data(rows.index(row, COL_STATUS)) for row in range(rows.rowCount())]


async def shows(view: RecordingView, wanted: list[str]) -> None:
    """Wait on the list's signals until its statuses are ``wanted`` (each change of a row, a row in or out)."""
    rows = view.table_model

    async def reached() -> None:
        while statuses(view) != wanted:
            changes = [
                emitted(s) for s in (rows.recordingChanged, rows.rowsInserted, rows.rowsRemoved, rows.pageLoaded)
            ]
            await asyncio.wait(changes, return_when=asyncio.FIRST_COMPLETED)
            for change in changes:
                change.cancel()

    await asyncio.wait_for(reached(), RECORDER_S)


async def loaded(view: RecordingView) -> None:
    rows = view.table_model
    while not rows.loaded_once or rows.loading:
        await asyncio.wait_for(emitted(rows.pageLoaded), 30)


def highlight(view: RecordingView, row: int) -> None:
    view.table.selectRow(row)


async def open_from_join(window: ParticipantWindow, link: str) -> None:
    window.open_link(link)
    await reach(window, "join")
    assert window.join_page.recordings.isVisible()
    window.join_page.recordings.click()
    await reach(window, "recordings")
    await loaded(window.recording_view)


#: (access rule, role) → (sees the recordings, may delete them), with the rooms' default roles
ACCESS = [
    ("admin", "moderator", False, False),
    ("admin", "speaker", False, False),
    ("admin_moderator", "moderator", True, True),
    ("admin_moderator", "speaker", False, False),
    ("admin_moderator_speaker", "moderator", True, True),
    ("admin_moderator_speaker", "speaker", True, False),
]


async def test_each_role_is_offered_what_each_access_rule_lets_it_do_and_the_server_agrees(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    links = {"moderator": room.moderatorUrl, "speaker": room.speakerUrl}
    for rule, role, sees, deletes in ACCESS:
        case = f"{rule} / {role}"
        await client.update_room_config(room.roomId, {"recording": {"allowAccessTo": rule}})
        seeded = seed_recording(server_process, room.roomId, room.roomName or "")
        window.open_link(links[role])
        await reach(window, "join")
        assert window.join_page.recordings.isVisible() is sees, case
        # what the server accepts from this role's token, whatever the window shows
        async with MeetDeskClient(server_process.url) as member:
            member.credentials.participant_token = await member.participant_token(
                room.roomId, parse_room_link(links[role]).secret
            )
            if sees:
                listed = await member.list_recordings(room_id=room.roomId)
                assert seeded.recording_id in [r.recordingId for r in listed.recordings], case
            else:
                with pytest.raises(Forbidden):
                    await member.list_recordings(room_id=room.roomId)
            if not deletes:
                with pytest.raises(Forbidden):
                    await member.delete_recording(seeded.recording_id)
        if not sees:
            continue
        window.join_page.recordings.click()
        await reach(window, "recordings")
        view = window.recording_view
        await loaded(view)
        assert seeded.recording_id in [r.recordingId for r in view.table_model.recordings], case
        row = [r.recordingId for r in view.table_model.recordings].index(seeded.recording_id)
        highlight(view, row)
        assert view.play.isVisible() and view.play.isEnabled(), case
        assert view.download.isVisible() and view.share.isVisible(), case
        assert view.delete.isVisible() is deletes, case
        if deletes:  # the window's Delete, asked first, and the server deletes it
            view.delete.click()
            box = view.delete_box
            assert isinstance(box, QMessageBox) and box.isVisible()
            assert box.text() == "Delete this recording and its file?"
            [delete] = [b for b in box.buttons() if b.text() == "Delete"]
            removed = emitted(view.table_model.rowsRemoved)
            delete.click()
            await asyncio.wait_for(removed, 30)
            assert seeded.recording_id not in [r.recordingId for r in view.table_model.recordings]
            assert view.message.text() == "The recording was deleted."
            listed = await client.list_recordings(room_id=room.roomId)
            assert seeded.recording_id not in [r.recordingId for r in listed.recordings], case
        view.back.click()
        await reach(window, "join")


async def test_from_the_join_view_the_list_follows_a_recording_without_refresh(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    await open_from_join(window, room.speakerUrl)
    view = window.recording_view
    assert view.stack.currentWidget() is view.empty
    assert view.empty.text() == "This room has no recordings yet."
    assert view.back.text() == "Back" and not view.delete.isVisible()
    shoot(window, "recording-view-empty")
    ana, ana_log = await headless(room.moderatorUrl, "Ana", 1)
    try:
        started = await client.start_recording(room.roomId)
        # no signalling here: the view reads the list again while shown, and the new recording comes in
        await shows(view, ["Recording…"])
        async with MeetDeskClient(server_process.url, api_key=API_KEY, timeout=RECORDER_S) as api:
            await api.stop_recording(started.recordingId)
        await shows(view, ["Ready"])
        assert view.table_model.recordings[0].recordingId == started.recordingId
        rows = view.table_model
        assert rows.data(rows.index(0, COL_DURATION)) and rows.data(rows.index(0, COL_SIZE))
        assert rows.data(rows.index(0, COL_STARTED))
    finally:
        ana_log.close()
        await ana.leave()
    view.back.click()
    await reach(window, "join")


async def test_from_the_meeting_the_list_follows_its_events_and_back_returns_to_the_meeting(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None
    await join_from_link(window, room.moderatorUrl, "Desk")
    page = window.meeting_page
    assert page.toolbar.recordings_action.isVisible()
    page.toolbar.recordings_action.trigger()
    await reach(window, "recordings")
    view = window.recording_view
    await loaded(view)
    assert view.back.text() == "Back to the meeting"
    assert view.empty.text() == (
        "This room has no recordings yet. A recording of the meeting shows here as it is made."
    )
    # in the meeting the list follows the signalling events: nothing is polled
    assert not view.model._watch.isActive()
    started = await client.start_recording(room.roomId)
    await shows(view, ["Recording…"])
    assert not view.model._watch.isActive() and not view.table_model._poll.isActive()
    async with MeetDeskClient(server_process.url, api_key=API_KEY, timeout=RECORDER_S) as api:
        await api.stop_recording(started.recordingId)
    await shows(view, ["Ready"])
    shoot(window, "recording-view-meeting")
    assert window.meeting_page.in_meeting  # the meeting went on behind
    view.back.click()
    await reach(window, "meeting")

    # "Open" on the ended-recording notice opens the view with that recording highlighted
    notice = page.recording_notice
    assert notice.isVisible() and notice.action.text() == "Open"
    notice.action.click()
    await reach(window, "recordings")
    await loaded(view)
    current = view.current()
    assert current is not None and current.recordingId == started.recordingId
    view.back.click()
    await reach(window, "meeting")
    await page.leave()
    await reach(window, "ended")


async def test_a_speaker_in_the_meeting_loses_the_view_when_the_role_loses_the_permission(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.speakerUrl is not None
    seed_recording(server_process, room.roomId, room.roomName or "")
    await join_from_link(window, room.speakerUrl, "Desk")
    page = window.meeting_page
    assert page.toolbar.recordings_action.isVisible()
    page.toolbar.recordings_action.trigger()
    await reach(window, "recordings")
    view = window.recording_view
    await loaded(view)
    assert statuses(view) == ["Ready"] and not view.delete.isVisible()
    changed = emitted(view.model.permissionsChanged)
    # (the access rule is the room's config, which cannot change during a meeting; the role's permission can)
    await client.update_room_roles(room.roomId, speaker={"canRetrieveRecordings": False})
    await asyncio.wait_for(changed, 30)
    assert not view.model.can_see
    assert view.stack.currentWidget() is view.empty
    assert view.empty.text() == "Your role may not see this room's recordings. A moderator or an administrator can."
    assert not view.play.isVisible() and not view.download.isVisible() and not view.share.isVisible()
    assert not page.toolbar.recordings_action.isVisible()
    view.back.click()
    await reach(window, "meeting")
    await page.leave()
    await reach(window, "ended")


async def test_download_share_links_and_play(
    window: ParticipantWindow,
    room: MeetRoom,
    client: MeetDeskClient,
    server_process: ServerProcess,
    tmp_path: Path,
) -> None:
    assert room.moderatorUrl is not None
    media = recorded_mp4(6)  # made by the recorder's own writer: it plays
    seeded = seed_recording(server_process, room.roomId, room.roomName or "", duration_ms=6000, media=media)
    seed_recording(server_process, room.roomId, room.roomName or "", status="failed", media=None)
    await open_from_join(window, room.moderatorUrl)
    view = window.recording_view
    assert sorted(statuses(view)) == ["Failed", "Ready"]
    row = [r.recordingId for r in view.table_model.recordings].index(seeded.recording_id)
    failed_row = 1 - row
    highlight(view, failed_row)  # a failed recording cannot be played, downloaded or shared; it can be deleted
    assert not view.play.isEnabled() and not view.download.isEnabled() and not view.share.isEnabled()
    assert view.delete.isEnabled()
    highlight(view, row)
    assert view.play.isEnabled() and view.download.isEnabled() and view.share.isEnabled()

    # download: a save dialog, then the file with progress
    view.download.click()
    dialog = view.download_bar.dialog
    assert isinstance(dialog, QFileDialog)
    target = tmp_path / "meeting.mp4"
    dialog.selectFile(str(target))
    dialog.accept()
    await view.download_bar.wait()
    assert target.read_bytes() == media
    assert view.download_bar.text.text() == f"Saved “meeting.mp4” in {tmp_path}."

    # share links: public (anyone who has it), private (signed-in administrators)
    public = await view.copy_share_link(private=False)
    assert public is not None and QGuiApplication.clipboard().text() == public
    assert view.message.text() == "Public link copied: anyone who has it can watch and download this recording."
    private = await view.copy_share_link(private=True)
    assert private is not None and private != public and QGuiApplication.clipboard().text() == private
    assert view.message.text() == "Private link copied: only administrators signed in to this server can open it."
    await client.update_room_access(room.roomId, recording=False)
    assert await view.copy_share_link(private=False) is None
    assert view.message.text().startswith("No link was copied: this room does not allow public links")
    await client.update_room_access(room.roomId, recording=True)

    # play: Enter on the highlighted row (what Play and a double-click do too): the player under the list plays
    # it, streamed with the participant's token, and its position advances. The row the keyboard is on is the one
    # acted on (focus lands on a row without selecting it, as it did under Xvfb)
    assert not view.player_panel.isVisible()
    for moved_to in (failed_row, row):
        view.table.clearSelection()
        assert view.current() is None
        view.table.selectionModel().setCurrentIndex(
            view.table_model.index(moved_to, COL_STATUS), QItemSelectionModel.SelectionFlag.NoUpdate
        )
    current = view.current()
    assert current is not None and current.recordingId == seeded.recording_id
    QTest.keyClick(view.table, Qt.Key.Key_Return)
    model = view.player.model
    while model.state is not PlayerState.PLAYING:
        await asyncio.wait_for(emitted(model.stateChanged), RECORDER_S)
    assert view.player_panel.isVisible() and model.recording is not None
    assert model.recording.recordingId == seeded.recording_id
    while model.position <= 500:
        await asyncio.wait_for(emitted(model.positionChanged), RECORDER_S)
    assert view.playing.text().startswith("Recorded ")
    assert not clipped_texts(window)
    shoot(window, "recording-view-playing")
    # Back stops it: nothing plays behind the join view
    view.back.click()
    await reach(window, "join")
    while model.state is not PlayerState.EMPTY:
        await asyncio.wait_for(emitted(model.stateChanged), RECORDER_S)
    assert not view.player_panel.isVisible()


async def test_a_list_that_can_no_longer_be_read_says_so_and_keeps_its_rows(
    window: ParticipantWindow, room: MeetRoom, server_process: ServerProcess
) -> None:
    assert room.speakerUrl is not None
    seed_recording(server_process, room.roomId, room.roomName or "")
    await open_from_join(window, room.speakerUrl)
    view = window.recording_view
    assert statuses(view) == ["Ready"]
    failed = emitted(view.table_model.errorChanged)
    server_process.stop()  # the list is read again while shown: that read fails
    await asyncio.wait_for(failed, 60)
    assert statuses(view) == ["Ready"] and view.stack.currentWidget() is view.table
    assert view.message.text().startswith("The list could not be read again and may be out of date. Cannot reach ")
    assert view.message.text().endswith(".")


async def test_closing_the_window_while_a_recording_plays_lets_go_of_its_stream(
    window: ParticipantWindow, room: MeetRoom, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None
    seed_recording(server_process, room.roomId, room.roomName or "", duration_ms=6000, media=recorded_mp4(6))
    await open_from_join(window, room.moderatorUrl)
    view = window.recording_view
    view.table.selectRow(0)
    view.play.click()
    model = view.player.model
    while model.state is not PlayerState.PLAYING:
        await asyncio.wait_for(emitted(model.stateChanged), RECORDER_S)
    stream = model.stream
    assert stream is not None and stream._server is not None  # the player's loopback address, serving
    window._closing_confirmed = True
    window.close()  # (its fixture deletes it next: the player's Qt side may go before the player is let go of)
    closing = view._closing_player
    assert closing is not None
    await asyncio.wait_for(closing, 30)
    assert stream._server is None


async def test_from_the_join_view_a_refused_token_is_renewed_from_the_room_link(
    window: ParticipantWindow, room: MeetRoom, server_process: ServerProcess
) -> None:
    assert room.speakerUrl is not None
    seed_recording(server_process, room.roomId, room.roomName or "")
    await open_from_join(window, room.speakerUrl)
    view = window.recording_view
    rows = view.table_model
    refused = emitted(rows.errorChanged)
    # every token issued so far is refused from now on (the view's too)
    rotated = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meetdesk", "rotate-signing-key", "--data-dir", str(server_process.data_dir)
    )
    assert await asyncio.wait_for(rotated.wait(), 60) == 0
    (error,) = await asyncio.wait_for(refused, 60)
    assert isinstance(error, Unauthorized)
    # the view asks the room link for a new token and reads the list with it
    while rows.error is not None:
        await asyncio.wait_for(emitted(rows.errorChanged), 60)
    assert statuses(view) == ["Ready"]
    view.table.selectRow(0)
    assert await view.copy_share_link(private=False) is not None

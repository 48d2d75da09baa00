"""A room's recordings link (``access.anonymous.recording.url``, ``/room/{id}/recordings?secret=…``) opened in the
participant window, against a real server process: the recording view alone (no join view, no meeting, no Back),
with what the link's recording token may do (list, play, download, share; never delete) and what the server
accepts from it, the list followed live, and a wrong secret or a room that does not share its recordings by link
said in words on the error page."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import BadRequest, Forbidden, Unauthorized
from meetdesk.client.links import parse_recordings_link, parse_room_link
from meetdesk.core.models import MeetRoom
from meetdesk.ui.meeting.window import ParticipantWindow
from meetdesk.ui.recordings.player_model import PlayerState
from tests.conftest import ServerProcess, free_port
from tests.integration.recording_helpers import seed_recording
from tests.ui.helpers import clipped_texts, emitted, shoot
from tests.ui.player_media import recorded_mp4
from tests.ui.test_participant_window import reach, room, window
from tests.ui.test_recording_view import RECORDER_S, highlight, loaded, shows, statuses

__all__ = ["room", "window"]  # fixtures

pytestmark = pytest.mark.slow


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.start()
    yield proc
    if proc.process is not None and proc.process.poll() is None:
        proc.stop()


async def recordings_url(client: MeetDeskClient, room: MeetRoom) -> str:
    """The link as the room's JSON gives it."""
    url = (await client.get_room_access(room.roomId)).anonymous.recording.url
    assert url is not None and "/recordings?secret=" in url
    return url


async def test_a_recordings_link_opens_the_recording_view_alone_with_what_its_token_may_do(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess, tmp_path: Path
) -> None:
    media = recorded_mp4(6)
    seeded = seed_recording(server_process, room.roomId, room.roomName or "", duration_ms=6000, media=media)
    url = await recordings_url(client, room)
    stages: list[str] = []
    window.stageChanged.connect(stages.append)
    window.open_link(url)
    await reach(window, "recordings")
    view = window.recording_view
    await loaded(view)
    assert stages == ["checking", "recordings"]  # no join view, no meeting
    assert window.windowTitle() == "Daily stand-up: recordings — MeetDesk"
    assert "Daily stand-up" in view.title.text()
    assert [r.recordingId for r in view.table_model.recordings] == [seeded.recording_id]
    assert not view.back.isVisible()  # nowhere to go back to: closing the window is the way out
    highlight(view, 0)
    assert view.play.isVisible() and view.play.isEnabled()
    assert view.download.isEnabled() and view.share.isEnabled()
    assert not view.delete.isVisible()  # a recordings link never deletes (core/recording_access: a member's)
    assert not clipped_texts(window)
    shoot(window, "recordings-link")

    # the server agrees: the link's token lists and plays, and may not delete
    link = parse_recordings_link(url)
    async with MeetDeskClient(link.base_url) as holder:
        holder.credentials.recording_token = (await holder.recordings_link_token(link.room_id, link.secret)).token
        listed = await holder.list_recordings(room_id=room.roomId)
        assert [r.recordingId for r in listed.recordings] == [seeded.recording_id]
        with pytest.raises(Forbidden):
            await holder.delete_recording(seeded.recording_id)
        # it is no participant token: as one, it reads no room
        token, holder.credentials.recording_token = holder.credentials.recording_token, None
        holder.credentials.participant_token = token
        with pytest.raises(Unauthorized):
            await holder.get_room(room.roomId)

    # download through the window: the file as recorded
    view.download.click()
    dialog = view.download_bar.dialog
    assert isinstance(dialog, QFileDialog)
    target = tmp_path / "from-link.mp4"
    dialog.selectFile(str(target))
    dialog.accept()
    await view.download_bar.wait()
    assert target.read_bytes() == media

    # play: the player under the list reaches "playing" with the link's token
    view.play.click()
    model = view.player.model
    while model.state is not PlayerState.PLAYING:
        await asyncio.wait_for(emitted(model.stateChanged), RECORDER_S)
    assert model.recording is not None and model.recording.recordingId == seeded.recording_id

    # a recording made meanwhile comes into the list without Refresh (no events for a link: read again)
    later = seed_recording(server_process, room.roomId, room.roomName or "", status="active", media=None)
    await shows(view, ["Recording…", "Ready"])
    assert [r.recordingId for r in view.table_model.recordings] == [later.recording_id, seeded.recording_id]


async def test_an_empty_room_says_so_and_a_turned_off_link_stops_the_open_view(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient
) -> None:
    url = await recordings_url(client, room)
    window.open_link(url)
    await reach(window, "recordings")
    view = window.recording_view
    await loaded(view)
    assert statuses(view) == []
    assert view.empty.text() == "This room has no recordings yet."
    # the room stops sharing its recordings by link: the open view's token no longer lists them
    await client.update_room_access(room.roomId, recording=False)
    view.model.recordings.reload()
    while view.table_model.error is None:
        await asyncio.wait_for(emitted(view.table_model.errorChanged), RECORDER_S)
    assert isinstance(view.table_model.error, Forbidden)
    assert view.empty.text() == (
        "The recordings could not be loaded. This room's recordings are no longer shared by link."
    )


async def test_a_wrong_secret_and_a_room_not_sharing_its_recordings_are_said_in_words(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    url = await recordings_url(client, room)
    link = parse_recordings_link(url)
    wrong = link.url.replace(f"secret={link.secret}", "secret=not-the-secret")
    window.open_link(wrong)
    await reach(window, "error")
    page = window.error_page
    assert page.title.text() == "This recordings link is not valid"
    assert page.text.text().startswith("The server does not take this link's secret:")
    assert page.text.text().endswith(".")
    assert "not-the-secret" not in page.text.text()
    shoot(window, "recordings-link-wrong-secret")

    # what the window was told: the server refuses the secret (400), as it does to any API client
    async with MeetDeskClient(link.base_url) as anyone:
        with pytest.raises(BadRequest):
            await anyone.recordings_link_token(link.room_id, "not-the-secret")

    # a room link's secret under a recordings link's address (edited by hand) is no recordings link either
    assert room.speakerUrl is not None
    seed_recording(server_process, room.roomId, room.roomName or "")  # else the server answers "no recordings"
    speaker_secret = parse_room_link(room.speakerUrl).secret
    window.open_link(link.url.replace(f"secret={link.secret}", f"secret={speaker_secret}"))
    await reach(window, "checking")
    await reach(window, "error")
    assert page.title.text() == "This recordings link is not valid"

    await client.update_room_access(room.roomId, recording=False)
    window.open_link(url)
    await reach(window, "error")
    assert page.title.text() == "These recordings are not shared"
    assert page.text.text() == (
        "This room's recordings are not shared by link. Ask the room's administrator to share them, "
        "or for a link to the room."
    )
    assert page.retry.isVisible() is False
    shoot(window, "recordings-link-not-shared")

    # shared again: the same link opens the view
    await client.update_room_access(room.roomId, recording=True)
    window.open_link(url)
    await reach(window, "recordings")

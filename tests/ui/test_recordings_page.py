"""The admin app's Recordings page against a real server process: empty states in words, pages fetched as the
table scrolls, search by room, filter by status and sort run by the server, statuses in words, and a real
recording's status followed live (Recording… → Ready) without a Refresh."""

from __future__ import annotations

import asyncio
import os
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.session import MeetingSession
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.recordings_page import RecordingsPage
from meetdesk.ui.admin.servers import ServerProfile
from meetdesk.ui.recordings.model import COL_DURATION, COL_ROOM, COL_STATUS, RecordingsModel
from tests.conftest import API_KEY, ServerProcess
from tests.integration.recording_helpers import seed_recording
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.test_main_window import window

__all__ = ["window"]  # fixtures

pytestmark = pytest.mark.slow

#: a safety net for a real recorder on a shared machine, not a speed the tests assert
RECORDER_S = 90.0


@pytest.fixture
def page(qtbot: QtBot) -> RecordingsPage:
    page = RecordingsPage()
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    return page


def column(model: RecordingsModel, col: int) -> list[str]:
    return [model.index(row, col).data() for row in range(model.rowCount())]


async def loaded(page: RecordingsPage, client: MeetDeskClient | None = None) -> None:
    arrived = emitted(page.model.pageLoaded)
    if client is not None:
        page.set_client(client)
    await asyncio.wait_for(arrived, 30)


async def filtered(page: RecordingsPage, act: object) -> None:
    arrived = emitted(page.model.pageLoaded)
    act()  # type: ignore[operator]
    await asyncio.wait_for(arrived, 30)


async def test_without_a_server_and_with_no_recordings_the_page_says_so(
    page: RecordingsPage, client: MeetDeskClient
) -> None:
    assert page.stack.currentWidget() is page.empty
    assert page.empty.text() == "Connect to a server to see its recordings."
    await loaded(page, client)
    assert page.stack.currentWidget() is page.empty
    assert page.empty.text() == "No recordings yet. Start one from a meeting's Record button; it shows here."
    shoot(page, "recordings-empty")


async def test_pages_search_filter_and_sort_run_on_the_server(
    page: RecordingsPage, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    board = await client.create_room({"roomName": "Board meeting"})
    standup = await client.create_room({"roomName": "Daily stand-up, Northern Europe partner teams"})
    for index in range(7):
        seed_recording(server_process, board.roomId, board.roomName or "", duration_ms=1000 * (index + 1))
    for index in range(5):
        seed_recording(server_process, standup.roomId, standup.roomName or "", duration_ms=60_000 + index)
    failed = seed_recording(server_process, board.roomId, board.roomName or "", status="failed", media=None)
    del failed
    page.model.page_size = 5
    await loaded(page, client)
    assert page.model.rowCount() == 5 and page.stack.currentWidget() is page.table
    pages = 1
    while page.model.canFetchMore() or page.model.loading:
        # the view asks for more as it scrolls (and while it is not full); the model follows nextPageToken
        arrived = emitted(page.model.pageLoaded)
        page.model.fetchMore()
        await asyncio.wait_for(arrived, 30)
        pages += 1
    assert pages >= 2  # the first page had 5 of the 13
    ids = [r.recordingId for r in page.model.recordings]
    assert len(ids) == 13 and len(set(ids)) == 13
    assert not page.model.canFetchMore()
    shoot(page, "recordings-list")

    # search by room: the server's partial, case-insensitive match
    await filtered(page, lambda: page.search.setText("stand-UP"))
    assert set(column(page.model, COL_ROOM)) == {standup.roomName}
    assert page.model.rowCount() == 5
    await filtered(page, lambda: page.search.setText("nothing like it"))
    assert page.model.rowCount() == 0 and page.stack.currentWidget() is page.empty
    assert page.empty.text() == "No recording matches this search. Clear the search or choose another status."

    # status filter: statuses in words
    page.search.clear()
    await filtered(page, lambda: page.status.setCurrentIndex(page.status.findText("Failed")))
    assert column(page.model, COL_STATUS) == ["Failed"]
    await filtered(page, lambda: page.status.setCurrentIndex(page.status.findText("Ready")))
    assert set(column(page.model, COL_STATUS)) == {"Ready"}

    # sort by duration, shortest first, across pages the server orders
    await filtered(page, lambda: page.table.sortByColumn(COL_DURATION, Qt.SortOrder.AscendingOrder))
    assert column(page.model, COL_DURATION)[:3] == ["0:01", "0:02", "0:03"]
    await filtered(page, lambda: page.table.sortByColumn(COL_DURATION, Qt.SortOrder.DescendingOrder))
    assert column(page.model, COL_DURATION)[0] == "1:00"


async def test_download_with_progress_a_cancelled_one_leaves_nothing_and_share_links(
    page: RecordingsPage, client: MeetDeskClient, server_process: ServerProcess, tmp_path: Path
) -> None:
    room = await client.create_room({"roomName": "Board meeting"})
    video = os.urandom(3 * 1024 * 1024)  # the server serves the stored file as it is
    seed_recording(server_process, room.roomId, "Board meeting", media=video)
    seed_recording(server_process, room.roomId, "Board meeting", status="failed", media=None)
    await loaded(page, client)
    ready_row = column(page.model, COL_STATUS).index("Ready")
    page.table.selectRow(1 - ready_row)
    assert not page.download.isEnabled()  # a failed recording has no file
    page.table.selectRow(ready_row)
    assert page.download.isEnabled()

    page.download.click()
    dialog = page.download_bar.dialog
    assert dialog is not None and dialog.isVisible()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    target = downloads / "board.mp4"
    dialog.selectFile(str(target))
    dialog.accept()
    assert page.download_bar.isVisible() and page.download_bar.cancel.isVisible()
    await asyncio.wait_for(page.download_bar.wait(), 60)
    assert target.read_bytes() == video
    assert page.download_bar.progress.value() == page.download_bar.progress.maximum()
    assert page.download_bar.text.text() == f"Saved “board.mp4” in {downloads}."
    assert not page.download_bar.cancel.isVisible()
    shoot(page, "recordings-downloaded")

    page.download.click()
    dialog = page.download_bar.dialog
    assert dialog is not None
    other = downloads / "again.mp4"
    dialog.selectFile(str(other))
    dialog.accept()
    page.download_bar.cancel.click()
    await asyncio.wait_for(page.download_bar.wait(), 60)
    assert page.download_bar.text.text() == "Download cancelled: nothing was saved."
    assert os.listdir(downloads) == ["board.mp4"]  # neither again.mp4 nor again.mp4.part

    # two ready recordings as one ZIP (the failed one has no file and is left out)
    seed_recording(server_process, room.roomId, "Board meeting")
    await filtered(page, page.model.reload)
    page.table.selectAll()
    assert page.download_zip.isEnabled()
    page.download_zip.click()
    dialog = page.download_bar.dialog
    assert dialog is not None
    archive = downloads / "both.zip"
    dialog.selectFile(str(archive))
    dialog.accept()
    await asyncio.wait_for(page.download_bar.wait(), 60)
    with zipfile.ZipFile(archive) as opened:
        assert len(opened.namelist()) == 2
    assert page.download_bar.text.text() == f"Saved “both.zip” in {downloads}."
    page.table.selectRow(column(page.model, COL_STATUS).index("Ready"))

    # share links, copied with who can open them
    ready_id = page.current().recordingId  # type: ignore[union-attr]
    assert page.share.isEnabled()
    assert await page.copy_share_link(private=False) == await client.recording_url(ready_id)
    assert QGuiApplication.clipboard().text() == await client.recording_url(ready_id)
    assert page.share_text.text() == "Public link copied: anyone who has it can watch and download this recording."
    copied = emitted(QGuiApplication.clipboard().dataChanged)
    page.share_private.trigger()
    await asyncio.wait_for(copied, 30)
    assert QGuiApplication.clipboard().text() == await client.recording_url(ready_id, private=True)
    assert page.share_text.text() == "Private link copied: only administrators signed in to this server can open it."


async def test_bulk_delete_asks_first_and_says_what_became_of_each(
    page: RecordingsPage, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    room = await client.create_room({"roomName": "Board meeting"})
    for _ in range(2):
        seed_recording(server_process, room.roomId, "Board meeting")
    live = seed_recording(server_process, room.roomId, "Board meeting", status="active")
    await loaded(page, client)
    page.table.selectAll()
    assert page.delete.isEnabled()
    page.delete.click()
    box = page.delete_box
    assert box is not None and box.isVisible() and box.text() == "Delete 3 recordings and their files?"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert page.model.rowCount() == 3

    page.delete.click()
    box = page.delete_box
    assert box is not None
    removed = emitted(page.model.rowsRemoved)
    [delete] = [b for b in box.buttons() if b.text() == "Delete"]
    delete.click()
    await asyncio.wait_for(removed, 30)
    # the text is set once every outcome is in: a label with no signal of its own
    await wait_until(lambda: "deleted." in page.share_text.text(), 30, what="the outcome")
    assert [r.recordingId for r in page.model.recordings] == [live.recording_id]
    text = page.share_text.text()
    assert text.startswith("2 recordings deleted. Not deleted: Board meeting (")
    assert (await client.get_recording(live.recording_id)).status == "active"
    shoot(page, "recordings-deleted")


async def test_a_recording_in_progress_is_followed_without_a_refresh(
    page: RecordingsPage, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    room = await client.create_room({"roomName": "Live one"})
    assert room.moderatorUrl is not None
    ana = MeetingSession(room.moderatorUrl, "Ana", source_id=1, publish_audio=False)
    await ana.join()
    try:
        started = await client.start_recording(room.roomId)
        await loaded(page, client)
        assert column(page.model, COL_STATUS) == ["Recording…"]
        async with MeetDeskClient(server_process.url, api_key=API_KEY, timeout=RECORDER_S) as slow:
            await slow.stop_recording(started.recordingId)  # answered once the recorder has finished the file

        async def ready() -> None:
            while column(page.model, COL_STATUS) != ["Ready"]:
                await emitted(page.model.recordingChanged)

        await asyncio.wait_for(ready(), RECORDER_S)
        assert page.model.index(0, COL_DURATION).data() != ""
    finally:
        await ana.leave()


async def test_the_admin_window_has_a_recordings_page_and_view_recordings_on_a_room(
    window: MainWindow, server_process: ServerProcess, client: MeetDeskClient
) -> None:
    names = [window.nav.item(row).text() for row in range(window.nav.count())]
    assert "Recordings" in names
    window.nav.setCurrentRow(names.index("Recordings"))
    assert window.pages.currentWidget() is window.recordings_page
    recordings = window.recordings_page
    assert recordings.empty.text() == "Connect to a server to see its recordings."
    arrived = emitted(recordings.model.pageLoaded)
    assert await window.open_server(ServerProfile(name="Office", url=server_process.url, auth="api_key"), API_KEY)
    await asyncio.wait_for(arrived, 30)
    assert recordings.empty.text() == "No recordings yet. Start one from a meeting's Record button; it shows here."

    # "View recordings" on a room of the Rooms page: that room's only, with a way back to all
    board = await client.create_room({"roomName": "Board meeting"})
    other = await client.create_room({"roomName": "Board meeting, the sequel"})
    mine = seed_recording(server_process, board.roomId, "Board meeting")
    seed_recording(server_process, other.roomId, "Board meeting, the sequel")
    await window.rooms_page.reload()
    window.nav.setCurrentRow(names.index("Rooms"))
    rooms = window.rooms_page
    [row] = [r for r in range(rooms.proxy.rowCount()) if rooms.proxy.index(r, 0).data() == "Board meeting"]
    rooms.table.selectRow(row)
    arrived = emitted(recordings.model.pageLoaded)
    rooms.act_recordings.trigger()
    await asyncio.wait_for(arrived, 30)
    assert window.pages.currentWidget() is recordings
    assert [r.recordingId for r in recordings.model.recordings] == [mine.recording_id]
    assert recordings.room_bar.isVisible() and recordings.room_label.text() == "The recordings of “Board meeting”."
    arrived = emitted(recordings.model.pageLoaded)
    recordings.show_all.click()
    await asyncio.wait_for(arrived, 30)
    assert recordings.model.rowCount() == 2 and not recordings.room_bar.isVisible()

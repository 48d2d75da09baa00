"""The Rooms page against a real server process: lazy pages, server-side search/filter/sort, empty states,
links, close/reopen."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.models import RoomStatus
from meetdesk.ui.admin.rooms_model import COL_AUTO_DELETION, COL_NAME, PAGE_SIZE
from meetdesk.ui.admin.rooms_page import RoomsPage
from tests.conftest import ServerProcess
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted

pytestmark = pytest.mark.slow


async def create_rooms(client: MeetDeskClient, names: list[str]) -> None:
    for start in range(0, len(names), 25):  # a few at a time: the server is a real one, on 2 shared cores
        await asyncio.gather(*(client.create_room({"roomName": n}) for n in names[start : start + 25]))


def shown_names(page: RoomsPage) -> list[str]:
    proxy = page.proxy
    return [proxy.index(row, COL_NAME).data() for row in range(proxy.rowCount())]


@pytest.fixture
def page(qtbot: QtBot, client: MeetDeskClient) -> RoomsPage:
    page = RoomsPage(client)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    return page


async def test_an_empty_server_shows_words_and_a_way_to_create_the_first_room(page: RoomsPage) -> None:
    await page.reload()
    assert page.stack.currentWidget() is page.empty
    assert page.empty_title.text() == "No rooms yet"
    assert page.empty_action.text() == "Create your first room"
    assert page.empty_action.isVisible()


async def test_250_rooms_arrive_in_pages_as_the_table_scrolls(page: RoomsPage, client: MeetDeskClient) -> None:
    await create_rooms(client, [f"Room {i:03d}" for i in range(250)])
    await page.reload()
    assert page.model.rowCount() == PAGE_SIZE
    assert page.model.has_more
    # newest first by default: the last batch created heads the list
    assert shown_names(page)[0] >= "Room 225"

    for expected in range(2 * PAGE_SIZE, 250 + 1, PAGE_SIZE):
        loaded = emitted(page.model.pageLoaded)
        page.table.scrollToBottom()  # the view asks the model for more (canFetchMore/fetchMore)
        await asyncio.wait_for(loaded, 10)
        assert page.model.rowCount() == expected
    assert not page.model.has_more
    names = shown_names(page)
    assert len(names) == 250
    assert len(set(names)) == 250  # no page fetched twice


async def test_search_asks_the_server_so_unloaded_rooms_are_found(page: RoomsPage, client: MeetDeskClient) -> None:
    await create_rooms(client, ["Board meeting", "board review"])
    await create_rooms(client, [f"Standup {i:03d}" for i in range(120)])
    await page.reload()
    assert "Board meeting" not in shown_names(page)  # created first, so beyond the first page

    page.search.setText("BOARD")
    await wait_until(lambda: page.model.query.name == "BOARD" and not page.model.loading, what="search")
    assert sorted(shown_names(page)) == ["Board meeting", "board review"]
    assert not page.model.has_more

    page.search.setText("no such room")
    await wait_until(lambda: page.model.query.name == "no such room" and not page.model.loading)
    assert page.stack.currentWidget() is page.empty
    assert page.empty_title.text() == "No rooms match"
    page.empty_action.click()  # "Clear the search"
    await wait_until(lambda: page.model.query.name == "" and page.model.rowCount() == PAGE_SIZE)
    assert page.search.text() == ""


async def test_status_filter_and_sort_run_on_the_server(page: RoomsPage, client: MeetDeskClient) -> None:
    await create_rooms(client, ["Charlie", "alpha", "Bravo", "delta"])
    for room in (await client.list_rooms()).rooms:
        if room.roomName in ("Bravo", "delta"):
            await client.set_room_status(room.roomId, "closed")
    await page.reload()

    page.status_filter.setCurrentIndex(page.status_filter.findData(RoomStatus.CLOSED))
    await wait_until(lambda: page.model.query.status == RoomStatus.CLOSED and not page.model.loading)
    assert sorted(shown_names(page)) == ["Bravo", "delta"]
    assert all(room.status == RoomStatus.CLOSED for room in page.model.rooms)

    page.status_filter.setCurrentIndex(0)
    await wait_until(lambda: page.model.query.status is None and not page.model.loading)
    page.table.horizontalHeader().setSortIndicator(COL_NAME, Qt.SortOrder.AscendingOrder)
    await wait_until(lambda: page.model.query.sort_field == "roomName" and not page.model.loading)
    assert [n.lower() for n in shown_names(page)] == ["alpha", "bravo", "charlie", "delta"]
    page.table.horizontalHeader().setSortIndicator(COL_NAME, Qt.SortOrder.DescendingOrder)
    await wait_until(lambda: page.model.query.sort_order == "desc" and not page.model.loading)
    assert [n.lower() for n in shown_names(page)] == ["delta", "charlie", "bravo", "alpha"]
    page.table.horizontalHeader().setSortIndicator(COL_AUTO_DELETION, Qt.SortOrder.AscendingOrder)
    await wait_until(lambda: page.model.query.sort_field == "autoDeletionDate" and not page.model.loading)
    assert len(shown_names(page)) == 4


async def test_copy_links_and_close_then_reopen_a_room(page: RoomsPage, client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Design review"})
    await page.reload()
    page.table.selectRow(0)
    assert page.selection_label.text() == "Design review"

    page.act_copy_moderator.trigger()
    assert QGuiApplication.clipboard().text() == room.moderatorUrl
    page.act_copy_speaker.trigger()
    assert QGuiApplication.clipboard().text() == room.speakerUrl
    assert room.moderatorUrl != room.speakerUrl

    assert page.act_close.text() == "Close room"
    await page.toggle_closed()
    assert (await client.get_room(room.roomId)).status == RoomStatus.CLOSED
    assert page.model.rooms[0].status == RoomStatus.CLOSED
    assert page.act_close.text() == "Reopen room"
    assert not page.act_join.isEnabled()  # a closed room lets no one in
    await page.toggle_closed()
    assert (await client.get_room(room.roomId)).status == RoomStatus.OPEN
    assert page.model.status_text(page.model.rooms[0]) == "Open"


async def test_ticking_rooms_enables_bulk_delete_with_a_count(page: RoomsPage, client: MeetDeskClient) -> None:
    await create_rooms(client, ["One", "Two", "Three"])
    await page.reload()
    assert not page.delete_checked_button.isEnabled()
    for row in (0, 2):
        page.proxy.setData(page.proxy.index(row, COL_NAME), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert page.delete_checked_button.isEnabled()
    assert page.delete_checked_button.text() == "Delete 2 rooms"  # plural forms through tr(), not "room(s)"
    page.proxy.setData(page.proxy.index(0, COL_NAME), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert page.delete_checked_button.text() == "Delete 1 room"
    page.proxy.setData(page.proxy.index(0, COL_NAME), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert {r.roomName for r in page.model.checked_rooms()} == {shown_names(page)[0], shown_names(page)[2]}


async def test_a_stopped_server_is_reported_by_the_page(page: RoomsPage, server_process: ServerProcess) -> None:
    await page.reload()
    problems: list[BaseException] = []
    page.problem.connect(lambda exc, _retry: problems.append(exc))
    server_process.stop()
    with pytest.raises(Exception, match="Cannot reach"):
        await page.reload()
    assert problems and "Cannot reach" in str(problems[0])


async def test_bulk_delete_from_the_page_removes_the_ticked_rooms(page: RoomsPage, client: MeetDeskClient) -> None:
    from meetdesk.ui.admin.delete_dialog import DeleteRoomsDialog

    await create_rooms(client, ["Keep me", "Drop one", "Drop two"])
    await page.reload()
    for row, name in enumerate(shown_names(page)):
        if name.startswith("Drop"):
            page.proxy.setData(page.proxy.index(row, COL_NAME), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    page.delete_checked_button.click()
    dialog = page.findChild(DeleteRoomsDialog)
    assert dialog is not None and dialog.isVisible()
    outcomes = await dialog.run_deletion()
    assert outcomes is not None and len(outcomes) == 2
    await wait_until(lambda: shown_names(page) == ["Keep me"] and not page.model.loading, what="the list to reload")
    assert [room.roomName for room in (await client.list_rooms()).rooms] == ["Keep me"]
    assert not page.delete_checked_button.isEnabled()
    dialog.close()


def test_while_the_server_is_away_with_no_room_seen_the_page_offers_nothing_that_cannot_work(qtbot: QtBot) -> None:
    page = RoomsPage(None)
    qtbot.addWidget(page)
    page.show()
    reason = "The server on this computer is restarting: this can be done once it is back."
    page.set_unavailable(reason)
    assert page.stack.currentWidget() is page.empty
    assert page.empty_title.text() == "Rooms can't be shown now"
    assert page.empty_text.text() == "They show here once the server answers."
    assert not page.empty_action.isVisible()  # never "Create your first room" or a Retry that cannot help
    assert not page.new_button.isEnabled() and page.new_button.toolTip() == reason
    assert not page.refresh_button.isEnabled() and not page.stale_bar.isVisible()
    page.set_unavailable(None)
    assert page.new_button.isEnabled() and page.new_button.toolTip() == ""
    assert page.stack.currentWidget() is page.table  # nothing loaded yet, nothing wrong: the (empty) table

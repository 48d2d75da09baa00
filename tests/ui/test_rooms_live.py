"""The Rooms page never lies, against a real server process: changes made elsewhere (another client over
REST, participants joining and leaving) show without a refresh, keeping the highlight and the scroll
position; the actions act only on the highlighted room while it is shown; the select-all box; the server
going away (rows kept, greyed, with the reason and Retry); long names elided."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.signalling import SignallingClient
from meetdesk.core.models import MeetRoom, RoomStatus
from meetdesk.core.signalling import Leave
from meetdesk.ui.admin.delete_dialog import DeleteRoomsDialog
from meetdesk.ui.admin.room_form import RoomFormDialog
from meetdesk.ui.admin.rooms_model import COL_NAME, COL_PEOPLE, COL_STATUS
from meetdesk.ui.admin.rooms_page import RoomsPage
from tests.conftest import ServerProcess
from tests.ui.helpers import emitted, fits_window
from tests.ui.test_rooms_page import create_rooms, shown_names

pytestmark = pytest.mark.slow

LONG_NAME = "W" * 50  # the longest name a room may have, in the widest letter


@pytest.fixture
def page(qtbot: QtBot, client: MeetDeskClient) -> RoomsPage:
    page = RoomsPage(client)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    page.activateWindow()
    return page


async def until_shown(page: RoomsPage, predicate: Callable[[], object], what: str) -> None:
    """Let the server's events arrive (the page emits ``live.applied`` for each) until ``predicate()`` holds."""
    while not predicate():
        try:
            await asyncio.wait_for(emitted(page.live.applied), 10)
        except TimeoutError:
            raise AssertionError(f"no event brought {what}") from None


def row_of(page: RoomsPage, name: str) -> int:
    return shown_names(page).index(name)


def cell(page: RoomsPage, name: str, column: int) -> str:
    return str(page.proxy.index(row_of(page, name), column).data() or "")


def click_row(qtbot: QtBot, page: RoomsPage, name: str, button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    rect = page.table.visualRect(page.proxy.index(row_of(page, name), COL_STATUS))
    qtbot.mouseClick(page.table.viewport(), button, pos=rect.center())


def highlighted(page: RoomsPage) -> str | None:
    room = page.current_room()
    return room.roomName if room is not None else None


def nothing_highlighted(page: RoomsPage) -> bool:
    return (
        page.current_room() is None
        and not page.table.selectionModel().hasSelection()
        and page.selection_label.text() == "Select a room to act on it."
        and not any(action.isEnabled() for action in page.row_actions)
    )


async def join(client: MeetDeskClient, room: MeetRoom, name: str) -> SignallingClient:
    """A participant in the room's meeting, over the real signalling socket."""
    assert room.moderatorUrl is not None
    token = await client.participant_token(room.roomId, parse_room_link(room.moderatorUrl).secret, name)
    return await SignallingClient.connect(client.base_url, token)


async def test_rooms_created_closed_and_deleted_elsewhere_show_and_the_highlight_stays(
    qtbot: QtBot, page: RoomsPage, client: MeetDeskClient
) -> None:
    await create_rooms(client, ["Alpha", "Bravo", "Charlie"])
    await page.reload()
    rooms = {room.roomName: room for room in page.model.rooms}
    click_row(qtbot, page, "Bravo")
    assert highlighted(page) == "Bravo" and page.selection_label.text() == "Bravo"

    await client.create_room({"roomName": "Delta"})  # another admin, over REST
    await until_shown(page, lambda: "Delta" in shown_names(page), "the new room")
    assert shown_names(page)[0] == "Delta"  # newest first, as the server sorts
    assert highlighted(page) == "Bravo"

    await client.set_room_status(rooms["Alpha"].roomId, "closed")
    await until_shown(page, lambda: cell(page, "Alpha", COL_STATUS) == "Closed", "the room closed")
    await client.delete_room(rooms["Charlie"].roomId)
    await until_shown(page, lambda: "Charlie" not in shown_names(page), "the room deleted")
    assert highlighted(page) == "Bravo" and page.selection_label.text() == "Bravo"

    # The highlighted room deleted elsewhere: nothing is highlighted (not the row that slid into its place)...
    await client.delete_room(rooms["Bravo"].roomId)
    await until_shown(page, lambda: "Bravo" not in shown_names(page), "the highlighted room deleted")
    assert nothing_highlighted(page)
    # ...so Delete and Ctrl+E do nothing at all.
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert page.findChild(DeleteRoomsDialog) is None and page.findChild(RoomFormDialog) is None
    assert [r.roomName for r in (await client.list_rooms()).rooms] == ["Delta", "Alpha"]  # nothing deleted here


async def test_a_room_renamed_elsewhere_moves_to_its_place_in_a_list_sorted_by_name_keeping_the_highlight(
    qtbot: QtBot, page: RoomsPage, client: MeetDeskClient
) -> None:
    await create_rooms(client, ["Alpha", "Bravo", "Charlie"])
    await page.reload()
    loaded = emitted(page.model.pageLoaded)
    page.table.horizontalHeader().setSortIndicator(COL_NAME, Qt.SortOrder.AscendingOrder)
    await asyncio.wait_for(loaded, 10)
    assert shown_names(page) == ["Alpha", "Bravo", "Charlie"]
    click_row(qtbot, page, "Alpha")
    alpha = page.current_room()
    assert alpha is not None
    await client.update_room(alpha.roomId, {"roomName": "Zulu"})
    await until_shown(page, lambda: shown_names(page) == ["Bravo", "Charlie", "Zulu"], "the renamed room")
    assert highlighted(page) == "Zulu" and page.selection_label.text() == "Zulu"  # the same room, moved


async def test_the_first_room_created_and_the_last_deleted_elsewhere_switch_the_empty_state(
    page: RoomsPage, client: MeetDeskClient
) -> None:
    await page.reload()
    assert page.stack.currentWidget() is page.empty
    room = await client.create_room({"roomName": "First of all"})
    await until_shown(page, lambda: shown_names(page) == ["First of all"], "the first room")
    assert page.stack.currentWidget() is page.table and page.table.isVisible()
    await client.delete_room(room.roomId)
    await until_shown(page, lambda: shown_names(page) == [], "the room deleted")
    assert page.stack.currentWidget() is page.empty and page.empty_title.text() == "No rooms yet"


async def test_the_people_column_counts_who_is_in_each_meeting(page: RoomsPage, client: MeetDeskClient) -> None:
    busy = await client.create_room({"roomName": "Busy"})
    await client.create_room({"roomName": "Quiet"})
    ana = await join(client, busy, "Ana")
    await page.reload()  # the first listing already knows who is in
    assert cell(page, "Busy", COL_PEOPLE) == "1" and cell(page, "Quiet", COL_PEOPLE) == ""
    assert page.proxy.index(row_of(page, "Busy"), COL_PEOPLE).data(Qt.ItemDataRole.AccessibleTextRole) == (
        "1 people in the meeting"
    )

    bo = await join(client, busy, "Bo")
    await until_shown(page, lambda: cell(page, "Busy", COL_PEOPLE) == "2", "the second participant")
    await bo.send(Leave())
    await until_shown(page, lambda: cell(page, "Busy", COL_PEOPLE) == "1", "a participant leaving")
    assert cell(page, "Busy", COL_STATUS) == "Active meeting"
    await ana.send(Leave())
    await until_shown(
        page, lambda: cell(page, "Busy", COL_PEOPLE) == "" and cell(page, "Busy", COL_STATUS) == "Open", "the end"
    )
    await bo.close()
    await ana.close()


async def test_a_room_created_above_keeps_the_rows_in_sight_where_they_are(
    page: RoomsPage, client: MeetDeskClient
) -> None:
    await create_rooms(client, [f"Room {i:02d}" for i in range(40)])
    await page.reload()
    page.resize(800, 300)
    page.table.verticalScrollBar().setValue(15)
    top = shown_names(page)[page.table.rowAt(0)]
    assert top != shown_names(page)[0]

    await client.create_room({"roomName": "Brand new"})
    await until_shown(page, lambda: "Brand new" in shown_names(page), "the new room")
    assert shown_names(page)[0] == "Brand new"
    assert shown_names(page)[page.table.rowAt(0)] == top  # what the user was looking at has not moved


async def test_a_search_or_a_filter_that_hides_the_highlighted_room_clears_the_actions(
    qtbot: QtBot, page: RoomsPage, client: MeetDeskClient
) -> None:
    await create_rooms(client, ["Board meeting", "Standup"])
    await page.reload()
    click_row(qtbot, page, "Standup")
    assert highlighted(page) == "Standup"

    qtbot.keyClicks(page.search, "board")  # the rows loaded narrow at once; the server is asked after a pause
    assert shown_names(page) == ["Board meeting"]
    assert nothing_highlighted(page)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert page.findChild(DeleteRoomsDialog) is None

    page.search.clear()  # before the pause ended: the server was never asked, the rows come back at once
    assert sorted(shown_names(page)) == ["Board meeting", "Standup"]
    click_row(qtbot, page, "Board meeting")
    assert highlighted(page) == "Board meeting"
    loaded = emitted(page.model.pageLoaded)
    page.status_filter.setCurrentIndex(page.status_filter.findData(RoomStatus.CLOSED))
    await asyncio.wait_for(loaded, 10)
    assert nothing_highlighted(page)


async def test_shortcuts_and_the_context_menu_act_on_the_highlighted_room(
    qtbot: QtBot, page: RoomsPage, client: MeetDeskClient
) -> None:
    await create_rooms(client, ["First", "Second"])
    await page.reload()
    click_row(qtbot, page, "Second")
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    dialog = page.findChild(DeleteRoomsDialog)
    assert dialog is not None and [room.roomName for room in dialog.rooms] == ["Second"]
    dialog.reject()
    dialog.deleteLater()

    qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    form = page.findChild(RoomFormDialog)
    assert form is not None and form.isVisible() and "Second" in form.windowTitle()
    form.reject()

    # A right click highlights the row under the pointer: the menu acts on it, not on the one before.
    # (QTest's click makes no context menu event, which the windowing system would: it is sent as it would be)
    pos = page.table.visualRect(page.proxy.index(row_of(page, "First"), COL_STATUS)).center()
    viewport = page.table.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos)))
    assert highlighted(page) == "First"
    menu = page.findChild(QMenu)
    assert menu is not None and menu.isVisible()
    page.act_copy_moderator.trigger()
    first = next(room for room in page.model.rooms if room.roomName == "First")
    assert QGuiApplication.clipboard().text() == first.moderatorUrl
    menu.close()


async def test_the_header_box_ticks_every_room_shown(qtbot: QtBot, page: RoomsPage, client: MeetDeskClient) -> None:
    await create_rooms(client, ["One", "Two", "Three"])
    await page.reload()
    header = page.header
    sort = page.model.query

    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.box_rect().center())
    assert header.state == Qt.CheckState.Checked
    assert {room.roomName for room in page.ticked_rooms()} == {"One", "Two", "Three"}
    assert page.delete_checked_button.isEnabled()
    assert page.model.query == sort  # the click ticked; it did not sort

    page.proxy.setData(page.proxy.index(0, COL_NAME), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert header.state == Qt.CheckState.PartiallyChecked
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.box_rect().center())
    assert header.state == Qt.CheckState.Checked and len(page.ticked_rooms()) == 3
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.box_rect().center())
    assert header.state == Qt.CheckState.Unchecked and page.ticked_rooms() == []
    assert not page.delete_checked_button.isEnabled()

    # Ticked rooms a search hides are not acted on.
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.box_rect().center())
    page.proxy.setFilterFixedString("One")
    assert [room.roomName for room in page.ticked_rooms()] == ["One"]
    assert header.state == Qt.CheckState.Checked


async def test_the_server_going_away_keeps_the_rooms_greyed_with_the_reason_and_retry(
    page: RoomsPage, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    await create_rooms(client, ["Kept one", "Kept two"])
    await page.reload()
    errored = emitted(page.model.errorChanged)
    server_process.stop()  # nobody touches the page: its live channel notices
    (error,) = await asyncio.wait_for(errored, 20)
    assert error is not None
    assert sorted(shown_names(page)) == ["Kept one", "Kept two"]  # the rooms last seen, never "No rooms yet"
    assert page.stack.currentWidget() is page.table
    assert page.stale_bar.isVisible()
    assert page.stale_text.text().startswith("Can't load rooms: Cannot reach the server at")
    assert page.stale_text.text().endswith(".")
    grey = page.proxy.index(0, COL_NAME).data(Qt.ItemDataRole.ForegroundRole)
    assert grey is not None and grey.color() == page.palette().color(page.palette().ColorGroup.Disabled,
                                                                      page.palette().ColorRole.Text)  # fmt: skip

    server_process.start()
    cleared = emitted(page.model.errorChanged)
    page.stale_retry.click()
    assert (await asyncio.wait_for(cleared, 20)) == (None,)
    assert not page.stale_bar.isVisible()
    assert page.proxy.index(0, COL_NAME).data(Qt.ItemDataRole.ForegroundRole) is None


async def test_a_server_down_from_the_start_says_so_instead_of_no_rooms_yet(
    qtbot: QtBot, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    page = RoomsPage(client)
    qtbot.addWidget(page)
    page.show()
    server_process.stop()
    with pytest.raises(Exception, match="Cannot reach"):
        await page.reload()
    assert page.stack.currentWidget() is page.empty
    assert page.empty_title.text() == "Can't load rooms"
    assert page.empty_action.text() == "Retry"
    server_process.start()
    await client.create_room({"roomName": "There all along"})
    loaded = emitted(page.model.pageLoaded)
    page.empty_action.click()
    await asyncio.wait_for(loaded, 20)
    assert shown_names(page) == ["There all along"]
    assert page.stack.currentWidget() is page.table


async def test_long_names_are_elided_and_never_widen_the_window(
    qtbot: QtBot, page: RoomsPage, client: MeetDeskClient
) -> None:
    room = await client.create_room({"roomName": LONG_NAME})
    other = await client.create_room({"roomName": "M" * 50})
    await page.reload()
    page.resize(900, 500)
    smallest = page.minimumSizeHint().width()  # with nothing highlighted
    click_row(qtbot, page, LONG_NAME)
    assert page.selection_label.text() == LONG_NAME
    assert page.selection_label.is_elided() and page.selection_label.toolTip() == LONG_NAME
    assert page.minimumSizeHint().width() == smallest and page.width() == 900  # the name did not widen it

    form = RoomFormDialog(client, room, page)
    assert LONG_NAME not in form.windowTitle() and form.windowTitle().endswith("…”")
    form.deleteLater()

    screen = QApplication.primaryScreen().availableGeometry()
    dialog = page.open_delete_dialog([room, other])
    assert dialog.width() <= screen.width()
    assert "…" in dialog.ui.questionLabel.text() and LONG_NAME in dialog.ui.questionLabel.toolTip()
    outcomes = await dialog.run_deletion()
    assert outcomes is not None
    assert dialog.width() <= screen.width() * 0.9
    table = dialog.ui.outcomeTable
    assert table.horizontalHeader().sectionSize(0) < table.fontMetrics().horizontalAdvance(LONG_NAME)
    # every column, the outcome too, in sight: the table fits the dialog and its columns fit the table
    assert fits_window(table) and table.horizontalHeader().length() <= table.viewport().width()
    assert dialog.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == LONG_NAME
    dialog.close()


async def test_a_refresh_keeps_the_highlighted_room_and_another_server_clears_it(
    qtbot: QtBot, page: RoomsPage, client: MeetDeskClient
) -> None:
    await create_rooms(client, ["Kept", "Other"])
    await page.reload()
    click_row(qtbot, page, "Kept")
    loaded = emitted(page.model.pageLoaded)
    qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
    await asyncio.wait_for(loaded, 10)
    assert highlighted(page) == "Kept"  # still shown after the refresh: still the one acted on

    async with MeetDeskClient(client.base_url, api_key=client.credentials.api_key) as elsewhere:
        page.set_client(elsewhere)  # (another server, as far as the page can tell)
        assert nothing_highlighted(page)
        await page.reload()
        assert sorted(shown_names(page)) == ["Kept", "Other"]
        assert nothing_highlighted(page)  # the same name on another server is not the room that was chosen
        page.set_client(client)

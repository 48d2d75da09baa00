"""The participant window's error page against a real server: the product's theme, the room named by its name,
only the actions that can help, and sentences instead of library text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.theme import default_theme
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.conftest import ServerProcess, free_port
from tests.ui.conftest import wait_until
from tests.ui.helpers import clipped_texts, emitted, shoot

LONG_NAME = "Quarterly planning of the regional sales teams, EU"  # the longest a room name may be


@pytest.fixture
def restored_style(qapp: QApplication) -> Iterator[None]:
    """The window applies the product's theme to the whole application: put back what other tests expect."""
    palette, sheet = qapp.palette(), qapp.styleSheet()
    yield
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path, restored_style: None) -> AsyncIterator[ParticipantWindow]:
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings, synthetic=True)  # as `meetdesk open <link>` makes it
    window.resize(900, 640)
    window.show()
    yield window
    window.close()
    window.deleteLater()
    # gone before the style is put back: restyling a window that waits for deletion would repaint a dead one
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


async def error_page_for(window: ParticipantWindow, link: str) -> None:
    shown = emitted(window.stageChanged)
    window.open_link(link)
    while (await shown) != ("error",):
        shown = emitted(window.stageChanged)


def words(window: ParticipantWindow) -> str:
    return f"{window.error_page.title.text()} {window.error_page.text.text()}"


async def test_a_closed_room_is_named_and_can_be_tried_again(
    window: ParticipantWindow, client: MeetDeskClient, qapp: QApplication
) -> None:
    room = await client.create_room({"roomName": LONG_NAME})
    assert room.speakerUrl is not None
    await client.set_room_status(room.roomId, "closed")
    await error_page_for(window, room.speakerUrl)
    page = window.error_page
    assert page.reason == "closed-room"
    assert page.title.text() == f"“{LONG_NAME}” is closed"  # whole: it wraps
    assert page.open_button.property("variant") == "secondary"  # one primary button
    assert room.roomId not in words(window)
    assert page.text.text().endswith(".")
    assert page.retry.isVisible() and page.retry.isDefault()  # it may be reopened
    assert not clipped_texts(window)
    # MeetDesk's own theme, not Qt's default style
    expected = default_theme("dark" if qapp.styleHints().colorScheme().name == "Dark" else "light")
    assert qapp.palette().color(QPalette.ColorRole.Window) == QColor(expected.backgroundColor)
    shoot(window, f"error-closed-room-{expected.baseTheme}")

    # reopened: "Try again" goes on to the join view
    await client.set_room_status(room.roomId, "open")
    joined = emitted(window.stageChanged)
    page.retry.click()
    while (await joined) != ("join",):
        joined = emitted(window.stageChanged)


async def test_a_name_without_spaces_is_shortened_in_the_title_and_whole_in_its_tooltip(
    window: ParticipantWindow, client: MeetDeskClient
) -> None:
    name = "Quarterlyplanningoftheregionalsalesteamsandleads"
    room = await client.create_room({"roomName": name})
    assert room.speakerUrl is not None
    await client.set_room_status(room.roomId, "closed")
    await error_page_for(window, room.speakerUrl)
    title = window.error_page.title
    assert "…" in title.text() and title.text().endswith("” is closed")
    assert title.toolTip() == f"“{name}” is closed"
    assert not clipped_texts(window)


async def test_text_that_is_not_a_link_offers_no_try_again(window: ParticipantWindow) -> None:
    await error_page_for(window, "see you at 10, the usual room")
    page = window.error_page
    assert page.reason == "invalid-link"
    assert not page.retry.isVisible() and page.open_button.isDefault()
    assert page.text.text().endswith(".")
    shoot(window, "error-not-a-link")


async def test_a_server_that_does_not_answer_is_said_in_words(
    window: ParticipantWindow, server_process: ServerProcess
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/room/standup-abc?secret=s3cr3t"
    await error_page_for(window, dead)
    page = window.error_page
    assert page.reason == "unreachable"
    text = words(window)
    assert "All connection attempts failed" not in text and "ConnectError" not in text
    assert "does not answer" in text and page.text.text().endswith(".")
    assert "s3cr3t" not in text and "standup-abc" not in text
    assert page.retry.isVisible()  # the server may come back
    shoot(window, "error-unreachable")


async def test_the_room_theme_of_an_earlier_link_does_not_paint_the_error_page(
    window: ParticipantWindow, client: MeetDeskClient, qapp: QApplication
) -> None:
    from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
    from tests.ui.helpers import BRAND

    async with MeetDeskClient(client.base_url) as admin:
        await admin.login(ADMIN_USER, ADMIN_PASSWORD)
        await admin.set_appearance(BRAND)
    room = await client.create_room({"roomName": "Branded"})
    assert room.speakerUrl is not None
    joined = emitted(window.stageChanged)
    window.open_link(room.speakerUrl)
    while (await joined) != ("join",):
        joined = emitted(window.stageChanged)
    assert qapp.palette().color(QPalette.ColorRole.Window) == QColor(BRAND.backgroundColor)
    await error_page_for(window, room.speakerUrl.split("?")[0] + "?secret=wrong")
    assert qapp.palette().color(QPalette.ColorRole.Window) != QColor(BRAND.backgroundColor)
    await wait_until(lambda: window.error_page.isVisible(), what="the error page on screen")

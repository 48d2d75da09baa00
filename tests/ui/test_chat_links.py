"""Links in chat messages: which text is a link, a click on one opens it (a web address at once, anything else
after a confirmation), and the preview of a message that arrives while the chat is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from meetdesk.core.signalling import ChatMessage
from meetdesk.ui.meeting.chat_links import find_links, preview
from meetdesk.ui.meeting.chat_panel import ChatPanel
from tests.ui.helpers import emitted, shoot


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see https://example.org/a?b=1.", ["https://example.org/a?b=1"]),
        ("(https://en.wikipedia.org/wiki/Foo_(bar)) and http://x.test/", [
            "https://en.wikipedia.org/wiki/Foo_(bar)", "http://x.test/"]),
        ("www.example.org, then mailto:bo@example.org!", ["https://www.example.org", "mailto:bo@example.org"]),
        ("ftp://files.example.org/x and myapp://do/thing", ["ftp://files.example.org/x", "myapp://do/thing"]),
        ("no link: note:this, 12:30, example.org, https://", []),
    ],
)  # fmt: skip
def test_what_is_a_link(text: str, links: list[str]) -> None:
    assert [link.url for link in find_links(text)] == links
    for link in find_links(text):
        assert text[link.start : link.end] in link.url


def test_a_preview_is_one_short_line_with_the_sender() -> None:
    short = ChatMessage(id="1", identity="p-1", name="Bo", time=0, text="hello\nall")
    long = short.model_copy(update={"text": "word " * 40})
    assert preview(short) == "Bo: hello all"
    assert preview(long).startswith("Bo: word word") and preview(long).endswith("word…")
    assert len(preview(long)) <= len("Bo: ") + 80


class Browser(QObject):
    """Stands in for the system's handler of a URL scheme (QDesktopServices.setUrlHandler)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def browser() -> Iterator[Browser]:
    browser = Browser()
    for scheme in ("https", "ftp"):
        QDesktopServices.setUrlHandler(scheme, browser, "open")
    yield browser
    for scheme in ("https", "ftp"):
        QDesktopServices.unsetUrlHandler(scheme)


def panel_with(qtbot: QtBot, text: str) -> ChatPanel:
    panel = ChatPanel(you="ana")
    qtbot.addWidget(panel)
    panel.resize(320, 480)
    panel.show()
    qtbot.waitExposed(panel)
    panel.add_message(ChatMessage(id="m1", identity="bo", name="Bo", time=1_700_000_000_000, text=text), own=False)
    return panel


def click_link(qtbot: QtBot, panel: ChatPanel, url: str) -> None:
    index = panel.model.index(0, 0)
    [where] = [rect for found, rect in panel.delegate.link_rects(index) if found == url]
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=where.center())


async def test_a_web_link_opens_at_once_and_text_beside_it_does_not(qtbot: QtBot, browser: Browser) -> None:
    panel = panel_with(qtbot, "The agenda: https://example.org/agenda, see you there")
    shoot(panel, "chat-link")
    index = panel.model.index(0, 0)
    [(url, rect)] = panel.delegate.link_rects(index)
    assert url == "https://example.org/agenda"
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() - 20, rect.center().y()))
    assert browser.opened == []  # "The agenda:" is not the link
    opened = emitted(panel.links.opened)
    click_link(qtbot, panel, url)
    assert await opened == ("https://example.org/agenda",)
    await asyncio.sleep(0)  # emitted() disconnects in a callback: let it run while the panel lives
    assert browser.opened == ["https://example.org/agenda"]
    assert panel.links.box is None  # no question for a web address


async def test_another_kind_of_link_opens_only_after_a_yes(qtbot: QtBot, browser: Browser) -> None:
    panel = panel_with(qtbot, "files at ftp://files.example.org/minutes.txt")
    click_link(qtbot, panel, "ftp://files.example.org/minutes.txt")
    box = panel.links.box
    assert box is not None and box.isVisible() and browser.opened == []
    assert box.text() == "Open this link?" and "ftp://files.example.org/minutes.txt" in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    shoot(box, "chat-link-confirm")
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert browser.opened == []

    click_link(qtbot, panel, "ftp://files.example.org/minutes.txt")
    box = panel.links.box
    assert box is not None
    opened = emitted(panel.links.opened)
    [go] = [b for b in box.buttons() if b.text() == "Open"]
    go.click()
    assert await opened == ("ftp://files.example.org/minutes.txt",)
    await asyncio.sleep(0)  # emitted() disconnects in a callback: let it run while the panel lives
    assert browser.opened == ["ftp://files.example.org/minutes.txt"]


def test_a_message_while_the_chat_is_closed_asks_for_a_preview(qtbot: QtBot) -> None:
    panel = ChatPanel(you="ana")
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.previewRequested) as shown:
        panel.add_message(ChatMessage(id="m1", identity="bo", name="Bo", time=0, text="Are we starting?"), own=False)
    assert shown.args == ["Bo: Are we starting?"]
    with qtbot.assertNotEmitted(panel.previewRequested):
        panel.add_message(ChatMessage(id="m2", identity="ana", name="Ana", time=0, text="Yes"), own=True)
    panel.show()
    qtbot.waitExposed(panel)
    with qtbot.assertNotEmitted(panel.previewRequested):  # the chat is open: the message is there to read
        panel.add_message(ChatMessage(id="m3", identity="bo", name="Bo", time=0, text="Good"), own=False)


async def test_enter_on_a_message_opens_its_first_link(qtbot: QtBot, browser: Browser) -> None:
    panel = panel_with(qtbot, "slides: https://example.org/slides and https://example.org/notes")
    panel.list.setFocus()
    panel.list.setCurrentIndex(panel.model.index(0, 0))
    opened = emitted(panel.links.opened)
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    assert await opened == ("https://example.org/slides",)
    await asyncio.sleep(0)  # emitted() disconnects in a callback: let it run while the panel lives
    assert browser.opened == ["https://example.org/slides"]

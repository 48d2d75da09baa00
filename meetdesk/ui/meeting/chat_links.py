"""Links in chat messages, and the short preview of a message that arrives while the chat is closed.

:func:`find_links` finds what a reader would take for a link in a message (``https://…``, ``www.…``,
``mailto:…``, any ``scheme://…``); the chat paints them as links. :class:`LinkOpener` opens a clicked
one: a web address (http, https) at once in the browser, anything else (``file:``, ``ftp:``, a custom
scheme that starts a program…) only after the user confirmed it, since a chat message can come from
anyone in the meeting.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from meetdesk.core.signalling import ChatMessage

#: schemes opened without asking
SAFE_SCHEMES = frozenset({"http", "https"})
#: characters of a preview of a message
PREVIEW_CHARS = 80

_LINK = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.\-]{0,30}://[^\s<>\"]+|mailto:[^\s<>\"]+|www\.[^\s<>\"]+)")
_TRAILING = ".,;:!?'\""


class Link(NamedTuple):
    """A link in a text: where it is (``start`` to ``end``, exclusive) and the address it opens."""

    start: int
    end: int
    url: str


def find_links(text: str) -> list[Link]:
    """The links in ``text``, in order. Punctuation after a link ("see https://a.example.")
    is not part of it, nor is a closing bracket that the link did not open."""
    links = []
    for match in _LINK.finditer(text):
        start, end = match.span()
        while end > start and _dangling(text[start:end]):
            end -= 1
        raw = text[start:end]
        if raw.lower() in ("www.", "mailto:") or raw.endswith("://"):
            continue
        url = f"https://{raw}" if raw.lower().startswith("www.") else raw
        links.append(Link(start, end, url))
    return links


def _dangling(link: str) -> bool:
    """Whether the last character of ``link`` belongs to the sentence around it rather than to the link."""
    last = link[-1]
    if last in _TRAILING:
        return True
    if last in ")]}":
        opening = "([{"[")]}".index(last)]
        return link.count(opening) < link.count(last)
    return False


def preview(message: ChatMessage) -> str:
    """One line for a toast: "Bo: the text…", shortened at a word where it can be."""
    text = " ".join(message.text.split())
    if len(text) > PREVIEW_CHARS:
        cut = text[: PREVIEW_CHARS - 1]
        space = cut.rfind(" ")
        text = (cut[:space] if space > PREVIEW_CHARS // 2 else cut).rstrip() + "…"
    return f"{message.name or message.identity}: {text}"


class LinkOpener(QObject):
    """Opens links clicked in the chat; asks first for anything but a web address.

    Signals:
        opened(str): this address was handed to the system to open.
    """

    opened = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        #: the open "Open this link?" question (None when none is open)
        self.box: QMessageBox | None = None

    def open(self, url: str) -> None:
        scheme = QUrl(url).scheme().lower()
        if scheme in SAFE_SCHEMES:
            self._open(url)
        else:
            self.confirm(url)

    def confirm(self, url: str) -> QMessageBox:
        """Ask whether to open ``url`` (window-modal: no nested event loop)."""
        if self.box is not None:
            self.box.reject()
        parent = self.parent()
        box = QMessageBox(parent if isinstance(parent, QWidget) else None)
        box.setObjectName("confirmLink")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Open link"))
        box.setText(self.tr("Open this link?"))
        shown = url if len(url) <= 120 else f"{url[:80]}…{url[-39:]}"
        box.setInformativeText(
            self.tr(
                "{url}\n\nIt is not a web address: it may open another program or a file on this computer. "
                "Open it only if you trust the person who sent it."
            ).format(url=shown)
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        go = box.addButton(self.tr("Open"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if self.box is box:
                self.box = None
            if box.clickedButton() is go:
                self._open(url)

        box.finished.connect(answered)
        self.box = box
        box.open()
        return box

    def _open(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))
        self.opened.emit(url)

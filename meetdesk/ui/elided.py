"""Text that never widens its window: a label that elides what does not fit (the whole text in its tooltip),
and the same for strings put where a widget cannot elide by itself (dialog questions, window titles)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy

#: how many average characters a name may take in a sentence before it is elided
NAME_CHARS = 40


def elide(text: str, metrics: QFontMetrics, width: int, mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> str:
    return metrics.elidedText(text, mode, max(width, metrics.horizontalAdvance("…")))


def elide_name(name: str, metrics: QFontMetrics, chars: int = NAME_CHARS) -> str:
    """``name`` cut to about ``chars`` average characters (wide letters count for more), with "…"."""
    return elide(name, metrics, metrics.averageCharWidth() * chars)


def elide_chars(text: str, chars: int = NAME_CHARS) -> str:
    """For window titles, which the window manager draws: cut by characters."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


class ElidedLabel(QLabel):
    """A one-line label that shrinks with its layout: what does not fit ends in "…", and the tooltip then
    says all of it. Its size hint is its text's width, its minimum ten characters whatever the text."""

    def __init__(self, text: str = "", parent: Any = None) -> None:
        super().__init__(text, parent)
        # Preferred: as wide as its text when there is room, down to its minimum (a few characters) when not
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setWordWrap(False)
        self._sync_tooltip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._sync_tooltip()

    def minimumSizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * 10, super().minimumSizeHint().height())

    def is_elided(self) -> bool:
        return self.displayed_text() != self.text()

    def displayed_text(self) -> str:
        return elide(self.text(), self.fontMetrics(), self.contentsRect().width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._sync_tooltip()

    def _sync_tooltip(self) -> None:
        self.setToolTip(self.text() if self.is_elided() else "")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.displayed_text(),
            self.foregroundRole(),
        )
        painter.end()

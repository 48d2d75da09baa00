"""Reactions: the six the meeting offers, their bundled pictures, and how a received one is shown.

The wire carries the emoji (``"👍"``); what the window shows is a picture from the resources
(``resources/reactions/*.svg``, compiled into ``meetdesk/_rc.py``), so a reaction looks the same on every
machine, with or without a colour-emoji font. :class:`ReactionsOverlay` shows each reaction received as a
bubble (the picture and who sent it) at the bottom left of the stage for a few seconds, newest at the
bottom, a few at a time.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

import meetdesk._rc  # noqa: F401  (registers the :/reactions resources on import)

#: how long a reaction stays on screen, and how many are shown at once
SHOWN_MS = 4000
MAX_SHOWN = 4


class Reaction(NamedTuple):
    emoji: str  # what the wire carries
    picture: str  # :/reactions/<picture>.svg
    label: str  # what it says, in words (translated in the "Reactions" context)


REACTIONS = (
    Reaction("👍", "thumbs-up", QT_TRANSLATE_NOOP("Reactions", "Thumbs up")),
    Reaction("👏", "applause", QT_TRANSLATE_NOOP("Reactions", "Applause")),
    Reaction("😂", "laughing", QT_TRANSLATE_NOOP("Reactions", "Laughing")),
    Reaction("🎉", "celebrate", QT_TRANSLATE_NOOP("Reactions", "Celebrate")),
    Reaction("❤️", "love", QT_TRANSLATE_NOOP("Reactions", "Love")),
    Reaction("😮", "surprised", QT_TRANSLATE_NOOP("Reactions", "Surprised")),
)
_BY_EMOJI = {reaction.emoji: reaction for reaction in REACTIONS}
# "❤" without the emoji variation selector is the same heart
_BY_EMOJI["❤"] = _BY_EMOJI["❤️"]


def reaction_for(emoji: str) -> Reaction | None:
    """The reaction an emoji stands for; None for one this window does not offer (another client's)."""
    return _BY_EMOJI.get(emoji)


def label(reaction: Reaction) -> str:
    return QCoreApplication.translate("Reactions", reaction.label)


@cache
def _renderer(picture: str) -> QSvgRenderer:
    renderer = QSvgRenderer(f":/reactions/{picture}.svg")
    if not renderer.isValid():
        raise KeyError(f"no reaction picture {picture!r} in the resources (see resources/meetdesk.qrc)")
    return renderer


def reaction_pixmap(reaction: Reaction, size: int, ratio: float = 1.0) -> QPixmap:
    """The reaction's picture, ``size`` device-independent pixels square, sharp at device pixel ``ratio``."""
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    _renderer(reaction.picture).render(painter, QRectF(0, 0, pixmap.width(), pixmap.height()))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def reaction_icon(reaction: Reaction) -> QIcon:
    """The reaction's picture as an icon (menus, buttons); Qt renders the SVG at each size asked."""
    return QIcon(f":/reactions/{reaction.picture}.svg")


class ReactionBubble(QFrame):
    """One received reaction: its picture (or, for one this window does not know, the emoji as text) and who
    sent it."""

    def __init__(self, emoji: str, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("reactionBubble")
        self.setStyleSheet(
            "#reactionBubble { background: rgba(0,0,0,160); border-radius: 10px; }"
            " #reactionBubble QLabel { color: white; background: transparent; }"
        )
        self.reaction = reaction_for(emoji)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 12, 6)
        layout.setSpacing(8)
        self.picture = QLabel(self)
        size = 2 * self.fontMetrics().height()
        if self.reaction is not None:
            self.picture.setPixmap(reaction_pixmap(self.reaction, size, self.devicePixelRatioF()))
            self.picture.setAccessibleName(label(self.reaction))
            said = self.tr("{name} · {reaction}").format(name=name, reaction=label(self.reaction).lower())
        else:
            self.picture.setTextFormat(Qt.TextFormat.PlainText)  # another client's: shown as it came, never markup
            self.picture.setText(emoji)
            said = self.tr("{name} reacted").format(name=name)
        self.text = QLabel(self.fontMetrics().elidedText(said, Qt.TextElideMode.ElideMiddle, 10 * size), self)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.setToolTip(said)
        self.setAccessibleName(said)
        layout.addWidget(self.picture)
        layout.addWidget(self.text)
        self.adjustSize()


class ReactionsOverlay(QObject):
    """The reactions received, over ``stage``: bubbles at its bottom left, each for :data:`SHOWN_MS`."""

    def __init__(self, stage: QWidget) -> None:
        super().__init__(stage)
        self.stage = stage
        self.bubbles: list[ReactionBubble] = []
        stage.installEventFilter(self)

    def show_reaction(self, emoji: str, name: str) -> ReactionBubble:
        bubble = ReactionBubble(emoji, name, self.stage)
        self.bubbles.append(bubble)
        for old in self.bubbles[:-MAX_SHOWN]:
            self._remove(old)
        bubble.show()
        bubble.raise_()
        self._place()
        QTimer.singleShot(SHOWN_MS, bubble, lambda: self._remove(bubble))  # gone with the bubble
        return bubble

    def _remove(self, bubble: ReactionBubble) -> None:
        if bubble in self.bubbles:
            self.bubbles.remove(bubble)
            bubble.hide()
            bubble.deleteLater()
            self._place()

    def clear(self) -> None:
        for bubble in list(self.bubbles):
            self._remove(bubble)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.stage and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        margin, y = 16, self.stage.height() - 16
        for bubble in reversed(self.bubbles):
            bubble.adjustSize()
            y -= bubble.height()
            bubble.move(margin, y)
            y -= 8

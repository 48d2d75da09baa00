"""Reactions drawn from the bundled pictures (not a colour-emoji font): the toolbar's menu, and a received
reaction's bubble over the stage."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from meetdesk.ui.meeting.model import MeetingModel
from meetdesk.ui.meeting.reactions import MAX_SHOWN, REACTIONS, ReactionsOverlay, reaction_for, reaction_pixmap
from meetdesk.ui.meeting.toolbar import MeetingToolbar
from tests.ui.helpers import shoot


def colours(reaction_picture: object) -> set[str]:
    image = reaction_picture.toImage()  # type: ignore[attr-defined]
    return {
        QColor(image.pixel(x, y)).name()
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if QColor.fromRgba(image.pixel(x, y)).alpha() == 255
    }


def test_every_reaction_has_a_coloured_picture_of_its_own() -> None:
    pictures = {}
    for reaction in REACTIONS:
        pixmap = reaction_pixmap(reaction, 48)
        assert not pixmap.isNull() and pixmap.width() == 48
        seen = colours(pixmap)
        assert len(seen) >= 3, reaction  # drawn in colour, not a monochrome glyph or an empty box
        pictures[reaction.picture] = pixmap.toImage()
    assert len({image.cacheKey() for image in pictures.values()}) == len(REACTIONS)
    assert reaction_for("❤") is reaction_for("❤️")  # with or without the variation selector


def test_the_menu_offers_pictures_and_words_not_emoji_text(qtbot: QtBot) -> None:
    toolbar = MeetingToolbar(MeetingModel())
    qtbot.addWidget(toolbar)
    actions = toolbar.react_button.menu().actions()
    assert [a.text() for a in actions] == ["Thumbs up", "Applause", "Laughing", "Celebrate", "Love", "Surprised"]
    assert all(not a.icon().isNull() for a in actions)
    with qtbot.waitSignal(toolbar.reactionRequested) as sent:
        actions[4].trigger()
    assert sent.args == ["❤️"]


def test_a_received_reaction_shows_its_picture_and_who_sent_it(qtbot: QtBot) -> None:
    stage = QWidget()
    qtbot.addWidget(stage)
    stage.resize(640, 360)
    stage.setStyleSheet("background: #202830;")
    stage.show()
    qtbot.waitExposed(stage)
    overlay = ReactionsOverlay(stage)
    bubble = overlay.show_reaction("👏", "Bo")
    assert bubble.text.text() == "Bo · applause" and bubble.picture.accessibleName() == "Applause"
    assert not bubble.picture.pixmap().isNull()
    other = overlay.show_reaction("🦄<b>", "Cy")  # another client's emoji: said as it came, never as markup
    assert other.reaction is None and other.picture.text() == "🦄<b>" and other.text.text() == "Cy reacted"
    for n in range(MAX_SHOWN + 2):
        overlay.show_reaction(REACTIONS[n % len(REACTIONS)].emoji, f"P{n}")
    assert len(overlay.bubbles) == MAX_SHOWN
    for shown in overlay.bubbles:  # stacked at the bottom left, inside the stage, newest lowest
        assert stage.rect().contains(shown.geometry())
    tops = [b.y() for b in overlay.bubbles]
    assert tops == sorted(tops)
    shoot(stage, "reactions")

"""The theme editor's preview is the meeting window: its own toolbar, tiles, chat and banner, in the theme's
colours — not a drawing that could drift from it."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QToolButton
from pytestqt.qtbot import QtBot

from meetdesk.core import theme as core
from meetdesk.core.models import MeetRoomTheme
from meetdesk.core.permissions import DEFAULT_MODERATOR
from meetdesk.ui.meeting.meeting_page import MeetingPage
from meetdesk.ui.meeting.tiles import SELF
from meetdesk.ui.theme.preview import MeetingPreview
from tests.ui.helpers import BRAND, shoot

LIGHT = MeetRoomTheme(
    name="light-brand",
    enabled=True,
    baseTheme="light",
    backgroundColor="#f4f1ea",
    primaryColor="#7b2d26",
    secondaryColor="#3d5a80",
    accentColor="#1b998b",
    surfaceColor="#ffffff",
)


def preview(qtbot: QtBot) -> MeetingPreview:
    widget = MeetingPreview()
    qtbot.addWidget(widget)
    widget.resize(640, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def buttons(toolbar: object) -> list[tuple[str, str]]:
    return [(b.objectName(), b.text()) for b in toolbar.findChildren(QToolButton)]  # type: ignore[attr-defined]


def test_the_preview_is_built_from_the_meeting_windows_widgets(qtbot: QtBot) -> None:
    shown = preview(qtbot)
    page = MeetingPage()
    qtbot.addWidget(page)
    page.model.set_role("moderator")
    page.model.set_permissions(DEFAULT_MODERATOR)  # as the join state brings them
    # the same toolbar as the meeting's, button for button (no round icon buttons, no red Leave pill)
    assert [name for name, _ in buttons(shown.toolbar)] == [name for name, _ in buttons(page.toolbar)]
    leave = shown.toolbar.leave_button
    assert isinstance(leave, QPushButton) and leave.text() == page.toolbar.leave_button.text() == "Leave…"
    assert leave.property("variant") in (None, "")  # the meeting's Leave is a primary button
    # a meeting in it: four people, initials without video, Ana speaking, a raised hand, a poor connection
    assert len(shown.tiles.tiles) == 4 and shown.tiles.tiles[SELF].label == "Sam Lee (you)"
    assert {t.initials for t in shown.tiles.tiles.values()} == {"SL", "AS", "BO", "CW"}
    assert shown.tiles.tiles["ana/camera"].speaking and shown.tiles.tiles["ben/camera"].hand_raised
    assert shown.tiles.tiles["chen/camera"].quality == "poor"
    assert shown.header.timer.text() == "12:34" and shown.toolbar.chat_button.text() == "Chat (2)"


def test_each_colour_shows_where_the_meeting_uses_it_light_and_dark(qtbot: QtBot) -> None:
    shown = preview(qtbot)
    for theme in (BRAND, LIGHT):
        shown.set_tokens(core.derive_tokens(theme))
        image = shown.grab().toImage()
        for slot in core.SLOTS:
            assert image.pixelColor(shown.sample_point(slot)).name() == getattr(theme, slot), (theme.name, slot)
        shoot(shown, f"preview-{theme.baseTheme}")

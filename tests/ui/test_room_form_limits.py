"""The room dialog's Limits section (OpenVidu Meet 3.9's room limits) against a real server process: created
with limits, a number over the limit explained next to its field before anything is sent, an edit shown with
the room's limits and saved without losing what the form does not show."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import FieldError, ValidationError
from meetdesk.core.models import MeetRoom
from meetdesk.ui.admin.room_form import RoomFormDialog
from tests.ui.helpers import click_box, clipped_texts, emitted, shoot


def dialog_for(qtbot: QtBot, client: MeetDeskClient, room: MeetRoom | None = None) -> RoomFormDialog:
    dialog = RoomFormDialog(client, room)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def typed(qtbot: QtBot, spin: object, text: str) -> None:
    """Type ``text`` over a spin box's number, as a user does."""
    spin.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(spin.lineEdit(), text)  # type: ignore[attr-defined]


async def test_create_with_limits(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    limits = dialog.limits
    qtbot.keyClicks(dialog.ui.nameEdit, "Interviews")
    dialog.ui.advancedToggle.setChecked(True)
    assert limits.isVisible()
    # no limits by default, microphone and camera on (the server's defaults)
    assert not limits.participants_check.isChecked() and not limits.participants_spin.isEnabled()
    assert not limits.duration_check.isChecked() and limits.audio_check.isChecked() and limits.video_check.isChecked()
    click_box(qtbot, limits.participants_check)
    typed(qtbot, limits.participants_spin, "4")
    click_box(qtbot, limits.duration_check)
    typed(qtbot, limits.duration_spin, "45")
    click_box(qtbot, limits.audio_check)
    saved = emitted(dialog.saved)
    assert await dialog.submit()
    (room,) = await asyncio.wait_for(saved, 10)
    config = await client.get_room_config(room.roomId)
    assert (config.maxParticipants, config.maxDurationMinutes) == (4, 45)
    assert (config.initialAudioEnabled, config.initialVideoEnabled) == (False, True)


async def test_a_number_over_the_limit_is_explained_next_to_it_and_nothing_is_sent(
    qtbot: QtBot, client: MeetDeskClient
) -> None:
    before = len([room async for room in client.iter_rooms(max_items=100)])
    dialog = dialog_for(qtbot, client)
    limits = dialog.limits
    dialog.ui.advancedToggle.setChecked(True)
    click_box(qtbot, limits.participants_check)
    typed(qtbot, limits.participants_spin, "45")
    click_box(qtbot, limits.duration_check)
    typed(qtbot, limits.duration_spin, "2000")
    assert not await dialog.submit()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert limits.participants_error.isVisible()
    assert limits.participants_error.text() == "A meeting can have at most 30 participants."
    assert limits.duration_error.text() == "A meeting can last at most 1440 minutes (24 hours)."
    assert limits.participants_spin.value() == 45  # what the user typed stays
    assert [text for text in clipped_texts(dialog) if "participants" in text or "minutes" in text] == []
    shoot(dialog, "form-limits-errors")
    assert len([room async for room in client.iter_rooms(max_items=100)]) == before
    # changing the number clears its error
    typed(qtbot, limits.participants_spin, "12")
    assert not limits.participants_error.isVisible() and limits.duration_error.isVisible()


def test_the_servers_limit_errors_go_next_to_their_field(qtbot: QtBot) -> None:
    dialog = RoomFormDialog(MeetDeskClient("http://127.0.0.1:9"))
    qtbot.addWidget(dialog)
    dialog.show()
    problems = [
        FieldError("config.maxParticipants", "Must not exceed 30 participants"),
        FieldError("config.initialVideoEnabled", "Must be a boolean"),
    ]
    dialog._show_failure(ValidationError(422, "Unprocessable Entity", "Invalid request", problems))
    assert dialog.limits.participants_error.text() == "Must not exceed 30 participants"
    assert dialog.limits.initial_error.text() == "Must be a boolean"
    assert dialog.ui.advancedPanel.isVisible()  # opened to show them
    assert "config." not in dialog.ui.formError.text()  # placed, not listed in the sentence


async def test_edit_shows_the_rooms_limits_and_keeps_what_the_form_does_not_show(
    qtbot: QtBot, client: MeetDeskClient
) -> None:
    created = await client.create_room(
        {
            "roomName": "Board",
            "config": {
                "maxParticipants": 6,
                "initialVideoEnabled": False,
                "recording": {"layout": "speaker", "encoding": "H264_1080P_30"},
            },
        }
    )
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    limits = dialog.limits
    assert limits.participants_check.isChecked() and limits.participants_spin.value() == 6
    assert not limits.duration_check.isChecked()
    assert limits.audio_check.isChecked() and not limits.video_check.isChecked()
    shoot(dialog, "form-limits-edit")
    click_box(qtbot, limits.participants_check)  # no limit any more
    click_box(qtbot, limits.duration_check)
    typed(qtbot, limits.duration_spin, "90")
    assert await dialog.submit()
    config = await client.get_room_config(created.roomId)
    assert (config.maxParticipants, config.maxDurationMinutes, config.initialVideoEnabled) == (None, 90, False)
    assert (config.recording.layout, config.recording.encoding) == ("speaker", "H264_1080P_30")


def test_the_dialog_stays_on_its_screen_when_it_grows(qtbot: QtBot) -> None:
    """Opening the advanced setup (limits, permissions, links) grows the dialog: it moves up rather than push
    its buttons below the screen's edge (it grew off screen under Xvfb before)."""
    dialog = RoomFormDialog(MeetDeskClient("http://127.0.0.1:9"))
    qtbot.addWidget(dialog)
    dialog.show()
    area = dialog.screen().availableGeometry()
    dialog.move(dialog.x(), area.top() + area.height() // 3)  # placed low, as centred on a window can be
    dialog.ui.advancedToggle.setChecked(True)
    frame = dialog.frameGeometry()
    assert frame.top() >= area.top()
    assert frame.bottom() <= area.bottom() or frame.top() == area.top()  # taller than the screen: at its top

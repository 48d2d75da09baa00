"""The room dialog against a real server process: quick and advanced create, checks before sending, the
server's field errors next to their field, edit mode, and failures that keep what the user typed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
)
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import FieldError, ValidationError
from meetdesk.core.models import MeetRoom, now_ms
from meetdesk.ui.admin.room_form import RoomFormDialog
from tests.conftest import ServerProcess
from tests.ui.helpers import click_box, clipped_texts, emitted, hold_meeting, shoot


def dialog_for(qtbot: QtBot, client: MeetDeskClient, room: MeetRoom | None = None) -> RoomFormDialog:
    dialog = RoomFormDialog(client, room)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


async def room_count(client: MeetDeskClient) -> int:
    return len([room async for room in client.iter_rooms(max_items=100)])


def select(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


async def test_quick_create_with_a_name_and_enter(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    assert not dialog.ui.advancedPanel.isVisible()
    saved = emitted(dialog.saved)
    qtbot.keyClicks(dialog.ui.nameEdit, "Daily standup")
    qtbot.keyClick(dialog.ui.nameEdit, Qt.Key.Key_Return)  # Enter submits
    (room,) = await asyncio.wait_for(saved, 10)

    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert dialog.result_room == room
    on_server = await client.get_room(room.roomId)
    assert on_server.roomName == "Daily standup"
    assert on_server.autoDeletionDate is None
    assert on_server.config is not None and on_server.config.chat.enabled  # the server's defaults


async def test_empty_name_gets_the_servers_default(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    qtbot.keyClicks(dialog.ui.nameEdit, "   ")
    assert await dialog.submit()
    assert dialog.result_room is not None
    assert (await client.get_room(dialog.result_room.roomId)).roomName == "Room"


async def test_advanced_create_sends_date_policies_and_config(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    ui = dialog.ui
    qtbot.keyClicks(ui.nameEdit, "Quarterly review")
    qtbot.mouseClick(ui.advancedToggle, Qt.MouseButton.LeftButton)
    assert ui.advancedPanel.isVisible()
    assert not ui.autoDeletionEdit.isEnabled()  # until automatic deletion is ticked
    click_box(qtbot, ui.autoDeleteCheck)
    when = QDateTime.currentDateTime().addSecs(3 * 3600)
    ui.autoDeletionEdit.setDateTime(when)
    select(ui.withMeetingCombo, "force")
    select(ui.withRecordingsCombo, "force")
    click_box(qtbot, ui.recordingCheck)
    assert not ui.recordingAccessCombo.isEnabled()
    click_box(qtbot, ui.chatCheck)

    assert await dialog.submit()
    assert dialog.result_room is not None
    room = await client.get_room(dialog.result_room.roomId)
    assert room.roomName == "Quarterly review"
    assert room.autoDeletionDate == dialog.auto_deletion_date()
    assert room.autoDeletionDate is not None and abs(room.autoDeletionDate - when.toMSecsSinceEpoch()) < 60_000
    assert room.autoDeletionPolicy is not None
    assert (room.autoDeletionPolicy.withMeeting, room.autoDeletionPolicy.withRecordings) == ("force", "force")
    config = await client.get_room_config(room.roomId)
    assert (config.recording.enabled, config.chat.enabled, config.virtualBackground.enabled) == (False, False, True)


async def test_a_date_less_than_an_hour_ahead_is_refused_before_sending(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    ui = dialog.ui
    qtbot.keyClicks(ui.nameEdit, "Too soon")
    ui.advancedToggle.setChecked(True)
    ui.autoDeleteCheck.setChecked(True)
    ui.autoDeletionEdit.setDateTime(QDateTime.currentDateTime().addSecs(30 * 60))
    ui.advancedToggle.setChecked(False)  # the error must still be seen

    assert not await dialog.submit()
    assert ui.advancedPanel.isVisible()
    assert ui.dateError.isVisible() and "at least 1 hour" in ui.dateError.text()
    assert ui.autoDeletionEdit.accessibleDescription() == ui.dateError.text()
    assert not ui.nameError.isVisible()
    assert dialog.isVisible() and dialog.result_room is None
    assert await room_count(client) == 0  # nothing was sent

    ui.autoDeletionEdit.setDateTime(QDateTime.currentDateTime().addSecs(2 * 3600))
    assert not ui.dateError.isVisible()  # changing the field clears its message
    assert await dialog.submit()
    assert await room_count(client) == 1


async def test_a_name_the_server_refuses_is_explained_next_to_the_name(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    ui = dialog.ui
    ui.nameEdit.insert("Team\u200broom")  # pasted with a zero-width space: only the server checks characters

    assert not await dialog.submit()
    assert ui.nameError.isVisible()
    assert ui.nameError.text() == "The name cannot contain control or invisible characters"
    assert ui.formError.isVisible()  # says something needs a change
    assert ui.nameEdit.text() == "Team\u200broom" and dialog.isVisible()
    assert await room_count(client) == 0

    qtbot.keyClicks(ui.nameEdit, "x")
    assert not ui.nameError.isVisible()  # typing in the field clears its message


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("roomName", "nameError"),
        ("autoDeletionDate", "dateError"),
        ("autoDeletionPolicy.withMeeting", "policyError"),
        ("config.recording.allowAccessTo", "recordingError"),
        ("config.chat.enabled", "chatError"),
        ("config.virtualBackground.enabled", "virtualBackgroundError"),
    ],
)
def test_each_field_path_has_its_place(qtbot: QtBot, path: str, label: str) -> None:
    dialog = RoomFormDialog(MeetDeskClient("http://127.0.0.1:9"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._show_failure(ValidationError(422, "Unprocessable Entity", "Invalid request", [FieldError(path, "bad")]))
    shown = [name for name in vars(dialog.ui) if name.endswith("Error") and getattr(dialog.ui, name).isVisible()]
    assert sorted(shown) == sorted([label, "formError"])
    assert getattr(dialog.ui, label).text() == "bad"


def test_a_field_the_form_does_not_show_is_named_in_the_sentence(qtbot: QtBot) -> None:
    dialog = RoomFormDialog(MeetDeskClient("http://127.0.0.1:9"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._show_failure(ValidationError(422, "x", "Invalid request", [FieldError("config.e2ee", "not supported")]))
    assert "config.e2ee: not supported" in dialog.ui.formError.text()


async def test_edit_is_prefilled_and_saves_the_config(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room(
        {"roomName": "Board", "config": {"recording": {"enabled": True, "allowAccessTo": "admin_moderator"}}}
    )
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    ui = dialog.ui
    assert ui.nameEdit.text() == "Board" and not ui.nameEdit.isReadOnly()
    assert dialog.focusWidget() is ui.nameEdit
    assert ui.advancedPanel.isVisible()
    assert ui.autoDeleteCheck.isEnabled() and not ui.autoDeleteCheck.isChecked()
    assert ui.autoDeletionEdit.text() == "Never"  # not 2000-01-01
    assert ui.recordingCheck.isChecked() and ui.recordingAccessCombo.currentData() == "admin_moderator"
    assert ui.chatCheck.isChecked() and ui.virtualBackgroundCheck.isChecked()

    click_box(qtbot, ui.chatCheck)
    select(ui.recordingAccessCombo, "admin")
    saved = emitted(dialog.saved)
    assert await dialog.submit()
    (room,) = saved.result()
    assert room.config is not None and not room.config.chat.enabled
    config = await client.get_room_config(created.roomId)
    assert (config.chat.enabled, config.recording.allowAccessTo, config.virtualBackground.enabled) == (
        False,
        "admin",
        True,
    )
    assert (await client.get_room(created.roomId)).roomName == "Board"


async def test_edit_renames_the_room_and_keeps_its_links(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room({"roomName": "Daily"})
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    ui = dialog.ui
    assert "links" in ui.nameHint.text()
    ui.nameEdit.selectAll()
    qtbot.keyClicks(ui.nameEdit, "Weekly review")
    saved = emitted(dialog.saved)
    qtbot.keyClick(ui.nameEdit, Qt.Key.Key_Return)
    (room,) = await asyncio.wait_for(saved, 10)
    assert dialog.result() == QDialog.DialogCode.Accepted
    on_server = await client.get_room(created.roomId)
    assert on_server == room
    assert on_server.roomName == "Weekly review"
    assert (on_server.moderatorUrl, on_server.speakerUrl) == (created.moderatorUrl, created.speakerUrl)
    assert on_server.config == created.config


async def test_edit_sets_changes_and_clears_the_auto_deletion_date(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room({"roomName": "Dated"})
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    ui = dialog.ui
    assert ui.autoDeletionEdit.text() == "Never" and not ui.autoDeletionEdit.isEnabled()
    click_box(qtbot, ui.autoDeleteCheck)
    assert ui.autoDeletionEdit.isEnabled() and ui.autoDeletionEdit.text() != "Never"
    when = QDateTime.currentDateTime().addSecs(5 * 3600)
    ui.autoDeletionEdit.setDateTime(when)
    select(ui.withMeetingCombo, "force")
    assert await dialog.submit()
    room = await client.get_room(created.roomId)
    assert room.autoDeletionDate == ui.autoDeletionEdit.dateTime().toMSecsSinceEpoch()
    assert room.autoDeletionPolicy is not None and room.autoDeletionPolicy.withMeeting == "force"
    assert room.roomName == "Dated"

    again = dialog_for(qtbot, client, room)
    assert again.ui.autoDeleteCheck.isChecked()
    assert again.ui.autoDeletionEdit.dateTime().toMSecsSinceEpoch() == room.autoDeletionDate
    assert again.ui.withMeetingCombo.currentData() == "force"
    click_box(qtbot, again.ui.autoDeleteCheck)
    assert again.ui.autoDeletionEdit.text() == "Never"
    assert await again.submit()
    assert (await client.get_room(created.roomId)).autoDeletionDate is None


async def test_an_edit_that_changes_nothing_sends_nothing(
    qtbot: QtBot, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    created = await client.create_room({"roomName": "Same", "autoDeletionDate": now_ms() + 86_400_000})
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    server_process.stop()  # any request would fail now
    assert await dialog.submit()
    assert dialog.result_room == dialog.room and dialog.result() == QDialog.DialogCode.Accepted


async def test_a_long_name_is_counted_and_explained_not_cut(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    ui = dialog.ui
    assert ui.nameCounter.text() == "0/50" and ui.nameCounter.isVisible()
    normal = ui.nameCounter.palette().color(QPalette.ColorRole.WindowText)
    qtbot.keyClicks(ui.nameEdit, "x" * 50)
    assert ui.nameCounter.text() == "50/50" and not ui.nameError.isVisible()
    qtbot.keyClicks(ui.nameEdit, "y")
    assert ui.nameEdit.text() == "x" * 50 + "y"  # typed on, not cut
    assert ui.nameCounter.text() == "51/50"
    assert ui.nameCounter.palette().color(QPalette.ColorRole.WindowText) != normal
    assert ui.nameError.isVisible()
    assert ui.nameError.text() == "The name has 51 characters: a room name can have at most 50."
    assert not await dialog.submit()  # refused before sending
    assert await room_count(client) == 0
    qtbot.keyClick(ui.nameEdit, Qt.Key.Key_Backspace)
    assert ui.nameCounter.text() == "50/50" and not ui.nameError.isVisible()
    assert ui.nameCounter.palette().color(QPalette.ColorRole.WindowText) == normal

    ui.nameEdit.clear()
    ui.nameEdit.insert("Quarterly planning review with the regional sales teams")  # pasted: kept whole
    assert ui.nameEdit.text().endswith("sales teams") and ui.nameCounter.text() == "55/50"
    assert ui.nameError.text() == "The name has 55 characters: a room name can have at most 50."
    assert clipped_texts(dialog) == []


async def test_edit_refuses_an_empty_name(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room({"roomName": "Named"})
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    dialog.ui.nameEdit.clear()
    assert not await dialog.submit()
    assert dialog.ui.nameError.text() == "Type a name for the room."
    assert (await client.get_room(created.roomId)).roomName == "Named"


async def test_edit_during_a_meeting_says_why_it_cannot_save(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room({"roomName": "Live"})
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    peer = await hold_meeting(client, created)
    try:
        dialog.ui.chatCheck.setChecked(False)
        assert not await dialog.submit()
        dialog.ui.chatCheck.setChecked(True)
        dialog.ui.nameEdit.setText("Live, renamed")
        assert not await dialog.submit()
    finally:
        await peer.close()
    assert dialog.isVisible()
    assert dialog.ui.formError.text() == (
        "This room has a meeting in progress. Its settings can be changed once the meeting ends."
    )
    assert dialog.ui.nameEdit.text() == "Live, renamed"  # the change is still there to save later
    room = await client.get_room(created.roomId)
    assert room.roomName == "Live" and room.config is not None and room.config.chat.enabled


async def test_unreachable_server_keeps_the_dialog_and_the_input(
    qtbot: QtBot, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    dialog = dialog_for(qtbot, client)
    ui = dialog.ui
    qtbot.keyClicks(ui.nameEdit, "Weekly sync")
    ui.advancedToggle.setChecked(True)
    ui.chatCheck.setChecked(False)
    server_process.stop()

    assert not await dialog.submit()
    assert dialog.isVisible() and dialog.result_room is None
    assert ui.formError.isVisible()
    assert ui.formError.text().startswith(f"Cannot reach the server at {server_process.url}.")
    assert ui.nameEdit.text() == "Weekly sync" and not ui.chatCheck.isChecked()
    assert dialog._ok.isEnabled()  # ready to try again


async def test_busy_while_saving_and_escape_waits_for_the_answer(
    qtbot: QtBot, client: MeetDeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = dialog_for(qtbot, client)
    qtbot.keyClicks(dialog.ui.nameEdit, "Busy")
    # hold the real request at its start, to look at the dialog while it waits for the server
    sent, answer = asyncio.Event(), asyncio.Event()
    create_room = client.create_room

    async def held(body: Any) -> MeetRoom:
        sent.set()
        await answer.wait()
        return await create_room(body)

    monkeypatch.setattr(client, "create_room", held)
    task = asyncio.ensure_future(dialog.submit())
    await asyncio.wait_for(sent.wait(), 10)
    assert dialog.ui.busyLabel.isVisible() and dialog.ui.busyLabel.text() == "Saving…"
    assert dialog.ui.busyBar.isVisible()
    assert not dialog._ok.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # ignored: the request is on its way
    assert dialog.isVisible()
    answer.set()
    assert await task
    assert not dialog.ui.busyLabel.isVisible() and not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [room.roomName async for room in client.iter_rooms()] == ["Busy"]


async def test_escape_cancels_without_sending(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    qtbot.keyClicks(dialog.ui.nameEdit, "Never mind")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert await room_count(client) == 0


def test_every_control_has_an_accessible_name_and_a_tab_stop(qtbot: QtBot) -> None:
    dialog = RoomFormDialog(MeetDeskClient("http://127.0.0.1:9"))
    qtbot.addWidget(dialog)
    # the form's own controls (not the private parts of composite widgets, nor the standard buttons)
    kinds = QLineEdit | QComboBox | QAbstractButton | QAbstractSpinBox
    controls = [w for w in vars(dialog.ui).values() if isinstance(w, kinds)]
    assert len(controls) >= 9
    assert [w.objectName() for w in controls if not w.accessibleName()] == []
    # the Designer tab order: name, advanced toggle, then the advanced settings top to bottom
    order, widget = [], dialog.ui.nameEdit.nextInFocusChain()
    names = {w.objectName() for w in controls}
    while widget is not dialog.ui.nameEdit and len(order) < 100:
        if widget.objectName() in names:
            order.append(widget.objectName())
        widget = widget.nextInFocusChain()
    assert order == [
        "advancedToggle",
        "autoDeleteCheck",
        "autoDeletionEdit",
        "withMeetingCombo",
        "withRecordingsCombo",
        "recordingCheck",
        "recordingAccessCombo",
        "chatCheck",
        "virtualBackgroundCheck",
    ]
    ok = dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isDefault() and ok.text() == "Create room"


def unfit(dialog: RoomFormDialog) -> list[str]:
    """The texts cut off, but for the permissions' rows scrolled out of their section's view."""
    scrolled = {label.text() for label in dialog.permissions.scroll.widget().findChildren(QLabel)}
    return [text for text in clipped_texts(dialog) if text not in scrolled]


async def test_no_text_is_cut_off(qtbot: QtBot, client: MeetDeskClient) -> None:
    """Quick, advanced, with errors, and edit: every text fits (pictures in $MEETDESK_SHOTS if set)."""
    dialog = dialog_for(qtbot, client)
    assert unfit(dialog) == []
    shoot(dialog, "form-quick")
    dialog.ui.advancedToggle.setChecked(True)
    dialog.ui.autoDeleteCheck.setChecked(True)
    assert unfit(dialog) == []
    shoot(dialog, "form-advanced")
    dialog.ui.nameEdit.insert("Team\u200broom")
    dialog.ui.autoDeletionEdit.setDateTime(QDateTime.currentDateTime().addSecs(600))
    assert not await dialog.submit()  # the date, found here, and nothing sent
    dialog.ui.autoDeletionEdit.setDateTime(QDateTime.currentDateTime().addSecs(7200))
    assert not await dialog.submit()  # the name, refused by the server
    assert dialog.ui.nameError.isVisible()
    assert unfit(dialog) == []
    shoot(dialog, "form-field-error")
    room = await client.create_room({"roomName": "Weekly sync", "autoDeletionDate": now_ms() + 86_400_000})
    edit = dialog_for(qtbot, client, room)
    assert unfit(edit) == []
    shoot(edit, "form-edit")


async def test_an_edit_saved_halfway_says_so_and_sends_only_the_rest(
    qtbot: QtBot, client: MeetDeskClient, server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name goes by PATCH, the config by PUT: when the server goes away between the two, the list
    learns the new name at once, and trying again sends only the config."""
    created = await client.create_room({"roomName": "Halfway"})
    dialog = dialog_for(qtbot, client, await client.get_room(created.roomId))
    patches: list[object] = []
    update_room = client.update_room

    async def then_the_server_stops(room_id: str, changes: Any) -> MeetRoom:
        patches.append(changes)
        room = await update_room(room_id, changes)
        server_process.stop()  # gone before the config is sent
        return room

    monkeypatch.setattr(client, "update_room", then_the_server_stops)
    dialog.ui.nameEdit.setText("Halfway there")
    dialog.ui.chatCheck.setChecked(False)
    saved = emitted(dialog.saved)
    assert not await dialog.submit()
    (renamed,) = saved.result()
    assert renamed.roomName == "Halfway there"  # the rooms page shows what the server has
    assert dialog.isVisible() and dialog.ui.formError.text().startswith("Cannot reach the server")
    assert not dialog.ui.chatCheck.isChecked()  # the change still there to try again

    server_process.start()
    assert await dialog.submit()
    assert patches == [{"roomName": "Halfway there"}]  # the name was not sent twice
    room = await client.get_room(created.roomId)
    assert room.roomName == "Halfway there" and room.config is not None and not room.config.chat.enabled

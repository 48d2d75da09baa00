"""The room editor's Permissions section (OpenVidu Meet 3.8's roles) against a real server: two columns,
moderators and speakers, one plain-language row per permission; what is ticked is what the server stores,
on creation and on edit (only the changes are sent), and an edit reads the room's current permissions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.permissions import DEFAULT_ROLES, PERMISSION_KEYS, Role
from meetdesk.ui.admin.room_form import RoomFormDialog
from meetdesk.ui.admin.rooms_page import RoomsPage
from tests.ui.helpers import click_box, clipped_texts, emitted, shoot


def dialog_for(qtbot: QtBot, client: MeetDeskClient, room: object = None) -> RoomFormDialog:
    dialog = RoomFormDialog(client, room)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


async def test_create_with_permissions(qtbot: QtBot, client: MeetDeskClient) -> None:
    dialog = dialog_for(qtbot, client)
    qtbot.keyClicks(dialog.ui.nameEdit, "Lecture")
    qtbot.mouseClick(dialog.ui.advancedToggle, Qt.MouseButton.LeftButton)
    section = dialog.permissions
    assert section.isVisible() and section.title() == "Permissions"
    assert len(section.boxes) == 2 * len(PERMISSION_KEYS)
    # the defaults: moderators may do everything, speakers not moderate or record
    assert section.roles() == DEFAULT_ROLES
    screen = section.boxes[(Role.SPEAKER, "canShareScreen")]
    assert screen.accessibleName() == "Speakers: Share their screen"
    section.scroll.ensureWidgetVisible(screen)
    click_box(qtbot, screen)
    assert not screen.isChecked()
    assert await dialog.submit()
    assert dialog.result_room is not None
    roles = await client.get_room_roles(dialog.result_room.roomId)
    assert roles.speaker.permissions == DEFAULT_ROLES.speaker.permissions.model_copy(update={"canShareScreen": False})
    assert roles.moderator == DEFAULT_ROLES.moderator


async def test_edit_reads_and_saves_permissions(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room({"roomName": "Seminar"})
    await client.update_room_roles(created.roomId, speaker={"canWriteChat": False})
    room = await client.get_room(created.roomId)  # as the rooms list has it: without its roles
    dialog = dialog_for(qtbot, client, room)
    section = dialog.permissions
    assert not section.isEnabled() and section.hint.text() == "Reading the room's permissions…"
    await dialog.load_roles()
    assert section.isEnabled()
    assert not section.boxes[(Role.SPEAKER, "canWriteChat")].isChecked()
    shoot(dialog, "form-edit-permissions")
    # every text fits, but for the rows scrolled out of the section's view
    scrolled = {label.text() for label in section.scroll.widget().findChildren(QLabel)}
    assert [text for text in clipped_texts(dialog) if text not in scrolled] == []
    end = section.boxes[(Role.MODERATOR, "canEndMeeting")]
    section.scroll.ensureWidgetVisible(end)
    click_box(qtbot, end)
    assert await dialog.submit()
    roles = await client.get_room_roles(created.roomId)
    assert roles.moderator.permissions.canEndMeeting is False
    assert roles.speaker.permissions.canWriteChat is False  # kept: only the change was sent


async def test_a_link_turned_off_shows_and_turns_on_again(qtbot: QtBot, client: MeetDeskClient) -> None:
    created = await client.create_room({"roomName": "Board"})
    await client.update_room_access(created.roomId, speaker=False)
    page = RoomsPage(client)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    await page.reload()
    page.table.selectRow(0)
    # the rooms page offers no link that is turned off, and says why
    assert not page.act_copy_speaker.isEnabled() and page.act_copy_moderator.isEnabled()
    assert page.act_copy_speaker.toolTip().startswith("This link is turned off: nobody can join with it.")
    room = page.current_room()
    assert room is not None
    dialog = dialog_for(qtbot, client, room.model_copy(update={"config": (await client.get_room(room.roomId)).config}))
    assert dialog.links.isEnabled() and not dialog.links.boxes["speaker"].isChecked()
    assert dialog.links.boxes["moderator"].isChecked() and dialog.links.boxes["recording"].isChecked()
    shoot(dialog, "form-edit-links")
    dialog.links.boxes["speaker"].setChecked(True)
    saved = emitted(dialog.saved)
    assert await dialog.submit()
    (room_saved,) = await saved
    page.model.replace_room(room_saved)
    assert page.act_copy_speaker.isEnabled()
    assert (await client.get_room_access(created.roomId)).anonymous.speaker.enabled is True

"""The meeting window offers only what the local role may do in the room (OpenVidu Meet 3.8's roles): a
speaker whose role may not share a screen, turn on a camera or write in the chat sees no such button (the
chat says why), and a change of the room's roles during the meeting shows at once.

A real server process and the desktop window (synthetic devices); the roles are changed over the REST API.
"""

from __future__ import annotations

import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.helpers import emitted, shoot
from tests.ui.test_meeting_window import join, window  # noqa: F401 - the window fixture

pytestmark = pytest.mark.slow


async def test_the_toolbar_and_chat_follow_the_rooms_roles(
    window: ParticipantWindow,  # noqa: F811 - the fixture
    client: MeetDeskClient,
) -> None:
    room = await client.create_room({"roomName": "Town hall"})
    await client.update_room_roles(
        room.roomId, speaker={"canShareScreen": False, "canPublishVideo": False, "canWriteChat": False}
    )
    assert room.speakerUrl is not None
    page = await join(window, room.speakerUrl, "Bo")
    bar = page.toolbar
    assert not page.share_button.isVisibleTo(bar) and not page.camera_button.isVisibleTo(bar)
    assert page.mic_button.isVisibleTo(bar) and page.chat_button.isVisibleTo(bar)
    assert not bar.end_action.isVisible()
    page.chat_button.click()
    assert page.chat.input.isReadOnly() and not page.chat.send_button.isEnabled()
    assert page.chat.input.placeholderText() == "Your role may not send messages in this meeting."
    assert page.chat.list.empty_text == "No messages yet."  # not "Say hello!" to someone who may not
    shoot(window, "meeting-speaker-restricted")

    # the room's admin allows screen sharing and chat again: the window shows it at once
    changed = emitted(page.model.permissionsChanged)
    await client.update_room_roles(room.roomId, speaker={"canShareScreen": True, "canWriteChat": True})
    await changed
    assert page.share_button.isVisibleTo(bar) and not page.camera_button.isVisibleTo(bar)
    assert not page.chat.input.isReadOnly()
    assert page.chat.input.placeholderText() == "Write a message…"
    await page.leave()

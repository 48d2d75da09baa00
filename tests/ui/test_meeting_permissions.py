"""The meeting window offers only what the local role may do in the room (OpenVidu Meet 3.8's roles): a
speaker whose role may not share a screen, turn on a camera or write in the chat sees no such button (the
chat says why), and a change of the room's roles during the meeting shows at once.

A real server process and the desktop window (synthetic devices); the roles are changed over the REST API.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.effects.track import effects_available
from meetdesk.client.session import MeetingSession
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.test_meeting_window import join, reach, until, window  # noqa: F401 - the window fixture

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


async def test_a_withdrawn_background_permission_drops_the_background_at_once(
    window: ParticipantWindow,  # noqa: F811 - the fixture
    client: MeetDeskClient,
) -> None:
    """``canChangeVirtualBackground`` taken away during the meeting: the settings' background choice is disabled
    with the reason next to it, and the background in use is dropped at once (the others see the camera again),
    with a notice. Backgrounds are applied by the window, so this is where the permission holds."""
    reason = effects_available()
    if reason is not None:
        pytest.skip(reason)
    room = await client.create_room({"roomName": "Studio"})
    assert room.speakerUrl is not None and room.moderatorUrl is not None
    window.open_link(room.speakerUrl)
    await reach(window, "join")
    window.join_page.name.setText("Desk")
    window.join_page.next.click()
    await reach(window, "devices")
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    beach = next(key for key in window.device_page.background_buttons if key.endswith("beach.jpg"))
    window.device_page.background_buttons[beach].click()
    window.device_page.join.click()
    await reach(window, "meeting")
    page = window.meeting_page
    assert page.you is not None
    camera = f"{page.you.identity}/camera"
    bo = MeetingSession(room.moderatorUrl, "Bo", publish_video=False, publish_audio=False)
    await bo.join()
    try:
        # frames have no event of their own: the counters are polled
        await wait_until(lambda: camera in bo.remote and bo.remote[camera].frames > 10, 20, what="Desk's video")
        assert bo.remote[camera].last_marker is None  # the picture replaces the test pattern (and its marker)
        page.settings_button.click()
        dialog = window.settings_dialog
        assert dialog is not None
        choices = dialog.choices
        await until(choices.devicesChanged, lambda: choices.camera_box.count() > 0, what="the devices")
        assert choices.background == beach and choices.background_buttons[beach].isEnabled()

        changed = emitted(page.model.permissionsChanged)
        await client.update_room_roles(room.roomId, speaker={"canChangeVirtualBackground": False})
        await changed
        assert not choices.background_buttons[beach].isEnabled() and choices.background_buttons["none"].isChecked()
        assert choices.background_note.text() == "Your role may not change the background in this room."
        assert "Your role may no longer use a virtual background here, so it is off now." in page.overlays.toasts.text()
        shoot(window, "meeting-background-withdrawn")
        dialog.reject()
        assert window.device_page.background == "none"
        await wait_until(
            lambda: bo.remote[camera].last_marker is not None, 20, what="the test pattern at Bo again"
        )  # the others see the camera without the background
    finally:
        await bo.leave()
        await page.leave()


async def test_the_speaker_link_is_copied_only_while_the_role_may_share_it(
    window: ParticipantWindow,  # noqa: F811 - the fixture
    client: MeetDeskClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``canShareAccessLinks`` is the server's to enforce (it leaves the links out of the room it shows a member
    without it); the window offers the copy only with it, and says so in words when the server withholds the link."""
    room = await client.create_room({"roomName": "Open day"})
    await client.update_room_roles(room.roomId, speaker={"canShareAccessLinks": True})
    assert room.speakerUrl is not None
    page = await join(window, room.speakerUrl, "Bo")
    try:
        assert page.copy_speaker_action.isVisible()
        clipboard = QGuiApplication.clipboard()
        clipboard.setText("")
        copied = emitted(clipboard.dataChanged)
        page.copy_speaker_action.trigger()
        await copied
        assert clipboard.text() == room.speakerUrl

        toasts: list[str] = []
        shown = page.toast
        monkeypatch.setattr(page, "toast", lambda text: (toasts.append(text), shown(text)))
        changed = emitted(page.model.permissionsChanged)
        await client.update_room_roles(room.roomId, speaker={"canShareAccessLinks": False})
        await changed
        assert not page.copy_speaker_action.isVisible()
        clipboard.setText("")
        page.copy_speaker_action.trigger()  # (hidden now; as if a stale menu were used)
        # toasts are a label's text with no signal of their own
        refusal = "Your role may not share this room's links."
        await wait_until(lambda: refusal in toasts, what="the refusal")
        assert clipboard.text() == ""
    finally:
        await page.leave()

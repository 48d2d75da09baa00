"""Moderation in the participant window, against a real server with headless participants: being muted and
unmuting, muting from the participants panel, mute everyone, lock and unlock, "End for all" asks first,
"Bo was removed", and the end view of a room deleted during its meeting."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import Conflict
from meetdesk.client.session import MeetingSession, SessionState
from meetdesk.core.models import MeetRoom
from meetdesk.core.signalling import LeftReason, MeetingLocked, Muted, ParticipantUpdated
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, shoot
from tests.ui.test_participant_window import headless, identity_of, join_from_link, reach, room, window

__all__ = ["room", "window"]  # fixtures

pytestmark = pytest.mark.slow


def toast_text(window: ParticipantWindow) -> str:
    return window.meeting_page.toasts.text() if window.meeting_page.toasts.isVisible() else ""


async def toast_says(window: ParticipantWindow, words: str) -> None:
    # toasts are a label's text with no signal of their own
    await wait_until(lambda: words in toast_text(window), what=f"a toast saying {words!r}")


async def test_muted_by_a_moderator_the_window_says_who_and_only_you_unmute(
    window: ParticipantWindow, room: MeetRoom
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    ana, ana_log = await headless(room.moderatorUrl, "Alice", 1)
    try:
        await join_from_link(window, room.speakerUrl, "Desk")
        page = window.meeting_page
        desk = identity_of(window)
        assert page.model.mic_on and page.mic_button.text() == "Mute"
        mic_off = emitted(page.model.micOnChanged)
        await ana.mute(desk)
        assert await mic_off == (False,)
        assert page.mic_button.isChecked() and page.mic_button.text() == "Unmute"
        await toast_says(window, "Alice muted you. Unmute when you want to speak.")
        shoot(window, "meeting-muted-by-moderator")
        # the speaker has no moderation: no mute actions, no moderator bar
        page.people_button.click()
        assert page.people.actions_for(ana.joined.you.identity) == []  # type: ignore[union-attr]
        assert not page.people.moderation.isVisible()
        toolbar = page.toolbar
        assert not toolbar.mute_everyone_action.isVisible() and not toolbar.lock_action.isVisible()

        seen = len(ana_log.events)
        page.mic_button.click()  # unmute: the server forwards the microphone again and the others see it on
        await ana_log.next(
            lambda e: isinstance(e, ParticipantUpdated) and e.participant.identity == desk and e.participant.audio,
            after=seen,
        )
        assert not page.mic_button.isChecked()
        await window.meeting_page.leave()
        await reach(window, "ended")
    finally:
        ana_log.close()
        await ana.leave()


async def test_a_moderator_mutes_from_the_panel_mutes_everyone_and_locks(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    await join_from_link(window, room.moderatorUrl, "Desk")
    page = window.meeting_page
    bo, bo_log = await headless(room.speakerUrl, "Bo", 2)
    try:
        bo_id = bo.joined.you.identity  # type: ignore[union-attr]
        await wait_until(  # the participant list is a model fed by the session's events
            lambda: (p := page.model.participant(bo_id)) is not None and p.audio, what="Bo's microphone on"
        )
        page.people_button.click()
        assert page.people.moderation.isVisible()
        actions = page.people.actions_for(bo_id)
        assert [a.text() for a in actions] == ["Mute", "Make moderator", "Remove from meeting…"]
        shoot(window, "meeting-participants-moderator")
        actions[0].trigger()
        muted = await bo_log.next(lambda e: isinstance(e, Muted))
        assert bo_log.events[muted].byName == "Desk"  # type: ignore[union-attr]
        assert not bo.audio_enabled
        await wait_until(lambda: not page.model.participant(bo_id).audio, what="Bo's mic shown off")  # type: ignore[union-attr]
        assert [a.text() for a in page.people.actions_for(bo_id)] == ["Make moderator", "Remove from meeting…"]

        await bo.set_media(audio=True, video=True)  # Bo speaks again; then everyone is muted
        await wait_until(lambda: page.model.participant(bo_id).audio, what="Bo's mic back on")  # type: ignore[union-attr]
        page.people.moderation.mute_all.click()
        box = page.people.moderation.mute_box
        assert box is not None and box.isVisible()
        [mute_all] = [b for b in box.buttons() if b.text() == "Mute everyone"]
        mute_all.click()
        await bo_log.next(lambda e: isinstance(e, Muted), after=muted + 1)

        # lock: the header says so, the button unlocks, and nobody new gets in
        locked = emitted(page.model.lockedChanged)
        page.people.moderation.lock.click()
        assert await locked == (True,)
        assert page.header.locked.isVisible() and page.people.moderation.lock.text() == "Unlock meeting"
        await bo_log.next(lambda e: isinstance(e, MeetingLocked) and e.locked)
        shoot(window, "meeting-locked")
        late = MeetingSession(room.speakerUrl, "Late", source_id=3)
        with pytest.raises(Conflict):
            await late.join()
        unlocked = emitted(page.model.lockedChanged)
        page.people.moderation.lock.click()
        assert await unlocked == (False,)
        assert not page.header.locked.isVisible() and page.people.moderation.lock.text() == "Lock meeting"
        await page.leave()
        await reach(window, "ended")
    finally:
        bo_log.close()
        await bo.leave()


async def test_the_more_menu_mutes_everyone_and_locks_and_a_chat_preview_opens_the_chat(
    window: ParticipantWindow, room: MeetRoom
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    await join_from_link(window, room.moderatorUrl, "Desk")
    page, toolbar = window.meeting_page, window.meeting_page.toolbar
    bo, bo_log = await headless(room.speakerUrl, "Bo", 2)
    try:
        bo_id = bo.joined.you.identity  # type: ignore[union-attr]
        await wait_until(lambda: page.model.participant(bo_id) is not None, what="Bo in the list")
        more = [a.text() for a in toolbar.more_menu.actions() if a.isVisible() and not a.isSeparator()]
        assert more == ["Copy speaker link", "Recordings", "Keyboard shortcuts", "Mute everyone…", "Lock meeting"]
        assert not page.side.isVisible()  # the participants panel (and its buttons) closed: the menu is the way

        toolbar.mute_everyone_action.trigger()  # the same question as the panel's button
        box = page.people.moderation.mute_box
        assert box is not None and box.isVisible() and box.text() == "Mute everyone else in the meeting?"
        [mute_all] = [b for b in box.buttons() if b.text() == "Mute everyone"]
        mute_all.click()
        await bo_log.next(lambda e: isinstance(e, Muted))

        locked = emitted(page.model.lockedChanged)
        toolbar.lock_action.trigger()
        assert await locked == (True,)
        await bo_log.next(lambda e: isinstance(e, MeetingLocked) and e.locked)
        assert toolbar.lock_action.text() == "Unlock meeting" and page.header.locked.isVisible()
        assert page.people.moderation.lock.text() == "Unlock meeting"  # the panel's button agrees
        unlocked = emitted(page.model.lockedChanged)
        toolbar.lock_action.trigger()
        assert await unlocked == (False,)
        assert toolbar.lock_action.text() == "Lock meeting"

        # a message while the chat is closed: its preview, clicked, opens the chat
        preview = page.overlays.chat_preview
        asked = emitted(page.chat.previewRequested)
        await bo.chat("see https://example.org/agenda")
        assert await asked == ("Bo: see https://example.org/agenda",)
        assert preview.isVisible() and preview.text() == "Bo: see https://example.org/agenda"
        assert preview.geometry().bottom() < page.stage.height() and preview.x() > 0  # within the stage
        shoot(window, "meeting-chat-preview")
        preview.click()
        assert page.side.isVisible() and page.side.currentWidget() is page.chat and page.chat_button.isChecked()
        assert not preview.isVisible() and page.model.unread == 0
        await page.leave()
        await reach(window, "ended")
    finally:
        bo_log.close()
        await bo.leave()


async def test_end_for_all_asks_first_and_removing_someone_says_removed(
    window: ParticipantWindow, room: MeetRoom
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    await join_from_link(window, room.moderatorUrl, "Desk")
    page = window.meeting_page
    bo, bo_log = await headless(room.speakerUrl, "Bo", 2)
    cy, cy_log = await headless(room.speakerUrl, "Cy", 3)
    try:
        bo_id = bo.joined.you.identity  # type: ignore[union-attr]
        await wait_until(lambda: page.model.participant(bo_id) is not None, what="Bo in the list")
        page.people.kickRequested.emit(bo_id)  # what "Remove" in the confirmation sends
        await toast_says(window, "Bo was removed")
        assert "Bo left" not in toast_text(window)

        page.end_action.trigger()
        box = page.end_box
        assert box is not None and box.isVisible()
        assert box.text() == "End the meeting for everyone?"
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
        shoot(box, "meeting-confirm-end")
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert page.in_meeting and cy.state is SessionState.CONNECTED

        page.end_action.trigger()
        box = page.end_box
        assert box is not None
        [end] = [b for b in box.buttons() if b.text() == "End for all"]
        end.click()
        await reach(window, "ended")
        assert window.end_page.reason == LeftReason.MEETING_ENDED_BY_SELF
        await cy_log.state(SessionState.DISCONNECTED)
        assert cy.end_reason is LeftReason.MEETING_ENDED
    finally:
        for log in (bo_log, cy_log):
            log.close()
        for session in (bo, cy):
            await session.leave()


async def test_a_room_deleted_during_the_meeting_ends_it_without_rejoin(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient
) -> None:
    assert room.speakerUrl is not None
    await join_from_link(window, room.speakerUrl, "Desk")
    finished = emitted(window.meeting_page.finished)
    result = await client.delete_room(room.roomId, with_meeting="force")
    assert result.successCode == "room_with_active_meeting_deleted"
    assert (await finished)[0] == LeftReason.ROOM_DELETED
    await reach(window, "ended")
    assert window.end_page.title.text() == "The room was deleted"
    assert window.end_page.text.text() == "The meeting ended because its room no longer exists."
    assert not window.end_page.rejoin.isVisible()
    shoot(window, "end-room-deleted")


async def test_joining_a_meeting_locked_meanwhile_says_so_on_the_device_view(
    window: ParticipantWindow, room: MeetRoom
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    ana, ana_log = await headless(room.moderatorUrl, "Alice", 1)
    try:
        window.open_link(room.speakerUrl)
        await reach(window, "join")  # the link was fine when checked
        window.join_page.name.setText("Desk")
        window.join_page.next.click()
        await reach(window, "devices")
        await ana.lock(True)
        await ana_log.next(lambda e: isinstance(e, MeetingLocked) and e.locked)
        await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
        window.device_page.join.click()
        await wait_until(lambda: window.device_page.join_error.isVisible(), what="the refusal")  # a label, no signal
        text = window.device_page.join_error.text()
        assert text.startswith("The meeting is locked, or the room was closed") and text.endswith("press Join again.")
        assert window.stage == "devices" and window.device_page.join.isEnabled()
        shoot(window, "devices-meeting-locked")
    finally:
        ana_log.close()
        await ana.leave()

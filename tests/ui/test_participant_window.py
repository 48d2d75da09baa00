"""The participant window end to end: a real server process, the desktop window (synthetic camera and
microphone) and headless participants (``MeetingSession``) in one room.

What a user does is driven through the widgets (typing the name, pressing Join, the toolbar, the
panels' signals); what the others see is read from their sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.effects.track import effects_available
from meetdesk.client.media.devices import list_cameras, list_microphones
from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.client.session import MeetingSession, SessionState
from meetdesk.core.models import MeetRoom, RoomStatus
from meetdesk.core.signalling import ChatReceived, LeftReason, RoleChanged
from meetdesk.ui.backgrounds import load_background
from meetdesk.ui.meeting import meeting_page
from meetdesk.ui.meeting.meeting_page import SELF, tile_texts
from meetdesk.ui.meeting.model import Connection, MeetingModel
from meetdesk.ui.meeting.tiles import Layout
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, ServerProcess
from tests.integration.meeting_helpers import SessionLog, SignallingProxy
from tests.ui.conftest import wait_until
from tests.ui.helpers import BRAND, clipped_texts, emitted, shoot

pytestmark = pytest.mark.slow

WINDOW_SOURCE = 7  # the number the window's synthetic camera draws into its frames
#: the bound on waiting for media over real peer connections (frames drawn, tracks arriving): a safety net for a
#: machine shared by many test runs, not a speed the tests assert (frames drawn have no signal: polled)
MEDIA_S = 90.0


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[ParticipantWindow]:
    """The window; a test that joins leaves before it returns (pytest-qt spins the Qt loop between the test and
    this teardown, when asyncio's loop is not running: a live peer connection's timers would fire then)."""
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings, synthetic=True, source_id=WINDOW_SOURCE, admin=True)
    window.show()
    yield window
    if window.meeting_page.in_meeting:
        await window.meeting_page.leave()
    window._closing_confirmed = True
    window.close()
    window.deleteLater()


@pytest.fixture
async def room(client: MeetDeskClient) -> MeetRoom:
    return await client.create_room({"roomName": "Daily stand-up"})


async def reach(window: ParticipantWindow, stage: str, timeout: float = 20.0) -> None:
    await wait_until(lambda: window.stage == stage, timeout, what=f"the {stage} stage (at {window.stage!r})")


async def join_from_link(window: ParticipantWindow, link: str, name: str = "Desk") -> None:
    """Open the link, type the name, wait for the preview, press Join: the meeting is on screen."""
    window.open_link(link)
    await reach(window, "join")
    window.join_page.name.setText(name)
    window.join_page.next.click()
    await reach(window, "devices")
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    window.device_page.join.click()
    await reach(window, "meeting")


async def headless(link: str, name: str, source_id: int) -> tuple[MeetingSession, SessionLog]:
    session = MeetingSession(link, name, source_id=source_id)
    log = SessionLog(session)
    await session.join()
    return session, log


async def connected(model: MeetingModel) -> None:
    """Wait until the meeting's connection is up again (the model's signal, however long it takes)."""
    while model.connection is not Connection.CONNECTED:
        await asyncio.wait_for(emitted(model.connectionChanged), MEDIA_S)


def identity_of(window: ParticipantWindow) -> str:
    you = window.meeting_page.you
    assert you is not None
    return you.identity


async def test_bad_links_get_a_page_that_says_which(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None
    cases = [
        ("not a link at all", "invalid-link"),
        (f"{server_process.url}/room/{room.roomId}", "missing-room-secret"),
        (room.moderatorUrl.replace(room.roomId, "no-such-room"), "invalid-room"),
        (room.moderatorUrl.split("?")[0] + "?secret=wrong", "invalid-room-secret"),
    ]
    for link, reason in cases:
        window.open_link(link)
        await reach(window, "error")
        assert window.error_page.reason == reason, link
        assert window.error_page.title.text() and window.error_page.text.text()
        assert "wrong" not in window.error_page.text.text()  # a secret is never repeated
    await client.set_room_status(room.roomId, "closed")
    window.open_link(room.moderatorUrl)
    await reach(window, "error")
    assert window.error_page.reason == "closed-room"
    assert "closed" in window.error_page.text.text()
    assert not clipped_texts(window)
    shoot(window, "participant-error-closed-room")
    # a good link pasted on the error page goes on to the join view
    await client.set_room_status(room.roomId, "open")
    window.error_page.link.setText(room.moderatorUrl)
    window.error_page.open_button.click()
    await reach(window, "join")
    assert window.join_page.title.text() == "Daily stand-up"


async def test_a_meeting_with_two_headless_participants(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    window.open_link(room.moderatorUrl)
    await reach(window, "join")
    assert window.join_page.title.text() == "Daily stand-up"
    assert "moderator" in window.join_page.role.text()
    window.join_page.next.click()  # no name: said next to the field, nothing happens
    assert window.stage == "join" and window.join_page.error.isVisible()
    window.join_page.name.setText("  Desk   Pilot ")
    window.join_page.next.click()
    await reach(window, "devices")
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    await wait_until(lambda: window.device_page.preview.frames_shown >= 3, what="the camera preview")
    await wait_until(lambda: window.device_page.level.value() > 0, what="the microphone level")
    assert not clipped_texts(window.device_page)
    shoot(window, "participant-devices")
    window.device_page.join.click()
    await reach(window, "meeting")
    page = window.meeting_page
    desk = identity_of(window)
    assert page.you is not None and page.you.name == "Desk Pilot"
    assert window.settings.value("participant/name") == "Desk Pilot"

    bo, bo_log = await headless(room.speakerUrl, "Bo", 2)
    cy, cy_log = await headless(room.speakerUrl, "Cy", 3)
    try:
        assert bo.joined is not None and cy.joined is not None
        bo_id, cy_id = bo.joined.you.identity, cy.joined.you.identity
        # remote tiles show frames; the window's own frames reach the others
        await wait_until(lambda: f"{bo_id}/camera" in page.tiles.tiles, MEDIA_S, what="Bo's tile")
        await wait_until(
            lambda: all(page.tiles.tiles[f"{i}/camera"].frames_shown >= 5 for i in (bo_id, cy_id)),
            MEDIA_S,
            what="frames on both remote tiles",
        )
        await wait_until(lambda: page.tiles.tiles[SELF].frames_shown >= 3, MEDIA_S, what="the self view")
        await wait_until(
            lambda: bo.remote.get(f"{desk}/camera") is not None and bo.remote[f"{desk}/camera"].frames >= 5,
            MEDIA_S,
            what="the window's camera at Bo",
        )
        assert bo.remote[f"{desk}/camera"].markers_seen == {WINDOW_SOURCE}
        await wait_until(lambda: page.count.text() == "3 in the meeting", what="the participant count")

        # the others' microphones are mixed for playback, with echo cancellation on
        audio = window.audio
        assert audio is not None and audio.echo is not None and audio.echo.available
        await wait_until(
            lambda: {f"{bo_id}/microphone", f"{cy_id}/microphone"} <= set(audio.mixer.keys()),
            MEDIA_S,
            what="both voices mixed",
        )

        # a reaction shows as a bubble with its bundled picture; Bo's screen share is pinned big for everyone
        await bo.react("👍")
        await wait_until(lambda: bool(page.reactions.bubbles), what="the reaction")  # a widget, no signal
        [bubble] = page.reactions.bubbles
        assert bubble.isVisible() and bubble.text.text() == "Bo · thumbs up"
        assert bubble.picture.pixmap() is not None and not bubble.picture.pixmap().isNull()
        await bo.share_screen(SyntheticCamera(12))
        await wait_until(lambda: f"{bo_id}/screen" in page.tiles.tiles, MEDIA_S, what="Bo's screen tile")
        await wait_until(lambda: page.tiles.tiles[f"{bo_id}/screen"].frames_shown >= 3, MEDIA_S, what="Bo's screen")
        assert page.tiles.pinned == f"{bo_id}/screen" and page.tiles.layout_mode is Layout.SPEAKER
        await bo.stop_screen_share()
        await wait_until(lambda: f"{bo_id}/screen" not in page.tiles.tiles, MEDIA_S, what="the screen tile to go")

        # the window shares its screen: the others get a screen track, the window says it is sharing. With two
        # screens (this machine has one: the second is a name only) a menu asks which, without blocking the loop
        monkeypatch.setattr(meeting_page, "screens", lambda: ["Built-in display", "Projector"])
        page.share_button.click()
        menu = page._screens_menu
        assert menu is not None and menu.isVisible()
        assert [a.text() for a in menu.actions()] == ["Built-in display", "Projector"]
        menu.actions()[0].trigger()
        menu.close()
        await wait_until(lambda: page.sharing_banner.isVisible(), MEDIA_S, what="the sharing banner")
        await wait_until(
            lambda: bo.remote.get(f"{desk}/screen") is not None and bo.remote[f"{desk}/screen"].frames >= 2,
            MEDIA_S,
            what="the window's screen at Bo",
        )
        page.stop_sharing.click()
        await wait_until(
            lambda: not page.sharing_banner.isVisible() and not bo.remote[f"{desk}/screen"].active,
            MEDIA_S,
            what="the window's screen to stop at Bo",
        )
        page.tiles.set_layout(Layout.GRID)

        # chat both ways; unread badge while the chat is closed
        await bo.chat("hello from Bo")
        await wait_until(lambda: page.chat.unread == 1, what="the unread count")
        assert "1" in page.chat_button.text()
        page.chat_button.click()
        assert page.chat.unread == 0 and page.chat.isVisible()
        # The chat goes over the signalling, but while a media connection is rebuilt (the machine too busy for
        # ICE's consent checks) the session says "reconnecting" and the window keeps the message with "Not sent":
        # send it once the session is connected, and check that it went (not kept) before waiting for Bo.
        if page.model.connection is not Connection.CONNECTED:
            await connected(page.model)
        received = bo_log.next(lambda e: isinstance(e, ChatReceived) and e.message.text == "hi Bo", timeout=MEDIA_S)
        page.chat.input.setPlainText("hi Bo")
        page.chat.submit()
        await asyncio.sleep(0)  # the send task starts
        assert not page.chat.error_label.isVisible(), page.chat.error_label.text()
        await received

        # mic off is seen by the others; hand raised too
        page.mic_button.click()
        await wait_until(
            lambda: any(p.identity == desk and not p.audio for p in bo_participants(bo_log)), what="mic off at Bo"
        )
        page.hand_button.click()
        await wait_until(lambda: any(p.identity == desk and p.handRaised for p in bo_participants(bo_log)))
        await bo.raise_hand(True)
        await wait_until(lambda: "hand raised" in tile_texts(page.tiles.tiles[f"{bo_id}/camera"]))

        # the moderator promotes Bo: Bo gets the new role, the list says so
        page.people_button.click()
        role_changed = bo_log.next(lambda e: isinstance(e, RoleChanged) and e.role == "moderator")
        page.people.roleChangeRequested.emit(bo_id, "moderator")
        await role_changed
        await wait_until(lambda: page.participants[bo_id].role == "moderator", what="Bo's new role in the list")

        # layouts switch; a pinned tile becomes the big one
        page.tiles.set_layout(Layout.SPEAKER)
        page.tiles.pin(f"{cy_id}/camera")
        main = page.tiles.tiles[f"{cy_id}/camera"]
        others = [t for k, t in page.tiles.tiles.items() if k != f"{cy_id}/camera"]
        assert all(main.width() > 2 * t.width() for t in others)
        page.tiles.set_layout(Layout.GRID)
        page.tiles.pin("")
        widths = {t.width() for t in page.tiles.tiles.values()}
        assert len(widths) == 1  # equal cells
        shoot(window, "participant-meeting-3")

        # the moderator removes Cy: Cy's session ends "kicked", the tile goes
        page.people.kickRequested.emit(cy_id)
        await cy_log.state(SessionState.DISCONNECTED)
        assert cy.end_reason is LeftReason.PARTICIPANT_KICKED
        await wait_until(lambda: f"{cy_id}/camera" not in page.tiles.tiles, what="Cy's tile to go")

        # Bo, now a moderator, ends the meeting: the window shows the end view with the reason
        await bo.end_meeting()
        await reach(window, "ended")
        assert window.end_page.reason == LeftReason.MEETING_ENDED
        assert window.end_page.title.text() == "The meeting has ended"
        assert window.end_page.rejoin.isVisible() and window.end_page.back.text() == "Back to rooms"
        assert window.local is None  # the camera and microphone are released
        shoot(window, "participant-ended")
    finally:
        bo_log.close()
        cy_log.close()
        await bo.leave()
        await cy.leave()


def bo_participants(log: SessionLog) -> list:  # type: ignore[type-arg]
    from meetdesk.core.signalling import ParticipantUpdated

    return [e.participant for e in log.events if isinstance(e, ParticipantUpdated)]


async def test_kicked_by_a_moderator_then_ending_it_yourself(window: ParticipantWindow, room: MeetRoom) -> None:
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    ana, ana_log = await headless(room.moderatorUrl, "Ana", 1)
    try:
        await join_from_link(window, room.speakerUrl, "Desk")
        assert window.meeting_page.role == "speaker"
        assert not window.meeting_page.end_action.isVisible()
        await ana.kick(identity_of(window))
        await reach(window, "ended")
        assert window.end_page.reason == LeftReason.PARTICIPANT_KICKED
        assert window.end_page.title.text() == "You were removed from the meeting"
        assert not window.end_page.rejoin.isVisible()  # kicked: not back into this meeting
    finally:
        ana_log.close()
        await ana.leave()
    # as a moderator, ending the meeting for all: the end view says you ended it
    await join_from_link(window, room.moderatorUrl, "Desk")
    assert window.meeting_page.role == "moderator"
    await window.meeting_page.end()
    await reach(window, "ended")
    assert window.end_page.reason == LeftReason.MEETING_ENDED_BY_SELF


async def test_reconnecting_overlay_on_a_signalling_drop(
    window: ParticipantWindow, room: MeetRoom, server_process: ServerProcess
) -> None:
    assert room.moderatorUrl is not None
    proxy = SignallingProxy(urlsplit(server_process.url).port or 0)
    await proxy.start()
    try:
        await join_from_link(window, proxy.link(room.moderatorUrl))
        overlay = window.meeting_page.overlay
        assert not overlay.isVisible()
        loop = asyncio.get_running_loop()
        dropped = loop.time()
        proxy.drop_all()
        await wait_until(overlay.isVisible, 5, what="the reconnecting overlay")
        assert loop.time() - dropped < 1.0
        assert "Reconnecting" in overlay.text()
        shoot(window, "participant-reconnecting")
        proxy.cut = False
        await wait_until(lambda: not overlay.isVisible(), 30, what="the overlay to go")
        assert window.stage == "meeting"
        await window.meeting_page.leave()
        await reach(window, "ended")
        assert window.end_page.reason == LeftReason.VOLUNTARY_LEAVE
    finally:
        await proxy.close()


async def test_closing_during_a_meeting_asks_first_and_the_theme_applies(
    window: ParticipantWindow, room: MeetRoom, client: MeetDeskClient
) -> None:
    assert room.moderatorUrl is not None
    async with MeetDeskClient(client.base_url) as admin:
        await admin.login(ADMIN_USER, ADMIN_PASSWORD)
        await admin.set_appearance(BRAND)
    await join_from_link(window, room.moderatorUrl)
    palette = QApplication.palette()
    assert palette.color(QPalette.ColorRole.Window).name() == BRAND.backgroundColor
    assert palette.color(QPalette.ColorRole.Highlight).name() == BRAND.accentColor
    window.close()
    await wait_until(lambda: window.confirm_box is not None and window.confirm_box.isVisible(), what="the question")
    assert window.isVisible() and window.meeting_page.in_meeting
    box = window.confirm_box
    assert box is not None
    box.button(box.StandardButton.Cancel).click()
    assert window.isVisible() and window.meeting_page.in_meeting
    closing = emitted(window.closing)
    window.close()
    await wait_until(lambda: window.confirm_box is not box and window.confirm_box is not None)
    leave = next(b for b in window.confirm_box.buttons() if b.text() == "Leave meeting")
    leave.click()
    await closing
    # the window left the meeting on its way out: the room's meeting is over (the server records the end just
    # after the last participant goes, and tells no outsider when: polled, as hold_meeting polls for the start)
    for _ in range(100):
        if (await client.get_room(room.roomId, fields="status")).status is not RoomStatus.ACTIVE_MEETING:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the meeting outlived its only participant's window")


async def test_the_chosen_background_is_what_the_others_receive(window: ParticipantWindow, room: MeetRoom) -> None:
    """The device view's background choice is applied to the published video: with the test pattern (no
    person in it) an image background replaces nearly the whole picture the others get."""
    reason = effects_available()
    if reason is not None:
        pytest.skip(reason)
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    window.open_link(room.moderatorUrl)
    await reach(window, "join")
    window.join_page.name.setText("Desk")
    window.join_page.next.click()
    await reach(window, "devices")
    await wait_until(lambda: window.device_page.join.isEnabled(), what="the devices to open")
    beach = next(key for key in window.device_page.background_buttons if key.endswith("beach.jpg"))
    window.device_page.background_buttons[beach].click()
    assert window.device_page.background == beach and not window.device_page.background_note.isVisible()
    window.device_page.join.click()
    await reach(window, "meeting")
    desk = identity_of(window)
    received: list[np.ndarray] = []

    def keep(track: object, frame: object) -> None:
        if getattr(track, "key", "") == f"{desk}/camera" and len(received) < 60:
            received.append(frame.to_ndarray(format="rgb24"))  # type: ignore[attr-defined]

    bo = MeetingSession(room.speakerUrl, "Bo", publish_video=False, publish_audio=False, on_frame=keep)
    await bo.join()
    try:
        await wait_until(lambda: len(received) >= 30, 20, what="the window's video at Bo")
        picture = received[-1]
        beach_picture = load_background(beach.removeprefix("image:"))[:, :, ::-1]  # BGR -> RGB
        # the sky: the top of the received picture is the beach picture's sky, not the test pattern's stripes
        sky_received = picture[: picture.shape[0] // 5].reshape(-1, 3).mean(axis=0)
        sky_expected = beach_picture[: beach_picture.shape[0] // 5].reshape(-1, 3).mean(axis=0)
        assert np.abs(sky_received - sky_expected).max() < 25, (sky_received, sky_expected)
        assert bo.remote[f"{desk}/camera"].last_marker is None  # the test pattern's marker is gone
    finally:
        await bo.leave()
        await window.meeting_page.leave()


async def test_without_devices_the_device_view_says_so_and_one_can_join_to_listen(
    qtbot: QtBot, tmp_path: Path, room: MeetRoom
) -> None:
    """On a machine with no camera and no microphone (this one), the real-device path says why and joins."""
    if list_cameras() or list_microphones():
        pytest.skip("this machine has a camera or a microphone: the no-device path cannot be shown")
    settings = QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = ParticipantWindow(settings)
    window.show()
    try:
        assert room.moderatorUrl is not None
        await join_from_link(window, room.moderatorUrl, "Listener")
        notes = window.device_page.notes.text()
        assert "No camera found: you can join without video" in notes
        assert "No microphone found" in notes and "listen" in notes
        page = window.meeting_page
        assert not page.mic_button.isEnabled() and not page.camera_button.isEnabled()
        assert page.you is not None and not page.you.audio and not page.you.video
        await page.leave()
        await reach(window, "ended")
    finally:
        window.close()
        window.deleteLater()

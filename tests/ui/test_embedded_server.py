"""The admin app keeps the links of its embedded server: the real ``meetdesk server`` child the window starts
is killed, taken away or blocked, and the window (header, banner, rooms page, a meeting window) is watched
doing the right thing by itself — or asking, when only the user can decide."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.client.session import MeetingSession, SessionState
from meetdesk.client.supervisor import RestartPolicy, SupervisorState, SupervisorStatus
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.server_link import LinkState, ServerLink
from meetdesk.ui.admin.servers import EMBEDDED_PROFILE, ServerList, ServerProfile
from meetdesk.ui.meeting.window import ParticipantWindow
from tests.conftest import API_KEY, ServerProcess, free_port
from tests.ui.conftest import wait_until
from tests.ui.helpers import emitted, quiet_window, shoot

pytestmark = pytest.mark.slow


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    store = CredentialStore(tmp_path / "config", use_keyring=False)
    connection = AdminConnection(
        ServerList.load(tmp_path / "config" / "servers.json"),
        store,
        EmbeddedServer(tmp_path / "embedded", store, default_port=free_port()),  # 6080 may be another run's
    )
    settings = QSettings(str(tmp_path / "config" / "meetdesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(connection, settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.link.stop()
    await connection.close()


@pytest.fixture
def statuses(window: MainWindow) -> list[SupervisorStatus]:
    """Everything the embedded server's supervisor said, in order."""
    seen: list[SupervisorStatus] = []
    window.connection.supervisor.add_listener(seen.append)
    return seen


async def link_becomes(link: ServerLink, state: LinkState, timeout: float = 30.0) -> list[LinkState]:
    """Wait for the header's state to become ``state``; the states passed through on the way."""
    passed: list[LinkState] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while link.state is not state:
        (new,) = await asyncio.wait_for(emitted(link.stateChanged), max(0.0, deadline - loop.time()))
        passed.append(new)
    return passed


def server_pid(window: MainWindow) -> int:
    pid = window.connection.embedded.pid
    assert pid is not None
    return pid


def remembered_port(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "embedded" / "embedded.json").read_text())["port"])


@pytest.fixture
def foreign_listener() -> Iterator[socket.socket]:
    """Another program's server socket (bound by the test, as any program would)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield sock
    sock.close()


async def test_a_killed_embedded_server_comes_back_on_its_port_by_itself_and_the_rooms_page_works(
    window: MainWindow, statuses: list[SupervisorStatus], tmp_path: Path
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    assert window.server_state.text() == "Connected"
    client = window.connection.client
    assert client is not None
    room = await client.create_room({"roomName": "Weekly sync"})
    await window.rooms_page.reload()
    url, pid = window.connection.url, server_pid(window)

    statuses.clear()
    os.kill(pid, signal.SIGKILL)  # a crash; nobody clicks anything from here on
    assert await link_becomes(window.link, LinkState.RESTARTING, timeout=5) == [LinkState.RESTARTING]
    assert await link_becomes(window.link, LinkState.CONNECTED) == [LinkState.CONNECTED]
    assert [s.state for s in statuses] == [SupervisorState.RESTARTING, SupervisorState.RUNNING]
    assert server_pid(window) != pid
    assert window.connection.url == url  # the same port: links handed out keep working
    assert remembered_port(tmp_path) == int(url.rsplit(":", 1)[1])
    assert not window.banner.isVisible()
    assert window.server_state.text() == "Connected"
    # the rooms page works again, and so does the room's link
    await window.rooms_page.reload()
    assert window.rooms_page.model.rowCount() == 1
    assert room.moderatorUrl is not None
    link = parse_room_link(room.moderatorUrl)
    async with MeetDeskClient(link.base_url) as anyone:
        assert (await anyone.room_role(link.room_id, link.secret)).role.value == "moderator"
    await quiet_window(window)


async def test_the_banner_says_the_server_is_restarting_and_offers_nothing_meanwhile(
    window: MainWindow, statuses: list[SupervisorStatus]
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    restarting = emitted(window.link.stateChanged)
    os.kill(server_pid(window), signal.SIGKILL)
    assert await restarting == (LinkState.RESTARTING,)
    assert window.server_state.text() == "Restarting the server…"
    assert window.banner.isVisible() and window.banner.kind == "info"
    assert window.banner.text.text() == "The server on this computer stopped. Restarting it…"
    assert not window.banner.retry_button.isVisible() and not window.banner.dismiss_button.isVisible()
    assert window.banner.action_buttons == []
    shoot(window, "embedded-restarting")
    await link_becomes(window.link, LinkState.CONNECTED)
    assert not window.banner.isVisible()
    await quiet_window(window)


async def test_the_rooms_page_leaves_the_restart_to_the_banner_and_disables_what_needs_the_server(
    window: MainWindow,
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    client = window.connection.client
    assert client is not None
    await client.create_room({"roomName": "Weekly sync"})
    page = window.rooms_page
    await page.reload()
    page.table.selectRow(0)
    assert page.current_room() is not None and page.new_button.isEnabled() and page.act_edit.isEnabled()

    restarting = emitted(window.link.stateChanged)
    os.kill(server_pid(window), signal.SIGKILL)
    assert await restarting == (LinkState.RESTARTING,)
    with pytest.raises(Exception, match="reach"):  # the list asked for while the server is away
        await page.model.reload()
    assert page.model.error is not None and page.model.rowCount() == 1  # the room last seen, greyed
    # one message, the banner's: no "Can't load rooms … check that it is running" and no Retry of the page's own
    assert window.banner.text.text() == "The server on this computer stopped. Restarting it…"
    assert not page.stale_bar.isVisible() and not page.stale_retry.isVisible()
    reason = "The server on this computer is restarting: this can be done once it is back."
    for button in (page.new_button, page.refresh_button, page.delete_checked_button):
        assert not button.isEnabled() and button.toolTip() == reason
    for action in (page.act_join, page.act_edit, page.act_close, page.act_delete):
        assert not action.isEnabled() and action.toolTip() == reason
    assert page.act_copy_moderator.isEnabled() and page.act_copy_speaker.isEnabled()  # the links keep working
    shoot(window, "embedded-restarting-rooms")

    assert await link_becomes(window.link, LinkState.CONNECTED) == [LinkState.CONNECTED]
    assert page.new_button.isEnabled() and page.new_button.toolTip() == ""
    await page.reload()
    assert page.model.error is None and not page.stale_bar.isVisible()
    page.table.selectRow(0)  # (the restarted server's client is a new one: the highlight was cleared)
    assert page.act_edit.isEnabled() and page.act_edit.toolTip() == "Edit"
    await quiet_window(window)


async def test_a_participant_window_in_a_meeting_gets_back_in_after_the_restart(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    assert window.connection.client is not None
    room = await window.connection.client.create_room({"roomName": "Stand-up"})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    meeting = ParticipantWindow(
        QSettings(str(tmp_path / "participant.ini"), QSettings.Format.IniFormat), synthetic=True, admin=True
    )
    qtbot.addWidget(meeting)
    meeting.show()
    bo = MeetingSession(room.speakerUrl, "Bo", source_id=3)
    try:
        meeting.open_link(room.moderatorUrl)
        await wait_until(lambda: meeting.stage == "join", 20, what="the join view")  # stages have no signal
        meeting.join_page.name.setText("Desk")
        meeting.join_page.next.click()
        await wait_until(lambda: meeting.device_page.join.isEnabled(), 20, what="the devices to open")
        meeting.device_page.join.click()
        await wait_until(lambda: meeting.stage == "meeting", 20, what="the meeting")
        await bo.join()
        page = meeting.meeting_page
        await wait_until(lambda: "Bo" in {p.name for p in page.participants.values()}, 20, what="Bo to show")

        os.kill(server_pid(window), signal.SIGKILL)
        await wait_until(page.overlay.isVisible, 10, what="the reconnecting overlay")
        await link_becomes(window.link, LinkState.CONNECTED)
        # both come back by themselves (the restarted server lost the meeting: they rejoin it)
        await wait_until(lambda: not page.overlay.isVisible(), 60, what="the window to be back in the meeting")
        assert meeting.stage == "meeting"
        assert page.session is not None and page.session.state is SessionState.CONNECTED
        await wait_until(lambda: "Bo" in {p.name for p in page.participants.values()}, 60, what="Bo to be seen again")
        await page.leave()
    finally:
        await bo.leave()
        meeting._closing_confirmed = True
        meeting.close()
    await quiet_window(window)


async def test_a_port_taken_by_another_program_is_asked_about_and_nothing_moves(
    window: MainWindow, statuses: list[SupervisorStatus], foreign_listener: socket.socket, tmp_path: Path
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    port = remembered_port(tmp_path)
    await window.connection.close()  # the app quits; another program takes the port meanwhile
    foreign_listener.bind(("127.0.0.1", port))
    foreign_listener.listen()

    assert not await window.open_server(EMBEDDED_PROFILE)
    assert window.server_state.text() == "Not connected"
    banner = window.banner
    assert banner.kind == "question"
    assert banner.text.text().startswith(
        f"Port {port} is used by another program. Links you already shared point to it."
    )
    texts = [button.text() for button in banner.action_buttons]
    assert texts[0] == "Try again" and texts[1].startswith("Use port ")
    assert remembered_port(tmp_path) == port  # nothing moved
    assert statuses[-1].state is SupervisorState.PORT_TAKEN
    shoot(window, "embedded-port-taken")

    # Try again while the other program still holds it: asked again, still nothing moved
    assert not await banner.run_action(next(a for b, a in banner._actions if b.text() == "Try again"))
    assert banner.isVisible() and banner.kind == "question" and remembered_port(tmp_path) == port

    # the other program quits: Try again brings the server back on its own port
    foreign_listener.close()
    assert await banner.run_action(next(a for b, a in banner._actions if b.text() == "Try again"))
    assert window.server_state.text() == "Connected"
    assert window.connection.url == f"http://127.0.0.1:{port}"
    assert not banner.isVisible()
    await quiet_window(window)


async def test_use_another_port_is_the_users_choice_and_is_remembered(
    window: MainWindow, foreign_listener: socket.socket, tmp_path: Path
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    port = remembered_port(tmp_path)
    await window.connection.close()
    foreign_listener.bind(("127.0.0.1", port))
    foreign_listener.listen()
    assert not await window.open_server(EMBEDDED_PROFILE)
    button, action = next((b, a) for b, a in window.banner._actions if b.text().startswith("Use port "))
    other = int(button.text().removeprefix("Use port "))
    assert other != port
    assert await window.banner.run_action(action)
    assert window.connection.url == f"http://127.0.0.1:{other}"
    assert window.server_state.text() == "Connected"
    assert remembered_port(tmp_path) == other
    await quiet_window(window)


async def test_the_header_follows_a_remote_server_going_away_and_coming_back(
    window: MainWindow, server_process: ServerProcess
) -> None:
    profile = ServerProfile(name="Office", url=server_process.url, auth="api_key")
    assert await window.open_server(profile, API_KEY)
    assert window.server_state.text() == "Connected"

    await asyncio.to_thread(server_process.stop)
    await link_becomes(window.link, LinkState.RECONNECTING, timeout=15)  # no click: the periodic check saw it
    assert window.server_state.text() == "Reconnecting…"
    assert window.banner.isVisible() and window.banner.kind == "info"
    assert f"The server at {server_process.url} does not answer." in window.banner.text.text()
    assert not window.banner.retry_button.isVisible()
    shoot(window, "remote-reconnecting")

    reloaded = emitted(window.rooms_page.model.pageLoaded)
    await asyncio.to_thread(server_process.start)
    await link_becomes(window.link, LinkState.CONNECTED, timeout=15)
    assert window.server_state.text() == "Connected"
    assert not window.banner.isVisible()
    await asyncio.wait_for(reloaded, 15)  # the rooms page asked the server again by itself
    await quiet_window(window)


async def test_a_server_that_never_answered_says_not_connected(window: MainWindow) -> None:
    port = free_port()  # nothing listens there
    profile = ServerProfile(name="Gone", url=f"http://127.0.0.1:{port}", auth="api_key")
    assert not await window.open_server(profile, API_KEY)
    assert window.server_state.text() == "Not connected"
    await quiet_window(window)


async def test_a_server_that_keeps_dying_is_given_up_on_in_words_with_its_log_and_a_try_again(
    window: MainWindow, tmp_path: Path
) -> None:
    assert await window.open_server(EMBEDDED_PROFILE)
    window.connection.supervisor.policy = RestartPolicy(delays=(0.0,), max_attempts=1)
    data = tmp_path / "embedded"
    for name in ("meetdesk.db-wal", "meetdesk.db-shm"):
        (data / name).unlink(missing_ok=True)
    (data / "meetdesk.db").write_bytes(b"this is not a database" * 100)  # every start fails from now on
    os.kill(server_pid(window), signal.SIGKILL)
    await link_becomes(window.link, LinkState.NOT_CONNECTED)
    banner = window.banner
    assert banner.kind == "error"
    text = banner.text.text()
    assert text.startswith("The server on this computer keeps stopping, so MeetDesk stopped restarting it (exit code ")
    assert text.endswith(f"Its log is {data / 'server.log'}.")
    assert [button.text() for button in banner.action_buttons] == ["Try again"]
    assert window.state_dot.property("state") == "not_connected"
    shoot(window, "embedded-failed")
    await quiet_window(window)


async def test_the_banner_and_the_header_dot_have_their_own_colours_in_the_dark_theme(
    window: MainWindow, qapp: QApplication
) -> None:
    from meetdesk.core.models import MeetRoomTheme
    from meetdesk.ui.theme.theming import apply_theme

    def background(widget: QWidget) -> QColor:
        return widget.grab().toImage().pixelColor(2, 2)

    try:
        window.banner.show_message("The server on this computer stopped. Restarting it…", kind="info")
        light = background(window.banner)
        apply_theme(qapp, MeetRoomTheme(name="default-dark", enabled=True, baseTheme="dark"))
        dark = background(window.banner)
        assert light.lightness() > 200 and dark.lightness() < 90  # a light band across a dark window would glare
        text = window.banner.text.palette().color(QPalette.ColorRole.WindowText)
        assert abs(text.lightness() - dark.lightness()) > 120  # and its words stay readable
        window.banner.hide()
        window.banner.show_message("The server on this computer keeps stopping.")  # another kind, while dark
        assert background(window.banner).lightness() < 90
        apply_theme(qapp, MeetRoomTheme(name="default-light", enabled=True, baseTheme="light"))
        assert background(window.banner).lightness() > 200  # and back
    finally:
        apply_theme(qapp, None)
    await quiet_window(window)


async def test_a_server_shared_on_the_network_comes_back_shared_with_the_same_certificate(
    window: MainWindow, tmp_path: Path
) -> None:
    from meetdesk.client.lobby import inspect_link
    from meetdesk.client.sharing import NetworkSharing
    from meetdesk.core.addresses import local_addresses

    address = next((a.address for a in local_addresses() if a.version == 4), None)
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to share a server on")
    embedded = window.connection.embedded
    embedded.use_sharing(NetworkSharing(enabled=True, listen=address, address=address))
    assert await window.open_server(EMBEDDED_PROFILE)
    url, pin = window.connection.url, embedded.pin
    assert url == f"https://{address}:{embedded.port}" and pin is not None
    assert window.connection.client is not None
    room = await window.connection.client.create_room({"roomName": "Shared"})
    assert room.moderatorUrl is not None and room.moderatorUrl.endswith(f"#fp={pin}")

    os.kill(server_pid(window), signal.SIGKILL)
    assert await link_becomes(window.link, LinkState.RESTARTING, timeout=5) == [LinkState.RESTARTING]
    await link_becomes(window.link, LinkState.CONNECTED)
    # the same address, port, TLS and certificate: the pinned links handed out keep working
    assert window.connection.url == url and embedded.pin == pin
    info = await inspect_link(room.moderatorUrl)
    assert info.room_name == "Shared" and info.link.pin == pin
    await window.rooms_page.reload()
    assert window.rooms_page.model.rowCount() == 1
    await quiet_window(window)


async def test_settings_that_no_longer_work_here_stop_the_restarts_at_once_and_say_what_to_change(
    window: MainWindow, statuses: list[SupervisorStatus]
) -> None:
    from meetdesk.client.sharing import NetworkSharing

    assert await window.open_server(EMBEDDED_PROFILE)
    # the computer left the network it shared the server on: that address is not one of its own any more
    window.connection.embedded.sharing = NetworkSharing(enabled=True, listen="192.0.2.77", address="192.0.2.77")
    statuses.clear()
    os.kill(server_pid(window), signal.SIGKILL)
    await link_becomes(window.link, LinkState.NOT_CONNECTED)
    assert [s.state for s in statuses] == [SupervisorState.RESTARTING, SupervisorState.FAILED]  # not 5 retries
    text = window.banner.text.text()
    assert "cannot listen on 192.0.2.77" in text and "not this computer's address any more" in text
    assert text.endswith("Choose another network there, or turn sharing off.")
    assert [button.text() for button in window.banner.action_buttons] == ["Try again"]
    await quiet_window(window)

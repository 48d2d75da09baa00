"""Helpers shared by the pytest-qt tests: awaiting signals, clicking, checking layouts, pictures, meetings."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.signalling import SignallingClient
from meetdesk.core.models import MeetRoom, MeetRoomTheme, RoomStatus

#: a theme unlike any preset, so a test can tell it was applied
BRAND = MeetRoomTheme(
    name="brand",
    enabled=True,
    baseTheme="dark",
    backgroundColor="#101820",
    primaryColor="#ffb000",
    secondaryColor="#445566",
    accentColor="#00c2a8",
    surfaceColor="#1c2630",
)


def emitted(signal: Any) -> asyncio.Future[tuple[Any, ...]]:
    """A future of the arguments of ``signal``'s next emission. (qtbot.waitSignal would spin a nested Qt loop,
    inside which the asyncio tasks that emit cannot run while the test's own task is running.)"""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def resolve(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(resolve)
    future.add_done_callback(lambda _: signal.disconnect(resolve))
    return future


def click_box(qtbot: QtBot, box: QAbstractButton) -> None:
    """Click a check box on its indicator (its middle may be empty space beside a short text)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(box.height() // 2, box.height() // 2))


def clipped_texts(dialog: QWidget) -> list[str]:
    """The visible texts of ``dialog`` that do not fit their widget, or whose widget does not fit the window
    (what large fonts, long translations or high DPI would cut)."""
    out = []
    for widget in [*dialog.findChildren(QLabel), *dialog.findChildren(QAbstractButton)]:
        if not widget.isVisible() or not widget.text():
            continue
        if isinstance(widget, QLabel) and widget.wordWrap():
            cut = widget.height() < widget.heightForWidth(widget.width())
        else:
            cut = widget.width() < widget.sizeHint().width() or widget.height() < widget.minimumSizeHint().height()
        if cut or not fits_window(widget):
            out.append(widget.text())
    return out


def fits_window(widget: QWidget) -> bool:
    window = widget.window()
    return window.rect().contains(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()))


def shoot(widget: QWidget, name: str) -> None:
    """Save a picture of ``widget`` in $MEETDESK_SHOTS, when set (to look at the dialogs)."""
    shots = os.environ.get("MEETDESK_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(shots) / f"{name}.png"))


async def hold_meeting(client: MeetDeskClient, room: MeetRoom) -> SignallingClient:
    """A moderator joined over the real signalling socket: the room has a meeting until it is closed."""
    assert room.moderatorUrl is not None
    token = await client.participant_token(room.roomId, parse_room_link(room.moderatorUrl).secret, "Ana")
    peer = await SignallingClient.connect(client.base_url, token)
    for _ in range(100):  # the server records the meeting's start just after the join; no signal says when
        if (await client.get_room(room.roomId, fields="status")).status is RoomStatus.ACTIVE_MEETING:
            return peer
        await asyncio.sleep(0.05)
    raise AssertionError("the room never showed its meeting")


async def quiet_window(window: Any) -> None:
    """End a test of the admin window with no connection half-made: the live rooms socket back (when the server
    is) and then stopped, the header's checks stopped. A task left in the middle of connecting would be resumed
    by Qt after the test's loop stopped, outside it."""
    from meetdesk.ui.admin.server_link import LinkState

    # the Kiosks page follows its server only while it is shown
    for live in (window.rooms_page.live, *([window.kiosks_page.live] if window.kiosks_page.live.following else [])):
        if window.link.state is LinkState.CONNECTED and not live.live:
            await asyncio.wait_for(emitted(live.liveChanged), 15)
        live.stop()
    window.link.stop()
    await asyncio.sleep(0)  # the cancellations run on this loop

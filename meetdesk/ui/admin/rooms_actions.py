"""What the Rooms page's per-room actions do: copy a link, join, create, edit, close or reopen, delete.

A mixin of :class:`~meetdesk.ui.admin.rooms_page.RoomsPage` (which builds the actions and the table they act on):
each action acts on the highlighted room only (``current_room()``), tells the user what happened through the
page's ``notice`` signal and a failed request through its ``problem`` signal.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import qasync
from PySide6.QtGui import QGuiApplication

from meetdesk.core.addresses import is_loopback
from meetdesk.core.models import MeetRoom, RoomStatus


class RoomActions:
    """The per-room actions of the Rooms page (mixed into it; every attribute used is the page's)."""

    # the page's (declared for readers and type checkers)
    client: Any
    model: Any
    live: Any
    notice: Any
    problem: Any
    joinRequested: Any

    def copy_link(self, role: str) -> str | None:
        room = self.current_room()
        if room is None:
            return None
        url = room.moderatorUrl if role == "moderator" else room.speakerUrl
        if not url:
            return None
        QGuiApplication.clipboard().setText(url)
        if role == "moderator":
            text = self.tr("Moderator link of “{room}” copied.").format(room=room.roomName or room.roomId)
        else:
            text = self.tr("Speaker link of “{room}” copied.").format(room=room.roomName or room.roomId)
        if is_loopback(urlsplit(url).hostname or ""):
            text += " " + self.tr(
                "It works on this computer only: to invite others, turn on “Share on the network…” at the top "
                "of the window."
            )
        self.notice.emit(text)
        return url

    def _join_clicked(self) -> None:
        room = self.current_room()
        if room is not None:
            self.joinRequested.emit(room)

    def _create_clicked(self) -> None:
        from meetdesk.ui.admin.room_form import RoomFormDialog

        if self.client is None:
            return
        dialog = RoomFormDialog(self.client, None, self)
        dialog.saved.connect(self._room_created)
        dialog.open()

    def _room_created(self, room: MeetRoom) -> None:
        self.notice.emit(self.tr("Room “{room}” created.").format(room=room.roomName or room.roomId))
        if self.live.live:
            self.model.upsert(room)  # (its event may come first or after: either way, one row)
        else:
            self._background(self.reload())

    def _edit_clicked(self) -> None:
        from meetdesk.ui.admin.room_form import RoomFormDialog

        room = self.current_room()
        if room is None or self.client is None:
            return
        dialog = RoomFormDialog(self.client, room, self)
        dialog.saved.connect(self._room_saved)
        dialog.open()
        self._background(dialog.load_roles())

    def _room_saved(self, room: MeetRoom) -> None:
        self.model.replace_room(room)
        self._update_actions()
        self.notice.emit(self.tr("Room “{room}” saved.").format(room=room.roomName or room.roomId))

    @qasync.asyncSlot()
    async def _close_clicked(self) -> None:
        await self.toggle_closed()

    async def toggle_closed(self) -> None:
        room = self.current_room()
        if room is None or self.client is None:
            return
        target = "open" if room.status == RoomStatus.CLOSED else "closed"
        try:
            change = await self.client.set_room_status(room.roomId, target)
        except Exception as exc:
            self.problem.emit(exc, self.toggle_closed)
            return
        self.model.replace_room(change.room)
        self._update_actions()
        name = room.roomName or room.roomId
        if change.status == 202:
            self.notice.emit(self.tr("“{room}” will close when its meeting ends.").format(room=name))
        elif target == "closed":
            self.notice.emit(self.tr("“{room}” is closed: its links no longer let anyone in.").format(room=name))
        else:
            self.notice.emit(self.tr("“{room}” is open again.").format(room=name))

    def _delete_clicked(self) -> None:
        room = self.current_room()
        if room is not None:
            self.open_delete_dialog([room])

    def _delete_checked_clicked(self) -> None:
        rooms = self.ticked_rooms()
        if rooms:
            self.open_delete_dialog(rooms)

    def open_delete_dialog(self, rooms: list[MeetRoom]) -> Any:
        from meetdesk.ui.admin.delete_dialog import DeleteRoomsDialog

        if self.client is None:
            return None
        dialog = DeleteRoomsDialog(self.client, rooms, self)
        dialog.finished_deleting.connect(lambda _outcomes: self._background(self.reload()))
        dialog.open()
        return dialog

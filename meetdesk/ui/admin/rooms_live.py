"""Keeps the rooms table in step with the server: its events (``MeetDeskClient.events()``) applied to the
``RoomsModel`` as they come, so that meetings starting and ending, rooms created, closed or deleted
elsewhere show without a refresh.

The socket's life (reading the list again when it drops and when it is back) is ``live_follower``'s; when the
server cannot be reached the model keeps the rows last seen, greyed, with the reason.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from meetdesk.client.errors import ApiError
from meetdesk.core.events import (
    MeetingEnded,
    MeetingUpdated,
    RoomCreated,
    RoomDeleted,
    RoomUpdated,
    ServerEvent,
    Subscribed,
)
from meetdesk.ui.admin.live_follower import LiveFollower
from meetdesk.ui.admin.rooms_model import RoomsModel


class RoomsFollower(LiveFollower):
    """Applies a server's room and meeting events to ``model`` while :meth:`follow` runs (signals: see
    ``LiveFollower``)."""

    name = "Rooms page"
    model: RoomsModel

    def __init__(self, model: RoomsModel, parent: QObject | None = None) -> None:
        super().__init__(model, parent)

    def subscribed(self, event: Subscribed) -> None:
        self.model.set_people(event.meetings)

    def apply(self, event: ServerEvent) -> None:
        if isinstance(event, RoomCreated | RoomUpdated):
            self.model.upsert(event.room)
        elif isinstance(event, RoomDeleted):
            self.model.remove(event.roomId)
        elif isinstance(event, MeetingUpdated):
            self.model.meeting_changed(event.meeting.roomId, event.meeting.participants)
        elif isinstance(event, MeetingEnded):
            self.model.meeting_changed(event.roomId, 0)

    def refused(self, exc: ApiError) -> None:
        self.model.problem.emit(exc)  # the page shows it in its banner

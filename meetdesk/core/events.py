"""What the server pushes to signed-in admins on ``/internal-api/v1/events``: rooms, meetings and kiosks as they
change.

Every event is a JSON object with a ``type`` and the protocol version ``v``. The first message of every
connection is :class:`Subscribed`, with the meetings running at that moment; events that happen while a
client is not connected are not replayed, so a client that reconnects starts again from that snapshot
(and re-reads the rooms it shows). The socket is closed with one of the ``CLOSE_*`` codes below when
the server drops a listener on purpose.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from meetdesk.core.kiosks import Kiosk
from meetdesk.core.models import MeetRoom

EVENTS_VERSION = 1

#: the listener fell too far behind (its queue is full): reconnect, then re-read what you show
CLOSE_TOO_SLOW = 4008
#: the access token the socket was opened with expired: refresh it and reconnect
CLOSE_TOKEN_EXPIRED = 4001


class MeetingInfo(BaseModel):
    """A meeting under way: its room, how many people are in it (reconnecting ones too), since when."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    roomId: str
    participants: Annotated[int, Field(ge=0)]
    startedAt: int


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    v: Literal[1] = 1  # EVENTS_VERSION


class Subscribed(_Event):
    """First message of each connection: the meetings running now (every room not listed has none)."""

    type: Literal["subscribed"] = "subscribed"
    meetings: list[MeetingInfo] = Field(default_factory=list)


class RoomCreated(_Event):
    type: Literal["room_created"] = "room_created"
    room: MeetRoom


class RoomUpdated(_Event):
    """A room changed (status, name, config, scheduled end action): ``room`` is all of it, as the API shows it."""

    type: Literal["room_updated"] = "room_updated"
    room: MeetRoom


class RoomDeleted(_Event):
    type: Literal["room_deleted"] = "room_deleted"
    roomId: str


class MeetingUpdated(_Event):
    """Someone joined or left a meeting (the first join starts it)."""

    type: Literal["meeting_updated"] = "meeting_updated"
    meeting: MeetingInfo


class MeetingEnded(_Event):
    type: Literal["meeting_ended"] = "meeting_ended"
    roomId: str


class KioskUpdated(_Event):
    """A kiosk was added or changed: renamed, settings pushed, enrolled, a heartbeat that changed what it reports,
    or it went offline (no heartbeat for 60 s). ``kiosk`` is all of it, as the API shows it."""

    type: Literal["kiosk_updated"] = "kiosk_updated"
    kiosk: Kiosk


class KioskRemoved(_Event):
    type: Literal["kiosk_removed"] = "kiosk_removed"
    kioskId: str


ServerEvent = Annotated[
    Subscribed | RoomCreated | RoomUpdated | RoomDeleted | MeetingUpdated | MeetingEnded | KioskUpdated | KioskRemoved,
    Field(discriminator="type"),
]
SERVER_EVENT: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent)

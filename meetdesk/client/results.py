"""The small answers of the REST API that are not models of ``meetdesk.core.models``: a status change, deletion
outcomes, API keys, the admin's profile, a room's roles; returned by :class:`~meetdesk.client.api.MeetDeskClient`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from meetdesk.core.claims import TokenGrants
from meetdesk.core.errors import ErrorCode
from meetdesk.core.events import MeetingInfo
from meetdesk.core.models import (
    MeetRoom,
    MeetRoomTheme,
)
from meetdesk.core.permissions import Role
from meetdesk.core.rooms import DELETION_CODES

# --- result models -------------------------------------------------------------------------------


class _Result(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class StatusChange(_Result):
    """Answer to ``set_room_status``: 200 done, 202 scheduled for the end of the meeting."""

    status: int
    message: str
    room: MeetRoom


class DeletionResult(_Result):
    """Answer to ``delete_room``: 200 deleted or closed, 202 scheduled; ``successCode`` is OpenVidu's code."""

    status: int
    successCode: str
    message: str
    room: MeetRoom | None = None


class BulkDeletionSuccess(_Result):
    roomId: str
    successCode: str
    message: str
    room: MeetRoom | None = None


class BulkDeletionFailure(_Result):
    roomId: str
    error: str
    message: str

    @property
    def code(self) -> str:
        """What failed, as a code: the deletion's refusal code, or ``room_not_found`` for a room that does not
        exist (upstream's body gives it only the generic ``error`` "Room Error", which is no code)."""
        return self.error if self.error in DELETION_CODES else ErrorCode.ROOM_NOT_FOUND.value


class BulkDeletionResult(_Result):
    message: str
    successful: list[BulkDeletionSuccess] = Field(default_factory=list)
    failed: list[BulkDeletionFailure] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class ApiKey(_Result):
    """An API key: the key itself only in the answer that created it (the server keeps a hash)."""

    apiKey: str | None = Field(default=None, repr=False)
    apiKeyHint: str
    creationDate: int


class Profile(_Result):
    username: str
    roles: list[str]


class RoomRole(_Result):
    """A role of a room and what it may do, shaped ``{livekit: {...}, openvidu: {...}}``."""

    role: Role
    permissions: TokenGrants
    #: the room's name (answers about one link's secret only)
    roomName: str | None = None


class _Appearance(_Result):
    themes: list[MeetRoomTheme] = Field(default_factory=list)


class _Meetings(_Result):
    meetings: list[MeetingInfo] = Field(default_factory=list)


class _AppearanceBody(_Result):
    appearance: _Appearance = Field(default_factory=_Appearance)

"""The live meeting as OpenVidu Meet 3.9's public API and its participant webhooks describe it.

:class:`MeetParticipantPayload` is the participant of ``participantJoined`` (and, with
:class:`MeetParticipantDeparture`'s fields, of ``participantLeft``); :class:`MeetParticipantInfo` adds the
media state for ``GET /meetings/{roomId}/participants``; :class:`MeetMeetingInfo` is ``GET /meetings/{roomId}``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from meetdesk.core.signalling import LeftReason

#: the ``leaveReason`` values of upstream's schema; MeetDesk's own reasons are reported as the nearest one
UpstreamLeaveReason = Literal[
    "voluntary_leave",
    "network_disconnect",
    "server_shutdown",
    "participant_kicked",
    "meeting_ended",
    "meeting_ended_by_self",
    "duplicate_identity",
    "unknown",
]
_NEAREST: dict[LeftReason, UpstreamLeaveReason] = {
    # upstream ends a deleted room's meeting, and a meeting at its time limit, "exactly as if a moderator had"
    LeftReason.ROOM_DELETED: "meeting_ended",
    LeftReason.MAX_DURATION_REACHED: "meeting_ended",
}


def upstream_leave_reason(reason: LeftReason) -> UpstreamLeaveReason:
    nearest = _NEAREST.get(reason)
    if nearest is not None:
        return nearest
    value: UpstreamLeaveReason = reason.value  # type: ignore[assignment]  # the others share upstream's names
    return value


class MeetParticipantPayload(BaseModel):
    participantIdentity: str
    participantName: str
    role: Literal["moderator", "speaker"]
    joinDate: int


class MeetParticipantInfo(MeetParticipantPayload):
    audioEnabled: bool
    videoEnabled: bool
    screenSharing: bool


class MeetParticipantDeparture(MeetParticipantPayload):
    leaveDate: int
    durationSeconds: float
    leaveReason: UpstreamLeaveReason


class MeetMeetingInfo(BaseModel):
    roomId: str
    roomName: str
    startDate: int
    participantCount: int
    recordingActive: bool


class ParticipantRoleAction(BaseModel):
    """Body of ``PUT /meetings/{roomId}/participants/{identity}/role``: promote, or undo a promotion."""

    model_config = ConfigDict(strict=True, extra="forbid")

    action: Literal["upgrade", "downgrade"]

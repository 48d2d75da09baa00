"""The room lifecycle rules: what deleting or closing a room does, given its meeting and recordings.

This is OpenVidu Meet's deletion matrix as one pure function, so the REST handlers, the bulk delete,
the auto-deletion scheduler and the meeting-end hook all decide the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from meetdesk.core.models import MeetingEndAction, WithMeeting, WithRecordings


class Step(StrEnum):
    """What the server does to carry out a decision, in order."""

    END_MEETING = "end_meeting"
    DELETE_RECORDINGS = "delete_recordings"
    DELETE_ROOM = "delete_room"
    CLOSE_ROOM = "close_room"
    SCHEDULE = "schedule"


@dataclass(frozen=True)
class DeletionDecision:
    """The outcome of a delete request.

    ``status`` is the HTTP status (200 done, 202 scheduled for the meeting's end, 409 refused), ``code``
    OpenVidu's success or error code, ``steps`` what to do now, ``scheduled`` the action stored on the
    room for the end of its meeting.
    """

    status: int
    code: str
    steps: tuple[Step, ...] = ()
    scheduled: MeetingEndAction = MeetingEndAction.NONE

    @property
    def refused(self) -> bool:
        return self.status == 409


_MESSAGES = {
    "room_deleted": "Room '{room}' deleted successfully",
    "room_with_active_meeting_deleted": "Room '{room}' with active meeting deleted successfully",
    "room_and_recordings_deleted": "Room '{room}' and its recordings deleted successfully",
    "room_closed": "Room '{room}' has been closed instead of deleted because it has recordings",
    "room_with_active_meeting_and_recordings_deleted": (
        "Room '{room}' with active meeting and its recordings deleted successfully"
    ),
    "room_with_active_meeting_closed": (
        "Room '{room}' with active meeting has been closed instead of deleted because it has recordings"
    ),
    "room_with_active_meeting_scheduled_to_be_deleted": (
        "Room '{room}' with active meeting scheduled to be deleted when the meeting ends"
    ),
    "room_with_active_meeting_and_recordings_scheduled_to_be_deleted": (
        "Room '{room}' with active meeting and its recordings scheduled to be deleted when the meeting ends"
    ),
    "room_with_active_meeting_scheduled_to_be_closed": (
        "Room '{room}' with active meeting scheduled to be closed when the meeting ends because it has recordings"
    ),
    "room_has_active_meeting": (
        "Room '{room}' has an active meeting. Use withMeeting=force or withMeeting=when_meeting_ends to delete it"
    ),
    "room_has_recordings": (
        "Room '{room}' has recordings. Use withRecordings=force or withRecordings=close to delete it"
    ),
    "room_with_active_meeting_has_recordings": (
        "Room '{room}' with active meeting has recordings. Use withRecordings=force or withRecordings=close"
    ),
    "room_with_active_meeting_has_recordings_cannot_schedule_deletion": (
        "Room '{room}' with active meeting has recordings: its deletion cannot be scheduled with withRecordings=fail"
    ),
    "room_with_recordings_has_active_meeting": (
        "Room '{room}' with recordings has an active meeting. Use withMeeting=force or withMeeting=when_meeting_ends"
    ),
}


#: every success and error code of a deletion (the codes its answers carry)
DELETION_CODES = frozenset(_MESSAGES)


def describe(code: str, room_id: str) -> str:
    """The sentence that goes with a success or error code."""
    return _MESSAGES[code].format(room=room_id)


def decide_deletion(
    *, has_meeting: bool, has_recordings: bool, with_meeting: WithMeeting, with_recordings: WithRecordings
) -> DeletionDecision:
    """Apply OpenVidu Meet's deletion matrix."""
    end, rec, delete, close = Step.END_MEETING, Step.DELETE_RECORDINGS, Step.DELETE_ROOM, Step.CLOSE_ROOM
    if not has_meeting and not has_recordings:
        return DeletionDecision(200, "room_deleted", (delete,))
    if not has_meeting:
        if with_recordings is WithRecordings.FORCE:
            return DeletionDecision(200, "room_and_recordings_deleted", (rec, delete))
        if with_recordings is WithRecordings.CLOSE:
            return DeletionDecision(200, "room_closed", (close,))
        return DeletionDecision(409, "room_has_recordings")
    if not has_recordings:
        if with_meeting is WithMeeting.FORCE:
            return DeletionDecision(200, "room_with_active_meeting_deleted", (end, delete))
        if with_meeting is WithMeeting.WHEN_MEETING_ENDS:
            return DeletionDecision(
                202, "room_with_active_meeting_scheduled_to_be_deleted", (Step.SCHEDULE,), MeetingEndAction.DELETE
            )
        return DeletionDecision(409, "room_has_active_meeting")
    # An active meeting and recordings.
    if with_meeting is WithMeeting.FAIL:
        return DeletionDecision(409, "room_with_recordings_has_active_meeting")
    if with_meeting is WithMeeting.FORCE:
        if with_recordings is WithRecordings.FORCE:
            return DeletionDecision(200, "room_with_active_meeting_and_recordings_deleted", (end, rec, delete))
        if with_recordings is WithRecordings.CLOSE:
            return DeletionDecision(200, "room_with_active_meeting_closed", (end, close))
        return DeletionDecision(409, "room_with_active_meeting_has_recordings")
    if with_recordings is WithRecordings.FORCE:
        return DeletionDecision(
            202,
            "room_with_active_meeting_and_recordings_scheduled_to_be_deleted",
            (Step.SCHEDULE,),
            MeetingEndAction.DELETE,
        )
    if with_recordings is WithRecordings.CLOSE:
        return DeletionDecision(
            202, "room_with_active_meeting_scheduled_to_be_closed", (Step.SCHEDULE,), MeetingEndAction.CLOSE
        )
    return DeletionDecision(409, "room_with_active_meeting_has_recordings_cannot_schedule_deletion")

"""OpenVidu Meet's deletion matrix, row by row (reference: openvidu-meet.md section 1.7)."""

import pytest

from meetdesk.core.models import MeetingEndAction, WithMeeting, WithRecordings
from meetdesk.core.rooms import Step, decide_deletion, describe

M, R = WithMeeting, WithRecordings

ROWS = [
    # meeting, recordings, withMeeting, withRecordings, status, code
    (False, False, M.FAIL, R.FAIL, 200, "room_deleted"),
    (False, False, M.FORCE, R.FORCE, 200, "room_deleted"),
    (True, False, M.FORCE, R.FAIL, 200, "room_with_active_meeting_deleted"),
    (True, False, M.WHEN_MEETING_ENDS, R.FAIL, 202, "room_with_active_meeting_scheduled_to_be_deleted"),
    (True, False, M.FAIL, R.FORCE, 409, "room_has_active_meeting"),
    (False, True, M.FAIL, R.FORCE, 200, "room_and_recordings_deleted"),
    (False, True, M.FAIL, R.CLOSE, 200, "room_closed"),
    (False, True, M.FORCE, R.FAIL, 409, "room_has_recordings"),
    (True, True, M.FORCE, R.FORCE, 200, "room_with_active_meeting_and_recordings_deleted"),
    (True, True, M.FORCE, R.CLOSE, 200, "room_with_active_meeting_closed"),
    (True, True, M.FORCE, R.FAIL, 409, "room_with_active_meeting_has_recordings"),
    (True, True, M.WHEN_MEETING_ENDS, R.FORCE, 202, "room_with_active_meeting_and_recordings_scheduled_to_be_deleted"),
    (True, True, M.WHEN_MEETING_ENDS, R.CLOSE, 202, "room_with_active_meeting_scheduled_to_be_closed"),
    (True, True, M.WHEN_MEETING_ENDS, R.FAIL, 409, "room_with_active_meeting_has_recordings_cannot_schedule_deletion"),
    (True, True, M.FAIL, R.FORCE, 409, "room_with_recordings_has_active_meeting"),
    (True, True, M.FAIL, R.FAIL, 409, "room_with_recordings_has_active_meeting"),
]


@pytest.mark.parametrize(("meeting", "recordings", "with_meeting", "with_recordings", "status", "code"), ROWS)
def test_matrix_row(
    meeting: bool, recordings: bool, with_meeting: M, with_recordings: R, status: int, code: str
) -> None:
    decision = decide_deletion(
        has_meeting=meeting, has_recordings=recordings, with_meeting=with_meeting, with_recordings=with_recordings
    )
    assert (decision.status, decision.code) == (status, code)
    assert "{room}" not in describe(code, "r-1") and "r-1" in describe(code, "r-1")


def test_refusals_change_nothing_and_schedules_only_schedule() -> None:
    for meeting, recordings, with_meeting, with_recordings, status, _ in ROWS:
        decision = decide_deletion(
            has_meeting=meeting, has_recordings=recordings, with_meeting=with_meeting, with_recordings=with_recordings
        )
        if status == 409:
            assert decision.steps == () and decision.refused
        elif status == 202:
            assert decision.steps == (Step.SCHEDULE,) and decision.scheduled is not MeetingEndAction.NONE
        else:
            assert Step.SCHEDULE not in decision.steps
            assert (Step.END_MEETING in decision.steps) == meeting


def test_scheduled_action_matches_code() -> None:
    close = decide_deletion(
        has_meeting=True, has_recordings=True, with_meeting=M.WHEN_MEETING_ENDS, with_recordings=R.CLOSE
    )
    assert close.scheduled is MeetingEndAction.CLOSE
    delete = decide_deletion(
        has_meeting=True, has_recordings=False, with_meeting=M.WHEN_MEETING_ENDS, with_recordings=R.CLOSE
    )
    assert delete.scheduled is MeetingEndAction.DELETE

"""Room limits' pure rules (core/limits.py) and the leave reasons upstream's webhooks know (core/meetings.py)."""

from __future__ import annotations

import pytest

from meetdesk.core.limits import is_full, warnings_due
from meetdesk.core.meetings import upstream_leave_reason
from meetdesk.core.signalling import LeftReason


@pytest.mark.parametrize(
    ("limit", "warnings"),
    [(1, []), (2, [1]), (5, [1]), (6, [5, 1]), (1440, [5, 1])],
)
def test_warnings_due(limit: int, warnings: list[int]) -> None:
    assert warnings_due(limit) == warnings


@pytest.mark.parametrize(
    ("people", "limit", "full"),
    [(0, None, False), (100, None, False), (0, 1, False), (1, 1, True), (1, 2, False), (2, 2, True)],
)
def test_is_full(people: int, limit: int | None, full: bool) -> None:
    assert is_full(people, limit) is full


@pytest.mark.parametrize(
    ("reason", "upstream"),
    [
        (LeftReason.VOLUNTARY_LEAVE, "voluntary_leave"),
        (LeftReason.PARTICIPANT_KICKED, "participant_kicked"),
        (LeftReason.MEETING_ENDED_BY_SELF, "meeting_ended_by_self"),
        (LeftReason.NETWORK_DISCONNECT, "network_disconnect"),
        (LeftReason.ROOM_DELETED, "meeting_ended"),  # MeetDesk's own reasons: the nearest of upstream's
        (LeftReason.MAX_DURATION_REACHED, "meeting_ended"),
        (LeftReason.UNKNOWN, "unknown"),
    ],
)
def test_upstream_leave_reason(reason: LeftReason, upstream: str) -> None:
    assert upstream_leave_reason(reason) == upstream

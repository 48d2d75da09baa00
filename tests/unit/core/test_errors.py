"""Error codes are values: one table gives each code its HTTP status and body, every error class has its code,
and the client tells a missing room in a bulk deletion by code, not by the words of upstream's body."""

from __future__ import annotations

import pytest

from meetdesk.client.links import NotARoomLink, parse_room_link
from meetdesk.client.results import BulkDeletionFailure
from meetdesk.core import errors
from meetdesk.core.errors import ERRORS, ErrorCode


def test_every_code_has_a_status_and_a_body() -> None:
    assert set(ERRORS) == set(ErrorCode)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (errors.BadRequest("x"), 400, "Bad Request"),
        (errors.BadRequest("x", code=ErrorCode.INVALID_SDP), 400, "Bad Request"),
        (errors.Unauthorized("x"), 401, "Authentication Error"),
        (errors.Forbidden("x", code=ErrorCode.PERMISSION_DENIED), 403, "Authorization Error"),
        (errors.Forbidden("x", error="Room Error", code=ErrorCode.LINK_DISABLED), 403, "Room Error"),
        (errors.room_not_found("r"), 404, "Room Error"),
        (errors.RoomClosed("x", error="Room Error"), 409, "Room Error"),
        (errors.MeetingFull("x"), 409, "Conflict"),
        (errors.ValidationFailed.one("f", "m"), 422, "Unprocessable Entity"),
        (errors.TooManyRequests("x", retry_after=1), 429, "Too Many Requests"),
        (errors.Unavailable("x"), 503, "Service Unavailable"),
    ],
)
def test_status_and_body_come_from_the_code(error: errors.MeetDeskError, status: int, body: str) -> None:
    assert (error.status, error.error) == (status, body)


def test_a_missing_room_in_a_bulk_deletion_is_told_by_code() -> None:
    missing = BulkDeletionFailure(roomId="r", error="Room Error", message="Room 'r' does not exist")
    refused = BulkDeletionFailure(roomId="s", error="room_has_active_meeting", message="…")
    assert (missing.code, refused.code) == ("room_not_found", "room_has_active_meeting")


def test_a_link_without_its_secret_says_so_by_a_flag() -> None:
    with pytest.raises(NotARoomLink) as missing:
        parse_room_link("http://127.0.0.1:6080/room/team-1")
    assert missing.value.missing_secret
    with pytest.raises(NotARoomLink) as other:
        parse_room_link("ftp://nowhere")
    assert not other.value.missing_secret

"""Error codes are values: one table gives each code its HTTP status and body, every error class has its code,
and the client tells a missing room in a bulk deletion by code, not by the words of upstream's body."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from meetdesk.client.links import NotARoomLink, parse_room_link
from meetdesk.client.results import BulkDeletionFailure
from meetdesk.core import errors
from meetdesk.core.errors import ERRORS, ErrorCode
from meetdesk.core.signalling import SERVER_MESSAGE, ErrorMessage


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


@pytest.mark.parametrize(
    ("code", "sent"),
    [
        # the signalling protocol's codes are core's codes, sent as their values
        (ErrorCode.MALFORMED, "malformed"),
        (ErrorCode.UNKNOWN_TYPE, "unknown_type"),
        (ErrorCode.NOT_JOINED, "not_joined"),
        (ErrorCode.TOO_MANY_REQUESTS, "rate_limited"),
        (ErrorCode.PAYLOAD_TOO_LARGE, "too_large"),
        (ErrorCode.CHAT_DISABLED, "chat_disabled"),
        (ErrorCode.TIMEOUT, "timeout"),
        (ErrorCode.MEETING_FULL, "meeting_full"),
        (ErrorCode.ROOM_CLOSED, "room_closed"),
        (ErrorCode.INVALID_SDP, "invalid_sdp"),
        # a narrower code goes out as the socket's broader one (the table's ``socket`` column)
        (ErrorCode.PERMISSION_DENIED, "forbidden"),
        (ErrorCode.LINK_DISABLED, "forbidden"),
        (ErrorCode.ROOM_NOT_FOUND, "not_found"),
        (ErrorCode.CONFLICT, "bad_state"),
        (ErrorCode.VALIDATION_FAILED, "malformed"),
    ],
)
def test_the_socket_sends_codes_from_the_same_table(code: ErrorCode, sent: str) -> None:
    message = ErrorMessage(code=errors.socket_code(code), message="x")
    assert json.loads(message.model_dump_json())["code"] == sent
    assert SERVER_MESSAGE.validate_json(message.model_dump_json()) == message


def test_a_code_outside_the_list_is_not_an_error_message() -> None:
    with pytest.raises(ValidationError):
        SERVER_MESSAGE.validate_json('{"v": 1, "type": "error", "code": "oops", "message": "x"}')

"""Domain errors: what went wrong, in words a caller can act on.

Each error carries an :class:`ErrorCode`, mapped to its HTTP status and body in one table (:data:`ERRORS`,
which ``meetdesk.server.errors`` answers from); code decides on codes and classes, never on an error's
words. The client library raises the mirror classes of ``meetdesk.client.api`` from the same error bodies.
The same codes are the signalling protocol's (``ErrorMessage.code`` in ``meetdesk.core.signalling`` is an
:class:`ErrorCode`, sent as its value): one list of what can go wrong, over HTTP and over the socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class FieldProblem:
    """One bad field of a request: ``{"field": ..., "message": ...}`` in an error body."""

    field: str
    message: str


class ErrorCode(StrEnum):
    """What went wrong, as a value: code matches on these, never on an error's words. The values are what
    the signalling socket sends (``ErrorMessage.code``); over HTTP a code answers with its :data:`ERRORS` row."""

    BAD_REQUEST = "bad_request"
    INVALID_SDP = "invalid_sdp"
    VALIDATION_FAILED = "validation_failed"
    #: a signalling message that does not parse as the protocol's (or a binary frame)
    MALFORMED = "malformed"
    #: a signalling message whose ``type`` the protocol does not have
    UNKNOWN_TYPE = "unknown_type"
    UNAUTHORIZED = "unauthorized"
    #: a signalling message other than ``join`` before joining, or no ``join`` in time
    NOT_JOINED = "not_joined"
    FORBIDDEN = "forbidden"
    #: the caller's role may not do this in the room (``core.permissions``)
    PERMISSION_DENIED = "permission_denied"
    #: a room link the room's admin turned off (``core.access``)
    LINK_DISABLED = "link_disabled"
    #: the room's chat is turned off (config.chat.enabled)
    CHAT_DISABLED = "chat_disabled"
    NOT_FOUND = "not_found"
    ROOM_NOT_FOUND = "room_not_found"
    CONFLICT = "conflict"
    #: a request the meeting's state does not allow now (a second ``join``, an answer to no offer...)
    BAD_STATE = "bad_state"
    ROOM_CLOSED = "room_closed"
    MEETING_FULL = "meeting_full"
    PAYLOAD_TOO_LARGE = "too_large"
    TOO_MANY_REQUESTS = "rate_limited"
    #: the other side did not answer in time (a subscribe offer left unanswered is withdrawn)
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


@dataclass(frozen=True)
class ErrorKind:
    """How an error code answers: over HTTP its status and the ``error`` of its body (OpenVidu Meet's words);
    on the signalling socket the code it is sent as, when that is a broader one (``socket``; None: itself)."""

    status: int
    error: str
    socket: ErrorCode | None = None


#: Every code's status and body, and the code the socket sends for it: the one table the server answers from
#: (``meetdesk.server.errors`` over HTTP, ``meetdesk.server.api.signalling`` on the socket).
ERRORS: dict[ErrorCode, ErrorKind] = {
    ErrorCode.BAD_REQUEST: ErrorKind(400, "Bad Request", socket=ErrorCode.BAD_STATE),
    ErrorCode.INVALID_SDP: ErrorKind(400, "Bad Request"),
    ErrorCode.VALIDATION_FAILED: ErrorKind(422, "Unprocessable Entity", socket=ErrorCode.MALFORMED),
    ErrorCode.MALFORMED: ErrorKind(400, "Bad Request"),
    ErrorCode.UNKNOWN_TYPE: ErrorKind(400, "Bad Request"),
    ErrorCode.UNAUTHORIZED: ErrorKind(401, "Authentication Error"),
    ErrorCode.NOT_JOINED: ErrorKind(401, "Authentication Error"),
    ErrorCode.FORBIDDEN: ErrorKind(403, "Authorization Error"),
    ErrorCode.PERMISSION_DENIED: ErrorKind(403, "Authorization Error", socket=ErrorCode.FORBIDDEN),
    ErrorCode.LINK_DISABLED: ErrorKind(403, "Room Error", socket=ErrorCode.FORBIDDEN),
    ErrorCode.CHAT_DISABLED: ErrorKind(403, "Authorization Error"),
    ErrorCode.NOT_FOUND: ErrorKind(404, "Not Found"),
    ErrorCode.ROOM_NOT_FOUND: ErrorKind(404, "Room Error", socket=ErrorCode.NOT_FOUND),
    ErrorCode.CONFLICT: ErrorKind(409, "Conflict", socket=ErrorCode.BAD_STATE),
    ErrorCode.BAD_STATE: ErrorKind(409, "Conflict"),
    ErrorCode.ROOM_CLOSED: ErrorKind(409, "Conflict"),
    ErrorCode.MEETING_FULL: ErrorKind(409, "Conflict"),
    ErrorCode.PAYLOAD_TOO_LARGE: ErrorKind(413, "Payload Too Large"),
    ErrorCode.TOO_MANY_REQUESTS: ErrorKind(429, "Too Many Requests"),
    ErrorCode.TIMEOUT: ErrorKind(408, "Request Timeout"),
    ErrorCode.UNAVAILABLE: ErrorKind(503, "Service Unavailable", socket=ErrorCode.BAD_STATE),
    ErrorCode.INTERNAL: ErrorKind(500, "Internal Server Error", socket=ErrorCode.BAD_STATE),
}


def socket_code(code: ErrorCode) -> ErrorCode:
    """The code the signalling socket sends for ``code`` (``forbidden`` for a permission refused, ...)."""
    return ERRORS[code].socket or code


class MeetDeskError(Exception):
    """Base of every error a request can end with: ``code`` says what it is (its status and the body's
    ``error`` come from :data:`ERRORS`; ``error=`` overrides the body's words where upstream has its own,
    such as "Room Error"), ``message`` is the sentence."""

    code = ErrorCode.INTERNAL

    def __init__(self, message: str, *, error: str | None = None, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.error = error if error is not None else ERRORS[self.code].error

    @property
    def status(self) -> int:
        return ERRORS[self.code].status


class BadRequest(MeetDeskError):
    code = ErrorCode.BAD_REQUEST


class ValidationFailed(MeetDeskError):
    """A request that parsed but whose fields are wrong; one :class:`FieldProblem` per bad field."""

    code = ErrorCode.VALIDATION_FAILED

    def __init__(self, details: list[FieldProblem], message: str = "Invalid request") -> None:
        super().__init__(message)
        self.details = details

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, message)])


class Unauthorized(MeetDeskError):
    code = ErrorCode.UNAUTHORIZED


class Forbidden(MeetDeskError):
    code = ErrorCode.FORBIDDEN


class NotFound(MeetDeskError):
    code = ErrorCode.NOT_FOUND


class Conflict(MeetDeskError):
    """A request that is valid but clashes with the current state (a closed room, an active meeting...)."""

    code = ErrorCode.CONFLICT


class RoomClosed(Conflict):
    """The room is closed (or its meeting locked): nobody new may join."""

    code = ErrorCode.ROOM_CLOSED


class MeetingFull(Conflict):
    """The meeting has as many participants as its room's ``maxParticipants``: nobody more may join."""

    code = ErrorCode.MEETING_FULL


class PayloadTooLarge(MeetDeskError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class TooManyRequests(MeetDeskError):
    code = ErrorCode.TOO_MANY_REQUESTS

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(MeetDeskError):
    code = ErrorCode.UNAVAILABLE


def room_not_found(room_id: str) -> NotFound:
    return NotFound(f"Room '{room_id}' does not exist", code=ErrorCode.ROOM_NOT_FOUND)

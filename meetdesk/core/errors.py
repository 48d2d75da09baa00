"""Domain errors: what went wrong, in words a caller can act on.

The server maps each class to an HTTP status in one table (``meetdesk.server.errors``); the client
library raises the mirror classes of ``meetdesk.client.api`` from the same error bodies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One bad field of a request: ``{"field": ..., "message": ...}`` in an error body."""

    field: str
    message: str


class MeetDeskError(Exception):
    """Base of every error a request can end with. ``error`` is the short kind, ``message`` the sentence."""

    error = "Internal Server Error"

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error is not None:
            self.error = error


class BadRequest(MeetDeskError):
    error = "Bad Request"


class ValidationFailed(MeetDeskError):
    """A request that parsed but whose fields are wrong; one :class:`FieldProblem` per bad field."""

    error = "Unprocessable Entity"

    def __init__(self, details: list[FieldProblem], message: str = "Invalid request") -> None:
        super().__init__(message)
        self.details = details

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, message)])


class Unauthorized(MeetDeskError):
    error = "Authentication Error"


class Forbidden(MeetDeskError):
    error = "Authorization Error"


class NotFound(MeetDeskError):
    error = "Not Found"


class Conflict(MeetDeskError):
    """A request that is valid but clashes with the current state (a closed room, an active meeting...)."""

    error = "Conflict"


class RoomClosed(Conflict):
    """The room is closed (or its meeting locked): nobody new may join."""


class MeetingFull(Conflict):
    """The meeting has as many participants as its room's ``maxParticipants``: nobody more may join."""


class PayloadTooLarge(MeetDeskError):
    error = "Payload Too Large"


class TooManyRequests(MeetDeskError):
    error = "Too Many Requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(MeetDeskError):
    error = "Service Unavailable"


def room_not_found(room_id: str) -> NotFound:
    return NotFound(f"Room '{room_id}' does not exist", error="Room Error")

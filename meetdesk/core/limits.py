"""Room limits (OpenVidu Meet 3.9): how many may be in a meeting, how long it may last, and the media
state participants join with.

``maxParticipants`` (1–30) and ``maxDurationMinutes`` (1–1440) are ``null`` for no limit; a config update
that omits one keeps it, and ``null`` lifts it. ``initialAudioEnabled`` / ``initialVideoEnabled`` are
the room's default for the microphone and the camera on joining (a default, not a permission: the
participant may turn them on). Validation messages are upstream's sentences.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

MAX_PARTICIPANTS_LIMIT = 30
MAX_DURATION_MINUTES_LIMIT = 1440
#: minutes before a duration limit at which everyone in the meeting is warned
WARNING_MINUTES = (5, 1)
#: the room config's limit fields that are scalars at its top level (merged by presence in a patch)
LIMIT_FIELDS = ("maxParticipants", "maxDurationMinutes", "initialAudioEnabled", "initialVideoEnabled")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("not_number", "Must be a number")
    if isinstance(value, float) and not value.is_integer():
        raise PydanticCustomError("not_integer", "Must be an integer")
    return int(value)


def check_max_participants(value: Any) -> int | None:
    """``null`` (no limit) or a whole number from 1 to :data:`MAX_PARTICIPANTS_LIMIT`."""
    if value is None:
        return None
    number = _integer(value)
    if number < 1:
        raise PydanticCustomError("too_few", "Must allow at least one participant")
    if number > MAX_PARTICIPANTS_LIMIT:
        raise PydanticCustomError("too_many", f"Must not exceed {MAX_PARTICIPANTS_LIMIT} participants")
    return number


def check_max_duration(value: Any) -> int | None:
    """``null`` (no limit) or a whole number of minutes from 1 to :data:`MAX_DURATION_MINUTES_LIMIT`."""
    if value is None:
        return None
    number = _integer(value)
    if number < 1:
        raise PydanticCustomError("too_short", "Must last at least one minute")
    if number > MAX_DURATION_MINUTES_LIMIT:
        raise PydanticCustomError("too_long", f"Must not exceed {MAX_DURATION_MINUTES_LIMIT} minutes")
    return number


def check_initial_state(value: Any) -> bool:
    """A plain boolean: ``false`` is the explicit "off" (there is no ``null`` spelling, as upstream)."""
    if not isinstance(value, bool):
        raise PydanticCustomError("not_bool", "Must be a boolean")
    return value


def is_full(people: int, max_participants: int | None) -> bool:
    """Whether a meeting with ``people`` in it admits nobody more."""
    return max_participants is not None and people >= max_participants


def warnings_due(limit_minutes: int) -> list[int]:
    """The warnings a meeting limited to ``limit_minutes`` gets, as minutes left (a 3-minute meeting is
    warned once, at 1 minute left; a 1-minute meeting shows its end time from the start instead)."""
    return [minutes for minutes in WARNING_MINUTES if minutes < limit_minutes]


MaxParticipants = Annotated[
    Annotated[int, Field(ge=1, le=MAX_PARTICIPANTS_LIMIT)] | None, BeforeValidator(check_max_participants)
]
MaxDuration = Annotated[
    Annotated[int, Field(ge=1, le=MAX_DURATION_MINUTES_LIMIT)] | None, BeforeValidator(check_max_duration)
]
InitialState = Annotated[bool, BeforeValidator(check_initial_state)]
#: in a config update: None when omitted, and ``null`` sent is refused (the check runs on every value sent)
InitialStateUpdate = Annotated[bool | None, BeforeValidator(check_initial_state)]

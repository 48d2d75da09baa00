"""Recordings as OpenVidu Meet describes them: the MeetRecording model, its statuses, its id and file name.

A recording id is ``{roomId}--EG_{egress}--{uid}`` (upstream's egress id keeps its ``EG_`` prefix) and its file
``{roomId}--{uid}.mp4``: both are made here from the room id and random parts, never from user input, and an
id that does not have this shape is refused (:func:`parse_recording_id`, a 422 at the API).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict


class RecordingStatus(StrEnum):
    STARTING = "starting"
    ACTIVE = "active"
    ENDING = "ending"
    COMPLETE = "complete"
    FAILED = "failed"
    ABORTED = "aborted"
    LIMIT_REACHED = "limit_reached"


#: A room has at most one recording in these (and it may not be deleted while it is).
IN_PROGRESS: Final = frozenset({RecordingStatus.STARTING, RecordingStatus.ACTIVE, RecordingStatus.ENDING})
#: Where a recording ends up; nothing leaves these.
FINAL: Final = frozenset(
    {RecordingStatus.COMPLETE, RecordingStatus.FAILED, RecordingStatus.ABORTED, RecordingStatus.LIMIT_REACHED}
)
#: The moves a recording may make: starting → active → ending → complete, or to failed/aborted/limit_reached.
TRANSITIONS: Final[dict[RecordingStatus, frozenset[RecordingStatus]]] = {
    RecordingStatus.STARTING: frozenset({RecordingStatus.ACTIVE, RecordingStatus.FAILED, RecordingStatus.ABORTED}),
    RecordingStatus.ACTIVE: frozenset(
        {RecordingStatus.ENDING, RecordingStatus.FAILED, RecordingStatus.ABORTED, RecordingStatus.LIMIT_REACHED}
    ),
    RecordingStatus.ENDING: frozenset(
        {RecordingStatus.COMPLETE, RecordingStatus.FAILED, RecordingStatus.ABORTED, RecordingStatus.LIMIT_REACHED}
    ),
    **{status: frozenset() for status in FINAL},
}

DEFAULT_LAYOUT: Final = "grid"
DEFAULT_ENCODING: Final = "H264_720P_30"

_ALPHABET = string.ascii_letters + string.digits
_RECORDING_ID = re.compile(
    r"(?P<room>[A-Za-z0-9_-]{1,100})--(?P<egress>EG_[A-Za-z0-9]{1,40})--(?P<uid>[A-Za-z0-9]{1,40})"
)


class RecordingIdError(ValueError):
    """A recording id that is not ``{roomId}--EG_{…}--{uid}``."""


@dataclass(frozen=True, slots=True)
class RecordingId:
    room_id: str
    egress_id: str
    uid: str

    def __str__(self) -> str:
        return f"{self.room_id}--{self.egress_id}--{self.uid}"

    @property
    def filename(self) -> str:
        """The recording's file: ``{roomId}--{uid}.mp4``."""
        return f"{self.room_id}--{self.uid}.mp4"


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_recording_id(room_id: str) -> RecordingId:
    """A fresh id for a recording of ``room_id`` (a room id is ``[A-Za-z0-9_-]`` already)."""
    recording_id = RecordingId(room_id, f"EG_{_random(12)}", _random(5))
    parse_recording_id(str(recording_id))  # a room id from elsewhere must not make an id that cannot be read back
    return recording_id


def parse_recording_id(value: str) -> RecordingId:
    """The parts of ``value``; :class:`RecordingIdError` unless it is ``{roomId}--EG_{…}--{uid}``."""
    match = _RECORDING_ID.fullmatch(value)
    if match is None:
        raise RecordingIdError(f"Invalid recording ID format: '{value}'")
    return RecordingId(match["room"], match["egress"], match["uid"])


def check_transition(current: RecordingStatus, new: RecordingStatus) -> None:
    """ValueError unless a recording in ``current`` may move to ``new``."""
    if new not in TRANSITIONS[current]:
        raise ValueError(f"a recording cannot go from {current.value} to {new.value}")


class MeetRecording(BaseModel):
    """A recording as the API shows it (OpenVidu Meet's ``MeetRecording``); ``duration`` in seconds."""

    model_config = ConfigDict(frozen=True)

    recordingId: str
    roomId: str
    roomName: str
    status: RecordingStatus
    filename: str
    startDate: int
    endDate: int | None = None
    duration: float | None = None
    size: int | None = None
    layout: str = DEFAULT_LAYOUT
    encoding: str | dict[str, Any] = DEFAULT_ENCODING
    errorCode: int | None = None
    error: str | None = None
    details: str | None = None

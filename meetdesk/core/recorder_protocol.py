"""What the server and the composite recorder process tell each other, as typed models.

The server starts ``python -m meetdesk.recorder <recording dir>`` with a :class:`RecorderJob` in
``<recording dir>/job.json``; while the room records, it appends a :class:`RosterEntry` to ``roster.jsonl``
whenever who is in the meeting (their name, camera, screen share) changes. It stops the recorder with a
:class:`StopCommand` line on the recorder's standard input, and the recorder answers with one
:class:`RecorderResult` line on its standard output before it exits. A live recorder first prints one
:class:`RecorderStarted` line once its job is loaded and its encoding checked: the server counts the
recording as started (``active``) then, and refuses the start if that line does not come in time. Times are
seconds on the recording's clock (``time.monotonic()`` minus :attr:`RecorderJob.origin`: the same clock in
every process of the machine).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

JOB_FILE: Final = "job.json"
ROSTER_FILE: Final = "roster.jsonl"
RECORDER_LOG: Final = "recorder.log"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecorderJob(_Model):
    """One composite to make: from the tracks in ``tracks`` (a directory a capture writes) to ``output``."""

    tracks: str
    output: str
    #: ``time.monotonic()`` when the capture started (the recording's time zero)
    origin: float
    layout: Literal["grid", "speaker", "single-speaker"]
    #: a preset name or the advanced object, as the room's ``recording.encoding`` has it
    encoding: str | dict[str, Any]


class RosterParticipant(_Model):
    identity: str
    name: str
    camera: bool
    screen: bool


class RosterEntry(_Model):
    """Who is in the meeting from ``t`` on, in the order they joined."""

    t: float
    participants: list[RosterParticipant]


class RecorderStarted(_Model):
    """The live recorder has its job and its output: the recording runs."""

    type: Literal["started"] = "started"


class StopCommand(_Model):
    """End the composite at ``end`` (the capture is closed: every track file is complete)."""

    type: Literal["stop"] = "stop"
    end: float


class RecorderResult(_Model):
    """What the recorder made: ``duration`` seconds of video (and audio) in ``size`` bytes."""

    duration: float
    size: int
    frames: int
    #: why it ended: stopped (the server's stop), finished (every track at its end, in repair), abandoned
    #: (the server went away, or the recorder was told to quit): the file plays up to its last fragment
    ended: Literal["stopped", "finished", "abandoned"]

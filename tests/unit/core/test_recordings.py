"""Recording ids, file names and the status machine (OpenVidu Meet's MeetRecording rules)."""

from __future__ import annotations

import pytest

from meetdesk.core.recordings import (
    FINAL,
    RecordingIdError,
    RecordingStatus,
    check_transition,
    new_recording_id,
    parse_recording_id,
)


def test_a_new_id_is_room_egress_uid_and_names_its_file() -> None:
    recording_id = new_recording_id("daily_standup-Ab3dE")
    text = str(recording_id)
    assert text.startswith("daily_standup-Ab3dE--EG_")
    assert parse_recording_id(text) == recording_id
    assert recording_id.filename == f"daily_standup-Ab3dE--{recording_id.uid}.mp4"
    assert new_recording_id("daily_standup-Ab3dE") != recording_id


@pytest.mark.parametrize(
    "value",
    [
        "",
        "room",
        "room--XYZ--ab",
        "room--EG_--ab",
        "room--EG_a--",
        "../etc--EG_a--b",
        "room--EG_a--b.mp4",
        "r--EG_a--b\n",
    ],
)
def test_an_id_of_another_shape_is_refused(value: str) -> None:
    with pytest.raises(RecordingIdError, match="Invalid recording ID format"):
        parse_recording_id(value)


def test_upstreams_example_id_is_read() -> None:
    parsed = parse_recording_id("room-123--EG_XYZ--XX445")
    assert (parsed.room_id, parsed.egress_id, parsed.uid) == ("room-123", "EG_XYZ", "XX445")
    assert parsed.filename == "room-123--XX445.mp4"


def test_the_status_machine_goes_forward_only() -> None:
    check_transition(RecordingStatus.STARTING, RecordingStatus.ACTIVE)
    check_transition(RecordingStatus.ACTIVE, RecordingStatus.ENDING)
    check_transition(RecordingStatus.ENDING, RecordingStatus.COMPLETE)
    check_transition(RecordingStatus.ACTIVE, RecordingStatus.LIMIT_REACHED)
    for current, new in [
        (RecordingStatus.ACTIVE, RecordingStatus.STARTING),
        (RecordingStatus.STARTING, RecordingStatus.COMPLETE),
        (RecordingStatus.STARTING, RecordingStatus.ENDING),
        *[(final, RecordingStatus.ACTIVE) for final in FINAL],
    ]:
        with pytest.raises(ValueError, match="cannot go from"):
            check_transition(current, new)

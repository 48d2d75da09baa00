"""The recording view's list merging the server's first page into the rows shown (narrow: no server, the pages
given as the server answers them): new recordings come in where the server puts them, changed ones change in
place, deleted ones go, and nothing is reset (a highlighted row stays highlighted)."""

from __future__ import annotations

from meetdesk.core.recordings import MeetRecording, RecordingStatus
from meetdesk.ui.meeting.recording_view_model import RoomRecordingsModel
from meetdesk.ui.recordings.model import COL_STATUS
from tests.ui.helpers import emitted


def recording(uid: str, status: RecordingStatus = RecordingStatus.COMPLETE, start: int = 0) -> MeetRecording:
    return MeetRecording(
        recordingId=f"room--EG_abc--{uid}",
        roomId="room",
        roomName="Room",
        status=status,
        filename=f"room--{uid}.mp4",
        startDate=start,
    )


def shown(model: RoomRecordingsModel) -> list[tuple[str, str]]:
    return [
        (r.recordingId.rsplit("--", 1)[1], model.data(model.index(row, COL_STATUS)))
        for row, r in enumerate(model.recordings)
    ]


async def test_merging_a_page_inserts_changes_and_removes_rows_without_a_reset() -> None:
    model = RoomRecordingsModel()
    model.merge([recording("b", start=2), recording("a", start=1)], whole=True)
    assert shown(model) == [("b", "Ready"), ("a", "Ready")]
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    inserted = emitted(model.rowsInserted)

    # a new recording, newest first as the server sorts them
    model.merge(
        [recording("c", RecordingStatus.ACTIVE, 3), recording("b", start=2), recording("a", start=1)], whole=True
    )
    assert inserted.done() and inserted.result()[1:] == (0, 0)
    assert shown(model) == [("c", "Recording…"), ("b", "Ready"), ("a", "Ready")]

    # it moves on; another is deleted elsewhere
    changed = emitted(model.recordingChanged)
    model.merge([recording("c", RecordingStatus.ENDING, 3), recording("b", start=2)], whole=True)
    assert changed.done() and changed.result() == ("room--EG_abc--c",)
    assert shown(model) == [("c", "Finishing…"), ("b", "Ready")]

    # a truncated first page says nothing of the rows after it: they stay
    model.merge([recording("c", RecordingStatus.COMPLETE, 3)], whole=False)
    assert shown(model) == [("c", "Ready"), ("b", "Ready")]
    assert not resets


async def test_a_failed_recording_says_why() -> None:
    model = RoomRecordingsModel()
    failed = recording("f", RecordingStatus.FAILED).model_copy(update={"error": "The recorder stopped."})
    model.merge([failed], whole=True)
    assert shown(model) == [("f", "Failed: The recorder stopped")]

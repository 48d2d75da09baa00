"""The delete dialog: plain words for every code of the deletion matrix, and single and bulk deletes against a
real server process, with live meetings and recordings, shown room by room."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QDialog, QDialogButtonBox, QRadioButton
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.signalling import SignallingClient
from meetdesk.core.models import MeetingEndAction, MeetRoom, RoomStatus, WithMeeting, WithRecordings, now_ms
from meetdesk.core.rooms import Step, decide_deletion
from meetdesk.server.store.db import Database, sqlite_url
from meetdesk.server.store.recordings import RecordingRecord, RecordingStore
from meetdesk.ui.admin.delete_dialog import (
    _CODES,
    DeleteRoomsDialog,
    Outcome,
    OutcomeKind,
    OutcomeModel,
    describe_outcome,
)
from tests.conftest import ServerProcess
from tests.ui.conftest import wait_until
from tests.ui.helpers import click_box, clipped_texts, emitted, fits_window, hold_meeting, shoot

# --- what each code means ------------------------------------------------------------------------

MATRIX = list(itertools.product([False, True], [False, True], WithMeeting, WithRecordings))


@pytest.mark.parametrize(("has_meeting", "has_recordings", "with_meeting", "with_recordings"), MATRIX)
def test_every_code_of_the_deletion_matrix_has_plain_words(
    has_meeting: bool, has_recordings: bool, with_meeting: WithMeeting, with_recordings: WithRecordings
) -> None:
    decision = decide_deletion(
        has_meeting=has_meeting,
        has_recordings=has_recordings,
        with_meeting=with_meeting,
        with_recordings=with_recordings,
    )
    kind, text = describe_outcome(decision.code, "server sentence")
    assert decision.code in _CODES and "server sentence" not in text
    if decision.refused:
        assert kind is OutcomeKind.REFUSED and text.startswith("Not deleted")
    elif decision.status == 202:
        assert kind is OutcomeKind.SCHEDULED and text.startswith("Will be")
        assert "closed" in text if decision.scheduled is MeetingEndAction.CLOSE else "deleted" in text
    elif Step.CLOSE_ROOM in decision.steps:
        assert kind is OutcomeKind.CLOSED and "recordings" in text
    else:
        assert kind is OutcomeKind.DELETED and "eleted" in text
    if Step.END_MEETING in decision.steps:
        assert text.startswith("Meeting ended")


def test_no_words_for_codes_the_matrix_cannot_give() -> None:
    codes = {
        decide_deletion(has_meeting=m, has_recordings=r, with_meeting=wm, with_recordings=wr).code
        for m, r, wm, wr in MATRIX
    }
    assert set(_CODES) - codes == {"room_not_found"}  # the bulk delete's unknown room


def test_an_unknown_code_is_a_failure_in_the_servers_words() -> None:
    assert describe_outcome("room_on_fire", "Room 'x' is on fire") == (
        OutcomeKind.FAILED,
        "Not deleted: Room 'x' is on fire",
    )


def test_outcome_kinds_look_different_in_the_table(qtbot: QtBot) -> None:
    model = OutcomeModel()
    codes = ["room_deleted", "room_closed", "room_with_active_meeting_scheduled_to_be_deleted", "room_has_recordings"]
    model.set_outcomes([Outcome.of(f"r{i}", f"Room {i}", code, "msg") for i, code in enumerate([*codes, "x"])])
    tints = {model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole).name() for row in range(5)}
    assert len(tints) == 5
    assert model.data(model.index(0, OutcomeModel.OUTCOME), Qt.ItemDataRole.ToolTipRole) == "msg"
    assert not model.data(model.index(0, OutcomeModel.OUTCOME), Qt.ItemDataRole.DecorationRole).isNull()


# --- against a server ----------------------------------------------------------------------------


async def add_recording(server: ServerProcess, room: MeetRoom) -> None:
    """There is no recording API yet: store a finished recording the way the recorder will, in the server's
    own database (SQLite in WAL mode takes a second writer)."""
    db = await Database.open(sqlite_url(server.data_dir))
    try:
        recording = RecordingRecord(f"{room.roomId}--EG_ui--r1", room.roomId, "Meeting", "complete", now_ms())
        await RecordingStore(db).add(recording)
    finally:
        await db.close()


def dialog_for(qtbot: QtBot, client: MeetDeskClient, rooms: list[MeetRoom]) -> DeleteRoomsDialog:
    dialog = DeleteRoomsDialog(client, rooms)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def table(dialog: DeleteRoomsDialog) -> list[tuple[str, str, str]]:
    model = dialog.ui.outcomeTable.model()
    return [
        tuple(str(model.index(row, column).data()) for column in range(3))  # type: ignore[misc]
        for row in range(model.rowCount())
    ]


@pytest.fixture
async def rooms(client: MeetDeskClient, server_process: ServerProcess) -> AsyncIterator[dict[str, MeetRoom]]:
    """A plain room, one with a live meeting, one with recordings, and one deleted behind the dialog's back."""
    made = {name: await client.create_room({"roomName": name}) for name in ("Plain", "Live", "Recorded", "Gone")}
    await add_recording(server_process, made["Recorded"])
    peer: SignallingClient = await hold_meeting(client, made["Live"])
    await client.delete_room(made["Gone"].roomId)
    yield made
    await peer.close()


def test_policies_default_to_fail_fail_and_every_control_is_named(qtbot: QtBot) -> None:
    dialog = DeleteRoomsDialog(MeetDeskClient("http://127.0.0.1:9"), [MeetRoom(roomId="a"), MeetRoom(roomId="b")])
    qtbot.addWidget(dialog)
    assert dialog.policies() == ("fail", "fail")
    radios = dialog.findChildren(QRadioButton)
    assert len(radios) == 6 and all(radio.accessibleName() for radio in radios)
    assert dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok).text() == "Delete 2 rooms"
    dialog.set_policies("force", "close")
    assert dialog.policies() == ("force", "close")


async def test_single_delete_from_the_button(qtbot: QtBot, client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Standup"})
    dialog = dialog_for(qtbot, client, [room])
    assert dialog.ui.questionLabel.text() == "Delete the room “Standup”?"
    finished = emitted(dialog.finished_deleting)
    qtbot.mouseClick(dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    (outcomes,) = await finished

    assert outcomes == dialog.outcomes and [o.kind for o in outcomes] == [OutcomeKind.DELETED]
    assert table(dialog) == [("Standup", room.roomId, "Deleted")]
    assert dialog.ui.pages.currentWidget() is dialog.ui.resultPage
    assert [room async for room in client.iter_rooms()] == []
    close = dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Close)
    assert [b.text() for b in dialog.ui.buttonBox.buttons()] == [close.text()]  # only Close is left
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


async def test_single_delete_of_a_room_in_a_meeting_is_refused_by_default(
    qtbot: QtBot, client: MeetDeskClient, rooms: dict[str, MeetRoom]
) -> None:
    live = rooms["Live"]
    dialog = dialog_for(qtbot, client, [live])
    outcomes = await dialog.run_deletion()
    assert outcomes is not None
    assert table(dialog) == [("Live", live.roomId, "Not deleted: a meeting is in progress")]
    assert outcomes[0].kind is OutcomeKind.REFUSED and outcomes[0].code == "room_has_active_meeting"
    assert (await client.get_room(live.roomId)).status is RoomStatus.ACTIVE_MEETING


async def test_bulk_delete_shows_what_happened_to_each_room(
    qtbot: QtBot, client: MeetDeskClient, rooms: dict[str, MeetRoom]
) -> None:
    dialog = dialog_for(qtbot, client, list(rooms.values()))
    assert dialog.ui.questionLabel.text().splitlines() == [
        "Delete these 4 rooms?",
        "• Plain",
        "• Live",
        "• Recorded",
        "• Gone",
    ]
    click_box(qtbot, dialog.ui.meetingWhenEndsRadio)
    dialog.ui.recordingsCloseRadio.setChecked(True)
    assert dialog.policies() == ("when_meeting_ends", "close")
    assert clipped_texts(dialog) == []
    shoot(dialog, "delete-policy")
    finished = emitted(dialog.finished_deleting)
    await dialog.run_deletion()

    assert table(dialog) == [
        ("Plain", rooms["Plain"].roomId, "Deleted"),
        ("Live", rooms["Live"].roomId, "Will be deleted when the meeting ends"),
        ("Recorded", rooms["Recorded"].roomId, "Closed (has recordings)"),
        ("Gone", rooms["Gone"].roomId, "Not found: it may already have been deleted"),
    ]
    assert [o.kind for o in dialog.outcomes] == [
        OutcomeKind.DELETED,
        OutcomeKind.SCHEDULED,
        OutcomeKind.CLOSED,
        OutcomeKind.FAILED,
    ]
    assert finished.done() and finished.result() == (dialog.outcomes,)
    assert dialog.ui.summaryLabel.text() == (
        "1 deleted; 1 closed instead (recordings kept); 1 waiting for a meeting to end; 1 could not be deleted."
    )
    view = dialog.ui.outcomeTable
    assert all(view.columnWidth(c) >= view.sizeHintForColumn(c) for c in range(3)), "a column is cut off"
    # the window grows to the table once the window system has applied the new size
    await wait_until(lambda: fits_window(view) and not clipped_texts(dialog), what="the outcome table to fit")
    shoot(dialog, "delete-outcomes")
    left = {room.roomId: room async for room in client.iter_rooms()}
    assert set(left) == {rooms["Live"].roomId, rooms["Recorded"].roomId}
    assert left[rooms["Live"].roomId].meetingEndAction is MeetingEndAction.DELETE
    assert left[rooms["Recorded"].roomId].status is RoomStatus.CLOSED


async def test_bulk_delete_with_the_default_policies_keeps_busy_rooms(
    qtbot: QtBot, client: MeetDeskClient, rooms: dict[str, MeetRoom]
) -> None:
    chosen = [rooms["Plain"], rooms["Live"], rooms["Recorded"]]
    dialog = dialog_for(qtbot, client, chosen)
    await dialog.run_deletion()
    assert [row[2] for row in table(dialog)] == [
        "Deleted",
        "Not deleted: a meeting is in progress",
        "Not deleted: it has recordings",
    ]
    assert {room.roomId async for room in client.iter_rooms()} == {rooms["Live"].roomId, rooms["Recorded"].roomId}


async def test_unreachable_server_keeps_the_choices_to_try_again(
    qtbot: QtBot, client: MeetDeskClient, server_process: ServerProcess
) -> None:
    room = await client.create_room({"roomName": "Kept"})
    dialog = dialog_for(qtbot, client, [room, MeetRoom(roomId="other", roomName="Other")])
    dialog.set_policies("force", "force")
    heard: list[object] = []
    dialog.finished_deleting.connect(heard.append)
    server_process.stop()

    assert await dialog.run_deletion() is None
    assert dialog.isVisible() and dialog.ui.pages.currentWidget() is dialog.ui.policyPage
    assert dialog.ui.errorLabel.isVisible()
    assert dialog.ui.errorLabel.text().startswith(f"Cannot reach the server at {server_process.url}.")
    assert dialog.policies() == ("force", "force")
    ok: QAbstractButton = dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled() and dialog.outcomes == [] and heard == []

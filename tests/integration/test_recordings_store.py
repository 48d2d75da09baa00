"""The recordings table on a real database (SQLite, or PostgreSQL with MEETDESK_TEST_DATABASE_URL): one
recording in progress per room whoever races, status moves checked and compare-and-set, and a schema-3
database migrated with its recordings kept."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from meetdesk.core.recordings import MeetRecording, RecordingStatus, new_recording_id
from meetdesk.server.store import schema
from meetdesk.server.store.db import Database
from meetdesk.server.store.recordings import (
    RecordingInProgress,
    RecordingRecord,
    RecordingStatusChanged,
    RecordingStore,
)


def starting(room_id: str, start: int = 1_000) -> RecordingRecord:
    recording_id = new_recording_id(room_id)
    return RecordingRecord(
        str(recording_id), room_id, "Stand-up", RecordingStatus.STARTING.value, start, filename=recording_id.filename
    )


async def test_a_room_has_one_recording_in_progress_even_when_two_starts_race(db: Database) -> None:
    store = RecordingStore(db)
    first, second = starting("room-a"), starting("room-a")
    results = await asyncio.gather(store.add(first), store.add(second), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "RecordingInProgress"]
    winner = await store.in_progress("room-a")
    assert winner is not None and winner.recording_id in (first.recording_id, second.recording_id)
    await store.add(starting("room-b"))  # another room records meanwhile
    # once it is over, the room records again
    active = await store.move(winner, RecordingStatus.ACTIVE)
    ending = await store.move(active, RecordingStatus.ENDING, end_date=5_000)
    await store.move(ending, RecordingStatus.COMPLETE, duration_ms=4_000, size=1234)
    assert await store.in_progress("room-a") is None
    await store.add(starting("room-a", 6_000))
    with pytest.raises(RecordingInProgress):
        await store.add(starting("room-a", 7_000))
    assert await store.count_for_room("room-a") == 2


async def test_a_status_moves_forward_once(db: Database) -> None:
    store = RecordingStore(db)
    record = starting("room-a")
    await store.add(record)
    with pytest.raises(ValueError, match="cannot go from starting to complete"):
        await store.move(record, RecordingStatus.COMPLETE)
    active = await store.move(record, RecordingStatus.ACTIVE)
    with pytest.raises(RecordingStatusChanged):  # someone moved it first: the stale copy does not apply
        await store.move(record, RecordingStatus.FAILED, error="late")
    failed = await store.move(
        active, RecordingStatus.FAILED, error_code=500, error="The composite stopped", details="x"
    )
    stored = await store.get(record.recording_id)
    assert stored == failed
    model = stored.model()
    assert model == MeetRecording(
        recordingId=record.recording_id,
        roomId="room-a",
        roomName="Stand-up",
        status=RecordingStatus.FAILED,
        filename=record.filename or "",
        startDate=1_000,
        errorCode=500,
        error="The composite stopped",
        details="x",
    )
    assert model.layout == "grid" and model.encoding == "H264_720P_30"
    assert await store.get("room-a--EG_none--x") is None


async def test_a_schema_3_database_keeps_its_recordings_and_gains_the_new_fields(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = store_url
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
    old = await Database.open(url)
    async with old.engine.begin() as conn:  # the recordings table as schema 1 made it
        await conn.execute(text("DROP TABLE recordings"))
        await conn.execute(
            text(
                "CREATE TABLE recordings (recording_id VARCHAR(200) PRIMARY KEY, room_id VARCHAR(80) NOT NULL, "
                "room_name VARCHAR(200) NOT NULL, status VARCHAR(20) NOT NULL, start_date BIGINT NOT NULL, "
                "end_date BIGINT, filename VARCHAR(300), size BIGINT)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO recordings VALUES ('room-a--EG_old--u1', 'room-a', 'Old', 'active', 1, NULL, "
                "'room-a--u1.mp4', NULL)"
            )
        )
    await old.close()
    monkeypatch.undo()
    db = await Database.open(url)
    try:
        store = RecordingStore(db)
        kept = await store.get("room-a--EG_old--u1")
        assert kept is not None and kept.model().status is RecordingStatus.ACTIVE and kept.model().layout == "grid"
        with pytest.raises(RecordingInProgress):  # the index came with the migration
            await store.add(starting("room-a"))
        await store.move(kept, RecordingStatus.ENDING, details="End reason: meeting ended")
    finally:
        await db.close()

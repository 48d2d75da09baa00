"""Listing and deleting recordings on a real database (SQLite, or PostgreSQL with MEETDESK_TEST_DATABASE_URL):
every sort field in both orders read a page at a time by keyset (unknown durations and sizes included, ties
broken by id), the filters, and a deletion that refuses a recording whose status changed meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from meetdesk.core.namematch import MatchMode, NameMatch
from meetdesk.core.recordings import RecordingStatus, new_recording_id
from meetdesk.server.store.db import Database
from meetdesk.server.store.recording_catalog import (
    RecordingCatalog,
    RecordingQuery,
    SortField,
    SortOrder,
    sort_key,
)
from meetdesk.server.store.recordings import RecordingRecord, RecordingStore


def finished(room_id: str, name: str, start: int, duration_ms: int | None, size: int | None) -> RecordingRecord:
    recording_id = new_recording_id(room_id)
    return RecordingRecord(
        str(recording_id),
        room_id,
        name,
        RecordingStatus.COMPLETE.value if size else RecordingStatus.FAILED.value,
        start,
        start + 10,
        recording_id.filename,
        size,
        duration_ms,
    )


async def _all_pages(catalog: RecordingCatalog, field: SortField, order: SortOrder, **filters: Any) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page, more = await catalog.list(RecordingQuery(2, sort_field=field, sort_order=order, after=after, **filters))
        seen += [r.recording_id for r in page]
        if not more:
            return seen
        after = (sort_key(page[-1], field), page[-1].recording_id)


@pytest.mark.parametrize("field", ["startDate", "roomName", "duration", "size"])
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_every_order_a_page_at_a_time(db: Database, field: SortField, order: SortOrder) -> None:
    store, catalog = RecordingStore(db), RecordingCatalog(db)
    made = [
        finished("r-a", "Alpha", 1_000, 3_000, 300),
        finished("r-b", "beta", 2_000, None, None),  # failed: no duration, no size
        finished("r-c", "Gamma", 3_000, 1_000, 100),
        finished("r-a", "Alpha", 4_000, 3_000, 300),  # ties with the first on name, duration and size
        finished("r-d", "delta", 5_000, 2_000, 200),
    ]
    for record in made:
        await store.add(record)
    expected = sorted(made, key=lambda r: (sort_key(r, field), r.recording_id), reverse=order == "desc")
    assert await _all_pages(catalog, field, order) == [r.recording_id for r in expected]


async def test_filters_and_deletion(db: Database) -> None:
    store, catalog = RecordingStore(db), RecordingCatalog(db)
    one = finished("r-a", "Weekly Sync", 1_000, 1_000, 10)
    two = finished("r-b", "weekly review", 2_000, None, None)
    await store.add(one)
    await store.add(two)

    async def ids(**filters: Any) -> set[str]:
        found, _ = await catalog.list(RecordingQuery(10, **filters))
        return {r.recording_id for r in found}

    assert await ids(room_id="r-a") == {one.recording_id}
    assert await ids(status=RecordingStatus.FAILED) == {two.recording_id}
    assert await ids(name_match=NameMatch.parse("weekly", MatchMode.PREFIX, True)) == {
        one.recording_id,
        two.recording_id,
    }
    assert await ids(name_match=NameMatch.parse("weekly", MatchMode.PREFIX, False)) == {two.recording_id}

    assert await catalog.delete(one) is True
    assert await catalog.delete(one) is False  # gone already
    changed = RecordingRecord(**{**two.__dict__, "status": RecordingStatus.ACTIVE.value})
    assert await catalog.delete(changed) is False  # not in the status it was read in: kept
    assert await ids() == {two.recording_id}

"""Reading recordings a page at a time (filters, sort, page tokens) and deleting them from the table.

Pages are cut by keyset, never by offset: a page token names the last recording of the page (its sort key
and id), signed so that a forged or altered token is a 422, not a position trusted. A ``roomName`` filter is
checked in Python with :class:`~meetdesk.core.namematch.NameMatch` (the same options as the rooms' filter)
on batches read in the page's order, so a page holds ``limit`` matches whatever the match mode.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, or_, select

from meetdesk.core.namematch import NameMatch
from meetdesk.core.recordings import RecordingStatus
from meetdesk.server.store.db import Database
from meetdesk.server.store.recordings import RecordingRecord
from meetdesk.server.store.schema import recordings

SortField = Literal["startDate", "roomName", "duration", "size"]
SortOrder = Literal["asc", "desc"]
_BATCH = 200


def _column(field: SortField) -> ColumnElement[Any]:
    if field == "roomName":
        return recordings.c.room_name
    if field == "duration":
        return func.coalesce(recordings.c.duration_ms, -1)
    if field == "size":
        return func.coalesce(recordings.c.size, -1)
    return recordings.c.start_date


def sort_key(record: RecordingRecord, field: SortField) -> int | str:
    if field == "roomName":
        return record.room_name
    if field == "duration":
        return -1 if record.duration_ms is None else record.duration_ms
    if field == "size":
        return -1 if record.size is None else record.size
    return record.start_date


@dataclass(frozen=True)
class RecordingQuery:
    limit: int
    room_id: str | None = None
    name_match: NameMatch | None = None
    status: RecordingStatus | None = None
    sort_field: SortField = "startDate"
    sort_order: SortOrder = "desc"
    after: tuple[int | str, str] | None = None


class RecordingCatalog:
    """The recordings table as the API lists and deletes it."""

    def __init__(self, db: Database) -> None:
        self._engine = db.engine

    async def list(self, query: RecordingQuery) -> tuple[list[RecordingRecord], bool]:
        """One page of recordings and whether more follow."""
        conditions: list[ColumnElement[bool]] = []
        if query.room_id is not None:
            conditions.append(recordings.c.room_id == query.room_id)
        if query.status is not None:
            conditions.append(recordings.c.status == query.status.value)
        match = query.name_match
        if match is None:
            return await self._page(query, conditions, query.after, query.limit + 1)
        found: builtins.list[RecordingRecord] = []
        after = query.after
        while True:
            batch, more = await self._page(query, conditions, after, _BATCH + 1)
            found += [record for record in batch if match.matches(record.room_name)]
            if len(found) > query.limit:
                return found[: query.limit], True
            if not more or not batch:
                return found, False
            after = (sort_key(batch[-1], query.sort_field), batch[-1].recording_id)

    async def _page(
        self,
        query: RecordingQuery,
        conditions: builtins.list[ColumnElement[bool]],
        after: tuple[int | str, str] | None,
        limit: int,
    ) -> tuple[builtins.list[RecordingRecord], bool]:
        """Up to ``limit - 1`` recordings after ``after`` in the query's order, and whether more follow."""
        column = _column(query.sort_field)
        where = [*conditions]
        if after is not None:
            key, last_id = after
            if query.sort_order == "asc":
                where.append(or_(column > key, and_(column == key, recordings.c.recording_id > last_id)))
            else:
                where.append(or_(column < key, and_(column == key, recordings.c.recording_id < last_id)))
        if query.sort_order == "asc":
            ordering = (column.asc(), recordings.c.recording_id.asc())
        else:
            ordering = (column.desc(), recordings.c.recording_id.desc())
        stmt = select(recordings).where(*where).order_by(*ordering).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        records = [RecordingRecord(**row._asdict()) for row in rows]
        return records[: limit - 1], len(records) == limit

    async def delete(self, record: RecordingRecord) -> bool:
        """Remove ``record`` if it is still in the status it was read in (not started meanwhile, say)."""
        stmt = delete(recordings).where(
            recordings.c.recording_id == record.recording_id, recordings.c.status == record.status
        )
        async with self._engine.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount == 1)

"""The recordings table: rows of :class:`RecordingRecord`, at most one in progress per room, status moves checked.

The database itself keeps a room to one recording in progress (a partial unique index, see
``schema.recordings_in_progress``), so two starts racing on two connections cannot both win. A status
change is a compare-and-set on the status it moves from (:meth:`RecordingStore.move`): a stop and a
failure arriving together cannot both apply.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from meetdesk.core.recordings import (
    DEFAULT_ENCODING,
    DEFAULT_LAYOUT,
    IN_PROGRESS,
    MeetRecording,
    RecordingStatus,
    check_transition,
)
from meetdesk.server.store.db import Database
from meetdesk.server.store.schema import recordings

logger = logging.getLogger(__name__)


class RecordingInProgress(Exception):
    """The room has a recording starting, active or ending already."""


class RecordingStatusChanged(Exception):
    """The recording is not in the status the move was from (someone else moved it first), or is gone."""


@dataclass(frozen=True)
class RecordingRecord:
    recording_id: str
    room_id: str
    room_name: str
    status: str
    start_date: int
    end_date: int | None = None
    filename: str | None = None
    size: int | None = None
    duration_ms: int | None = None
    layout: str | None = None
    encoding: str | None = None  # a preset name, or the advanced object as JSON
    error_code: int | None = None
    error: str | None = None
    details: str | None = None

    def model(self) -> MeetRecording:
        """The recording as the API shows it."""
        encoding: str | dict[str, Any] = DEFAULT_ENCODING
        if self.encoding is not None:
            encoding = json.loads(self.encoding) if self.encoding.startswith("{") else self.encoding
        return MeetRecording(
            recordingId=self.recording_id,
            roomId=self.room_id,
            roomName=self.room_name,
            status=RecordingStatus(self.status),
            filename=self.filename or "",
            startDate=self.start_date,
            endDate=self.end_date,
            duration=None if self.duration_ms is None else self.duration_ms / 1000,
            size=self.size,
            layout=self.layout or DEFAULT_LAYOUT,
            encoding=encoding,
            errorCode=self.error_code,
            error=self.error,
            details=self.details,
        )


class RecordingStore:
    """Recordings: whether a room has any, starting one, moving its status, reading and deleting them."""

    def __init__(self, db: Database) -> None:
        self._engine = db.engine
        self._listeners: list[Callable[[RecordingRecord], None]] = []

    def on_changed(self, listener: Callable[[RecordingRecord], None]) -> None:
        """Call ``listener`` with each recording added or moved, once stored (it must not block)."""
        self._listeners.append(listener)

    def _tell(self, record: RecordingRecord) -> None:
        for listener in self._listeners:
            try:
                listener(record)
            except Exception:  # a listener's failure is not the store's: the change is made
                logger.exception("Recording %s: a listener failed on %s", record.recording_id, record.status)

    async def add(self, recording: RecordingRecord) -> None:
        """Insert ``recording``; :class:`RecordingInProgress` if it is in progress and its room has one already."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(recordings).values(**recording.__dict__))
        except IntegrityError as exc:
            if RecordingStatus(recording.status) in IN_PROGRESS:
                raise RecordingInProgress(recording.room_id) from exc
            raise
        self._tell(recording)

    async def get(self, recording_id: str) -> RecordingRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(recordings).where(recordings.c.recording_id == recording_id))).first()
        return None if row is None else RecordingRecord(**row._asdict())

    async def in_progress(self, room_id: str) -> RecordingRecord | None:
        """The room's recording that is starting, active or ending, if any."""
        stmt = select(recordings).where(
            recordings.c.room_id == room_id, recordings.c.status.in_([s.value for s in IN_PROGRESS])
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else RecordingRecord(**row._asdict())

    async def move(self, record: RecordingRecord, status: RecordingStatus, **fields: Any) -> RecordingRecord:
        """``record`` moved to ``status`` (with ``fields`` set), if it still is in the status ``record`` has.

        ValueError for a move the state machine does not allow; :class:`RecordingStatusChanged` if the stored
        recording is no longer in ``record.status``.
        """
        check_transition(RecordingStatus(record.status), status)
        moved = replace(record, status=status.value, **fields)
        stmt = (
            update(recordings)
            .where(recordings.c.recording_id == record.recording_id, recordings.c.status == record.status)
            .values(status=status.value, **fields)
        )
        async with self._engine.begin() as conn:
            if (await conn.execute(stmt)).rowcount != 1:
                raise RecordingStatusChanged(record.recording_id)
        self._tell(moved)
        return moved

    async def unfinished(self) -> list[RecordingRecord]:
        """Every recording starting, active or ending (after a restart: those the server stopped under)."""
        stmt = select(recordings).where(recordings.c.status.in_([s.value for s in IN_PROGRESS]))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [RecordingRecord(**row._asdict()) for row in rows]

    async def count_for_room(self, room_id: str) -> int:
        stmt = select(func.count()).select_from(recordings).where(recordings.c.room_id == room_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def for_room(self, room_id: str) -> list[RecordingRecord]:
        stmt = select(recordings).where(recordings.c.room_id == room_id).order_by(recordings.c.start_date)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [RecordingRecord(**row._asdict()) for row in rows]

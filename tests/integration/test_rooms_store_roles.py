"""Rooms made before roles and access existed (schema 5) keep working after migration 6: they get the
default roles, every link on, and a recording-link secret of their own (SQLite, or PostgreSQL when
``MEETDESK_TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from meetdesk.core.access import RoomAccess
from meetdesk.core.permissions import DEFAULT_ROLES, Role
from meetdesk.server.store import schema
from meetdesk.server.store.db import Database
from meetdesk.server.store.rooms import RoomStore

OLD_ROOMS = (
    "CREATE TABLE rooms (room_id VARCHAR(80) PRIMARY KEY, room_name VARCHAR(200) NOT NULL, "
    "search_name VARCHAR(200) NOT NULL, creation_date BIGINT NOT NULL, auto_deletion_date BIGINT, "
    "policy_with_meeting VARCHAR(20) NOT NULL, policy_with_recordings VARCHAR(20) NOT NULL, config TEXT NOT NULL, "
    "moderator_secret VARCHAR(100) NOT NULL, speaker_secret VARCHAR(100) NOT NULL, status VARCHAR(20) NOT NULL, "
    "meeting_end_action VARCHAR(20) NOT NULL, end_recordings_policy VARCHAR(20) NOT NULL)"
)


async def test_rooms_of_schema_5_get_default_roles_access_and_a_recording_secret(
    database_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'meetdesk.db'}"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:5])
    old = await Database.open(url)
    async with old.engine.begin() as conn:  # the rooms table as schema 5 had it
        await conn.execute(text("DROP TABLE rooms"))
        await conn.execute(text(OLD_ROOMS))
        for room_id in ("old-1", "old-2"):
            await conn.execute(
                text(
                    "INSERT INTO rooms VALUES (:room_id, 'Old', 'old', 1, NULL, 'when_meeting_ends', 'close', "
                    "'{}', 'moderator-secret', 'speaker-secret', 'open', 'none', 'close')"
                ),
                {"room_id": room_id},
            )
    await old.close()
    monkeypatch.undo()
    db = await Database.open(url)
    try:
        store = RoomStore(db)
        first, second = await store.get("old-1"), await store.get("old-2")
        assert first is not None and second is not None
        assert first.roles == DEFAULT_ROLES and first.access == RoomAccess()
        assert first.permissions(Role.SPEAKER).canShareScreen is True
        assert len(first.recording_secret) >= 22 and first.recording_secret != second.recording_secret
    finally:
        await db.close()

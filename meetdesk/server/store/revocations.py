"""Participant tokens revoked by a kick or a role change: one row per identity, OpenVidu Meet's ``roleUpdatedAt``."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from meetdesk.server.store.db import Database
from meetdesk.server.store.schema import participant_revocations as table


class RevocationStore:
    def __init__(self, db: Database) -> None:
        self._engine = db.engine

    async def revoke(self, identity: str, room_id: str, before_ms: int, expires_at: int) -> None:
        """Tokens of ``identity`` issued before ``before_ms`` stop counting; the row goes after ``expires_at``."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(table).where(table.c.expires_at < before_ms))
            values = {"room_id": room_id, "revoked_before": before_ms, "expires_at": expires_at}
            changed = await conn.execute(update(table).where(table.c.identity == identity).values(**values))
            if changed.rowcount == 0:
                await conn.execute(insert(table).values(identity=identity, **values))

    async def revoked_before(self, identity: str) -> int | None:
        async with self._engine.connect() as conn:
            value = (await conn.execute(select(table.c.revoked_before).where(table.c.identity == identity))).scalar()
        return int(value) if value is not None else None

"""The database handle: engine set-up, migrations, and the repositories built on it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from meetdesk.server.keys import ServerKeys
from meetdesk.server.store import schema

logger = logging.getLogger(__name__)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'meetdesk.db'}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL + NORMAL: a committed transaction survives the process being killed (only a power cut
    # can lose the last ones); readers never block the writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """Owns the async engine; ``await Database.open(url)`` migrates before returning."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    async def open(cls, url: str, keys: Callable[[bytes | None], ServerKeys] | None = None) -> Database:
        """Connect and migrate. ``keys`` opens the server's key file (given the signing key an old schema
        kept in its rows, if any) for the migrations that move secrets out of the database."""
        parsed = make_url(url)
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": 10}
        engine = create_async_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        db = cls(engine)
        await db.migrate(keys)
        logger.info("Database ready (%s)", parsed.render_as_string(hide_password=True))
        return db

    async def migrate(self, keys: Callable[[bytes | None], ServerKeys] | None = None) -> int:
        """Apply the migrations not yet applied; return the schema version."""
        async with self.engine.begin() as conn:
            # conn.info belongs to the pooled DBAPI connection: set only for these migrations, then removed
            if keys is not None:
                conn.info[schema.KEYS_INFO] = keys
            try:
                return await conn.run_sync(_migrate)
            finally:
                conn.info.pop(schema.KEYS_INFO, None)

    async def close(self) -> None:
        await self.engine.dispose()


def _migrate(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_version.name):
        schema.schema_version.create(conn)
        conn.execute(insert(schema.schema_version).values(version=0))
    current = conn.execute(select(schema.schema_version.c.version)).scalar_one()
    target = len(schema.MIGRATIONS)
    if current > target:
        raise RuntimeError(
            f"The database schema is version {current}, newer than this MeetDesk knows ({target}): upgrade MeetDesk"
        )
    for version in range(current, target):
        logger.info("Migrating database schema to version %d", version + 1)
        schema.MIGRATIONS[version](conn)
        conn.execute(update(schema.schema_version).values(version=version + 1))
    return target

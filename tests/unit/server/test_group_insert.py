"""Group commit on a real SQLite file: concurrent inserts share transactions, bad rows fail alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, select
from sqlalchemy.exc import IntegrityError

from meetdesk.server.store.batching import GroupInserter
from meetdesk.server.store.db import Database, sqlite_url

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)))


async def open_db(tmp_path: Path) -> Database:
    db = await Database.open(sqlite_url(tmp_path))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db


async def count(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(items))).scalar_one())


async def test_concurrent_inserts_are_batched(tmp_path: Path) -> None:
    db = await open_db(tmp_path)
    commits = 0

    def on_commit(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", on_commit)
    inserter = GroupInserter(db.engine, items)
    await asyncio.gather(*[inserter.insert({"id": i, "name": f"n{i}"}) for i in range(200)])
    assert await count(db) == 200
    assert commits < 20  # far fewer transactions than rows
    await db.close()


async def test_a_bad_row_fails_alone(tmp_path: Path) -> None:
    db = await open_db(tmp_path)
    inserter = GroupInserter(db.engine, items)
    await inserter.insert({"id": 1, "name": "first"})
    results = await asyncio.gather(
        *[inserter.insert({"id": i, "name": f"n{i}"}) for i in (2, 3, 1, 4)], return_exceptions=True
    )
    assert [type(r) for r in results] == [type(None), type(None), IntegrityError, type(None)]
    assert await count(db) == 4
    with pytest.raises(IntegrityError):
        await inserter.insert({"id": 4, "name": "again"})
    await db.close()

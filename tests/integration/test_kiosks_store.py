"""The fleet's tables on a real database (SQLite, or PostgreSQL with MEETDESK_TEST_DATABASE_URL, as ``make test``'s
second pass does): migration 8's waiting commands and kept logs, read back after the database is opened again,
and gone with their kiosk; a schema-7 database is migrated with its kiosks kept."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from meetdesk.core.kiosks import KioskLogs, KioskSettings
from meetdesk.server.store import schema
from meetdesk.server.store.db import Database
from meetdesk.server.store.kiosks import KioskStore


async def add(store: KioskStore, kiosk_id: str) -> None:
    await store.add(kiosk_id, "Room 1 PC", "room-1", KioskSettings(), f"CODE-{kiosk_id}-X", 10_000, 1_000)


async def test_waiting_commands_and_logs_outlive_the_connection_and_go_with_their_kiosk(
    db: Database, store_url: str
) -> None:
    store = KioskStore(db)
    await add(store, "k-1")
    await add(store, "k-2")
    await store.wait_command("k-1", "join", 1_000)
    await store.wait_command("k-1", "restart", 1_100)
    await store.wait_command("k-1", "leave", 1_200)  # replaces the join
    await store.wait_command("k-1", "sendLogs", 1_300)
    await store.wait_command("k-1", "sendLogs", 1_400)  # kept once
    await store.wait_command("k-2", "join", 500)
    await store.keep_logs("k-1", KioskLogs(receivedAt=2_000, text="first\n"))
    await store.keep_logs("k-1", KioskLogs(receivedAt=3_000, text="héllo ✓\n" * 1000))
    await store.keep_logs("k-gone", KioskLogs(receivedAt=3_000, text="from a removed kiosk\n"))
    await db.close()

    reopened = await Database.open(store_url)
    try:
        store = KioskStore(reopened)
        assert await store.logs("k-1") == KioskLogs(receivedAt=3_000, text="héllo ✓\n" * 1000)
        assert await store.logs("k-gone") is None
        assert await store.take_commands("k-1", since=1_000) == ["restart", "leave", "sendLogs"]
        assert await store.take_commands("k-1", since=0) == []  # taken once
        assert await store.take_commands("k-2", since=1_000) == []  # too old: dropped, not sent
        assert await store.take_commands("k-2", since=0) == []
        await store.wait_command("k-2", "restart", 5_000)
        await store.keep_logs("k-2", KioskLogs(receivedAt=5_000, text="k-2\n"))
        assert await store.delete("k-2")
        await add(store, "k-2")  # the same id again starts with nothing
        assert await store.logs("k-2") is None
        assert await store.take_commands("k-2", since=0) == []
    finally:
        await reopened.close()


async def test_waiting_commands_taken_at_once_from_two_places_go_out_once(db: Database) -> None:
    # a kiosk's socket comes back while an admin's command is stored: its welcome and the command's own call both
    # take what waits, on connections of their own (on PostgreSQL both read the rows before either deleted them)
    store = KioskStore(db)
    await add(store, "k-1")
    for round_ in range(5):
        await store.wait_command("k-1", "restart", 1_000 + round_)
        await store.wait_command("k-1", "sendLogs", 1_000 + round_)
        taken = await asyncio.gather(*(store.take_commands("k-1", since=0) for _ in range(4)))
        assert sorted(itertools.chain.from_iterable(taken)) == ["restart", "sendLogs"], taken


async def test_a_schema_7_database_is_migrated_with_its_kiosks(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = store_url
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:7])
        old = await Database.open(url)
        await add(KioskStore(old), "k-old")
        await old.close()
    db = await Database.open(url)
    try:
        store = KioskStore(db)
        assert [record.kiosk_id for record in await store.all()] == ["k-old"]
        await store.keep_logs("k-old", KioskLogs(receivedAt=1, text="after the upgrade\n"))
        assert await store.logs("k-old") == KioskLogs(receivedAt=1, text="after the upgrade\n")
    finally:
        await db.close()

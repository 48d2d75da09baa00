"""Group commit: inserts that arrive together share one transaction.

Under load, many requests want to insert a row at the same moment. Committing each alone costs a
transaction apiece; here the first insert starts a writer task that takes everything queued so far
and commits it in one transaction, while later arrivals queue for the next one. Each caller's await
returns only once its own row is committed, so durability is the same as a lone insert.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

_Item = tuple[dict[str, Any], asyncio.Future[None]]


class GroupInserter:
    def __init__(self, engine: AsyncEngine, table: Table, max_batch: int = 500) -> None:
        self._engine = engine
        self._table = table
        self._max_batch = max_batch
        self._queue: list[_Item] = []
        self._writer: asyncio.Task[None] | None = None

    async def insert(self, values: dict[str, Any]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((values, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name=f"group-insert-{self._table.name}")
        await done

    async def _write(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                try:
                    await self._commit(batch)
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch, exc)
                        continue
                    # One bad row must not fail its neighbours: retry each alone.
                    for item in batch:
                        try:
                            await self._commit([item])
                        except Exception as item_exc:
                            _settle([item], item_exc)
                        else:
                            _settle([item], None)
                else:
                    _settle(batch, None)
        finally:
            self._writer = None

    async def _commit(self, batch: list[_Item]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(self._table), [values for values, _ in batch])


def _settle(batch: list[_Item], exc: BaseException | None) -> None:
    for _, done in batch:
        if done.done():
            continue  # the caller gave up waiting (cancelled)
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)

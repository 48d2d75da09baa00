"""Registered webhooks, one row each (``schema.webhooks``); at most :data:`~meetdesk.core.webhooks.MAX_WEBHOOKS`,
counted in the same transaction as the insert."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from meetdesk.core.webhooks import MAX_WEBHOOKS, MeetWebhook, WebhookOptions
from meetdesk.server.store.db import Database
from meetdesk.server.store.schema import webhooks as table


class TooManyWebhooks(Exception):
    """There are :data:`MAX_WEBHOOKS` already."""


def _webhook(row: Any) -> MeetWebhook:
    return MeetWebhook(
        webhookId=row.webhook_id,
        url=row.url,
        events=json.loads(row.events) if row.events is not None else None,
        roomId=row.room_id,
        enabled=bool(row.enabled),
        creationDate=row.creation_date,
    )


def _values(options: WebhookOptions) -> dict[str, Any]:
    events = json.dumps([event.value for event in options.events]) if options.events is not None else None
    return {"url": options.url, "events": events, "room_id": options.roomId, "enabled": int(options.enabled)}


class WebhookStore:
    def __init__(self, db: Database) -> None:
        self._engine = db.engine
        #: creations one at a time, so that two at once cannot both be the 20th
        self._adding = asyncio.Lock()

    async def add(self, webhook_id: str, options: WebhookOptions, creation_date: int) -> MeetWebhook:
        async with self._adding, self._engine.begin() as conn:
            count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            if count >= MAX_WEBHOOKS:
                raise TooManyWebhooks
            values = {"webhook_id": webhook_id, "creation_date": creation_date, **_values(options)}
            await conn.execute(insert(table).values(**values))
        found = await self.get(webhook_id)
        assert found is not None
        return found

    async def all(self) -> list[MeetWebhook]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(table).order_by(table.c.creation_date, table.c.webhook_id))).all()
        return [_webhook(row) for row in rows]

    async def get(self, webhook_id: str) -> MeetWebhook | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.webhook_id == webhook_id))).first()
        return _webhook(row) if row is not None else None

    async def replace(self, webhook_id: str, options: WebhookOptions) -> MeetWebhook | None:
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(table).where(table.c.webhook_id == webhook_id).values(**_values(options))
            )
        return await self.get(webhook_id) if changed.rowcount else None

    async def delete(self, webhook_id: str) -> bool:
        async with self._engine.begin() as conn:
            gone = await conn.execute(delete(table).where(table.c.webhook_id == webhook_id))
        return bool(gone.rowcount)

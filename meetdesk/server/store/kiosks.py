"""The kiosks of the fleet, one row each (``schema.kiosks``): name, room, settings (versioned), the hashes of the
enrolment code and of the credential, and the last heartbeat's report. Next to them, what must outlive a server
restart: the commands waiting for a kiosk's socket (``schema.kiosk_commands``) and the last logs each kiosk sent
(``schema.kiosk_logs``).

Secrets never reach a row: codes and credentials are looked up by their SHA-256 (both are long random strings,
so a plain hash is enough), and the answers that show one are made from the value before it was hashed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from meetdesk.core.kiosks import KioskDevices, KioskLogs, KioskSettings, KioskState, WaitingAction, normalize_code
from meetdesk.server.store.db import Database
from meetdesk.server.store.schema import kiosk_commands as commands
from meetdesk.server.store.schema import kiosk_logs as logs
from meetdesk.server.store.schema import kiosks as table


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def code_hash(code: str) -> str:
    return secret_hash("code:" + normalize_code(code))


@dataclass(frozen=True)
class KioskStatus:
    """What the kiosk's last heartbeat said."""

    state: KioskState = "unknown"
    devices: KioskDevices = field(default_factory=KioskDevices)
    version: str | None = None
    uptime_s: float | None = None
    last_error: str | None = None

    def dump(self) -> str:
        return json.dumps(
            {
                "state": self.state,
                "devices": self.devices.model_dump(),
                "version": self.version,
                "uptime": self.uptime_s,
                "lastError": self.last_error,
            }
        )

    @classmethod
    def load(cls, text: str | None) -> KioskStatus:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            state=data.get("state", "unknown"),
            devices=KioskDevices.model_validate(data.get("devices") or {}),
            version=data.get("version"),
            uptime_s=data.get("uptime"),
            last_error=data.get("lastError"),
        )


@dataclass(frozen=True)
class KioskRecord:
    kiosk_id: str
    name: str
    room_id: str
    settings: KioskSettings
    settings_version: int
    applied_version: int
    code_hash: str | None
    code_expires_at: int | None
    enrolled: bool
    generation: int
    status: KioskStatus
    last_seen_at: int | None
    created_at: int


def _record(row: Any) -> KioskRecord:
    return KioskRecord(
        kiosk_id=row.kiosk_id,
        name=row.name,
        room_id=row.room_id,
        settings=KioskSettings.model_validate_json(row.settings),
        settings_version=row.settings_version,
        applied_version=row.applied_version,
        code_hash=row.code_hash,
        code_expires_at=row.code_expires_at,
        enrolled=row.credential_hash is not None,
        generation=row.generation,
        status=KioskStatus.load(row.status),
        last_seen_at=row.last_seen_at,
        created_at=row.created_at,
    )


class KioskStore:
    def __init__(self, db: Database) -> None:
        self._engine = db.engine

    async def add(
        self, kiosk_id: str, name: str, room_id: str, settings: KioskSettings, code: str, expires_at: int, now: int
    ) -> KioskRecord:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(table).values(
                    kiosk_id=kiosk_id,
                    name=name,
                    room_id=room_id,
                    settings=settings.model_dump_json(),
                    settings_version=1,
                    applied_version=0,
                    code_hash=code_hash(code),
                    code_expires_at=expires_at,
                    credential_hash=None,
                    generation=0,
                    status=None,
                    last_seen_at=None,
                    created_at=now,
                )
            )
        found = await self.get(kiosk_id)
        assert found is not None
        return found

    async def all(self) -> list[KioskRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(table).order_by(table.c.created_at, table.c.kiosk_id))).all()
        return [_record(row) for row in rows]

    async def get(self, kiosk_id: str) -> KioskRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.kiosk_id == kiosk_id))).first()
        return _record(row) if row is not None else None

    async def by_credential(self, credential: str) -> KioskRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.credential_hash == secret_hash(credential)))).first()
        return _record(row) if row is not None else None

    async def rename(self, kiosk_id: str, name: str) -> bool:
        return await self._update(kiosk_id, name=name)

    async def push_settings(self, kiosk_id: str, settings: KioskSettings) -> bool:
        """New settings, one version up (the kiosk reports the version it applied)."""
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(table)
                .where(table.c.kiosk_id == kiosk_id)
                .values(settings=settings.model_dump_json(), settings_version=table.c.settings_version + 1)
            )
        return bool(changed.rowcount)

    async def new_code(self, kiosk_id: str, code: str, expires_at: int) -> bool:
        """A fresh enrolment code; the credential is void (the kiosk enrols again) and the commands that waited
        for its socket are dropped."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(commands).where(commands.c.kiosk_id == kiosk_id))
            changed = await conn.execute(
                update(table)
                .where(table.c.kiosk_id == kiosk_id)
                .values(code_hash=code_hash(code), code_expires_at=expires_at, credential_hash=None)
            )
        return bool(changed.rowcount)

    async def enrol(self, code: str, credential: str, now: int) -> KioskRecord | None:
        """Exchange a valid code (once) for ``credential``; None when the code is unknown, used or expired."""
        hashed = code_hash(code)
        async with self._engine.begin() as conn:
            found = select(table.c.kiosk_id).where(table.c.code_hash == hashed, table.c.code_expires_at >= now)
            kiosk_id = (await conn.execute(found)).scalar()
            if kiosk_id is None:
                return None
            changed = await conn.execute(
                update(table)
                .where(table.c.kiosk_id == kiosk_id, table.c.code_hash == hashed)  # once: a racing use finds none
                .values(
                    code_hash=None,
                    code_expires_at=None,
                    credential_hash=secret_hash(credential),
                    generation=table.c.generation + 1,
                    applied_version=table.c.settings_version,  # the enrolment's answer carries them
                )
            )
            if not changed.rowcount:
                return None
        return await self.get(kiosk_id) if kiosk_id is not None else None

    async def report(self, kiosk_id: str, status: KioskStatus, applied_version: int, seen_at: int) -> bool:
        return await self._update(kiosk_id, status=status.dump(), applied_version=applied_version, last_seen_at=seen_at)

    async def delete(self, kiosk_id: str) -> bool:
        """The kiosk, its waiting commands and its logs."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(commands).where(commands.c.kiosk_id == kiosk_id))
            await conn.execute(delete(logs).where(logs.c.kiosk_id == kiosk_id))
            gone = await conn.execute(delete(table).where(table.c.kiosk_id == kiosk_id))
        return bool(gone.rowcount)

    # commands waiting for the kiosk's socket -------------------------------------------------------

    async def wait_command(self, kiosk_id: str, action: WaitingAction, now: int) -> None:
        """Keep ``action`` until the kiosk connects: one per action, and join and leave replace each other (the
        later wins)."""
        replaced = ("join", "leave") if action in ("join", "leave") else (action,)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    delete(commands).where(commands.c.kiosk_id == kiosk_id, commands.c.action.in_(replaced))
                )
                await conn.execute(insert(commands).values(kiosk_id=kiosk_id, action=action, created_at=now))
        except IntegrityError:  # the same action stored at the same moment by another request: kept once
            pass

    async def take_commands(self, kiosk_id: str, since: int) -> list[WaitingAction]:
        """The actions waiting for the kiosk made at ``since`` or later, oldest first; all its waiting ones are
        forgotten (the older ones are dropped). Taken once: two callers at the same time (a kiosk's welcome and a
        command stored as it connected) get each waiting action once between them (one DELETE ... RETURNING: a
        SELECT then DELETE let both read the rows first)."""
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    delete(commands)
                    .where(commands.c.kiosk_id == kiosk_id)
                    .returning(commands.c.action, commands.c.created_at)
                )
            ).all()
        ordered = sorted(rows, key=lambda row: (row.created_at, row.action))
        return [row.action for row in ordered if row.created_at >= since]

    # logs ------------------------------------------------------------------------------------------

    async def keep_logs(self, kiosk_id: str, received: KioskLogs) -> None:
        """The kiosk's logs, in place of the ones it sent before."""
        async with self._engine.begin() as conn:
            if not (await conn.execute(select(table.c.kiosk_id).where(table.c.kiosk_id == kiosk_id))).first():
                return  # removed meanwhile
            await conn.execute(delete(logs).where(logs.c.kiosk_id == kiosk_id))
            await conn.execute(
                insert(logs).values(kiosk_id=kiosk_id, received_at=received.receivedAt, text=received.text)
            )

    async def logs(self, kiosk_id: str) -> KioskLogs | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(logs).where(logs.c.kiosk_id == kiosk_id))).first()
        return KioskLogs(receivedAt=row.received_at, text=row.text) if row is not None else None

    async def _update(self, kiosk_id: str, **values: Any) -> bool:
        async with self._engine.begin() as conn:
            changed = await conn.execute(update(table).where(table.c.kiosk_id == kiosk_id).values(**values))
        return bool(changed.rowcount)

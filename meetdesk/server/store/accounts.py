"""Admin users, the API key (hashed and sealed), global configuration documents and revoked tokens."""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from meetdesk.server.keys import ServerKeys, hash_api_key
from meetdesk.server.store.db import Database
from meetdesk.server.store.schema import api_key_hashes, global_config, revoked_tokens, users

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UserRecord:
    username: str
    password_hash: str
    roles: list[str]
    tokens_valid_after: int = 0

    def issued_token_valid(self, issued_at: int) -> bool:
        return issued_at >= self.tokens_valid_after


@dataclass(frozen=True)
class ApiKeyRecord:
    """The API key as stored: never the key itself (it is shown once, when created)."""

    key_hash: str
    sealed: str | None
    hint: str
    creation_date: int


#: How long another server process sharing the database may go on trusting a replaced API key.
API_KEY_CACHE_S = 5.0


class AccountStore:
    def __init__(self, db: Database, keys: ServerKeys) -> None:
        self._engine = db.engine
        self._keys = keys
        # Every API request checks the key: keep it in memory (changes here clear it at once).
        self._keys_cache: tuple[float, list[ApiKeyRecord]] | None = None

    # users -----------------------------------------------------------------------------------------

    async def user(self, username: str) -> UserRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        if row is None:
            return None
        return UserRecord(row.username, row.password_hash, json.loads(row.roles), row.tokens_valid_after)

    async def any_user(self) -> bool:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(users.c.username).limit(1))).first() is not None

    async def add_user(self, username: str, password_hash: str, roles: list[str], now_ms: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(users).values(
                    username=username, password_hash=password_hash, roles=json.dumps(roles), created_at=now_ms
                )
            )

    async def set_password_hash(self, username: str, password_hash: str) -> None:
        """Change a password; every token issued before now stops working."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=password_hash, tokens_valid_after=int(time.time() * 1000))
            )

    # the API key (one at a time) -------------------------------------------------------------------

    async def api_keys(self) -> list[ApiKeyRecord]:
        now = time.monotonic()
        if self._keys_cache is not None and now - self._keys_cache[0] < API_KEY_CACHE_S:
            return list(self._keys_cache[1])
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(api_key_hashes))).all()
        keys = [ApiKeyRecord(row.key_hash, row.sealed, row.hint, row.creation_date) for row in rows]
        self._keys_cache = (now, keys)
        return list(keys)

    async def is_api_key(self, presented: str) -> bool:
        presented_hash = hash_api_key(presented).encode()
        return any(hmac.compare_digest(record.key_hash.encode(), presented_hash) for record in await self.api_keys())

    async def webhook_key(self) -> str | None:
        """The API key itself, unsealed, to sign webhooks with; None when there is none (or it cannot be
        unsealed: the key file was replaced since it was created)."""
        for record in await self.api_keys():
            if record.sealed is not None and (key := self._keys.unseal(record.sealed)) is not None:
                return key
            logger.warning("The API key cannot be unsealed with this key file: create a new API key to sign webhooks")
        return None

    async def replace_api_key(self, api_key: str, now_ms: int) -> ApiKeyRecord:
        record = ApiKeyRecord(hash_api_key(api_key), self._keys.seal(api_key), api_key[-4:], now_ms)
        async with self._engine.begin() as conn:
            await conn.execute(delete(api_key_hashes))
            await conn.execute(
                insert(api_key_hashes).values(
                    key_hash=record.key_hash, sealed=record.sealed, hint=record.hint, creation_date=now_ms
                )
            )
        self._keys_cache = None
        return record

    async def delete_api_keys(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(api_key_hashes))
        self._keys_cache = None

    # global configuration documents ----------------------------------------------------------------

    async def config(self, name: str) -> Any | None:
        async with self._engine.connect() as conn:
            value = (await conn.execute(select(global_config.c.value).where(global_config.c.name == name))).scalar()
        return json.loads(value) if value is not None else None

    async def set_config(self, name: str, value: Any) -> None:
        text = json.dumps(value)
        async with self._engine.begin() as conn:
            updated = await conn.execute(update(global_config).where(global_config.c.name == name).values(value=text))
            if updated.rowcount == 0:
                await conn.execute(insert(global_config).values(name=name, value=text))

    # refresh tokens revoked by logout --------------------------------------------------------------

    async def revoke(self, jti: str, expires_at: int, now_ms: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(revoked_tokens).where(revoked_tokens.c.expires_at < now_ms))
            exists = (await conn.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti))).first()
            if exists is None:
                await conn.execute(insert(revoked_tokens).values(jti=jti, expires_at=expires_at))

    async def is_revoked(self, jti: str) -> bool:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti))).first()
        return row is not None

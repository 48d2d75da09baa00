"""No secret lies readable: the data dir is its user's alone, the database holds neither the API key nor
the token signing key (also after migrating a database an older MeetDesk wrote), the signing key can be
rotated, and a first start's generated password reaches a terminal or a private file, never a log.

The in-process cases run on PostgreSQL too (``tests/postgres.sh``); those with a server process are
marked slow (they use SQLite whatever the database under test).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from meetdesk.server.app import create_app
from meetdesk.server.auth import ACCESS_TTL_S, TokenService, hash_password
from meetdesk.server.config import ServerSettings
from meetdesk.server.store import schema
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, InProcess, ServerProcess, free_port
from tests.integration.abuse.conftest import assert_clean_log, assert_loop_kept_running


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def every_stored_value(engine: AsyncEngine) -> str:
    """Every row of every table, as text: what someone who can read the database sees."""
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        dump = []
        for table in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()  # noqa: S608 (names from the schema)
            dump.append(f"{table}: {rows!r}")
    return "\n".join(dump)


def signing_key_of(key_file: Path) -> str:
    return str(json.loads(key_file.read_text())["signing"])


async def login(http: httpx.AsyncClient) -> str:
    response = await http.post("/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert response.status_code == 200
    return str(response.json()["accessToken"])


# --- in process (SQLite, and PostgreSQL in the portability pass) ----------------------------------------


async def test_the_database_holds_neither_the_api_key_nor_the_signing_key(
    server: InProcess, settings: ServerSettings
) -> None:
    async with server.http() as http:
        bearer = {"Authorization": f"Bearer {await login(http)}"}
        created = (await http.post("/internal-api/v1/auth/api-keys", headers=bearer)).json()["apiKey"]
        assert (await http.get("/api/v1/rooms", headers={"X-API-KEY": created})).status_code == 200
    key_file = settings.data_dir / "keys.json"
    assert mode(key_file) == 0o600 and mode(settings.data_dir) == 0o700
    stored = await every_stored_value(server.ctx.db.engine)
    assert created not in stored and API_KEY not in stored
    assert signing_key_of(key_file) not in stored
    # webhooks are still signed with the key itself: sealed in the database, unsealed with the key file
    assert await server.ctx.accounts.webhook_key() == created


async def test_a_database_of_schema_1_is_migrated_without_losing_a_credential(settings: ServerSettings) -> None:
    """A database an older MeetDesk wrote: the API key in plain text, the signing key in global_config.
    After the upgrade both are out of its rows, and the key, the admin's token and webhooks still work."""
    settings.data_dir.mkdir(parents=True)
    engine = create_async_engine(settings.effective_database_url)
    legacy_key = "legacy-api-key-" + secrets.token_hex(16)
    master = secrets.token_hex(32)
    async with engine.begin() as conn:

        def schema_1(sync: object) -> None:
            schema.schema_version.create(sync)
            schema.MIGRATIONS[0](sync)  # type: ignore[arg-type]

        await conn.run_sync(schema_1)
        await conn.execute(insert(schema.schema_version).values(version=1))
        await conn.execute(insert(schema.legacy_api_keys).values(api_key=legacy_key, creation_date=1))
        for name, value in (("server_secret", master), ("seeded", True)):
            await conn.execute(insert(schema.global_config).values(name=name, value=json.dumps(value)))
        await conn.execute(
            insert(schema.users).values(
                username=ADMIN_USER, password_hash=hash_password(ADMIN_PASSWORD), roles='["admin"]', created_at=1
            )
        )
    await engine.dispose()
    legacy_jwt_key = hmac.digest(bytes.fromhex(master), b"jwt", hashlib.sha256).hex()
    old_token, _ = TokenService(lambda: legacy_jwt_key).issue("access", ADMIN_USER, ACCESS_TTL_S, roles=["admin"])

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            assert (await http.get("/api/v1/rooms", headers={"X-API-KEY": legacy_key})).status_code == 200
            profile = await http.get("/internal-api/v1/users/profile", headers={"Authorization": f"Bearer {old_token}"})
            assert profile.status_code == 200
        stored = await every_stored_value(ctx.db.engine)
        assert legacy_key not in stored and master not in stored
        assert await ctx.accounts.webhook_key() == legacy_key
        async with ctx.db.engine.connect() as conn:
            assert (await conn.execute(select(schema.schema_version.c.version))).scalar() == len(schema.MIGRATIONS)
    key_file = settings.data_dir / "keys.json"
    assert signing_key_of(key_file) == master and mode(key_file) == 0o600


# --- a real server process ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_data_dir_and_every_file_in_it_are_private(tmp_path: Path) -> None:
    """Made 0755/0644 as an older MeetDesk (and the embedded launcher's log) left them: private after a start."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)  # noqa: S103 (as an older MeetDesk left it)
    launcher_log = data_dir / "server.log"
    launcher_log.write_text("the embedded launcher appends the server's output here\n")
    os.chmod(launcher_log, 0o644)
    proc = ServerProcess(data_dir, free_port())
    proc.start()
    try:
        created = httpx.post(f"{proc.url}/api/v1/rooms", json={"roomName": "private"}, headers={"X-API-KEY": API_KEY})
        assert created.status_code == 201
        files = sorted(p.name for p in data_dir.iterdir())
        assert {"meetdesk.db", "meetdesk.db-wal", "keys.json", "server.log"} <= set(files)
        assert mode(data_dir) == 0o700
        assert {name: oct(mode(data_dir / name)) for name in files} == {name: "0o600" for name in files}
    finally:
        proc.stop()
    assert_clean_log(proc.log())
    assert_loop_kept_running(proc.log())


@pytest.mark.slow
def test_rotating_the_signing_key_refuses_every_older_token(server_process: ServerProcess) -> None:
    url = server_process.url
    credentials = {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
    old = httpx.post(f"{url}/internal-api/v1/auth/login", json=credentials).json()["accessToken"]
    profile = f"{url}/internal-api/v1/users/profile"
    assert httpx.get(profile, headers={"Authorization": f"Bearer {old}"}).status_code == 200
    rotated = subprocess.run(
        [sys.executable, "-m", "meetdesk", "rotate-signing-key", "--data-dir", str(server_process.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rotated.returncode == 0 and "Every token issued before now is refused" in rotated.stdout
    assert mode(server_process.data_dir / "keys.json") == 0o600
    # the running server reads the new key at once: the old token is refused, a new sign-in works
    refused = httpx.get(profile, headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401 and refused.json()["message"] == "Invalid token"
    new = httpx.post(f"{url}/internal-api/v1/auth/login", json=credentials).json()["accessToken"]
    assert httpx.get(profile, headers={"Authorization": f"Bearer {new}"}).status_code == 200
    server_process.stop()
    assert_clean_log(server_process.log())
    assert_loop_kept_running(server_process.log())


def test_rotating_without_a_key_file_says_why(tmp_path: Path) -> None:
    rotated = subprocess.run(
        [sys.executable, "-m", "meetdesk", "rotate-signing-key", "--data-dir", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rotated.returncode == 1
    assert rotated.stderr.strip() == (
        f"The signing key was not rotated: There is no key file at {tmp_path / 'nothing' / 'keys.json'}: "
        "start the server once with this data dir first"
    )

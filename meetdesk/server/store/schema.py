"""Tables and the migrations that build them.

The schema is versioned: ``schema_version`` holds the number of the last migration applied, and
:data:`MIGRATIONS` lists every step in order. A new column or table is a new function appended to that
list, never an edit of an old one. Only portable SQL: the same steps run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    inspect,
    select,
    text,
    update,
)

from meetdesk.core.ids import new_secret
from meetdesk.server.keys import ServerKeys, hash_api_key

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

rooms = Table(
    "rooms",
    metadata,
    Column("room_id", String(80), primary_key=True),
    Column("room_name", String(200), nullable=False),
    # casefolded name: case-insensitive search and sort that behave the same on every engine
    Column("search_name", String(200), nullable=False),
    Column("creation_date", BigInteger, nullable=False),
    Column("auto_deletion_date", BigInteger, nullable=True),
    Column("policy_with_meeting", String(20), nullable=False),
    Column("policy_with_recordings", String(20), nullable=False),
    Column("config", Text, nullable=False),
    Column("moderator_secret", String(100), nullable=False),
    Column("speaker_secret", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("meeting_end_action", String(20), nullable=False),
    # what a scheduled deletion does with recordings that exist when the meeting ends
    Column("end_recordings_policy", String(20), nullable=False),
    # from migration 6 on (see _v6_room_roles_and_access): null means the defaults
    Column("roles", Text, nullable=True),
    Column("access", Text, nullable=True),
    Column("recording_secret", String(100), nullable=True),
    Index("ix_rooms_creation", "creation_date", "room_id"),
    Index("ix_rooms_name", "search_name", "room_id"),
    Index("ix_rooms_auto_deletion", "auto_deletion_date", "room_id"),
    Index("ix_rooms_status", "status"),
)

recordings = Table(
    "recordings",
    metadata,
    Column("recording_id", String(200), primary_key=True),
    Column("room_id", String(80), nullable=False),
    Column("room_name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("start_date", BigInteger, nullable=False),
    Column("end_date", BigInteger, nullable=True),
    Column("filename", String(300), nullable=True),
    Column("size", BigInteger, nullable=True),
    Index("ix_recordings_room", "room_id"),
    # from migration 4 on (see _v4_recording_details)
    Column("duration_ms", BigInteger, nullable=True),
    Column("layout", String(40), nullable=True),
    Column("encoding", Text, nullable=True),  # a preset name, or the advanced object as JSON
    Column("error_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("details", Text, nullable=True),
)

_IN_PROGRESS_SQL = "status IN ('starting', 'active', 'ending')"
#: one recording in progress per room, whoever tries to start a second one (migration 4)
recordings_in_progress = Index(
    "ux_recordings_in_progress",
    recordings.c.room_id,
    unique=True,
    sqlite_where=text(_IN_PROGRESS_SQL),
    postgresql_where=text(_IN_PROGRESS_SQL),
)
_RECORDING_DETAILS = {
    "duration_ms": "BIGINT",
    "layout": "VARCHAR(40)",
    "encoding": "TEXT",
    "error_code": "INTEGER",
    "error": "TEXT",
    "details": "TEXT",
}

users = Table(
    "users",
    metadata,
    Column("username", String(200), primary_key=True),
    Column("password_hash", String(300), nullable=False),
    Column("roles", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # tokens issued (iat_ms) before this are void: bumped when the password changes
    Column("tokens_valid_after", BigInteger, nullable=False, server_default="0"),
)

#: Schema 1 kept the API key in plain text; migration 2 moves it to api_key_hashes and drops this table.
legacy_api_keys = Table(
    "api_keys",
    metadata,
    Column("api_key", String(200), primary_key=True),
    Column("creation_date", BigInteger, nullable=False),
)

#: The API key: its SHA-256 to check callers, and sealed with the key file's storage key to sign webhooks.
api_key_hashes = Table(
    "api_key_hashes",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("sealed", Text, nullable=True),
    # the key's last characters, to tell keys apart without revealing them
    Column("hint", String(8), nullable=False),
    Column("creation_date", BigInteger, nullable=False),
)

global_config = Table(
    "global_config",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(100), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)


#: Per participant identity, OpenVidu Meet's ``roleUpdatedAt``: its tokens issued before ``revoked_before``
#: (ms) no longer count, after a kick or a role change. Kept until every such token has expired anyway.
participant_revocations = Table(
    "participant_revocations",
    metadata,
    Column("identity", String(100), primary_key=True),
    Column("room_id", String(80), nullable=False),
    Column("revoked_before", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_participant_revocations_expiry", "expires_at"),
)


#: Registered webhooks (OpenVidu Meet 3.9, migration 5): ``events`` a JSON list or NULL (every event), ``room_id``
#: the room scope or NULL (every room).
webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=True),
    Column("room_id", String(100), nullable=True),
    Column("enabled", Integer, nullable=False),
    Column("creation_date", BigInteger, nullable=False),
)


#: Kiosks of the fleet (migration 7). Enrolment codes and credentials are kept as SHA-256 hex only; ``generation``
#: counts enrolments (a kiosk's meeting identity carries it, so a re-enrolled kiosk is a new participant).
#: ``status`` is the last heartbeat's report (JSON).
kiosks = Table(
    "kiosks",
    metadata,
    Column("kiosk_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("room_id", String(100), nullable=False),
    Column("settings", Text, nullable=False),
    Column("settings_version", Integer, nullable=False),
    Column("applied_version", Integer, nullable=False),
    Column("code_hash", String(64), nullable=True, unique=True),
    Column("code_expires_at", BigInteger, nullable=True),
    Column("credential_hash", String(64), nullable=True, unique=True),
    Column("generation", Integer, nullable=False),
    Column("status", Text, nullable=True),
    Column("last_seen_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
)

#: Commands an admin sent to a kiosk that was online but had no socket at that moment (its server had just
#: restarted), kept until it connects (migration 8): at most one per action (join and leave replace each other).
kiosk_commands = Table(
    "kiosk_commands",
    metadata,
    Column("kiosk_id", String(40), primary_key=True),
    Column("action", String(20), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

#: The last logs each kiosk sent when asked (migration 8), so an admin reads them after a server restart too.
kiosk_logs = Table(
    "kiosk_logs",
    metadata,
    Column("kiosk_id", String(40), primary_key=True),
    Column("received_at", BigInteger, nullable=False),
    Column("text", Text, nullable=False),
)


def _v1_initial(conn: Connection) -> None:
    for table in (rooms, recordings, users, legacy_api_keys, global_config, revoked_tokens):
        table.create(conn)


def _v2_participant_revocations(conn: Connection) -> None:
    participant_revocations.create(conn)


def _v3_secrets_out_of_rows(conn: Connection) -> None:
    """The JWT signing key moves from global_config to the key file; the API key is kept hashed and sealed."""
    legacy = conn.execute(select(global_config.c.value).where(global_config.c.name == "server_secret")).scalar()
    stored_keys = conn.execute(select(legacy_api_keys.c.api_key, legacy_api_keys.c.creation_date)).all()
    api_key_hashes.create(conn)
    if legacy is not None or stored_keys:  # secrets to move (a new database has none)
        server_keys = migration_keys(conn)(bytes.fromhex(json.loads(legacy)) if legacy is not None else None)
        conn.execute(delete(global_config).where(global_config.c.name == "server_secret"))
        for api_key, created in stored_keys:
            conn.execute(
                insert(api_key_hashes).values(
                    key_hash=hash_api_key(api_key),
                    sealed=server_keys.seal(api_key),
                    hint=api_key[-4:],
                    creation_date=created,
                )
            )
    legacy_api_keys.drop(conn)


#: Where migrations that move secrets find the key file: ``conn.info[KEYS_INFO]`` (see Database.migrate).
KEYS_INFO = "meetdesk_server_keys"


def migration_keys(conn: Connection) -> Callable[[bytes | None], ServerKeys]:
    opener: Callable[[bytes | None], ServerKeys] | None = conn.info.get(KEYS_INFO)
    if opener is None:
        raise RuntimeError("This migration moves secrets to the key file: open the database with the server's keys")
    return opener


def _v4_recording_details(conn: Connection) -> None:
    """Recordings get upstream's other fields and at most one in progress per room. Schema 1 databases made
    before this have the old columns only; newer ones were created with the table as defined now."""
    inspector = inspect(conn)
    present = {column["name"] for column in inspector.get_columns("recordings")}
    for name, sql_type in _RECORDING_DETAILS.items():
        if name not in present:
            conn.execute(text(f"ALTER TABLE recordings ADD COLUMN {name} {sql_type}"))
    if recordings_in_progress.name not in {index["name"] for index in inspector.get_indexes("recordings")}:
        recordings_in_progress.create(conn)


def _v5_webhooks(conn: Connection) -> None:
    webhooks.create(conn)


_ROOM_ACCESS_COLUMNS = {"roles": "TEXT", "access": "TEXT", "recording_secret": "VARCHAR(100)"}


def _v6_room_roles_and_access(conn: Connection) -> None:
    """Rooms get OpenVidu Meet 3.8's roles and access settings (null: the defaults) and a third secret, for the
    anonymous recording link; the rooms made before this get theirs now."""
    present = {column["name"] for column in inspect(conn).get_columns("rooms")}
    for name, sql_type in _ROOM_ACCESS_COLUMNS.items():
        if name not in present:
            conn.execute(text(f"ALTER TABLE rooms ADD COLUMN {name} {sql_type}"))
    missing = conn.execute(select(rooms.c.room_id).where(rooms.c.recording_secret.is_(None))).scalars().all()
    for room_id in missing:
        conn.execute(update(rooms).where(rooms.c.room_id == room_id).values(recording_secret=new_secret()))


def _v7_kiosks(conn: Connection) -> None:
    kiosks.create(conn)


def _v8_kiosk_commands_and_logs(conn: Connection) -> None:
    kiosk_commands.create(conn)
    kiosk_logs.create(conn)


#: Every migration, in order; ``schema_version.version`` is how many have run.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_initial,
    _v2_participant_revocations,
    _v3_secrets_out_of_rows,
    _v4_recording_details,
    _v5_webhooks,
    _v6_room_roles_and_access,
    _v7_kiosks,
    _v8_kiosk_commands_and_logs,
]

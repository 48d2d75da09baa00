"""Tables and the migrations that build them.

The schema is versioned: ``schema_version`` holds the number of the last migration applied, and
:data:`MIGRATIONS` lists every step in order. A new column or table is a new function appended to that
list, never an edit of an old one. Only portable SQL: the same steps run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, Text

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
)

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

api_keys = Table(
    "api_keys",
    metadata,
    Column("api_key", String(200), primary_key=True),
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


def _v1_initial(conn: Connection) -> None:
    for table in (rooms, recordings, users, api_keys, global_config, revoked_tokens):
        table.create(conn)


def _v2_participant_revocations(conn: Connection) -> None:
    participant_revocations.create(conn)


#: Every migration, in order; ``schema_version.version`` is how many have run.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1_initial, _v2_participant_revocations]

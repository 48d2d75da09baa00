"""Rooms and their recordings in the store.

Listing uses keyset pagination: the page token carries the sort key of the last room returned, so a
page costs one index range scan however deep the client has paged.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.engine import Row

from meetdesk.core.access import RoomAccess
from meetdesk.core.models import AutoDeletionPolicy, MeetingEndAction, RoomConfig, RoomStatus, WithRecordings
from meetdesk.core.namematch import MatchMode, NameMatch
from meetdesk.core.permissions import DEFAULT_ROLES, Permissions, Role, RoomRoles, effective
from meetdesk.server.store.batching import GroupInserter
from meetdesk.server.store.db import Database
from meetdesk.server.store.schema import recordings, rooms

SortField = Literal["creationDate", "roomName", "autoDeletionDate"]
SortOrder = Literal["asc", "desc"]
#: Rooms with no auto-deletion date sort before every date, as upstream's store sorts a missing value:
#: first in ascending order, last in descending.
_NEVER = -1
#: rooms read at a time when a name filter must be checked outside SQL (case-sensitive, regex)
_CHECK_BATCH = 500


@dataclass(frozen=True)
class RoomRecord:
    """A stored room. Policy and config are kept as stored (validated on the way in) and parsed on use,
    so that listing a page of rooms costs no model validation."""

    room_id: str
    room_name: str
    creation_date: int
    auto_deletion_date: int | None
    policy_with_meeting: str
    policy_with_recordings: str
    config_json: str
    moderator_secret: str
    speaker_secret: str
    status: RoomStatus
    meeting_end_action: MeetingEndAction
    end_recordings_policy: WithRecordings
    #: the anonymous recording link's secret (OpenVidu Meet 3.8's ``access.anonymous.recording``)
    recording_secret: str = ""
    #: the roles' permissions and the links' access as stored; None: the defaults
    roles_json: str | None = None
    access_json: str | None = None

    @functools.cached_property
    def config(self) -> RoomConfig:
        return RoomConfig.model_validate_json(self.config_json)

    @functools.cached_property
    def roles(self) -> RoomRoles:
        return RoomRoles.model_validate_json(self.roles_json) if self.roles_json else DEFAULT_ROLES

    @functools.cached_property
    def access(self) -> RoomAccess:
        return RoomAccess.model_validate_json(self.access_json) if self.access_json else RoomAccess()

    def permissions(self, role: Role) -> Permissions:
        """What a participant of ``role`` may do in this room now (its role's permissions and the config)."""
        return effective(role, self.roles, self.config)

    @property
    def policy(self) -> AutoDeletionPolicy:
        return AutoDeletionPolicy.model_validate(
            {"withMeeting": self.policy_with_meeting, "withRecordings": self.policy_with_recordings}
        )

    def config_dict(self) -> dict[str, Any]:
        """The config as the API shows it: through the model, so that a room stored before an option
        existed reports that option's value too."""
        return self.config.model_dump()


def _from_row(row: Row[Any]) -> RoomRecord:
    return RoomRecord(
        room_id=row.room_id,
        room_name=row.room_name,
        creation_date=row.creation_date,
        auto_deletion_date=row.auto_deletion_date,
        policy_with_meeting=row.policy_with_meeting,
        policy_with_recordings=row.policy_with_recordings,
        config_json=row.config,
        moderator_secret=row.moderator_secret,
        speaker_secret=row.speaker_secret,
        status=RoomStatus(row.status),
        meeting_end_action=MeetingEndAction(row.meeting_end_action),
        end_recordings_policy=WithRecordings(row.end_recordings_policy),
        recording_secret=row.recording_secret or "",
        roles_json=row.roles,
        access_json=row.access,
    )


def sort_key(room: RoomRecord, field: SortField) -> int | str:
    """The value of ``field`` that pagination tokens carry (and compare in SQL)."""
    if field == "creationDate":
        return room.creation_date
    if field == "roomName":
        return room.room_name.casefold()
    return room.auto_deletion_date if room.auto_deletion_date is not None else _NEVER


def _sort_column(field: SortField) -> ColumnElement[Any]:
    if field == "creationDate":
        return rooms.c.creation_date
    if field == "roomName":
        return rooms.c.search_name
    return func.coalesce(rooms.c.auto_deletion_date, _NEVER)


@dataclass(frozen=True)
class RoomQuery:
    limit: int
    name_contains: str | None = None
    status: RoomStatus | None = None
    sort_field: SortField = "creationDate"
    sort_order: SortOrder = "desc"
    #: (sort key, room id) of the last room of the previous page
    after: tuple[int | str, str] | None = None
    #: a 3.8 room-name filter (``name_contains`` is 3.4's partial, case-insensitive one)
    name_match: NameMatch | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RoomStore:
    def __init__(self, db: Database) -> None:
        self._engine = db.engine
        self._inserter = GroupInserter(db.engine, rooms)

    async def insert(self, room: RoomRecord) -> None:
        await self._inserter.insert(
            dict(
                room_id=room.room_id,
                room_name=room.room_name,
                search_name=room.room_name.casefold(),
                creation_date=room.creation_date,
                auto_deletion_date=room.auto_deletion_date,
                policy_with_meeting=room.policy_with_meeting,
                policy_with_recordings=room.policy_with_recordings,
                config=room.config_json,
                moderator_secret=room.moderator_secret,
                speaker_secret=room.speaker_secret,
                status=room.status.value,
                meeting_end_action=room.meeting_end_action.value,
                end_recordings_policy=room.end_recordings_policy.value,
                recording_secret=room.recording_secret,
                roles=room.roles_json,
                access=room.access_json,
            )
        )

    async def get(self, room_id: str) -> RoomRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(rooms).where(rooms.c.room_id == room_id))).first()
        return _from_row(row) if row is not None else None

    async def list(self, query: RoomQuery) -> tuple[list[RoomRecord], bool]:
        """One page of rooms and whether more follow."""
        conditions: list[ColumnElement[bool]] = []
        if query.name_contains:
            pattern = f"%{_escape_like(query.name_contains.casefold())}%"
            conditions.append(rooms.c.search_name.like(pattern, escape="\\"))
        match = query.name_match
        if match is not None and match.mode is MatchMode.EXACT:
            conditions.append(rooms.c.search_name == match.value.casefold())
        elif match is not None and match.mode is not MatchMode.REGEX:
            # case-folded: a superset of the case-sensitive matches, which are then checked one by one
            pattern = _escape_like(match.value.casefold()) + "%"
            pattern = pattern if match.mode is MatchMode.PREFIX else "%" + pattern
            conditions.append(rooms.c.search_name.like(pattern, escape="\\"))
        if query.status is not None:
            conditions.append(rooms.c.status == query.status.value)
        if match is not None and not match.exact_in_sql:
            return await self._list_checked(query, conditions, match)
        return await self._list_where(query, conditions, query.after, query.limit + 1)

    async def _list_checked(
        self, query: RoomQuery, conditions: builtins.list[ColumnElement[bool]], match: NameMatch
    ) -> tuple[builtins.list[RoomRecord], bool]:
        """A page of the rooms whose names ``match`` accepts, read in batches in the page's order."""
        found: builtins.list[RoomRecord] = []
        after = query.after
        while True:
            batch, more = await self._list_where(query, conditions, after, _CHECK_BATCH)
            found += [room for room in batch if match.matches(room.room_name)]
            if len(found) > query.limit:
                return found[: query.limit], True
            if not more or not batch:
                return found, False
            last = batch[-1]
            after = (sort_key(last, query.sort_field), last.room_id)

    async def _list_where(
        self,
        query: RoomQuery,
        conditions: builtins.list[ColumnElement[bool]],
        after: tuple[int | str, str] | None,
        limit: int,
    ) -> tuple[builtins.list[RoomRecord], bool]:
        """Up to ``limit - 1`` rooms after ``after`` in the query's order, and whether more follow."""
        column = _sort_column(query.sort_field)
        conditions = [*conditions]
        if after is not None:
            key, last_id = after
            if query.sort_order == "asc":
                conditions.append(or_(column > key, and_(column == key, rooms.c.room_id > last_id)))
            else:
                conditions.append(or_(column < key, and_(column == key, rooms.c.room_id < last_id)))
        ordering = (
            (column.asc(), rooms.c.room_id.asc())
            if query.sort_order == "asc"
            else (
                column.desc(),
                rooms.c.room_id.desc(),
            )
        )
        stmt = select(rooms).where(*conditions).order_by(*ordering).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        found = [_from_row(row) for row in rows[: limit - 1]]
        return found, len(rows) >= limit

    async def save(self, room: RoomRecord) -> None:
        """Write a room's mutable state: name, auto-deletion, config, status, scheduled end action."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(rooms)
                .where(rooms.c.room_id == room.room_id)
                .values(
                    room_name=room.room_name,
                    search_name=room.room_name.casefold(),
                    auto_deletion_date=room.auto_deletion_date,
                    policy_with_meeting=room.policy_with_meeting,
                    policy_with_recordings=room.policy_with_recordings,
                    config=room.config_json,
                    status=room.status.value,
                    meeting_end_action=room.meeting_end_action.value,
                    end_recordings_policy=room.end_recordings_policy.value,
                    roles=room.roles_json,
                    access=room.access_json,
                )
            )

    async def delete(self, room_id: str, *, with_recordings: bool) -> None:
        async with self._engine.begin() as conn:
            if with_recordings:
                await conn.execute(delete(recordings).where(recordings.c.room_id == room_id))
            await conn.execute(delete(rooms).where(rooms.c.room_id == room_id))

    async def ids_due_for_auto_deletion(self, now_ms: int) -> Sequence[str]:
        stmt = select(rooms.c.room_id).where(rooms.c.auto_deletion_date <= now_ms).order_by(rooms.c.room_id)
        async with self._engine.connect() as conn:
            return (await conn.execute(stmt)).scalars().all()

    async def ids_with_status(self, status: RoomStatus) -> Sequence[str]:
        async with self._engine.connect() as conn:
            result = await conn.execute(select(rooms.c.room_id).where(rooms.c.status == status.value))
            return result.scalars().all()

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(rooms))).scalar_one())

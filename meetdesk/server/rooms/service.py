"""The rooms service: creation, listing, editing, config, status and deletion, and the meeting-end actions.

Every change of a room goes through here, so the REST API, the auto-deletion job and the meeting
engine apply the same rules (``meetdesk.core.rooms.decide_deletion``) under the same per-room lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from meetdesk.core.access import ALL_LINKS, LINK_KINDS, AccessPatch, LinkKind, RoomAccess, access_view
from meetdesk.core.errors import Conflict, room_not_found
from meetdesk.core.events import RoomCreated, RoomDeleted, RoomUpdated
from meetdesk.core.ids import new_room_id, new_secret
from meetdesk.core.models import (
    MeetingEndAction,
    MeetRoom,
    RoomConfig,
    RoomConfigPatch,
    RoomOptions,
    RoomStatus,
    RoomUpdate,
    WithMeeting,
    WithRecordings,
    now_ms,
)
from meetdesk.core.namematch import NameMatch
from meetdesk.core.permissions import DEFAULT_ROLES, RolesPatch
from meetdesk.core.rooms import DeletionDecision, Step, decide_deletion, describe
from meetdesk.server.events import EventHub
from meetdesk.server.meeting.registry import MeetingRegistry, NameReservations
from meetdesk.server.paging import PageTokens
from meetdesk.server.store.recordings import RecordingStore
from meetdesk.server.store.rooms import RoomQuery, RoomRecord, RoomStore, SortField, SortOrder, sort_key

logger = logging.getLogger(__name__)

ROOM_FIELDS = (
    "roomId",
    "roomName",
    "creationDate",
    "autoDeletionDate",
    "autoDeletionPolicy",
    "config",
    "moderatorUrl",
    "speakerUrl",
    "status",
    "meetingEndAction",
    "roles",
    "access",
)


@dataclass(frozen=True)
class DeletionOutcome:
    room_id: str
    decision: DeletionDecision
    message: str
    room: dict[str, Any] | None

    def body(self) -> dict[str, Any]:
        if self.decision.refused:
            return {"error": self.decision.code, "message": self.message}
        body: dict[str, Any] = {"successCode": self.decision.code, "message": self.message}
        if self.room is not None:  # a deleted room is gone: its outcome carries none
            body["room"] = self.room
        return body


class RoomService:
    """Rooms and their rules. Every change is published on ``events`` (created, updated, deleted) once stored."""

    def __init__(
        self,
        rooms: RoomStore,
        recordings: RecordingStore,
        meetings: MeetingRegistry,
        names: NameReservations,
        base_url: str,
        page_tokens: PageTokens,
        events: EventHub,
        *,
        departed: dict[str, RoomRecord] | None = None,
        remove_recording_files: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.events = events
        #: removes a recording's files once its row is gone with its room
        self._remove_recording_files = remove_recording_files
        #: rooms deleted while their meeting still runs, until it has ended (its meetingEnded describes them)
        self.departed: dict[str, RoomRecord] = {} if departed is None else departed
        self.rooms = rooms
        self.recordings = recordings
        self.meetings = meetings
        self.names = names
        self.base_url = base_url
        self.page_tokens = page_tokens
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        #: rooms whose meeting a moderator locked (their status is closed until the meeting ends)
        self._locked: set[str] = set()
        meetings.on_started(self._meeting_started)
        meetings.on_ended(self._meeting_ended)

    # reading ---------------------------------------------------------------------------------------

    async def get(self, room_id: str) -> RoomRecord:
        room = await self.rooms.get(room_id)
        if room is None:
            raise room_not_found(room_id)
        return room

    async def list(
        self,
        *,
        limit: int,
        name_contains: str | None,
        status: RoomStatus | None,
        sort_field: SortField,
        sort_order: SortOrder,
        page_token: str | None,
        name_match: NameMatch | None = None,
    ) -> tuple[list[RoomRecord], str | None]:
        after = self.page_tokens.decode(page_token, sort_field, sort_order) if page_token else None
        query = RoomQuery(limit, name_contains, status, sort_field, sort_order, after, name_match)
        found, more = await self.rooms.list(query)
        token = None
        if more and found:
            last = found[-1]
            token = self.page_tokens.encode(sort_field, sort_order, sort_key(last, sort_field), last.room_id)
        return found, token

    def to_api(
        self,
        room: RoomRecord,
        fields: set[str] | None = None,
        *,
        extras: frozenset[str] = frozenset(),
        links: frozenset[LinkKind] = ALL_LINKS,
    ) -> dict[str, Any]:
        return room_api_view(room, self.base_url, fields, extras=extras, links=links)

    def as_model(self, room: RoomRecord) -> MeetRoom:
        """The room as its events carry it: with its links' access, which the admin app's rooms list shows."""
        return MeetRoom.model_validate(self.to_api(room, extras=frozenset({"access"})))

    # changing --------------------------------------------------------------------------------------

    async def _save(self, room: RoomRecord) -> RoomRecord:
        """Store a changed room and tell the listeners. Every update of a room goes through here."""
        await self.rooms.save(room)
        if self.events.listener_count:  # building the API view costs: only when someone listens
            self.events.publish(RoomUpdated(room=self.as_model(room)))
        return room

    async def _delete_stored(self, room_id: str, *, with_recordings: bool) -> None:
        doomed = await self.recordings.for_room(room_id) if with_recordings else []
        await self.rooms.delete(room_id, with_recordings=with_recordings)
        if self._remove_recording_files is not None:
            for recording in doomed:
                await self._remove_recording_files(recording.recording_id)
        self.names.forget_room(room_id)
        self.events.publish(RoomDeleted(roomId=room_id))

    async def create(self, options: RoomOptions) -> RoomRecord:
        room = RoomRecord(
            room_id=new_room_id(options.roomName),
            room_name=options.roomName,
            creation_date=now_ms(),
            auto_deletion_date=options.autoDeletionDate,
            policy_with_meeting=options.autoDeletionPolicy.withMeeting,
            policy_with_recordings=options.autoDeletionPolicy.withRecordings,
            config_json=options.config.model_dump_json(),
            moderator_secret=new_secret(),
            speaker_secret=new_secret(),
            status=RoomStatus.OPEN,
            meeting_end_action=MeetingEndAction.NONE,
            end_recordings_policy=WithRecordings.CLOSE,
            recording_secret=new_secret(),
            roles_json=DEFAULT_ROLES.patched(options.roles).model_dump_json() if options.roles else None,
            access_json=RoomAccess().patched(options.access).model_dump_json() if options.access else None,
        )
        await self.rooms.insert(room)
        logger.info("Room(%s) created", room.room_id)
        if self.events.listener_count:
            self.events.publish(RoomCreated(room=self.as_model(room)))
        return room

    async def update_config(self, room_id: str, patch: RoomConfigPatch) -> RoomRecord:
        async with self._locks[room_id]:
            room = await self.get(room_id)
            if self.meetings.is_active(room_id):
                raise Conflict(
                    f"Room '{room_id}' has an active meeting: its config can change once the meeting ends",
                    error="Room Error",
                )
            updated = replace(room, config_json=patch.merged_into(room.config).model_dump_json())
            await self._save(updated)
            return updated

    async def update(self, room_id: str, changes: RoomUpdate) -> RoomRecord:
        """Rename a room or change its auto-deletion (``PATCH /rooms/{id}``); its id and links stay."""
        async with self._locks[room_id]:
            room = await self.get(room_id)
            if self.meetings.is_active(room_id):
                raise Conflict(
                    f"Room '{room_id}' has an active meeting: its name and auto-deletion can change once the "
                    "meeting ends",
                    error="Room Error",
                )
            given = changes.model_fields_set
            updated = room
            if changes.roomName is not None:
                updated = replace(updated, room_name=changes.roomName)
            if "autoDeletionDate" in given:
                updated = replace(updated, auto_deletion_date=changes.autoDeletionDate)
            if changes.autoDeletionPolicy is not None:
                updated = replace(
                    updated,
                    policy_with_meeting=changes.autoDeletionPolicy.withMeeting,
                    policy_with_recordings=changes.autoDeletionPolicy.withRecordings,
                )
            await self._save(updated)
            logger.info("Room(%s) updated: %s", room_id, ", ".join(sorted(given)))
            return updated

    async def update_roles(self, room_id: str, patch: RolesPatch) -> tuple[RoomRecord, RoomRecord]:
        """Change some of the roles' permissions (``PUT /rooms/{id}/roles``); the room before and after. Unlike
        upstream (409 during a meeting), the change applies at once: the meeting engine hands it to the
        participants (``MeetingEngine.roles_changed``)."""
        async with self._locks[room_id]:
            room = await self.get(room_id)
            updated = replace(room, roles_json=room.roles.patched(patch).model_dump_json())
            await self._save(updated)
            logger.info("Room(%s) roles changed", room_id)
            return room, updated

    async def update_access(self, room_id: str, patch: AccessPatch) -> RoomRecord:
        """Turn anonymous links off or on (``PUT /rooms/{id}/access``); participants already in stay."""
        async with self._locks[room_id]:
            room = await self.get(room_id)
            updated = replace(room, access_json=room.access.patched(patch).model_dump_json())
            await self._save(updated)
            states = ", ".join(f"{kind} {'on' if updated.access.enabled(kind) else 'off'}" for kind in LINK_KINDS)
            logger.info("Room(%s) anonymous access: %s", room_id, states)
            return updated

    async def config(self, room_id: str) -> RoomConfig:
        return (await self.get(room_id)).config

    async def set_status(self, room_id: str, status: RoomStatus) -> tuple[int, str, RoomRecord]:
        """Open or close a room. Closing one with a meeting under way is scheduled (202)."""
        async with self._locks[room_id]:
            room = await self.get(room_id)
            active = self.meetings.is_active(room_id)
            if status is RoomStatus.CLOSED:
                if active:
                    room = replace(room, meeting_end_action=MeetingEndAction.CLOSE)
                    await self._save(room)
                    return 202, f"Room '{room_id}' scheduled to be closed when the meeting ends", room
                room = replace(room, status=RoomStatus.CLOSED, meeting_end_action=MeetingEndAction.NONE)
                await self._save(room)
                return 200, f"Room '{room_id}' has been closed", room
            if active:
                # Reopening cancels a close (or delete) scheduled for the end of the meeting, and unlocks it.
                room = replace(room, status=RoomStatus.ACTIVE_MEETING, meeting_end_action=MeetingEndAction.NONE)
                self._locked.discard(room_id)
            else:
                room = replace(room, status=RoomStatus.OPEN)
            await self._save(room)
            return 200, f"Room '{room_id}' has been opened", room

    def is_meeting_locked(self, room_id: str) -> bool:
        """Whether a moderator locked the room's meeting (and nobody unlocked it since)."""
        return room_id in self._locked

    async def set_meeting_locked(self, room_id: str, locked: bool) -> bool:
        """Lock the room's meeting (the room is ``closed`` while it runs: nobody new joins) or unlock it.
        Returns whether the status changed. A lock ends with the meeting (see :meth:`_finish_meeting`)."""
        async with self._locks[room_id]:
            room = await self.get(room_id)
            if not self.meetings.is_active(room_id):
                raise Conflict(f"Room '{room_id}' has no meeting under way to lock", error="Room Error")
            status = RoomStatus.CLOSED if locked else RoomStatus.ACTIVE_MEETING
            if room.status is status:
                return False
            await self._save(replace(room, status=status))
            if locked:
                self._locked.add(room_id)
            else:
                self._locked.discard(room_id)
            logger.info("Room(%s) meeting %s", room_id, "locked" if locked else "unlocked")
            return True

    async def delete(self, room_id: str, with_meeting: WithMeeting, with_recordings: WithRecordings) -> DeletionOutcome:
        """Delete, close or schedule, per the deletion matrix. Raises NotFound for an unknown room."""
        async with self._locks[room_id]:
            room = await self.get(room_id)
            decision = decide_deletion(
                has_meeting=self.meetings.is_active(room_id),
                has_recordings=await self.recordings.count_for_room(room_id) > 0,
                with_meeting=with_meeting,
                with_recordings=with_recordings,
            )
            message = describe(decision.code, room_id)
            if decision.refused:
                return DeletionOutcome(room_id, decision, message, None)
            if Step.SCHEDULE in decision.steps:
                room = replace(room, meeting_end_action=decision.scheduled, end_recordings_policy=with_recordings)
                await self._save(room)
            elif Step.DELETE_ROOM in decision.steps:
                if Step.END_MEETING in decision.steps:
                    self.departed[room_id] = room
                await self._delete_stored(room_id, with_recordings=Step.DELETE_RECORDINGS in decision.steps)
                logger.info("Room(%s) deleted (%s)", room_id, decision.code)
            elif Step.CLOSE_ROOM in decision.steps:
                room = replace(room, status=RoomStatus.CLOSED, meeting_end_action=MeetingEndAction.NONE)
                await self._save(room)
                logger.info("Room(%s) closed (%s)", room_id, decision.code)
        # The room's record already says what happens, so the end hook below has nothing left to apply.
        if Step.END_MEETING in decision.steps:
            try:
                await self.meetings.end(
                    room_id, "room_deleted" if Step.DELETE_ROOM in decision.steps else "meeting_ended"
                )
            finally:
                self.departed.pop(room_id, None)
        deleted = Step.DELETE_ROOM in decision.steps
        return DeletionOutcome(room_id, decision, message, None if deleted else self.to_api(room))

    # meeting hooks ---------------------------------------------------------------------------------

    async def _meeting_started(self, room_id: str) -> None:
        async with self._locks[room_id]:
            room = await self.rooms.get(room_id)
            if room is not None and room.status is not RoomStatus.ACTIVE_MEETING:
                await self._save(replace(room, status=RoomStatus.ACTIVE_MEETING))

    async def _meeting_ended(self, room_id: str) -> None:
        """Apply what was scheduled for the end of the meeting: nothing (reopen), close, or delete."""
        async with self._locks[room_id]:
            room = await self.rooms.get(room_id)
            if room is None:
                return
            await self._finish_meeting(room)

    async def _finish_meeting(self, room: RoomRecord) -> None:
        action = room.meeting_end_action
        if action is MeetingEndAction.DELETE:
            has_recordings = await self.recordings.count_for_room(room.room_id) > 0
            if not has_recordings or room.end_recordings_policy is WithRecordings.FORCE:
                await self._delete_stored(room.room_id, with_recordings=True)
                logger.info("Room(%s) deleted at the end of its meeting", room.room_id)
                return
            # Recordings appeared during the meeting and may not be deleted: keep them, close the room.
            action = MeetingEndAction.CLOSE
        locked = room.room_id in self._locked
        self._locked.discard(room.room_id)
        if action is MeetingEndAction.CLOSE:
            status = RoomStatus.CLOSED
        elif locked:
            status = RoomStatus.OPEN  # a lock belongs to its meeting: the room opens again after it
        else:
            status = RoomStatus.CLOSED if room.status is RoomStatus.CLOSED else RoomStatus.OPEN
        await self._save(replace(room, status=status, meeting_end_action=MeetingEndAction.NONE))

    # background jobs -------------------------------------------------------------------------------

    async def repair_after_restart(self) -> int:
        """No meeting survives a restart: finish the ones the store still shows as active."""
        repaired = 0
        for room_id in await self.rooms.ids_with_status(RoomStatus.ACTIVE_MEETING):
            if not self.meetings.is_active(room_id):
                await self._meeting_ended(room_id)
                repaired += 1
        if repaired:
            logger.info("Finished %d meeting(s) left active by the previous run", repaired)
        return repaired

    async def delete_expired(self) -> int:
        """Apply each room's auto-deletion policy once its date has passed; returns rooms acted on."""
        acted = 0
        for room_id in await self.rooms.ids_due_for_auto_deletion(now_ms()):
            room = await self.rooms.get(room_id)
            if room is None or room.meeting_end_action is MeetingEndAction.DELETE:
                continue
            closed_already = room.status is RoomStatus.CLOSED and room.policy_with_recordings == "close"
            if closed_already and await self.recordings.count_for_room(room_id) > 0:
                continue  # already where its policy leaves it
            outcome = await self.delete(
                room_id, WithMeeting(room.policy_with_meeting), WithRecordings(room.policy_with_recordings)
            )
            logger.info("Room(%s) auto-deletion: %s", room_id, outcome.decision.code)
            acted += 1
        return acted


def room_link(base_url: str, room: RoomRecord, secret: str) -> str:
    """``<base>/room/<id>?secret=…``; a fragment on ``base_url`` (the certificate pin, ``#fp=…``, see
    ``ServerSettings.link_base``) goes at the link's end, where clients read it and servers never see it."""
    base, _, fragment = base_url.partition("#")
    return f"{base}/room/{room.room_id}?secret={secret}" + (f"#{fragment}" if fragment else "")


def recordings_link(base_url: str, room: RoomRecord) -> str:
    """The anonymous recording link: ``<base>/room/<id>/recordings?secret=…`` (as upstream 3.8)."""
    base, _, fragment = base_url.partition("#")
    link = f"{base}/room/{room.room_id}/recordings?secret={room.recording_secret}"
    return link + (f"#{fragment}" if fragment else "")


def room_api_view(
    room: RoomRecord,
    base_url: str,
    fields: set[str] | None = None,
    *,
    extras: frozenset[str] = frozenset(),
    links: frozenset[LinkKind] = ALL_LINKS,
) -> dict[str, Any]:
    """A room as the API shows it (MeetRoom), optionally projected on ``fields``. ``extras``: upstream 3.8's
    extra properties asked for (``roles``, ``access``; ``config`` is always there, as in 3.4). ``links``: the
    links whose URLs (secrets) the caller may see (``Caller.links``); the others are left out."""
    data: dict[str, Any] = {
        "roomId": room.room_id,
        "roomName": room.room_name,
        "creationDate": room.creation_date,
    }
    if room.auto_deletion_date is not None:
        data["autoDeletionDate"] = room.auto_deletion_date
    data["autoDeletionPolicy"] = {
        "withMeeting": room.policy_with_meeting,
        "withRecordings": room.policy_with_recordings,
    }
    data["config"] = room.config_dict()
    if "moderator" in links:
        data["moderatorUrl"] = room_link(base_url, room, room.moderator_secret)
    if "speaker" in links:
        data["speakerUrl"] = room_link(base_url, room, room.speaker_secret)
    data["status"] = room.status.value
    data["meetingEndAction"] = room.meeting_end_action.value
    if "roles" in extras:
        data["roles"] = room.roles.model_dump()
    if "access" in extras:
        urls: dict[LinkKind, str | None] = {
            "moderator": room_link(base_url, room, room.moderator_secret) if "moderator" in links else None,
            "speaker": room_link(base_url, room, room.speaker_secret) if "speaker" in links else None,
            "recording": recordings_link(base_url, room) if "recording" in links else None,
        }
        data["access"] = access_view(room.access, urls).model_dump(exclude_none=True)
    if fields:
        data = {key: value for key, value in data.items() if key in fields}
    return data

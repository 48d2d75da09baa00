"""What a moderator does to a live meeting besides kicking and roles: mute someone, mute everyone, lock.

The signalling socket and the REST routes both call these, after checking that the caller is a
moderator of the room *now*. Muting is enforced by the SFU (the muted microphone is no longer
forwarded) and only the muted participant can lift it, by unmuting (Google Meet's rule). Locking
closes the room (OpenVidu Meet's ``closed`` status): new participants are refused, those inside
stay and may reconnect; unlocking, or the end of the meeting, opens it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from meetdesk.core.errors import NotFound
from meetdesk.core.signalling import MeetingLocked
from meetdesk.server.meeting.engine import LiveMeeting, MeetingEngine, Participant
from meetdesk.server.rooms.service import RoomService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Moderator:
    """Who acts: their identity and the name the others know them by."""

    identity: str
    name: str

    @classmethod
    def of(cls, engine: MeetingEngine, room_id: str, identity: str, fallback_name: str | None = None) -> Moderator:
        meeting = engine.live(room_id)
        present = meeting.participants.get(identity) if meeting is not None else None
        return cls(identity, present.name if present is not None else fallback_name or identity)


def _meeting(engine: MeetingEngine, room_id: str) -> LiveMeeting:
    meeting = engine.live(room_id)
    if meeting is None:
        raise NotFound(f"Room '{room_id}' has no meeting under way", error="Meeting Error")
    return meeting


def mute(engine: MeetingEngine, room_id: str, identity: str, by: Moderator) -> Participant:
    """Mute participant ``identity`` (NotFound if they are not in the meeting)."""
    target = engine.participant(room_id, identity)
    engine.mute(target, by.identity, by.name)
    return target


def mute_everyone(engine: MeetingEngine, room_id: str, by: Moderator) -> list[Participant]:
    """Mute everyone but the moderator; returns those whose microphone was on."""
    meeting = _meeting(engine, room_id)
    others = [p for p in meeting.participants.values() if p.identity != by.identity]
    muted = [p for p in others if engine.mute(p, by.identity, by.name)]
    logger.info("Room(%s) %s muted everyone (%d microphones on)", room_id, by.identity, len(muted))
    return muted


async def lock(engine: MeetingEngine, rooms: RoomService, room_id: str, locked: bool, by: Moderator) -> bool:
    """Lock or unlock the meeting; everyone in it is told. Returns whether anything changed."""
    meeting = _meeting(engine, room_id)
    changed = await rooms.set_meeting_locked(room_id, locked)
    if changed:
        meeting.broadcast(MeetingLocked(locked=locked, by=by.identity, byName=by.name))
        logger.info("Room(%s) meeting %s by %s", room_id, "locked" if locked else "unlocked", by.identity)
    return changed


def unlocked_by_administrator(engine: MeetingEngine, room_id: str) -> None:
    """An administrator reopened the room of a locked meeting: tell everyone in it (``by`` is empty: not one of
    them)."""
    meeting = engine.live(room_id)
    if meeting is not None:
        meeting.broadcast(MeetingLocked(locked=False, by="", byName=""))

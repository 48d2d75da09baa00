"""Which rooms have a meeting running, and participant names reserved in them.

This is the seam between rooms and the meeting engine: the rooms service asks ``is_active`` and
``end``; the engine reports starts and ends through the callbacks given at construction.
``MeetingEngine`` (``server/meeting/engine.py``) adds participants; :meth:`MeetingRegistry.start` on its
own begins a meeting with nobody in it, which is how the room-lifecycle tests drive the state machine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from meetdesk.core.events import MeetingEnded, MeetingInfo
from meetdesk.server.events import EventHub

logger = logging.getLogger(__name__)

MeetingHook = Callable[[str], Awaitable[None]]
NAME_RESERVATION_S = 12 * 3600
#: how long a name stays reserved for a token that has not joined with it (a token is asked for just before
#: joining): without this, one caller asking for token after token named "Alice" held "Alice", "Alice_1", ...
#: for 12 hours without ever joining
UNUSED_NAME_RESERVATION_S = 5 * 60


@dataclass
class Meeting:
    room_id: str
    started_at: float = field(default_factory=time.time)

    @property
    def people(self) -> int:
        return 0


class MeetingRegistry:
    """The meetings under way, one per room at most; each end is published on ``events``."""

    def __init__(self, events: EventHub) -> None:
        self.events = events
        self._meetings: dict[str, Meeting] = {}
        self._on_started: list[MeetingHook] = []
        self._on_ended: list[MeetingHook] = []

    def on_started(self, hook: MeetingHook) -> None:
        self._on_started.append(hook)

    def on_ended(self, hook: MeetingHook) -> None:
        self._on_ended.append(hook)

    def is_active(self, room_id: str) -> bool:
        return room_id in self._meetings

    def active_rooms(self) -> list[str]:
        return list(self._meetings)

    def info(self, room_id: str) -> MeetingInfo | None:
        meeting = self._meetings.get(room_id)
        if meeting is None:
            return None
        return MeetingInfo(roomId=room_id, participants=meeting.people, startedAt=int(meeting.started_at * 1000))

    def summaries(self) -> list[MeetingInfo]:
        """Every meeting under way, with how many people are in it."""
        return [info for room_id in list(self._meetings) if (info := self.info(room_id)) is not None]

    async def start(self, room_id: str) -> Meeting:
        meeting = self._meetings.get(room_id)
        if meeting is None:
            meeting = self._meetings[room_id] = self._new_meeting(room_id)
            logger.info("Room(%s) meeting started", room_id)
            for hook in self._on_started:
                await hook(room_id)
        return meeting

    def _new_meeting(self, room_id: str) -> Meeting:
        return Meeting(room_id)

    async def end(self, room_id: str, reason: str = "meeting_ended") -> None:
        """End the room's meeting, if any, and run the end hooks (scheduled close or delete)."""
        if self._meetings.pop(room_id, None) is None:
            return
        logger.info("Room(%s) meeting ended (%s)", room_id, reason)
        self.events.publish(MeetingEnded(roomId=room_id))
        for hook in self._on_ended:
            await hook(room_id)


class NameReservations:
    """Display names unique per room, case-insensitively: a second "Alice" becomes "Alice_1".

    Released numbers are reused. A reservation lapses after :data:`UNUSED_NAME_RESERVATION_S` unless a
    participant joins with it (:meth:`claim`); then after 12 hours, as in OpenVidu Meet.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._by_room: dict[str, dict[str, float]] = {}
        self._clock = clock

    def reserve(self, room_id: str, name: str) -> str:
        now = self._clock()
        taken = self._by_room.setdefault(room_id, {})
        for key in [key for key, expiry in taken.items() if expiry < now]:
            del taken[key]
        candidate, n = name, 0
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{name}_{n}"
        taken[candidate.casefold()] = now + UNUSED_NAME_RESERVATION_S
        return candidate

    def claim(self, room_id: str, name: str) -> None:
        """A participant joined with ``name``: it stays reserved until released (or 12 hours)."""
        self._by_room.setdefault(room_id, {})[name.casefold()] = self._clock() + NAME_RESERVATION_S

    def release(self, room_id: str, name: str) -> None:
        self._by_room.get(room_id, {}).pop(name.casefold(), None)

    def forget_room(self, room_id: str) -> None:
        self._by_room.pop(room_id, None)

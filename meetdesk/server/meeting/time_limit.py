"""The room's duration limit (``maxDurationMinutes``): a meeting that reaches it ends for everyone, with
its own reason, and everyone is warned 5 and 1 minutes before.

The limit is read when the meeting starts (a room's config cannot change during its meeting). A minute
lasts ``minute_s`` seconds: 60, except in tests, which set the server's ``minute_seconds`` setting
(``MEETDESK_MINUTE_SECONDS``) to a fraction of a second rather than wait real minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from meetdesk.core.limits import warnings_due
from meetdesk.core.signalling import MeetingEndingSoon

logger = logging.getLogger(__name__)


class DurationLimits:
    """Timers of the meetings that have a duration limit: warnings, then the end (``end(room_id)``)."""

    def __init__(self, end: Callable[[str], Awaitable[None]], minute_s: float = 60.0) -> None:
        self._end = end
        self.minute_s = minute_s
        self._timers: dict[str, list[asyncio.TimerHandle]] = {}
        self._ends_at: dict[str, int] = {}
        self._ending: set[asyncio.Task[None]] = set()

    def ends_at(self, room_id: str) -> int | None:
        """When the room's meeting ends by its limit (ms since the epoch), None when it has none."""
        return self._ends_at.get(room_id)

    def arm(
        self, room_id: str, limit_minutes: int | None, started_at: float, broadcast: Callable[[BaseModel], None]
    ) -> None:
        """The meeting of ``room_id`` (started at ``started_at``, epoch seconds) began: schedule its end."""
        self.disarm(room_id)
        if limit_minutes is None:
            return
        loop = asyncio.get_running_loop()
        elapsed = max(0.0, time.time() - started_at)
        ends_at = round((started_at + limit_minutes * self.minute_s) * 1000)
        self._ends_at[room_id] = ends_at
        timers = self._timers[room_id] = []
        for minutes_left in warnings_due(limit_minutes):
            delay = (limit_minutes - minutes_left) * self.minute_s - elapsed
            warning = MeetingEndingSoon(minutesLeft=minutes_left, endsAt=ends_at)
            timers.append(loop.call_later(max(0.0, delay), broadcast, warning))
        timers.append(loop.call_later(max(0.0, limit_minutes * self.minute_s - elapsed), self._expire, room_id))
        logger.info("Room(%s) meeting limited to %d minute(s)", room_id, limit_minutes)

    def disarm(self, room_id: str) -> None:
        for timer in self._timers.pop(room_id, []):
            timer.cancel()
        self._ends_at.pop(room_id, None)

    async def meeting_ended(self, room_id: str) -> None:
        """The registry's end hook: a meeting that ended otherwise needs its timers no more."""
        self.disarm(room_id)

    def _expire(self, room_id: str) -> None:
        logger.info("Room(%s) meeting reached its duration limit", room_id)
        self._timers.pop(room_id, None)
        task = asyncio.ensure_future(self._end(room_id))
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

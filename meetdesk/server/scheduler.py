"""Background jobs on the server's loop: auto-deletion of rooms whose date has passed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from meetdesk.server.rooms.service import RoomService

logger = logging.getLogger(__name__)


class AutoDeletionJob:
    """Runs ``RoomService.delete_expired`` every ``interval`` seconds, first at start-up.

    The due rooms come from the store, so a restart loses nothing: the next run catches up.
    """

    def __init__(self, rooms: RoomService, interval: float) -> None:
        self._rooms = rooms
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._run_done = asyncio.Event()
        self.runs = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="auto-deletion")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                acted = await self._rooms.delete_expired()
                if acted:
                    logger.info("Auto-deletion applied to %d room(s)", acted)
            except Exception:  # a failed run must not end the job; the next one retries
                logger.exception("Auto-deletion run failed")
            self.runs += 1
            self._run_done.set()
            self._run_done = asyncio.Event()
            await asyncio.sleep(self._interval)

    async def next_run(self) -> None:
        """Wait until the run after this moment has finished."""
        await self._run_done.wait()

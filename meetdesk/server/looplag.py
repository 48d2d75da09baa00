"""How long the event loop was kept from running: one participant's request must never freeze the others.

A timer fires every ``interval`` seconds; how late it fires is how long the loop was busy (a callback that
computed, or blocked on a lock, a file, the GIL). Time the thread spent waiting for a CPU (the machine is
busy: another process ran) is not the loop's fault and is taken off, as Linux counts it in
``/proc/thread-self/schedstat``. The server logs the longest stall when it stops; the abuse suite reads
that line and holds every case to a bound.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)


def runqueue_wait_s() -> float | None:
    """Seconds this thread has waited for a CPU since it started (Linux), or None where unknown."""
    try:
        with open("/proc/thread-self/schedstat") as file:
            return int(file.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class LoopLagProbe:
    """Measures the longest stall of the loop it is started on (see the module docstring)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.longest = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._waited: float | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._schedule()

    def stop(self) -> float:
        """Stop measuring; the longest stall seen, in seconds."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        return self.longest

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = self._loop.time() + self.interval
        self._waited = runqueue_wait_s()
        self._handle = self._loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        late = self._loop.time() - self._due
        waited = runqueue_wait_s()
        if waited is not None and self._waited is not None:
            late -= waited - self._waited
        self.longest = max(self.longest, late)
        self._schedule()

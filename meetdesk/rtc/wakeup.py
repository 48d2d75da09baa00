"""A wake-up flag for a track's ``recv()``: :class:`asyncio.Event`'s set / clear / wait, bound to the loop that
waits rather than to the first loop that ever waited.

An ``asyncio.Event`` belongs to the first loop that waits on it. The camera chain of a participant outlives
nothing in the app (one loop for the process), but the test suite runs each test on its own loop over one
QApplication: a camera track read on one test's loop and again on the next one's (a Qt callback of the
earlier test's window, run between tests) failed there with "bound to a different event loop", logged as a
task exception. With this flag the second loop gets a fresh event carrying the flag's state; a waiter still
parked on the earlier loop is that loop's, and goes with it.
"""

from __future__ import annotations

import asyncio


class Wakeup:
    """``set`` / ``clear`` / ``is_set`` from any code on the thread, ``await wait()`` from any loop."""

    def __init__(self) -> None:
        self._flag = False
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        if self._event is not None:
            self._event.set()

    def clear(self) -> None:
        self._flag = False
        if self._event is not None:
            self._event.clear()

    async def wait(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # stepped with no loop running: qasync ran a task of a loop that has stopped (a Qt event dispatched
            # between two tests' loops); that loop is gone, and so is this waiter
            raise asyncio.CancelledError from None
        if self._event is None or self._loop is not loop:
            self._event, self._loop = asyncio.Event(), loop
            if self._flag:
                self._event.set()
        await self._event.wait()

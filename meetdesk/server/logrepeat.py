"""Repeated log lines summarised: one line with a count instead of a million tracebacks.

A flood (a client opening thousands of sockets, the process out of file descriptors) makes the same
error over and over; each record carries a traceback, and the log grows by gigabytes. :class:`RepeatFilter`
lets the first few records of one *kind* through in each window and counts the rest; the count is logged
once the window is over (on the next record of that kind, or by :meth:`RepeatFilter.flush`).

A record's kind is its logger, its level and its message *template* (``record.msg`` before ``%``
formatting, first line only: asyncio's exception handler puts the varying details on later lines).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

Key = tuple[str, int, str]


@dataclass
class _Window:
    started: float
    passed: int = 0
    suppressed: int = 0


class RepeatFilter(logging.Filter):
    """Lets ``burst`` records of each kind through per ``window`` seconds; counts the others."""

    def __init__(self, burst: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        self._clock = clock
        self._windows: dict[Key, _Window] = {}

    @staticmethod
    def key(record: logging.LogRecord) -> Key:
        template = str(record.msg).split("\n", 1)[0][:200]
        return (record.name, record.levelno, template)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "repeat_summary", False) or record.levelno < logging.INFO:
            return True  # DEBUG is detail someone asked for (MEETDESK_DEBUG_LOGGERS), every line of it
        now = self._clock()
        key = self.key(record)
        window = self._windows.get(key)
        if window is not None and now - window.started >= self.window:
            if window.suppressed:
                self._summarise(key, window, now)
            window = None
        if window is None:
            if len(self._windows) >= 1000:  # a flood of distinct templates: forget the old windows
                self.flush()
                self._windows.clear()
            window = self._windows[key] = _Window(now)
        if window.passed < self.burst:
            window.passed += 1
            return True
        window.suppressed += 1
        return False

    def flush(self, everything: bool = False) -> None:
        """Log the count of every window that is over (or, at shutdown, of every window) and suppressed
        something; called periodically."""
        now = self._clock()
        for key, window in list(self._windows.items()):
            if everything or now - window.started >= self.window:
                if window.suppressed:
                    self._summarise(key, window, now)
                del self._windows[key]

    def _summarise(self, key: Key, window: _Window, now: float) -> None:
        name, level, template = key
        logging.getLogger(name).log(
            level,
            "%d more log records like this one were not written in the last %.0f s: %s",
            window.suppressed,
            now - window.started,
            template,
            extra={"repeat_summary": True},
        )
        window.suppressed = 0


def install(filter_: RepeatFilter, *logger_names: str) -> None:
    """Attach the filter to every handler of the root logger and of the named loggers."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if filter_ not in handler.filters:
                handler.addFilter(filter_)

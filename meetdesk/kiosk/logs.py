"""Log files for people who were not there: rotating files with secrets masked, and a crash handler that writes
the traceback to a crash file and to the log.

Used by the kiosk, the desktop app and the participant window. Masked wherever they appear in a record (its
message, its arguments, its traceback): room-link secrets (``secret=...``, ``/roles/<secret>``), bearer and
participant tokens (JWTs), API keys, PINs, kiosk enrolment codes and credentials.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Final

from meetdesk import __version__

LOG_FILE_BYTES: Final = 2_000_000
LOG_FILE_COUNT: Final = 5
#: crash files kept (the oldest go)
CRASH_FILES_KEPT: Final = 20

_PATTERNS: Final = (
    (re.compile(r"(\bsecret=)[^&#\s'\"]+"), r"\1***"),
    (re.compile(r"(/roles/)[^/?#\s'\"]+"), r"\1***"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "<token>"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    (re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1***"),
    (re.compile(r"(?i)((?:admin_)?pin(?:_hash)?['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1***"),
    (re.compile(r"(--pin[=\s]+)\S+"), r"\1***"),
    (re.compile(r"(--enrol[=\s]+)\S+"), r"\1***"),
    (re.compile(r"(?i)((?:enrolment_?code|credential)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1***"),
    (re.compile(r"scrypt\$[0-9$]+[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"), "<pin hash>"),
)


def redact(text: str) -> str:
    """``text`` with every secret this module knows of masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole text (arguments and tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_dir: Path, name: str, level: str = "INFO") -> Path:
    """Log to ``<log_dir>/<name>.log`` (rotated: :data:`LOG_FILE_COUNT` files of :data:`LOG_FILE_BYTES`) and to
    stderr, both masked; returns the log file's path."""
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / f"{name}.log"
    formatter = RedactingFormatter(FORMAT)
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_COUNT, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    console = logging.StreamHandler()
    console.setFormatter(formatter)
    root = logging.getLogger()
    for handler in list(root.handlers):
        handler.setFormatter(formatter)  # whatever was there before is masked too
    root.addHandler(file_handler)
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in root.handlers):
        root.addHandler(console)
    root.setLevel(level)
    os.chmod(path, 0o600)
    return path


def recent_log(log_dir: Path, name: str, max_bytes: int = 200_000) -> str:
    """The end of the current log file (already masked when written)."""
    try:
        with (log_dir / f"{name}.log").open("rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - max_bytes))
            return file.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def diagnostics(log_dir: Path, name: str) -> str:
    """What to paste into a bug report: versions, then the end of the log."""
    head = f"MeetDesk {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
    head += f"Log: {log_dir}/{name}.log\n"
    return head + "\n" + recent_log(log_dir, name, 50_000)


class CrashHandler:
    """Catches what nothing else caught (the main thread, other threads, Qt slots through ``sys.excepthook``):
    the traceback goes to a crash file and the log, then ``on_crash(path)`` runs (the kiosk exits so that its
    watchdog starts it again; the desktop app tells the user where the file is)."""

    def __init__(self, crash_dir: Path, name: str, on_crash: Callable[[Path], None] | None = None) -> None:
        self.crash_dir = crash_dir
        self.name = name
        self.on_crash = on_crash
        self.last: Path | None = None

    def install(self) -> CrashHandler:
        sys.excepthook = self.handle
        threading.excepthook = self._thread
        return self

    def _thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, thread=args.thread)

    def handle(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        *,
        thread: threading.Thread | None = None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = redact("".join(traceback.format_exception(exc_type, exc, tb)))
        where = f" in thread {thread.name}" if thread is not None else ""
        logging.getLogger("meetdesk.crash").critical("%s crashed%s:\n%s", self.name, where, text.rstrip())
        try:
            path = self.write(text, where)
        except OSError:
            logging.getLogger("meetdesk.crash").exception("Could not write the crash file")
            return
        self.last = path
        if self.on_crash is not None:
            self.on_crash(path)

    def write(self, text: str, where: str = "") -> Path:
        self.crash_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.crash_dir / f"crash-{self.name}-{stamp}-{os.getpid()}.txt"
        head = f"MeetDesk {__version__} ({self.name}) crashed{where} at {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n"
        head += f"Python {platform.python_version()} on {platform.platform()}\n\n"
        path.write_text(head + text, encoding="utf-8")
        os.chmod(path, 0o600)
        for old in sorted(self.crash_dir.glob("crash-*.txt"))[:-CRASH_FILES_KEPT]:
            old.unlink(missing_ok=True)
        return path

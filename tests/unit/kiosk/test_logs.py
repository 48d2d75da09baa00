"""Logs for people who were not there: secrets masked in the file, and a crash written where it can be found."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from meetdesk.kiosk.logs import CrashHandler, diagnostics, redact, setup_logging

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwLTEyMyIsInJvb20iOiJyLTEifQ.c2lnbmF0dXJlLXZhbHVl"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("GET http://h:1/room/r-1?secret=AbC-123_x&x=1", "?secret=***&x=1", "AbC-123_x"),
        ("GET /internal-api/v1/rooms/r-1/roles/S3cr3t HTTP/1.1", "/roles/***", "S3cr3t"),
        (f"token {JWT} refused", "token <token> refused", JWT),
        ("Authorization: Bearer abc.def-ghi", "Bearer ***", "abc.def-ghi"),
        ("headers={'X-API-KEY': 'key-0123456789'}", "X-API-KEY': '***", "key-0123456789"),
        ("--pin 2468 given; pin=2468", "pin=***", "2468"),
        ("admin_pin_hash = scrypt$16384$8$1$c2FsdA==$ZGlnZXN0", "admin_pin_hash = ***", "ZGlnZXN0"),
        ("stored scrypt$16384$8$1$c2FsdA==$ZGlnZXN0 here", "<pin hash>", "ZGlnZXN0"),
        ("meetdesk kiosk --enrol K7QF-2MXD-9TRP --server x", "--enrol *** --server x", "K7QF-2MXD-9TRP"),
        ('{"credential": "Zm9vYmFy-_xyz", "roomId": "r"}', '"credential": "***"', "Zm9vYmFy-_xyz"),
        ('enrolment_code = "K7QF-2MXD-9TRP"', 'enrolment_code = "***"', "K7QF-2MXD-9TRP"),
        ('{"enrolmentCode": "K7QF-2MXD-9TRP"}', '"enrolmentCode": "***"', "K7QF-2MXD-9TRP"),
    ],
)
def test_secrets_are_masked(text: str, kept: str, gone: str) -> None:
    masked = redact(text)
    assert kept in masked
    assert gone not in masked.replace("--pin", "")


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_log_file_holds_no_secret_even_in_a_traceback(tmp_path: Path, root_logger: logging.Logger) -> None:
    path = setup_logging(tmp_path / "logs", "kiosk")
    log = logging.getLogger("meetdesk.test")
    log.info("Joining %s", "http://h/room/r-1?secret=TopSecret1")
    try:
        raise RuntimeError(f"refused token {JWT}")
    except RuntimeError:
        log.warning("It failed", exc_info=True)
    text = path.read_text()
    assert "Joining http://h/room/r-1?secret=***" in text
    assert "RuntimeError: refused token <token>" in text
    assert "TopSecret1" not in text and JWT not in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert "Joining http://h/room/r-1?secret=***" in diagnostics(tmp_path / "logs", "kiosk")


def test_a_crash_goes_to_a_crash_file_and_the_log(
    tmp_path: Path, root_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    path = setup_logging(tmp_path / "logs", "kiosk")
    seen: list[Path] = []
    handler = CrashHandler(tmp_path / "crashes", "kiosk", seen.append)
    try:
        raise ValueError(f"boom with secret=abc123 and {JWT}")
    except ValueError as exc:
        handler.handle(type(exc), exc, exc.__traceback__)
    assert len(seen) == 1 and seen[0].parent == tmp_path / "crashes"
    crash = seen[0].read_text()
    assert "crashed" in crash and "ValueError: boom with secret=*** and <token>" in crash
    assert "test_a_crash_goes_to_a_crash_file_and_the_log" in crash  # the traceback
    assert "abc123" not in crash and JWT not in crash
    assert "kiosk crashed:" in path.read_text() and "abc123" not in path.read_text()
    expected_crashes(caplog)


def expected_crashes(caplog: pytest.LogCaptureFixture) -> None:
    """The crash logged (CRITICAL) is this test's doing, not a failure."""
    crashes = [r for r in caplog.get_records("call") if r.name == "meetdesk.crash"]
    assert crashes
    for record in crashes:
        record.expected = True


def test_a_crash_in_another_thread_is_caught_too(
    tmp_path: Path, root_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Path] = []
    before = sys.excepthook, threading.excepthook
    CrashHandler(tmp_path / "crashes", "app", seen.append).install()
    try:

        def fail() -> None:
            raise OSError("disk gone")

        thread = threading.Thread(target=fail, name="worker")
        thread.start()
        thread.join()
    finally:
        sys.excepthook, threading.excepthook = before
    assert len(seen) == 1
    assert "in thread worker" in seen[0].read_text() and "OSError: disk gone" in seen[0].read_text()
    expected_crashes(caplog)

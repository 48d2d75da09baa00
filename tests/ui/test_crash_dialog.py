"""The desktop app's and the participant window's crash handler: an uncaught error is written to a crash file and
the log (secrets masked), and a dialog says where, with "Copy diagnostics"."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from meetdesk.ui import crash_dialog


@pytest.fixture
def restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, hooks = list(root.handlers), root.level, (sys.excepthook, threading.excepthook)
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    for dialog in list(crash_dialog.SHOWN):
        dialog.close()


def test_an_uncaught_error_shows_where_it_was_written_and_copies_masked_diagnostics(
    tmp_path: Path, restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    handler = crash_dialog.install(tmp_path / "config", "participant")
    logging.getLogger("meetdesk.test").info("Opening http://h/room/r-1?secret=VerySecret1")
    try:
        raise KeyError("tile for secret=VerySecret1")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)  # as Qt does for an error in a slot
    assert handler.last is not None and handler.last.parent == tmp_path / "logs" / "crashes"
    assert "KeyError" in handler.last.read_text() and "VerySecret1" not in handler.last.read_text()
    assert len(crash_dialog.SHOWN) == 1
    dialog = crash_dialog.SHOWN[0]
    assert dialog.isVisible() and str(handler.last) in dialog.informativeText()
    dialog.copy.click()
    assert dialog.isVisible()  # copying does not close it
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("MeetDesk ") and "secret=***" in copied and "KeyError" in copied
    assert "VerySecret1" not in copied
    for record in caplog.get_records("call"):
        if record.name == "meetdesk.crash":
            record.expected = True  # the crash this test provokes

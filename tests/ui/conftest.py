"""pytest-qt tests: async tests here run on a qasync loop, so widgets, their ``asyncSlot`` handlers and the
test itself share one Qt event loop — a test awaits what a user would wait for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _qt_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qt": _qt_loop}


async def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Let the Qt loop run until ``predicate()`` is true (for state with no signal of its own)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)

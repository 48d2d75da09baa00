"""pytest-qt tests: async tests here run on a qasync loop, so widgets, their ``asyncSlot`` handlers and the
test itself share one Qt event loop — a test awaits what a user would wait for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

import pytest
from PySide6.QtWidgets import QApplication

from meetdesk.client.api import MeetDeskClient
from meetdesk.ui import plurals
from meetdesk.ui.eventloop import QtAsyncLoop
from tests.conftest import API_KEY, ServerProcess


def _qt_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return QtAsyncLoop(app)


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


@pytest.fixture(autouse=True)
def _plural_forms(qapp: QApplication) -> None:
    """English plural forms ("Delete 1 room"), as the app installs them at its start (meetdesk.ui.app)."""
    plurals.install(qapp)


@pytest.fixture(autouse=True)
def _closing_a_window_does_not_quit(qapp: QApplication) -> Iterator[None]:
    """Closing the only window on screen would end the Qt loop the test runs on (and with it the test)."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


@pytest.fixture
async def client(server_process: ServerProcess) -> AsyncIterator[MeetDeskClient]:
    """A client of a real server process, with the API key."""
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as api:
        yield api


def _close_windows_left_open() -> None:
    """A meeting window a test left open keeps its camera chain live: a Qt timer of it could start reading the
    camera again during the next test, on that test's loop (an asyncio.Event bound to this loop then fails
    there). Closed as a user would, without the "Leave the meeting?" question."""
    from meetdesk.ui.meeting.window import ParticipantWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ParticipantWindow) and widget.local is not None:
            widget._closing_confirmed = True
            widget.close()


@pytest.fixture(autouse=True)
async def _no_task_outlives_its_test() -> AsyncIterator[None]:
    """Each test has its own qasync loop on the one QApplication: a task left pending (a peer connection's
    ICE consent check, a closing socket) would be woken by a Qt timer during the next test, outside its
    loop. As ``asyncio.run`` does, what is left is cancelled and awaited before the loop goes."""
    yield
    _close_windows_left_open()
    current = asyncio.current_task()
    for _ in range(10):  # cancelling a task may start others (a connection closing on its way out)
        left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
        if not left:
            return
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

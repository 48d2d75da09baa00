"""The UI tests' loop is the app's (qasync's, with asyncio's ready queue): a Qt timer resolves an asyncio future."""

import asyncio

import qasync
from PySide6.QtCore import QTimer


async def test_tests_here_run_on_the_qt_event_loop() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, qasync.QEventLoop)
    fired = loop.create_future()
    QTimer.singleShot(5, lambda: fired.set_result("timer"))
    assert await asyncio.wait_for(fired, 5) == "timer"

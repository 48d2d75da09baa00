"""The state of the link to the current server, as the header shows it: a view-model whose properties
notify only on a real change.

"Connected" holds only while the server answers: while connected (or reconnecting) a cheap request goes out
every :data:`PROBE_INTERVAL` seconds, and its outcome moves the state between *connected* and
*reconnecting*. The other states (connecting, restarting the server on this computer, not connected) are
set by whoever knows them: the window while it opens a server, the embedded server's supervisor.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)

#: seconds between two checks that the server still answers
PROBE_INTERVAL = 2.0

Probe = Callable[[], Awaitable[bool]]


class LinkState(enum.Enum):
    NOT_CONNECTED = "not_connected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # the server stopped answering; checking until it does again
    RESTARTING = "restarting"  # the server on this computer stopped; the app is starting it again


class ServerLink(QObject):
    """What the header says about the server.

    Signals:
        stateChanged(object): the new :class:`LinkState`.
        textChanged(str): the words for it ("Connected", "Reconnecting…", ...).
        recovered(): the server answers again after it had stopped answering (the pages may reload).
    """

    stateChanged = Signal(object)
    textChanged = Signal(str)
    recovered = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._state = LinkState.NOT_CONNECTED
        self._text = self._words(self._state)
        self._probe: Probe | None = None
        self._task: asyncio.Task[None] | None = None

    def _words(self, state: LinkState) -> str:
        return {
            LinkState.NOT_CONNECTED: self.tr("Not connected"),
            LinkState.CONNECTING: self.tr("Connecting…"),
            LinkState.CONNECTED: self.tr("Connected"),
            LinkState.RECONNECTING: self.tr("Reconnecting…"),
            LinkState.RESTARTING: self.tr("Restarting the server…"),
        }[state]

    def unavailable_reason(self) -> str | None:
        """Why what needs the server cannot be done now, in a sentence for a disabled action's tooltip; None while
        connected. (The banner says what the app is doing about it; the pages add no message of their own.)"""
        return {
            LinkState.NOT_CONNECTED: self.tr("Not connected to a server: this needs one."),
            LinkState.CONNECTING: self.tr("Connecting to the server: this can be done once it is connected."),
            LinkState.CONNECTED: None,
            LinkState.RECONNECTING: self.tr("The server does not answer: this can be done once it is back."),
            LinkState.RESTARTING: self.tr(
                "The server on this computer is restarting: this can be done once it is back."
            ),
        }[self._state]

    def all_texts(self) -> list[str]:
        """The words of every state (to size what shows them)."""
        return [self._words(state) for state in LinkState]

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def text(self) -> str:
        return self._text

    def set_state(self, state: LinkState) -> None:
        if state is self._state:
            return
        was, self._state = self._state, state
        logger.info("Server link: %s -> %s", was.value, state.value)
        self.stateChanged.emit(state)
        text = self._words(state)
        if text != self._text:
            self._text = text
            self.textChanged.emit(text)
        if was is LinkState.RECONNECTING and state is LinkState.CONNECTED:
            self.recovered.emit()

    # --- checking that the server answers ------------------------------------------------------------------

    def watch(self, probe: Probe) -> None:
        """Check the server with ``probe`` from now on (replacing the previous one)."""
        self._probe = probe
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._probe_forever())

    def stop(self) -> None:
        """No more checks (the window is closing)."""
        task, self._task, self._probe = self._task, None, None
        if task is not None and not task.done():
            task.cancel()

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(PROBE_INTERVAL)  # a period, not a wait for something: nothing signals silence
            await self.check()

    async def check(self) -> None:
        """Ask the server once; connected ↔ reconnecting follows the answer (other states are left alone)."""
        probe, before = self._probe, self._state
        if probe is None or before not in (LinkState.CONNECTED, LinkState.RECONNECTING):
            return
        answers = await probe()
        if self._state is not before or probe is not self._probe:
            return  # someone who knows more changed the state meanwhile
        self.set_state(LinkState.CONNECTED if answers else LinkState.RECONNECTING)

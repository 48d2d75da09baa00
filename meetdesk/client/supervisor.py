"""Keeping the embedded server up: when its process ends without being asked to, start it again, on the
same port, by itself — room links already handed out keep working and meetings in progress rejoin.

The watcher waits on the process itself (:meth:`EmbeddedServer.wait_exit`), so an exit is noticed at once,
not at the next request. A server that keeps dying is restarted after growing delays
(:class:`RestartPolicy`) and, after a few failures in a row, left stopped with the reason and the log's
path (:attr:`SupervisorState.FAILED`). A port now held by another program is never swapped for another one
silently: the supervisor stops in :attr:`SupervisorState.PORT_TAKEN` until the user says what to do
(:meth:`Supervisor.try_again` or :meth:`Supervisor.use_port`).

Listeners (:meth:`Supervisor.add_listener`) get a :class:`SupervisorStatus` at every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from meetdesk.client.embedded import EmbeddedServer, EmbeddedServerError, PortTaken

logger = logging.getLogger(__name__)


class SupervisorState(enum.Enum):
    STOPPED = "stopped"  # not started, or stopped on purpose
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"  # it ended by itself; starting it again (after ``delay`` s)
    PORT_TAKEN = "port_taken"  # another program holds the port: waiting for the user
    FAILED = "failed"  # it does not start or keeps ending: waiting for the user


@dataclass(frozen=True)
class SupervisorStatus:
    state: SupervisorState
    port: int | None = None
    #: RESTARTING: which restart in a row this is, and how long before it; FAILED: how many restarts were tried
    attempt: int = 0
    delay: float = 0.0
    #: how the last process ended (None: not known, e.g. a server another app started)
    exit_code: int | None = None
    #: PORT_TAKEN: a port free right now, to offer
    suggestion: int | None = None
    #: PORT_TAKEN, FAILED: a sentence for the user
    message: str = ""
    #: FAILED: the server refused to start with its settings (the message says what to change); no use retrying
    lasting: bool = False
    log_file: Path | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """``delays`` before each restart in a row (the first one at once); after ``max_attempts`` restarts in a
    row the supervisor gives up. A server that ran ``stable_after`` seconds starts a new row."""

    delays: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 8.0)
    max_attempts: int = 5
    stable_after: float = 30.0

    def delay(self, attempt: int) -> float:
        return self.delays[min(attempt - 1, len(self.delays) - 1)] if self.delays else 0.0


Listener = Callable[[SupervisorStatus], None]


class Supervisor:
    """Starts the embedded server and restarts it when it ends by itself."""

    def __init__(self, server: EmbeddedServer, policy: RestartPolicy | None = None) -> None:
        self.server = server
        self.policy = policy or RestartPolicy()
        self._status = SupervisorStatus(SupervisorState.STOPPED, log_file=server.log_file)
        self._listeners: list[Listener] = []
        self._watch: asyncio.Task[None] | None = None
        self._attempts = 0  # restarts in a row

    @property
    def status(self) -> SupervisorStatus:
        return self._status

    @property
    def running(self) -> bool:
        return self._status.state is SupervisorState.RUNNING

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _set(self, status: SupervisorStatus) -> None:
        if status == self._status:
            return
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # a listener's bug must not stop the watching
                logger.exception("A listener of the embedded server's supervisor failed")

    async def start(self, *, port: int | None = None) -> str:
        """Start (or reuse) the server and watch it; its URL. Raises what :meth:`EmbeddedServer.start` raises
        (the status then says it too)."""
        if self.running and port in (None, self.server.port):
            return self.server.url
        await self._stop_watching()
        self._set(SupervisorStatus(SupervisorState.STARTING, port or self.server.port, log_file=self.server.log_file))
        try:
            url = await self.server.start(port=port)
        except PortTaken as exc:
            self._port_taken(exc)
            raise
        except EmbeddedServerError as exc:
            self._failed(str(exc), exc.exit_code, restarts=0, lasting=exc.lasting)
            raise
        self._attempts = 0
        self._running()
        return url

    async def try_again(self) -> str:
        """The user's "Try again" after a failure or a taken port: the same port, a fresh row of attempts."""
        return await self.start()

    async def use_port(self, port: int) -> str:
        """The user chose another port (remembered from now on: links shared before no longer work)."""
        return await self.start(port=port)

    async def stop(self) -> None:
        """Stop watching and stop the server (if this app started it)."""
        await self._stop_watching()
        await self.server.stop()
        self._set(SupervisorStatus(SupervisorState.STOPPED, self.server.port, log_file=self.server.log_file))

    async def _stop_watching(self) -> None:
        task, self._watch = self._watch, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _running(self) -> None:
        self._set(SupervisorStatus(SupervisorState.RUNNING, self.server.port, log_file=self.server.log_file))
        self._watch = asyncio.create_task(self._watch_and_restart(), name="embedded-server-supervisor")

    def _port_taken(self, exc: PortTaken) -> None:
        self._set(
            SupervisorStatus(
                SupervisorState.PORT_TAKEN,
                exc.port,
                suggestion=exc.suggestion,
                message=str(exc),
                log_file=self.server.log_file,
            )
        )

    def _failed(self, message: str, exit_code: int | None, *, restarts: int, lasting: bool = False) -> None:
        self._set(
            SupervisorStatus(
                SupervisorState.FAILED,
                self.server.port,
                attempt=restarts,
                exit_code=exit_code,
                message=message,
                lasting=lasting,
                log_file=self.server.log_file,
            )
        )

    async def _watch_and_restart(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            exit_code = await self.server.wait_exit()
            logger.warning(
                "The embedded server (port %s) ended by itself (exit code %s); log %s",
                self.server.port,
                exit_code,
                self.server.log_file,
            )
            self.server.process = None
            if loop.time() - started >= self.policy.stable_after:
                self._attempts = 0
            if not await self._restart(exit_code):
                return

    async def _restart(self, exit_code: int | None) -> bool:
        """Start the server again on its port, with growing delays; True once it runs."""
        while True:
            self._attempts += 1
            if self._attempts > self.policy.max_attempts:
                how = f"last exit code {exit_code}" if exit_code is not None else "it did not answer"
                self._failed(
                    f"The server on this computer keeps stopping, so MeetDesk stopped restarting it ({how}). "
                    f"Its log is {self.server.log_file}.",
                    exit_code,
                    restarts=self.policy.max_attempts,
                )
                return False
            delay = self.policy.delay(self._attempts)
            self._set(
                SupervisorStatus(
                    SupervisorState.RESTARTING,
                    self.server.port,
                    attempt=self._attempts,
                    delay=delay,
                    exit_code=exit_code,
                    log_file=self.server.log_file,
                )
            )
            await asyncio.sleep(delay)
            try:
                await self.server.start()
            except PortTaken as exc:
                logger.warning("The embedded server's port %d is taken by another program", exc.port)
                self._port_taken(exc)
                return False
            except EmbeddedServerError as exc:
                logger.warning("Restarting the embedded server failed: %s", exc)
                if exc.lasting:  # its settings no longer work here: waiting will not change that
                    self._failed(str(exc), exc.exit_code, restarts=self._attempts, lasting=True)
                    return False
                exit_code = exc.exit_code
                continue
            logger.info("The embedded server is back on port %s", self.server.port)
            self._set(SupervisorStatus(SupervisorState.RUNNING, self.server.port, log_file=self.server.log_file))
            return True

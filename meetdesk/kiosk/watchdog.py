"""The kiosk's watchdog (``meetdesk kiosk --watchdog ...``): runs the kiosk as a child process and starts it
again when it crashes, exits to restart, or hangs (its heartbeat file stops changing).

Exit codes of the kiosk: 0 — closed with the admin PIN (the watchdog stops too); :data:`RESTART_EXIT` —
restart now (maintenance, new settings); anything else — a crash, restarted after a delay that grows while the
crashes come quickly (1 s, 2 s, 4 s... up to a minute) and resets once a run lasted a while.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from meetdesk.kiosk.health import HEARTBEAT_FILE

logger = logging.getLogger(__name__)

RESTART_EXIT: Final = 75  # EX_TEMPFAIL
CRASH_EXIT: Final = 70  # EX_SOFTWARE
SUPERVISED_ENV: Final = "MEETDESK_KIOSK_SUPERVISED"
#: a kiosk whose heartbeat is older than this is hung (it writes one every 2 s)
HANG_AFTER_S: Final = 30.0
#: time a kiosk has to write its first heartbeat
START_GRACE_S: Final = 60.0
MAX_BACKOFF_S: Final = 60.0
#: a run this long resets the backoff
STABLE_RUN_S: Final = 120.0


def _heartbeat_age(state_dir: Path) -> float | None:
    try:
        return time.time() - (state_dir / HEARTBEAT_FILE).stat().st_mtime
    except OSError:
        return None


class Watchdog:
    """Starts ``command`` (the kiosk) and keeps it running. ``hang_after``: seconds of silent heartbeat after
    which the kiosk is killed and started again."""

    def __init__(
        self,
        command: Sequence[str],
        state_dir: Path,
        *,
        hang_after: float = HANG_AFTER_S,
        start_grace: float = START_GRACE_S,
        poll: float = 1.0,
    ) -> None:
        self.command = list(command)
        self.state_dir = state_dir
        self.hang_after = hang_after
        self.start_grace = start_grace
        self.poll = poll
        self.starts = 0
        self.child: subprocess.Popen[bytes] | None = None
        self._stopping = False

    def stop(self, *_: object) -> None:
        self._stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()

    def run(self) -> int:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        backoff = 1.0
        while not self._stopping:
            started = time.monotonic()
            code = self._run_once()
            if self._stopping or code == 0:
                logger.info("Watchdog: the kiosk closed (%s): stopping", code)
                return 0
            ran = time.monotonic() - started
            if code == RESTART_EXIT:
                logger.info("Watchdog: the kiosk asked to restart")
                continue
            backoff = 1.0 if ran >= STABLE_RUN_S else backoff
            logger.warning(
                "Watchdog: the kiosk ended (%s) after %.0f s: starting it again in %.0f s", code, ran, backoff
            )
            deadline = time.monotonic() + backoff
            while time.monotonic() < deadline and not self._stopping:
                time.sleep(min(self.poll, deadline - time.monotonic()))
            backoff = min(MAX_BACKOFF_S, backoff * 2)
        return 0

    def _run_once(self) -> int:
        (self.state_dir / HEARTBEAT_FILE).unlink(missing_ok=True)
        self.starts += 1
        env = {**os.environ, SUPERVISED_ENV: "1"}
        self.child = subprocess.Popen(self.command, env=env)  # noqa: S603 - our own interpreter and module
        logger.info("Watchdog: kiosk started (pid %d, start %d)", self.child.pid, self.starts)
        started = time.monotonic()
        while True:
            try:
                return self.child.wait(timeout=self.poll)
            except subprocess.TimeoutExpired:
                pass
            age = _heartbeat_age(self.state_dir)
            silent = age > self.hang_after if age is not None else time.monotonic() - started > self.start_grace
            if silent and not self._stopping:
                logger.error("Watchdog: the kiosk (pid %d) stopped writing its heartbeat: killing it", self.child.pid)
                self.child.kill()
                self.child.wait()
                return CRASH_EXIT


def kiosk_command(argv: Sequence[str]) -> list[str]:
    """The kiosk's own command line: this one without ``--watchdog``."""
    return [sys.executable, "-m", "meetdesk", *[arg for arg in argv if arg != "--watchdog"]]

"""``meetdesk kiosk``: load the configuration, set up logs and the crash handler, show the kiosk window, and
end with an exit code the watchdog understands (:mod:`meetdesk.kiosk.watchdog`)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from meetdesk.kiosk.config import ConfigProblem, KioskConfig
from meetdesk.kiosk.logs import CrashHandler, setup_logging
from meetdesk.kiosk.memory import MemoryTrace, return_freed_blocks
from meetdesk.kiosk.watchdog import CRASH_EXIT, RESTART_EXIT, SUPERVISED_ENV

logger = logging.getLogger(__name__)


def default_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("meetdesk")) / "kiosk"


def run_kiosk(
    config: KioskConfig | None,
    state_dir: Path,
    *,
    problem: ConfigProblem | None = None,
    config_path: Path | None = None,
    source_id: int = 0,
    log_level: str = "INFO",
) -> int:
    """Run the kiosk until the admin PIN closes it (0) or it must restart (:data:`RESTART_EXIT`; without a
    watchdog the process replaces itself with a fresh one instead)."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = setup_logging(state_dir / "logs", "kiosk", log_level)
    for chatty in ("httpx", "aioice"):  # a request every few seconds, for months: only their trouble is kept
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))

    def crashed(path: Path) -> None:
        print(f"The kiosk crashed: {path} (log: {log_path})", file=sys.stderr, flush=True)
        os._exit(CRASH_EXIT)  # in an unknown state: a fresh process (the watchdog starts one) is the way back

    CrashHandler(state_dir / "crashes", "kiosk", crashed).install()
    if problem is not None:
        logger.error("Kiosk: the configuration cannot be used: %s", problem)
    return_freed_blocks()  # before the media starts (see the function)
    trace = MemoryTrace.from_env()  # a soak's question: where does the memory go
    if trace is not None:
        trace.start()
    from meetdesk.ui.app import AppOptions, _start_qt

    qt = _start_qt(AppOptions(profile_dir=state_dir))
    if qt is None:
        return 2
    loop = qt[0]

    async def main() -> int:
        from meetdesk.ui.kiosk.window import KioskWindow

        window = KioskWindow(config, state_dir, problem=problem, config_path=config_path, source_id=source_id)
        outcome: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def finish(code: int) -> None:
            if not outcome.done():
                outcome.set_result(code)

        window.exitRequested.connect(lambda: finish(0))
        window.restartRequested.connect(lambda: finish(RESTART_EXIT))
        window.configFixed.connect(lambda: finish(RESTART_EXIT))

        def terminate(_signum: int, _frame: object) -> None:  # systemctl stop, the watchdog's stop
            logger.info("Kiosk: asked to stop")
            window.unlocked = True
            window._spawn(window._exit())

        signal.signal(signal.SIGTERM, terminate)
        window.start()
        if trace is not None:
            window._spawn(trace.run())
        code = await outcome
        window.unlocked = True
        window.close()
        return code

    with loop:
        code = int(loop.run_until_complete(main()))
    logger.info("Kiosk: exiting (%d)", code)
    if code == RESTART_EXIT and not os.environ.get(SUPERVISED_ENV):
        logging.shutdown()
        os.execv(sys.executable, [sys.executable, "-m", "meetdesk", *sys.argv[1:]])  # noqa: S606 - ourselves again
    return code

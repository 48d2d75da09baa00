"""The kiosk's watchdog with real child processes: a crash is started again, a restart request restarts at once,
a hang (heartbeat silent) is killed and started again, and closing with the PIN (exit 0) stops it all."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from meetdesk.kiosk.health import HEARTBEAT_FILE
from meetdesk.kiosk.watchdog import CRASH_EXIT, RESTART_EXIT, SUPERVISED_ENV, Watchdog, kiosk_command

#: a stand-in kiosk: counts its starts in ``runs``, writes its heartbeat, then does what ``plan`` says for this run
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    state, plan = Path(sys.argv[1]), sys.argv[2].split(",")
    runs = state / "runs"
    run = len(runs.read_text().splitlines()) if runs.exists() else 0
    with runs.open("a") as f:
        f.write(os.environ.get("{env}", "") + "\\n")
    (state / "{beat}").write_text("{{}}")
    what = plan[run]
    if what == "hang":
        time.sleep(3600)
    sys.exit(int(what))
    """
).format(env=SUPERVISED_ENV, beat=HEARTBEAT_FILE)


def runs(state: Path) -> list[str]:
    return (state / "runs").read_text().splitlines()


def test_a_crash_is_started_again_a_restart_at_once_and_exit_0_stops(tmp_path: Path) -> None:
    plan = f"{CRASH_EXIT},{RESTART_EXIT},0"
    dog = Watchdog([sys.executable, "-c", CHILD, str(tmp_path), plan], tmp_path, poll=0.1)
    assert dog.run() == 0
    assert dog.starts == 3
    assert runs(tmp_path) == ["1", "1", "1"]  # each start knew it was supervised


def test_a_hung_kiosk_is_killed_and_started_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dog = Watchdog([sys.executable, "-c", CHILD, str(tmp_path), "hang,0"], tmp_path, hang_after=1.0, poll=0.1)
    assert dog.run() == 0
    assert dog.starts == 2
    killed = [r for r in caplog.get_records("call") if "stopped writing its heartbeat" in r.getMessage()]
    assert len(killed) == 1
    killed[0].expected = True  # the error this test provokes


def test_the_kiosk_runs_with_the_same_options_without_the_watchdog_flag() -> None:
    command = kiosk_command(["kiosk", "--watchdog", "--config", "/etc/k.toml"])
    assert command == [sys.executable, "-m", "meetdesk", "kiosk", "--config", "/etc/k.toml"]

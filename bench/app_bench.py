"""Admin app launch: time from starting ``meetdesk`` to the Rooms page populated, and the app's memory.

The embedded server is already running (as on any start after the first) and holds 1,000 rooms. Each run
spawns ``meetdesk --smoke-test`` — a fresh interpreter that imports Qt, opens the main window, finds and
reuses the running embedded server, signs in as admin with the saved password, fetches the first page of
rooms into the table and paints it — and the clock stops when the app reports the page populated. The
peer, measured in the same run, is the floor any PySide6 app pays: a fresh interpreter that imports
QtWidgets and paints an empty main window.

Targets (admin-app issue): launch → Rooms page populated ≤ 1.5 s; app memory ≤ 250 MB RSS.

    .venv/bin/python bench/app_bench.py [--rooms 1000] [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import print_table  # bench/table.py: the script's own directory is on sys.path

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import ADMIN_USER, EmbeddedServer

TARGET_LAUNCH_S = 1.5
TARGET_RSS_MB = 250.0

FLOOR_SCRIPT = """
import time, sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1100, 720); w.show(); w.repaint(); app.processEvents()
rss = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')) / 1024
print(f"floor ok {rss:.1f}", flush=True)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}


def time_app(profile: Path) -> tuple[float, dict[str, float]]:
    """Wall time from spawn to the app's "populated" report, and the report."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "meetdesk", "--smoke-test", "--profile-dir", str(profile)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("smoke test ok "):
            elapsed = time.perf_counter() - started
            proc.wait(timeout=60)
            return elapsed, json.loads(line.removeprefix("smoke test ok "))
        if line.startswith("smoke test failed"):
            break
    proc.wait(timeout=60)
    raise RuntimeError(f"the app did not populate the Rooms page: {proc.stderr.read() if proc.stderr else ''}")


def time_floor() -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", FLOOR_SCRIPT], env=_env(), capture_output=True, text=True, check=True, timeout=60
    )
    elapsed = time.perf_counter() - started
    rss = float(next(line for line in done.stdout.splitlines() if line.startswith("floor ok")).split()[2])
    return elapsed, rss


async def seed(embedded: EmbeddedServer, rooms: int) -> str:
    url = await embedded.start()
    password = embedded.admin_password()
    assert password is not None
    async with MeetDeskClient(url) as client:
        await client.login(ADMIN_USER, password)
        for start in range(0, rooms, 50):
            batch = range(start, min(start + 50, rooms))
            await asyncio.gather(*(client.create_room({"roomName": f"Room {i:04d}"}) for i in batch))
        total = 0
        async for _ in client.iter_rooms(max_items=100, fields=("roomId",)):
            total += 1
    assert total == rooms, f"seeded {total} rooms, wanted {rooms}"
    return url


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 rooms, one launch; exit 0 whatever the figures")
    args = parser.parse_args(argv)
    if args.quick:
        args.rooms, args.runs = 100, 1

    with tempfile.TemporaryDirectory(prefix="meetdesk-app-bench-") as tmp:
        profile = Path(tmp)
        store = CredentialStore(profile / "config", use_keyring=False)  # what the app uses on a keyring-less box
        embedded = EmbeddedServer(profile / "embedded", store)

        async def start() -> str:
            return await seed(embedded, args.rooms)

        loop = asyncio.new_event_loop()
        try:
            url = loop.run_until_complete(start())
            print(f"embedded server {url} with {args.rooms} rooms; {args.runs} launches", flush=True)
            time_app(profile)  # warm the OS file cache once, as any second launch of a desktop app is
            launches, reports, floors, floor_rss = [], [], [], []
            for _ in range(args.runs):
                elapsed, report = time_app(profile)
                launches.append(elapsed)
                reports.append(report)
                floor_s, rss = time_floor()
                floors.append(floor_s)
                floor_rss.append(rss)
        finally:
            loop.run_until_complete(embedded.stop())
            loop.close()

    shown = {int(r["rooms_shown"]) for r in reports}
    launch_p50, launch_max = statistics.median(launches), max(launches)
    rss = max(float(r["rss_mb"]) for r in reports)
    floor_p50 = statistics.median(floors)
    rows = [
        (
            f"launch → Rooms page populated, p50 (max) of {args.runs}",
            f"{launch_p50:.2f} s ({launch_max:.2f} s)",
            f"≤ {TARGET_LAUNCH_S} s",
            ("meets" if launch_p50 <= TARGET_LAUNCH_S else "misses") + f", {launch_p50 / floor_p50:.1f}× the floor",
        ),
        ("  rows in the table at that moment", ", ".join(str(s) for s in sorted(shown)), "first page", ""),
        (
            "  of which from the app's run_app() to populated (after interpreter start)",
            f"{statistics.median(float(r['populated_s']) for r in reports):.2f} s",
            "",
            "",
        ),
        ("peer: bare PySide6 window (import + show), p50", f"{floor_p50:.2f} s", "", "floor"),
        (
            "app memory at populated, max",
            f"{rss:.0f} MB RSS",
            f"≤ {TARGET_RSS_MB:.0f} MB",
            ("meets" if rss <= TARGET_RSS_MB else "misses") + f", {rss / statistics.median(floor_rss):.1f}× the floor",
        ),
        ("peer: bare PySide6 window memory", f"{statistics.median(floor_rss):.0f} MB RSS", "", "floor"),
    ]
    print_table(rows)
    return 0 if args.quick or (launch_p50 <= TARGET_LAUNCH_S and rss <= TARGET_RSS_MB) else 1


if __name__ == "__main__":
    sys.exit(main())

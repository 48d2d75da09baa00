"""Kiosk soak: one ``meetdesk kiosk`` (offscreen, synthetic devices) in a room for a long while, its server killed
and started again and its network cut every few minutes; how fast it is back and whether it leaks.

Usage::

    .venv/bin/python bench/kiosk_soak.py                # 30 minutes, an event every 3 minutes (about 10)
    .venv/bin/python bench/kiosk_soak.py --quick        # a smoke run: one restart and one short cut

A ``meetdesk server`` child process (``rest_bench.Server``), a room, a receive-only participant in this process
(:class:`MeetingSession`, quick retries) and the kiosk in a child process, its room link going through a TCP
proxy in this process (REST and signalling; media takes its own path) that the bench can cut. Events alternate:

- **server restart**: SIGKILL, then the same data dir and port again; measured from the moment the new server
  answers to the moment the participant receives the kiosk's camera again (frames with the kiosk's marker);
- **network cut**: every connection through the proxy reset and new ones refused for ``--cut`` seconds;
  measured from the moment the network is back to the kiosk's heartbeat saying it is connected again.

Before and after: the kiosk's RSS and open files (``/proc``), after a warm-up (the first event), and whether
the kiosk process is still the first one (zero restarts, zero manual steps: nothing here touches it).

Targets: server back -> media p95 <= 3 s; RSS and open files <= 5% growth after warm-up. Prints a table
(figure | measured | target | ratio / verdict); exits 1 when the kiosk did not come back within two minutes
of an event, or exited.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

# bench/rest_bench.py and table.py: the script's own directory is on sys.path
from rest_bench import API_KEY, BenchError, Server, free_port
from table import print_table

from meetdesk.client.recovery import RetryPolicy
from meetdesk.client.session import MeetingSession
from meetdesk.kiosk.health import read_heartbeat

KIOSK_SOURCE = 11
BACK_TIMEOUT_S = 120.0
OBSERVER_RETRY = RetryPolicy(delays=(0.1, 0.2, 0.3, 0.5), give_up_after=3600.0)


class Proxy:
    """A TCP proxy to the server that can be cut (connections reset, new ones refused) and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cut = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)

    def drop_all(self) -> None:
        self.cut = True
        for writer in list(self._writers):
            writer.transport.abort()

    async def close(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def proc_figures(pid: int) -> tuple[float, int]:
    """(RSS in MB, open files) of process ``pid``."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def camera_frames(observer: MeetingSession) -> int:
    return sum(r.frames for r in observer.remote.values() if r.source == "camera")


async def wait_for(condition: object, timeout: float, what: str) -> float:
    """Poll ``condition`` (frame counters and another process's heartbeat have no event to await); the moment
    it held (monotonic)."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"the kiosk was not back within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.02)
    return time.monotonic()


async def soak(args: argparse.Namespace, work: Path) -> int:
    server = Server(work / "data", free_port(), work / "server.log")
    server.start()
    kiosk: subprocess.Popen[bytes] | None = None
    observer: MeetingSession | None = None
    proxy = Proxy(server.port)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-KEY": API_KEY}) as api:
            room = (await api.post("/api/v1/rooms", json={"roomName": "Soak room"})).json()
        await proxy.start()
        observer = MeetingSession(
            room["moderatorUrl"], "Observer", publish_video=False, publish_audio=False, retry=OBSERVER_RETRY
        )
        await observer.join()
        state = work / "kiosk"
        link = room["speakerUrl"].replace(f":{server.port}/", f":{proxy.port}/")
        command = [sys.executable, "-m", "meetdesk", "kiosk", "--room-link", link, "--name", "Soak kiosk"]
        command += ["--synthetic-devices", "--source-id", str(KIOSK_SOURCE), "--state-dir", str(state)]
        with (work / "kiosk.log").open("wb") as out:
            kiosk = subprocess.Popen(  # noqa: ASYNC220 - started once; Popen returns at once
                command, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, stdout=out, stderr=subprocess.STDOUT
            )
        pid = kiosk.pid

        def alive() -> bool:
            assert kiosk is not None
            if kiosk.poll() is not None:
                raise BenchError(f"the kiosk exited ({kiosk.returncode}); its log: {work / 'kiosk.log'}")
            return True

        def flowing(since: int) -> bool:
            assert observer is not None
            return alive() and camera_frames(observer) >= since + 5

        def connected() -> bool:
            beat = read_heartbeat(state)
            return alive() and beat is not None and beat.stage == "meeting" and beat.connected

        await wait_for(lambda: flowing(0), BACK_TIMEOUT_S, "the first join")
        restarts: list[float] = []
        cuts: list[float] = []
        warm: tuple[float, int] | None = None
        started = time.monotonic()
        event = 0
        while True:
            if event >= 2 and (args.quick or time.monotonic() - started >= args.minutes * 60):
                break
            if event > 0 and not args.quick:
                await asyncio.sleep(max(0.0, started + event * args.every - time.monotonic()))
            if event % 2 == 0:
                server.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
                server.process.wait()  # type: ignore[union-attr]
                await asyncio.sleep(2)  # the server is away for a moment
                await asyncio.to_thread(server.start)
                back = time.monotonic()
                before = camera_frames(observer)
                restarts.append(await wait_for(lambda b=before: flowing(b), BACK_TIMEOUT_S, "after a restart") - back)
            else:
                proxy.drop_all()
                await wait_for(lambda: not connected(), BACK_TIMEOUT_S, "noticing the cut")
                await asyncio.sleep(args.cut)
                proxy.cut = False
                back = time.monotonic()
                cuts.append(await wait_for(connected, BACK_TIMEOUT_S, "after a network cut") - back)
            event += 1
            print(f"event {event}: {'restart' if event % 2 else 'cut'} done", file=sys.stderr, flush=True)
            if warm is None:
                warm = proc_figures(pid)
        end = proc_figures(pid)
        assert warm is not None
        rows = table(restarts, cuts, warm, end, kiosk.pid == pid and kiosk.poll() is None)
        print_table(rows)
        return 0
    finally:
        if kiosk is not None and kiosk.poll() is None:
            kiosk.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                kiosk.wait(30)
            if kiosk.poll() is None:
                kiosk.kill()
        if observer is not None:
            await observer.leave()
        await proxy.close()
        server.stop()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def table(
    restarts: list[float], cuts: list[float], warm: tuple[float, int], end: tuple[float, int], same: bool
) -> list[tuple[str, str, str, str]]:
    def growth(after: float, before: float) -> float:
        return (after - before) / before * 100 if before else 0.0

    rss_growth, files_growth = growth(end[0], warm[0]), growth(end[1], warm[1])
    back = p95(restarts)
    return [
        (
            f"server back -> kiosk media flowing p50/p95 ({len(restarts)} restarts)",
            f"{statistics.median(restarts):.2f} / {back:.2f} s",
            "p95 <= 3 s",
            "meets" if back <= 3 else "misses",
        ),
        (
            f"network back -> kiosk connected p50/p95 ({len(cuts)} cuts)",
            f"{statistics.median(cuts):.2f} / {p95(cuts):.2f} s (heartbeat: 2 s resolution)",
            "-",
            "measured",
        ),
        (
            "kiosk RSS after warm-up -> end",
            f"{warm[0]:.0f} -> {end[0]:.0f} MB ({rss_growth:+.1f}%)",
            "<= 5% growth",
            "meets" if rss_growth <= 5 else "misses",
        ),
        (
            "kiosk open files after warm-up -> end",
            f"{warm[1]} -> {end[1]} ({files_growth:+.1f}%)",
            "<= 5% growth",
            "meets" if files_growth <= 5 else "misses",
        ),
        ("kiosk restarts / manual steps", f"{0 if same else 1} / 0", "0 / 0", "meets" if same else "misses"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one restart and one short cut")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (default 30)")
    parser.add_argument("--every", type=float, default=180.0, help="seconds between events (default 180)")
    parser.add_argument("--cut", type=float, default=5.0, help="seconds the network stays cut (default 5)")
    parser.add_argument("--keep", type=Path, help="work in this dir and keep it (the server's and kiosk's logs)")
    args = parser.parse_args()
    if args.quick:
        args.cut = min(args.cut, 3.0)
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        try:
            return asyncio.run(soak(args, work))
        except BenchError as exc:
            print(f"kiosk soak failed: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())

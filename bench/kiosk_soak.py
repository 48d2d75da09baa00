"""Kiosk soak: one ``meetdesk kiosk`` (offscreen, synthetic devices) in a room for a long while, its server killed
and started again and its network cut every few minutes; how fast it is back and whether it leaks.

Usage::

    .venv/bin/python bench/kiosk_soak.py                # 30 minutes, an event every 90 s: 10 restarts, 10 cuts
    .venv/bin/python bench/kiosk_soak.py --quick        # a smoke run: one restart and one short cut
    .venv/bin/python bench/kiosk_soak.py --minutes 10 --every 45 --trace-memory --keep /tmp/soak
                                                        # shorter, denser; where the kiosk's memory goes

A ``meetdesk server`` child process (``rest_bench.Server``), a room, a receive-only participant in this process
(:class:`MeetingSession`, quick retries) and the kiosk in a child process behind a network path the bench can cut
(:class:`~meetdesk.rtc.network_path.NetworkPath`: its room link through a TCP proxy for REST and signalling, its
media through the impairment relay, ``MEETDESK_MEDIA_RELAY``). Events alternate:

- **server restart**: SIGKILL, then the same data dir and port again; measured from the moment the new server
  answers to the moment the participant receives the kiosk's camera again (frames with the kiosk's marker);
- **network cut**: every connection through the proxy reset, new ones refused and the kiosk's media dropped both
  ways for ``--cut`` seconds; measured from the moment the network is back to the participant receiving the
  kiosk's camera again, and to the kiosk's heartbeat saying it is connected.

Before and after: the kiosk's RSS and open files (``/proc``, sampled every 5 s; the median of the interval
between the first two events against that of the last whole interval), and whether the kiosk process is still
the first one (zero restarts, zero manual steps: nothing here touches it). Each way back is printed as a
timeline (observer connected, the kiosk's camera offered, its heartbeat connected, media flowing), the slowest
three again under the table; ``--trace-memory`` has the kiosk report its allocations' growth at every event
(:mod:`meetdesk.kiosk.memory`).

Targets: server back -> media p95 <= 3 s; RSS and open files <= 5% growth after warm-up. Prints a table
(figure | measured | target | verdict) and the load average; exits 1 when the kiosk did not come back within two
minutes of an event, or exited.
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
import time
from collections.abc import Callable
from pathlib import Path

# bench/_common.py, rest_bench.py and table.py: the script's own directory is on sys.path
from _common import create_room, percentile, poll_until, run_bench, running_server
from rest_bench import BenchError, Server
from table import print_table, verdict

from meetdesk.client.recovery import RetryPolicy
from meetdesk.client.session import MeetingSession, SessionState
from meetdesk.kiosk.health import read_heartbeat
from meetdesk.kiosk.memory import EVERY_ENV, TRACE_ENV
from meetdesk.rtc.network_path import NetworkPath

KIOSK_SOURCE = 11
BACK_TIMEOUT_S = 120.0
SAMPLE_EVERY_S = 5.0
OBSERVER_RETRY = RetryPolicy(delays=(0.1, 0.2, 0.3, 0.5), give_up_after=3600.0)
Row = tuple[str, str, str, str]


def proc_figures(pid: int) -> tuple[float, int]:
    """(RSS in MB, open files) of process ``pid``."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


class Figures:
    """The kiosk's RSS and open files, sampled every few seconds and at the end of each event, by interval (the
    n-th interval: after n events). Memory breathes by tens of MB as media buffers come and go, so "flat" is
    judged on the median of a whole interval: the first after the warm-up against the last one."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.intervals: list[list[tuple[float, int]]] = [[]]

    def sample(self) -> None:
        with contextlib.suppress(OSError):
            self.intervals[-1].append(proc_figures(self.pid))

    async def sample_every(self, seconds: float) -> None:
        while True:
            self.sample()
            await asyncio.sleep(seconds)

    def next_interval(self) -> None:
        self.sample()  # the end of an event: at least one sample in every interval
        self.intervals.append([])
        self.sample()

    def _median(self, interval: list[tuple[float, int]]) -> tuple[float, int]:
        return statistics.median(r for r, _ in interval), round(statistics.median(f for _, f in interval))

    def warm(self) -> tuple[float, int]:
        """The interval after the first event."""
        return self._median(self.intervals[1])

    def end(self) -> tuple[float, int]:
        """The last whole interval (before the last event; the interval after it, in a quick run)."""
        last = self.intervals[-2] if len(self.intervals) > 3 else self.intervals[-1]
        return self._median(last)


def camera_frames(observer: MeetingSession) -> int:
    return sum(r.frames for r in observer.remote.values() if r.source == "camera")


async def wait_for(condition: Callable[[], bool], what: str) -> float:
    """The moment ``condition`` held (it is polled: frame counters and another process's heartbeat have no event
    to await); BenchError after :data:`BACK_TIMEOUT_S`."""
    moment = await poll_until(condition, BACK_TIMEOUT_S)
    if moment is None:
        raise BenchError(f"the kiosk was not back within {BACK_TIMEOUT_S:.0f} s: {what}")
    return moment


class Timeline:
    """When each step of getting back happened after an event, in seconds from the network or server being back
    (polled, as :func:`wait_for`; the kiosk's own side, its attempts and their outcome, is in its log)."""

    def __init__(self, soak: Soak) -> None:
        self.soak = soak
        self.back = time.monotonic()
        self.steps: dict[str, float] = {}

    def _camera_offered(self) -> bool:
        return any(r.active for r in self.soak.observer.remote.values() if r.source == "camera")

    async def follow(self) -> None:
        """Note the first moment of each step, until cancelled."""
        observer, soak = self.soak.observer, self.soak
        checks: dict[str, Callable[[], bool]] = {
            "observer connected": lambda: observer.state is SessionState.CONNECTED,
            "kiosk camera offered to the observer": self._camera_offered,
            "kiosk heartbeat connected": soak.connected,
        }
        while len(self.steps) < len(checks):
            for step, check in checks.items():
                if step not in self.steps and check():
                    self.steps[step] = time.monotonic() - self.back
            await asyncio.sleep(0.02)

    def line(self, what: str, media: float) -> str:
        steps = sorted([*self.steps.items(), ("media flowing", media)], key=lambda step: step[1])
        return f"{what}: " + ", ".join(f"{step} +{at:.2f} s" for step, at in steps)


class Soak:
    """The kiosk, the participant watching it and the network between the kiosk and the server."""

    def __init__(self, work: Path, observer: MeetingSession, network: NetworkPath) -> None:
        self.work = work
        self.state = work / "kiosk"
        self.observer = observer
        self.network = network
        self.kiosk: subprocess.Popen[bytes] | None = None
        #: one line per event: the steps of getting back and when
        self.timelines: list[tuple[float, str]] = []

    def start_kiosk(self, link: str, trace_memory_every: float | None = None) -> int:
        command = [sys.executable, "-m", "meetdesk", "kiosk", "--room-link", self.network.link(link)]
        command += ["--name", "Soak kiosk", "--synthetic-devices", "--source-id", str(KIOSK_SOURCE)]
        command += ["--state-dir", str(self.state)]
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **self.network.env}
        if trace_memory_every is not None:
            env |= {TRACE_ENV: str(self.work / "kiosk-memory.txt"), EVERY_ENV: str(trace_memory_every)}
        with (self.work / "kiosk.log").open("wb") as out:
            self.kiosk = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        return self.kiosk.pid

    def alive(self) -> bool:
        assert self.kiosk is not None
        if self.kiosk.poll() is not None:
            raise BenchError(f"the kiosk exited ({self.kiosk.returncode}); its log: {self.work / 'kiosk.log'}")
        return True

    def flowing(self, since: int) -> bool:
        """The participant received 5 more frames of the kiosk's camera than ``since``."""
        return self.alive() and camera_frames(self.observer) >= since + 5

    def connected(self) -> bool:
        beat = read_heartbeat(self.state)
        return self.alive() and beat is not None and beat.stage == "meeting" and beat.connected

    async def restart_server(self, server: Server) -> float:
        """Kill the server, start it again; seconds from it answering to the kiosk's media flowing."""
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(server.process.wait)
        await asyncio.sleep(2)  # the server is away for a moment (the scenario)
        await asyncio.to_thread(server.start)
        back, before = time.monotonic(), camera_frames(self.observer)
        media = await self._timed("restart", lambda: self.flowing(before), "media after a restart") - back
        return media

    async def _timed(self, what: str, condition: Callable[[], bool], waiting_for: str) -> float:
        """:func:`wait_for` ``condition``, noting the steps on the way (:class:`Timeline`)."""
        timeline = Timeline(self)
        following = asyncio.create_task(timeline.follow())
        try:
            moment = await wait_for(condition, waiting_for)
        finally:
            following.cancel()
        line = timeline.line(f"{what} {len(self.timelines) + 1}", moment - timeline.back)
        print(line, file=sys.stderr, flush=True)
        self.timelines.append((moment - timeline.back, line))
        return moment

    async def cut_network(self, seconds: float) -> tuple[float, float]:
        """Cut the kiosk's network for ``seconds``; seconds from it back to the kiosk's media flowing, and to
        its heartbeat saying it is connected."""
        self.network.cut()
        await wait_for(lambda: not self.connected(), "noticing the cut")
        await asyncio.sleep(seconds)  # the length of the cut is the scenario
        self.network.restore()
        back, before = time.monotonic(), camera_frames(self.observer)
        media = await self._timed("cut", lambda: self.flowing(before), "media after a network cut") - back
        connected = await wait_for(self.connected, "connected after a network cut") - back
        return media, connected

    def stop_kiosk(self) -> None:
        kiosk = self.kiosk
        if kiosk is not None and kiosk.poll() is None:
            kiosk.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                kiosk.wait(30)
            if kiosk.poll() is None:
                kiosk.kill()
                kiosk.wait()


async def soak(args: argparse.Namespace, work: Path) -> None:
    async with running_server(work) as server:
        room = await create_room(server, "Soak room")
        assert room.moderatorUrl is not None and room.speakerUrl is not None
        network = await NetworkPath(server.port).start()
        observer = MeetingSession(
            room.moderatorUrl, "Observer", publish_video=False, publish_audio=False, retry=OBSERVER_RETRY
        )
        run = Soak(work, observer, network)
        try:
            await observer.join()
            pid = run.start_kiosk(room.speakerUrl, args.every if args.trace_memory else None)
            await wait_for(lambda: run.flowing(0), "the first join")
            restarts: list[float] = []
            cuts: list[tuple[float, float]] = []
            figures = Figures(pid)
            sampling = asyncio.create_task(figures.sample_every(SAMPLE_EVERY_S))
            started = time.monotonic()
            event = 0
            while event < 2 or not (args.quick or time.monotonic() - started >= args.minutes * 60):
                if event > 0 and not args.quick:
                    await asyncio.sleep(max(0.0, started + event * args.every - time.monotonic()))
                if event % 2 == 0:
                    restarts.append(await run.restart_server(server))
                else:
                    cuts.append(await run.cut_network(args.cut))
                event += 1
                print(f"event {event}: {'restart' if event % 2 else 'cut'} done", file=sys.stderr, flush=True)
                figures.next_interval()
            sampling.cancel()
            assert run.kiosk is not None
            same = run.kiosk.pid == pid and run.kiosk.poll() is None
            print_table(table(restarts, cuts, args.cut, figures.warm(), figures.end(), same))
            print("\nthe slowest ways back:")
            for _, line in sorted(run.timelines, reverse=True)[:3]:
                print(f"  {line}")
            if args.trace_memory:
                print(f"the kiosk's memory reports: {work / 'kiosk-memory.txt'}")
            print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        finally:
            run.stop_kiosk()
            await observer.leave()
            await network.close()


def p50_p95(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {percentile(values, 95):.2f} s"


def table(
    restarts: list[float],
    cuts: list[tuple[float, float]],
    cut_s: float,
    warm: tuple[float, int],
    end: tuple[float, int],
    same: bool,
) -> list[Row]:
    def growth(after: float, before: float) -> float:
        return (after - before) / before * 100 if before else 0.0

    rss_growth, files_growth = growth(end[0], warm[0]), growth(end[1], warm[1])
    back = percentile(restarts, 95)
    return [
        (
            f"server back -> kiosk media flowing p50/p95 ({len(restarts)} restarts)",
            p50_p95(restarts),
            "p95 <= 3 s",
            verdict(back <= 3),
        ),
        (
            f"network back -> kiosk media flowing p50/p95 ({len(cuts)} cuts of {cut_s:.0f} s, media and signalling)",
            p50_p95([media for media, _ in cuts]),
            "-",
            "info",
        ),
        (
            "network back -> kiosk heartbeat connected p50/p95",
            p50_p95([connected for _, connected in cuts]) + " (heartbeat: 2 s resolution)",
            "-",
            "info",
        ),
        (
            "kiosk RSS after warm-up -> end (medians of the first and last intervals between events)",
            f"{warm[0]:.0f} -> {end[0]:.0f} MB ({rss_growth:+.1f}%)",
            "<= 5% growth",
            verdict(rss_growth <= 5),
        ),
        (
            "kiosk open files after warm-up -> end (medians)",
            f"{warm[1]} -> {end[1]} ({files_growth:+.1f}%)",
            "<= 5% growth",
            verdict(files_growth <= 5),
        ),
        ("kiosk restarts / manual steps", f"{0 if same else 1} / 0", "0 / 0", verdict(same)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one restart and one short cut")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (default 30)")
    parser.add_argument("--every", type=float, default=90.0, help="seconds between events (default 90)")
    parser.add_argument("--cut", type=float, default=5.0, help="seconds the network stays cut (default 5)")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="the kiosk traces its allocations and reports the growth at every event (kiosk-memory.txt; with --keep)",
    )
    parser.add_argument("--keep", type=Path, help="work in this dir and keep it (the server's and kiosk's logs)")
    args = parser.parse_args()
    if args.quick:
        args.cut = min(args.cut, 3.0)
    return run_bench(lambda work: soak(args, work), "kiosk-soak-", keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())

"""Meeting window rendering: decode + paint CPU of the window showing 9 remote 640x360 @ 30 fps cameras.

Usage::

    .venv/bin/python bench/render_bench.py               # 9 publishers, 10 s windows (1-3 minutes)
    .venv/bin/python bench/render_bench.py --quick       # a smoke run: 3 publishers, 2 s windows (about 20 s)
    DISPLAY=:99 .venv/bin/python bench/render_bench.py --display   # on an X server (Xvfb :99), not offscreen

One ``meetdesk server`` child process (``rest_bench.Server``) holds one room, created with its API key.
``--publishers`` headless participants (:class:`MeetingSession`) join it from the speaker link, in worker
processes of ``--per-process`` each (``participants.Worker``, at nice 10: the measured process keeps the
CPU it needs) with light media: VP8 is replayed from a pre-encoded 3 s clip of the synthetic camera at
``--size`` (640x360), 30 fps, and the microphone from pre-encoded Opus, so a publisher costs packetization
only. They are send-only (``participants.install_send_only``): they publish, and the server forwards them
nothing, so the machine's two cores go to the viewer and to the server forwarding to it;
``--publishers-receive`` makes it a full meeting where everybody receives everybody (the server's load
then grows ninefold).

Then three viewers join in turn, each in a fresh process of its own, publishing nothing, receiving every
publisher's camera and microphone (the audio is decoded and dropped: no audio device):

1. ``decode``, the peer: a headless ``MeetingSession`` on a plain asyncio loop. What receiving and
   decoding the streams costs (network, SRTP, jitter buffer, VP8 and Opus decoding), and nothing else.
2. ``hidden``: the meeting page (``MeetingPage.start``, as the desktop app starts it) on the app's event
   loop (``meetdesk.ui.eventloop.QtAsyncLoop``: asyncio on Qt's loop) but never shown: frames reach the
   tiles, which do not paint them. What the Qt loop and the page add to decoding.
3. ``window``: the same page shown at 1280x720 (offscreen, or ``--display``): every remote frame goes to
   its tile (``VideoView.show_frame``), which converts it to RGB at the tile's size and paints it.

Once every publisher's tile (stream) has received frames, frames flow ``--warmup`` seconds (2), then each
viewer measures itself over ``--seconds`` (10): its process CPU (``time.process_time``: user + system,
every thread, as a share of one core), split by thread (the event loop thread, which also decodes since
``meetdesk.client.receiving``; aiortc's ``video-decoder`` and ``audio-decoder`` threads, from
``/proc/self/task``, which only wait for their stream to end now; the rest), the frames each stream received,
and, in the window, the frames each tile painted. A frame replaced by the next before its tile painted it
is received but not shown: dropped at the window. The time spent in the tiles' ``paintEvent`` and in the
conversion to RGB inside it (``VideoView._image_for``) is measured by wrapping both in the viewer process
(bench instrumentation, thread CPU time); the Qt repaint machinery around them (the backing store, its
flush) is in the event loop thread's figure. The server's and the publishers' CPU over the same window,
and the whole machine's, are shown too: on two cores the viewer competes with them.

A window counts only if every stream arrived at the rate it was sent (>= 29 frames/s): otherwise the
figures are for less work than the target's, and the window is measured again, ``--attempts`` windows at
most (3; 1 with ``--quick``); the table lists the ones left out, and judges the CPU figure "n/a" if the last
one was short too. Frames get lost on the way when datagrams overflow the viewer's UDP receive buffer (the
table counts what the kernel dropped, and how late the viewer's event loop ran): aiortc's video jitter
buffer then holds a stream back until the lost packet is retransmitted, or for up to 512 packets (seconds)
when it is not, and its NACKs, which repeat every still-missing packet whenever a new one goes missing,
can bring retransmissions that overflow the buffer again. On a 2-core machine busy with other work this
happens often.

Targets (meeting window issue): decode + paint <= 60% of one core with 9 remote 640x360 @ 30 fps tiles; no
frame dropped at the window. Prints a table (figure | measured | target | ratio / verdict); ``--json FILE``
also writes the figures as JSON. Exits 0 whether or not the targets are met, 1 when the run itself failed
(a process failed, a publisher never reached the viewer) or a tile's ``paintEvent`` raised (the window
would show nothing: the first traceback is printed).
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import multiprocessing.connection
import os
import statistics
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# bench/participants.py, rest_bench.py and table.py: the script's own directory is on sys.path
from _common import create_room, poll_until, run_bench, running_server
from participants import FLOWING_TIMEOUT_S, JOIN_TIMEOUT_S, Worker, close_all, udp_drops
from rest_bench import BenchError, Server
from table import print_table, verdict

CPU_TARGET = 0.60  # of one core: decode + paint, 9 tiles
TARGET_PUBLISHERS = 9
FPS = 30
WINDOW_SIZE = (1280, 720)
PUBLISHER_NICE = 10
MODES = ("decode", "hidden", "window")
MODE_LABELS = {
    "decode": "decode only (headless MeetingSession, asyncio loop)",
    "hidden": "meeting page on the Qt loop, not shown (no painting)",
    "window": "meeting window shown, decode + paint",
}
#: aiortc's decoder threads, one per received track (idle: the subscriber decodes on the event loop)
THREAD_GROUPS = ("video-decoder", "audio-decoder")


# --- the viewer, in a process of its own -------------------------------------------------------------


@dataclass
class Clock:
    """CPU clocks of this process at one moment (seconds)."""

    wall: float
    process: float  # every thread
    main: float  # the event loop's thread (the caller's)
    threads: dict[int, tuple[str, float]]  # native thread id -> (group, CPU seconds), the other threads

    @staticmethod
    def now() -> Clock:
        """Other threads are grouped by their Python name (aiortc's decoders) or, for threads that Python did
        not start (Qt's), by their kernel name ("Thread (pooled)": Qt's thread pool)."""
        python = {t.native_id: t.name for t in threading.enumerate()}
        threads = {}
        ticks = os.sysconf("SC_CLK_TCK")
        for task in Path("/proc/self/task").iterdir():
            tid = int(task.name)
            if tid == threading.main_thread().native_id:
                continue
            with contextlib.suppress(OSError):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                name = python.get(tid)
                group = name if name in THREAD_GROUPS else "Python threads" if name else (task / "comm").read_text()
                threads[tid] = (group.strip(), (int(fields[11]) + int(fields[12])) / ticks)
        return Clock(time.monotonic(), time.process_time(), time.thread_time(), threads)

    def since(self, start: Clock) -> dict[str, Any]:
        """Share of one core between ``start`` and this moment: in all, in the event loop's thread, per group of
        other threads (``threads``; "other": the rest, threads that ended meanwhile among them)."""
        wall = self.wall - start.wall
        groups = dict.fromkeys(THREAD_GROUPS, 0.0)
        for tid, (group, seconds) in self.threads.items():
            groups[group] = groups.get(group, 0.0) + seconds - start.threads.get(tid, (group, 0.0))[1]
        total, main = self.process - start.process, self.main - start.main
        return {
            "total": total / wall,
            "main": main / wall,
            "threads": {group: seconds / wall for group, seconds in groups.items()},
            "other": max(0.0, total - main - sum(groups.values())) / wall,
        }


@dataclass
class PaintTimes:
    """CPU time of the event loop thread in the tiles' ``paintEvent`` and, inside it, in ``_image_for``."""

    paints: int = 0
    paint_s: float = 0.0
    conversions: int = 0
    convert_s: float = 0.0
    errors: int = 0  # paintEvent raised: the tile painted nothing (or half)
    first_error: str = ""

    def snapshot(self) -> tuple[int, float, int, float, int]:
        return self.paints, self.paint_s, self.conversions, self.convert_s, self.errors


PAINT = PaintTimes()


def instrument_paint() -> None:
    """Bench-only: time ``Tile.paintEvent`` (the whole tile: frame, label, ring) and ``VideoView._image_for``
    (the conversion of a frame to RGB at the tile's size) with the thread's CPU clock. A paintEvent that
    raises is counted and its first traceback kept (Qt would print every one and carry on). Each view counts
    the frames it drops (``bench_dropped``): a new frame replaces one it has not painted (VideoView's
    internals, read by the bench only)."""
    from meetdesk.ui.meeting.tiles import Tile
    from meetdesk.ui.meeting.video_view import VideoView

    paint, image_for, show_frame = Tile.paintEvent, VideoView._image_for, VideoView.show_frame

    def counted_show_frame(self: VideoView, frame: Any) -> None:
        if self._frame is not None and self._frame is not self._painted_frame:
            self.bench_dropped = getattr(self, "bench_dropped", 0) + 1  # type: ignore[attr-defined]
        show_frame(self, frame)

    def timed_paint(self: Tile, event: Any) -> None:
        start = time.thread_time()
        try:
            paint(self, event)
        except Exception:
            PAINT.errors += 1
            PAINT.first_error = PAINT.first_error or traceback.format_exc()
        finally:
            PAINT.paints += 1
            PAINT.paint_s += time.thread_time() - start

    def timed_image_for(self: VideoView, frame: Any, size: Any) -> Any:
        start = time.thread_time()
        try:
            return image_for(self, frame, size)
        finally:
            PAINT.conversions += 1
            PAINT.convert_s += time.thread_time() - start

    Tile.paintEvent = timed_paint  # type: ignore[method-assign]
    VideoView._image_for = timed_image_for  # type: ignore[method-assign]
    VideoView.show_frame = counted_show_frame  # type: ignore[method-assign]


class LoopWatch:
    """How late the event loop runs a task that wakes every ``interval`` (a late wake-up: the loop was busy, or
    the process did not get the CPU), and how long the garbage collector's passes took."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self.gc_pauses: list[float] = []
        self.gc_seconds = 0.0  # every pass, any generation
        self.gc_passes = 0
        self._gc_start = 0.0
        self._task: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        pause = time.perf_counter() - self._gc_start
        self.gc_seconds += pause
        self.gc_passes += 1
        if info.get("generation") == 2:
            self.gc_pauses.append(pause)

    async def _watch(self) -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(self.interval)
            self.lags.append(time.monotonic() - start - self.interval)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._watch())

    def stop(self) -> dict[str, Any]:
        gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
        lags = sorted(self.lags)
        return {
            "longest_stall": lags[-1] if lags else 0.0,
            "stalls_over_100ms": sum(1 for lag in lags if lag > 0.1),
            "gen2_collections": len(self.gc_pauses),
            "longest_gen2": max(self.gc_pauses, default=0.0),
            "gc_seconds": self.gc_seconds,
            "gc_passes": self.gc_passes,
        }


class Viewer(abc.ABC):
    """Joins, waits until every publisher's camera arrives, warms up, measures itself, reports.

    A window in which a stream arrived at less than the rate it was sent is measured again, up to
    ``attempts`` windows in all (the report lists the slowest stream's rate in each one left out).

    Messages to the parent, in order: ``{"joined"}``, ``{"flowing"}``, ``{"window"}`` each time a measuring
    window opens, ``{"report"}``; ``{"error"}`` instead of any of them.
    """

    def __init__(
        self,
        link: str,
        publishers: list[str],
        warmup: float,
        seconds: float,
        attempts: int,
        conn: multiprocessing.connection.Connection,
    ) -> None:
        self.link = link
        self.publishers = publishers
        self.warmup = warmup
        self.seconds = seconds
        self.attempts = attempts
        self.conn = conn

    @abc.abstractmethod
    async def join(self) -> None:
        """(each kind of viewer does it its own way)"""

    @abc.abstractmethod
    async def leave(self) -> None:
        """(each kind of viewer does it its own way)"""

    @abc.abstractmethod
    def received(self) -> dict[str, int]:
        """Video frames received so far, per publisher."""

    def shown(self) -> dict[str, int]:
        """Video frames painted so far, per publisher (none without a window)."""
        return {}

    def dropped(self) -> dict[str, int]:
        """Video frames dropped so far at the window (replaced before painted), per publisher."""
        return {}

    @abc.abstractmethod
    def audio_streams(self) -> int:
        """(each kind of viewer does it its own way)"""

    def extra(self) -> dict[str, Any]:
        return {}

    async def measure(self) -> dict[str, Any]:
        """One measuring window."""
        received0, shown0, dropped0 = self.received(), self.shown(), self.dropped()
        paint0, clock0, udp0 = PAINT.snapshot(), Clock.now(), udp_drops(os.getpid())
        watch = LoopWatch()
        watch.start()
        await asyncio.sleep(self.seconds)
        clock1 = Clock.now()
        loop = watch.stop()
        paint1, received1, shown1, dropped1 = PAINT.snapshot(), self.received(), self.shown(), self.dropped()
        report = {
            "seconds": clock1.wall - clock0.wall,
            "cpu": clock1.since(clock0),
            "received": {p: received1.get(p, 0) - received0.get(p, 0) for p in self.publishers},
            "audio_streams": self.audio_streams(),
            "udp_drops": udp_drops(os.getpid()) - udp0,
            "loop": loop,
            **self.extra(),
        }
        if shown1:
            report["shown"] = {p: shown1.get(p, 0) - shown0.get(p, 0) for p in self.publishers}
            report["dropped"] = {p: dropped1.get(p, 0) - dropped0.get(p, 0) for p in self.publishers}
            paints, paint_s, conversions, convert_s, errors = (b - a for a, b in zip(paint0, paint1, strict=True))
            report["paint"] = {
                "paints": paints,
                "paint_s": paint_s,
                "conversions": conversions,
                "convert_s": convert_s,
                "errors": errors,
                "first_error": PAINT.first_error,
            }
        return report

    def every_camera(self) -> bool:
        received = self.received()
        return all(received.get(p, 0) > 0 for p in self.publishers)

    async def run(self) -> None:
        report: dict[str, Any] = {}
        try:
            start = time.monotonic()
            await asyncio.wait_for(self.join(), JOIN_TIMEOUT_S)
            self.conn.send({"joined": time.monotonic() - start})
            start = time.monotonic()
            if not await poll_until(self.every_camera, FLOWING_TIMEOUT_S, 0.05):
                missing = [p for p in self.publishers if self.received().get(p, 0) == 0]
                raise BenchError(f"no video within {FLOWING_TIMEOUT_S:.0f} s from {len(missing)} publishers: {missing}")
            self.conn.send({"flowing": time.monotonic() - start})
            await asyncio.sleep(self.warmup)
            incomplete: list[float] = []
            for attempt in range(self.attempts):
                self.conn.send({"window": attempt + 1})
                report = await self.measure()
                slowest = min(report["received"].values()) / report["seconds"]
                if slowest >= FPS - 1 or attempt == self.attempts - 1:
                    break
                incomplete.append(slowest)  # measured again: the figures would be for less work than sent
            report["incomplete"] = incomplete
        except Exception as exc:  # the parent reports it and fails the run
            self.conn.send({"error": f"{type(exc).__name__}: {exc}"})
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.leave(), 15)
        if report:
            self.conn.send({"report": report})


class HeadlessViewer(Viewer):
    """The peer: a ``MeetingSession`` that publishes nothing and receives everybody, on an asyncio loop."""

    async def join(self) -> None:
        from meetdesk.client.session import MeetingSession

        self.session = MeetingSession(
            self.link, "Viewer", sources=(None, None), audio_enabled=False, video_enabled=False, read_markers=False
        )
        await self.session.join()

    async def leave(self) -> None:
        await self.session.leave()

    def received(self) -> dict[str, int]:
        return {r.identity: r.frames for r in self.session.remote.values() if r.source == "camera"}

    def audio_streams(self) -> int:
        return sum(1 for r in self.session.remote.values() if r.kind == "audio" and r.frames > 0)


class WindowViewer(Viewer):
    """The meeting page as the desktop app starts it, shown at 1280x720 (or, ``shown`` False, never shown)."""

    def __init__(self, *args: Any, shown: bool) -> None:
        super().__init__(*args)
        self.shown_page = shown
        self.platform = ""  # Qt's platform plugin, said in the report

    async def join(self) -> None:
        from meetdesk.client.lobby import inspect_link
        from meetdesk.ui.meeting.meeting_page import MeetingPage

        self.page = MeetingPage()
        self.page.resize(*WINDOW_SIZE)
        if self.shown_page:
            self.page.show()
        info = await inspect_link(self.link)
        await self.page.start(
            info, "Viewer", sources=(None, None), self_view=None, audio_enabled=False, video_enabled=False, audio=None
        )

    async def leave(self) -> None:
        await self.page.leave()
        self.page.close()

    def tiles(self) -> dict[str, Any]:
        tiles = self.page.tiles.tiles
        return {p: tiles[f"{p}/camera"] for p in self.publishers if f"{p}/camera" in tiles}

    def received(self) -> dict[str, int]:
        return {p: tile.frames_received for p, tile in self.tiles().items()}

    def shown(self) -> dict[str, int]:
        return {p: tile.frames_shown for p, tile in self.tiles().items()} if self.shown_page else {}

    def dropped(self) -> dict[str, int]:
        return {p: getattr(tile, "bench_dropped", 0) for p, tile in self.tiles().items()} if self.shown_page else {}

    def audio_streams(self) -> int:
        session = self.page.session
        assert session is not None
        return sum(1 for r in session.remote.values() if r.kind == "audio" and r.frames > 0)

    def extra(self) -> dict[str, Any]:
        sizes = sorted({f"{t.width()}x{t.height()}" for t in self.tiles().values()})
        return {"tile_sizes": sizes, "tiles": len(self.page.tiles.tiles), "platform": self.platform}


def viewer_main(
    mode: str,
    link: str,
    publishers: list[str],
    warmup: float,
    seconds: float,
    attempts: int,
    display: bool,
    conn: multiprocessing.connection.Connection,
) -> None:
    args = (link, publishers, warmup, seconds, attempts, conn)
    if mode == "decode":  # no Qt in this process at all
        asyncio.run(HeadlessViewer(*args).run())
        return
    if not display:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        del os.environ["QT_QPA_PLATFORM"]
    from PySide6.QtWidgets import QApplication

    from meetdesk.ui.eventloop import QtAsyncLoop

    app = QApplication.instance() or QApplication(["render-bench"])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    instrument_paint()
    viewer = WindowViewer(*args, shown=mode == "window")
    viewer.platform = app.platformName()
    loop = QtAsyncLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(viewer.run())


class ViewerProcess:
    """The parent's handle on a viewer in its own process."""

    def __init__(self, mode: str, link: str, publishers: list[str], args: argparse.Namespace) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        viewer_args = (mode, link, publishers, args.warmup, args.seconds, args.attempts, args.display, child)
        self.process = ctx.Process(target=viewer_main, args=viewer_args, daemon=True)
        self.process.start()

    async def expect(self, key: str, timeout: float, *, or_: str = "") -> dict[str, Any]:
        """The next message, which must be ``key`` (or ``or_``)."""
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self.conn.poll, timeout):
            raise BenchError(f"the viewer process sent no {key!r} within {timeout:.0f} s")
        reply: dict[str, Any] = self.conn.recv()
        if "error" in reply:
            raise BenchError(f"the viewer process failed: {reply['error']}")
        if key not in reply and (not or_ or or_ not in reply):
            raise BenchError(f"the viewer process sent {sorted(reply)}, expected {key!r}")
        return reply

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 20)
        if self.process.is_alive():
            self.process.kill()


# --- the parent: server, publishers, viewers in turn -------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_busy_seconds() -> float:
    """CPU time all CPUs spent busy so far, whoever used them (``/proc/stat``)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """CPU time so far of the server, the publishers' processes and the whole machine."""

    wall: float
    server: float
    publishers: float
    machine: float
    server_udp_drops: int

    @staticmethod
    def now(server: Server, workers: list[Worker]) -> Load:
        assert server.process is not None
        publishers = sum(process_cpu_seconds(w.process.pid) for w in workers if w.process.pid is not None)
        cpu = server.cpu_seconds() or 0.0
        return Load(time.monotonic(), cpu, publishers, machine_busy_seconds(), udp_drops(server.process.pid))

    def since(self, start: Load) -> dict[str, float]:
        wall = self.wall - start.wall
        return {
            "server": (self.server - start.server) / wall,
            "publishers": (self.publishers - start.publishers) / wall,
            "machine": (self.machine - start.machine) / wall,
            "server_udp_drops": self.server_udp_drops - start.server_udp_drops,
        }


@dataclass
class Run:
    publishers: int
    processes: int
    size: str
    receive: bool
    seconds: float
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    load: dict[str, dict[str, float]] = field(default_factory=dict)


async def measure_viewer(
    mode: str, link: str, identities: list[str], args: argparse.Namespace, server: Server, workers: list[Worker]
) -> tuple[dict[str, Any], dict[str, float]]:
    viewer = ViewerProcess(mode, link, identities, args)
    try:
        joined = await viewer.expect("joined", JOIN_TIMEOUT_S + 30)
        flowing = await viewer.expect("flowing", FLOWING_TIMEOUT_S + 30)
        reply = await viewer.expect("window", args.warmup + 30)
        while "window" in reply:  # the load around the viewer, over the window it measures
            load0 = Load.now(server, workers)
            reply = await viewer.expect("report", args.seconds + 30, or_="window")
        report, load = reply["report"], Load.now(server, workers).since(load0)
        print(
            f"  {mode}: joined in {joined['joined']:.1f} s, every camera in {flowing['flowing']:.1f} s more;"
            f" {report['cpu']['total']:.0%} of a core over {report['seconds']:.1f} s"
            + (
                f" (measured again after {len(report['incomplete'])} windows with frames lost)"
                if report["incomplete"]
                else ""
            ),
            flush=True,
        )
        return report, load
    finally:
        await viewer.close()


async def run(args: argparse.Namespace, workdir: Path) -> Run:
    workers: list[Worker] = []
    width, height = args.size
    result = Run(args.publishers, 0, f"{width}x{height}", args.publishers_receive, args.seconds)
    async with running_server(workdir) as server:
        try:
            room = await create_room(server, "Render bench")
            link = room.speakerUrl
            assert link is not None
            names = [f"Publisher {n + 1}" for n in range(args.publishers)]
            print(
                f"{args.publishers} publishers ({width}x{height}@{FPS} VP8 + Opus, replayed) joining,"
                f" {args.per_process} per process ...",
                flush=True,
            )
            for first in range(0, args.publishers, args.per_process):
                group = names[first : first + args.per_process]
                workers.append(
                    Worker(
                        link,
                        group,
                        first + 1,
                        args.publishers,
                        args.publisher_nice,
                        light=True,
                        camera=(width, height),
                        receive=args.publishers_receive,
                    )
                )
            result.processes = len(workers)
            identities = [
                i for w in workers for i in (await w.expect("joined", JOIN_TIMEOUT_S * args.per_process))["joined"]
            ]
            for worker in workers:
                await worker.expect("flowing", FLOWING_TIMEOUT_S + 30)
            for mode in args.modes:
                result.reports[mode], result.load[mode] = await measure_viewer(
                    mode, link, identities, args, server, workers
                )
        finally:
            await close_all(workers)
    return result


# --- report --------------------------------------------------------------------------------------

Row = tuple[str, str, str, str]


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def each(seconds: float, count: int) -> str:
    return f"{seconds * 1000 / count:.2f} ms each" if count else "none"


def min_median(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f}" if values else "n/a"


def received_fps(report: dict[str, Any]) -> list[float]:
    return [frames / report["seconds"] for frames in report["received"].values()]


def complete(report: dict[str, Any]) -> bool:
    """Whether every stream arrived at (nearly) the rate it was sent: else the CPU figure is for less work."""
    fps = received_fps(report)
    return bool(fps) and min(fps) >= FPS - 1


def by_thread(cpu: dict[str, Any]) -> str:
    """Event loop / video decoders / audio decoders / other threads (the busiest named, 1% and more)."""
    threads: dict[str, float] = cpu["threads"]
    others = {g: v for g, v in threads.items() if g not in THREAD_GROUPS}
    other = sum(others.values()) + cpu["other"]
    named = ", ".join(f"{g} {percent(v)}" for g, v in sorted(others.items(), key=lambda i: -i[1]) if v >= 0.01)
    parts = [percent(cpu["main"]), *(percent(threads[g]) for g in THREAD_GROUPS), percent(other)]
    return " / ".join(parts) + (f" ({named})" if named else "")


def cpu_rows(result: Run) -> list[Row]:
    reports, n = result.reports, result.publishers
    note = "" if n == TARGET_PUBLISHERS else f" (target is for {TARGET_PUBLISHERS})"
    window = reports.get("window")
    rows: list[Row] = []
    if window is not None:
        cpu = window["cpu"]["total"]
        judged = f"{cpu / CPU_TARGET:.2f}x target: {verdict(cpu <= CPU_TARGET)}"
        if not complete(window):
            judged = f"n/a: streams arrived at {min_median(received_fps(window))} fps, not {FPS} (see below)"
        rows.append(
            (
                f"window process CPU, decode + paint, {n} tiles of {result.size}@{FPS}"
                f" in a {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]} meeting window",
                f"{percent(cpu)} of a core",
                f"<= {percent(CPU_TARGET)}{note}",
                judged,
            )
        )
    for mode in ("decode", "hidden"):
        report = reports.get(mode)
        if report is not None:
            cpu = report["cpu"]["total"]
            ratio = f"window = {window['cpu']['total'] / cpu:.2f}x this" if window is not None and cpu else "info"
            rows.append((f"  peer: {MODE_LABELS[mode]}, same streams", f"{percent(cpu)} of a core", "-", ratio))
    for mode, report in reports.items():
        rows.append(
            (
                f"  {mode}: CPU by thread: event loop (network, RTP, decoding, Qt, paint) / aiortc's video / audio"
                " decoder threads / other",
                by_thread(report["cpu"]),
                "-",
                "info",
            )
        )
    return rows


def paint_rows(window: dict[str, Any]) -> list[Row]:
    paint, seconds = window["paint"], window["seconds"]
    return [
        (
            "  window: tiles' paintEvent (convert + draw + label), CPU; per paint; paints/s",
            f"{percent(paint['paint_s'] / seconds)}; {each(paint['paint_s'], paint['paints'])};"
            f" {paint['paints'] / seconds:.0f}/s",
            "-",
            "info",
        ),
        (
            "    of which VideoView._image_for: the frame converted to RGB at the tile size",
            f"{percent(paint['convert_s'] / seconds)}; {each(paint['convert_s'], paint['conversions'])}",
            "-",
            "info",
        ),
        (
            f"  window: tile size (remote tiles; {window['tiles']} tiles with the self view), Qt platform",
            f"{', '.join(window['tile_sizes'])}, {window['platform']}",
            "-",
            "info",
        ),
    ]


def drop_rows(window: dict[str, Any]) -> list[Row]:
    received, shown, dropped = (sum(window[key].values()) for key in ("received", "shown", "dropped"))
    worst = max(window["dropped"], key=lambda p: window["dropped"][p] / max(window["received"][p], 1))
    worst_dropped, worst_received = window["dropped"][worst], window["received"][worst]
    paint = window["paint"]
    return [
        (
            f"frames dropped at the window (received, replaced before painted) over {window['seconds']:.0f} s",
            f"{dropped} of {received} ({dropped / max(received, 1):.1%})",
            "0",
            verdict(dropped == 0),
        ),
        (
            "  the tile that dropped most",
            f"{worst_dropped} of {worst_received} ({worst_dropped / max(worst_received, 1):.1%})",
            "-",
            "info",
        ),
        (
            "  received - shown (the same, give or take a frame per tile at the window's ends)",
            f"{received - shown}",
            "-",
            "check",
        ),
        (
            "  paintEvent calls that raised (the tile shows nothing, or an old frame)",
            f"{paint['errors']} of {paint['paints']}",
            "0",
            verdict(paint["errors"] == 0),
        ),
        (
            "  window: shown frames/s per tile, min / median",
            min_median([frames / window["seconds"] for frames in window["shown"].values()]),
            f"{FPS}",
            "info",
        ),
    ]


def stream_rows(result: Run) -> list[Row]:
    n, rows = result.publishers, []
    for mode, report in result.reports.items():
        fps = received_fps(report)
        streams = sum(1 for frames in report["received"].values() if frames > 0)
        load = result.load[mode]
        rows += [
            (
                f"  {mode}: received video frames/s per stream, min / median (sent at {FPS})",
                min_median(fps),
                "-",
                "info" if complete(report) else "frames lost on the way",
            ),
            (
                f"  {mode}: publishers received, video + audio",
                f"{streams} + {report['audio_streams']} of {n} + {n}",
                "all",
                verdict(streams == n and report["audio_streams"] == n),
            ),
            (
                f"  {mode}: measuring windows left out: a stream arrived below {FPS - 1} frames/s (its rate)",
                f"{len(report['incomplete'])}"
                + (f" ({', '.join(f'{x:.1f}' for x in report['incomplete'])})" if report["incomplete"] else ""),
                "0",
                "info" if not report["incomplete"] else "measured again",
            ),
            (
                f"  {mode}: UDP datagrams dropped on full receive buffers: viewer / server",
                f"{report['udp_drops']} / {load['server_udp_drops']:.0f}",
                "0",
                "info" if report["udp_drops"] == 0 else "the viewer did not read its socket in time",
            ),
            (
                f"  {mode}: event loop late by > 100 ms (times, longest); full GC passes (count, longest)",
                f"{report['loop']['stalls_over_100ms']}, {report['loop']['longest_stall'] * 1000:.0f} ms;"
                f" {report['loop']['gen2_collections']}, {report['loop']['longest_gen2'] * 1000:.0f} ms",
                "-",
                "info",
            ),
            (
                f"  {mode}: garbage collector, every generation: share of a core (wall time in its passes); passes/s",
                f"{percent(report['loop']['gc_seconds'] / report['seconds'])};"
                f" {report['loop']['gc_passes'] / report['seconds']:.0f}/s",
                "-",
                "info",
            ),
            (
                f"  {mode}: meanwhile server / publishers ({result.processes} processes) / all CPUs busy",
                f"{percent(load['server'])} / {percent(load['publishers'])} / {percent(load['machine'])}"
                f" of {os.cpu_count() or 1}00%",
                "-",
                "publishers receive too" if result.receive else "publishers send only",
            ),
        ]
    return rows


def rows(result: Run) -> list[Row]:
    window = result.reports.get("window")
    out = cpu_rows(result)
    if window is not None:
        out += paint_rows(window) + drop_rows(window)
    return out + stream_rows(result)


def write_json(path: Path, result: Run) -> None:
    data = {
        "publishers": result.publishers,
        "size": result.size,
        "fps": FPS,
        "publishers_receive": result.receive,
        "cpu_target": CPU_TARGET,
        "viewers": result.reports,
        "load": result.load,
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


# --- main ----------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    try:
        return int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WIDTHxHEIGHT: {text!r}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--publishers", type=int, default=None, help="remote cameras (default 9; --quick 3)")
    parser.add_argument("--seconds", type=float, default=None, help="measuring window per viewer (10; --quick 2)")
    parser.add_argument("--warmup", type=float, default=None, help="frames flowing before it (2; --quick 1)")
    parser.add_argument(
        "--attempts",
        type=int,
        default=None,
        help="measuring windows at most, while streams arrive short (3; --quick 1)",
    )
    parser.add_argument("--size", type=parse_size, default=(640, 360), help="the cameras' size (default 640x360)")
    parser.add_argument("--per-process", type=int, default=3, help="publishers per worker process (default 3)")
    parser.add_argument(
        "--modes",
        type=lambda text: text.split(","),
        default=list(MODES),
        help="viewers to measure, in order (default decode,hidden,window)",
    )
    parser.add_argument(
        "--publisher-nice", type=int, default=PUBLISHER_NICE, help="the publishers' CPU priority (default 10)"
    )
    parser.add_argument(
        "--publishers-receive", action="store_true", help="publishers receive each other too (a full meeting)"
    )
    parser.add_argument(
        "--display", action="store_true", help="show the window on $DISPLAY (e.g. Xvfb :99) instead of offscreen"
    )
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures to FILE")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 publishers, 2 s windows")
    args = parser.parse_args(argv)
    defaults = (3, 2.0, 1.0, 1) if args.quick else (TARGET_PUBLISHERS, 10.0, 2.0, 3)
    for name, default in zip(("publishers", "seconds", "warmup", "attempts"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if min(args.publishers, args.per_process, args.attempts) < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--publishers, --per-process, --attempts and --seconds must be positive")
    if not args.modes or any(mode not in MODES for mode in args.modes):
        parser.error(f"--modes: a comma-separated list of {', '.join(MODES)}")
    if args.display and not os.environ.get("DISPLAY"):
        parser.error("--display needs DISPLAY (e.g. Xvfb :99 & DISPLAY=:99)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: list[Run] = []

    async def measure(workdir: Path) -> None:
        results.append(await run(args, workdir))

    status = run_bench(measure, "meetdesk-render-bench-")
    if status != 0:
        return status
    result = results[0]
    print()
    print_table(rows(result))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.json is not None:
        write_json(args.json, result)
    window = result.reports.get("window", {}).get("paint", {})
    if window.get("errors"):
        print(f"\nthe tiles' paintEvent raised; the first time:\n{window['first_error']}", file=sys.stderr)
        print(f"bench failed: paintEvent raised {window['errors']} times in the window", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

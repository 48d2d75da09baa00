"""REST benchmark: room creation throughput and room-listing latency against a real ``meetdesk server``.

Usage::

    .venv/bin/python bench/rest_bench.py               # 10,000 rooms, 500 timed requests per figure
    .venv/bin/python bench/rest_bench.py --quick       # 1,000 rooms, 100 requests: a smoke run of a few seconds

One server process (SQLite, the default store) is started on a free loopback port with a fresh data
directory in a temporary folder, and stopped at the end, on Ctrl-C, SIGTERM and errors.

1. Fill: ``POST /api/v1/rooms`` from ``--workers`` concurrent keep-alive connections (httpx.AsyncClient)
   until the store holds ``--rooms`` rooms; reports creates/second over the whole fill.
2. Latency, sequential, one keep-alive connection, after a warm-up, the three requests interleaved so
   that noise from the machine hits them alike:
   - ``GET /api/v1/rooms?maxItems=100`` (default order, creationDate desc),
   - ``GET /api/v1/rooms?maxItems=100&sortField=roomName&sortOrder=asc``,
   - ``GET /internal-api/v1/config/security``: a trivial request (one small SQLite read) that shows the
     server's floor, so that the table gives the cost of a page of rooms relative to it.
   The list requests walk the whole list through ``nextPageToken`` (deep pages included), and every
   fourth request asks for the first page again; each complete walk must see every room exactly once.
3. Burst: ``--burst`` more rooms created by a minimal raw-socket HTTP/1.1 client, same concurrency. httpx
   costs more CPU per request than the server does, so on a small machine the fill measures the load
   generator; the table gives both sides' CPU per create, and the burst shows the server's own pace.
4. Prints a table (figure | measured | target | ratio/verdict) and the server's memory (VmRSS, VmHWM).

Targets: >= 500 creates/s; ``GET /rooms?maxItems=100`` p95 <= 20 ms with 10,000 rooms in the store.
The script exits 0 whether or not the targets are met (it measures; it does not judge CI), and 1 when
the run itself failed (a request answered with an unexpected status, pagination lost rooms, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import httpx
from table import print_table, verdict  # bench/table.py: the script's own directory is on sys.path

API_KEY = "meetdesk-bench-api-key-0123456789abcdef"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-for-bench"  # noqa: S105 (a throwaway server's admin)

CREATE_TARGET_PER_S = 500.0
LIST_P95_TARGET_MS = 20.0
LIST_TARGET_ROOMS = 10_000
PAGE_SIZE = 100
FLOOR_PATH = "/internal-api/v1/config/security"
ROOMS_PATH = "/api/v1/rooms"

_WORD_LIST = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
    "quebec romeo sierra tango uniform victor whiskey xray yankee zulu board daily design budget sales "
    "support review retro planning kickoff sync standup demo training onboarding hiring interview"
)
_WORDS = tuple(_WORD_LIST.split())


T = TypeVar("T")


class BenchError(RuntimeError):
    """The run itself failed (not a missed target)."""


# --- the server under test ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """``python -m meetdesk server`` in a child process, with its output in a log file."""

    data_dir: Path
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "MEETDESK_INITIAL_ADMIN_USER": ADMIN_USER,
            "MEETDESK_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "MEETDESK_INITIAL_API_KEY": API_KEY,
            # the bench must not race the auto-deletion job (no room here has a deletion date anyway)
            "MEETDESK_AUTO_DELETION_INTERVAL": "3600",
        }
        command = [sys.executable, "-m", "meetdesk", "server"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"server exited early (status {self.process.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + FLOOR_PATH, timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise BenchError(f"server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the server process, in KiB (empty off Linux)."""
        assert self.process is not None
        values: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
        return values

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server has used so far (None off Linux)."""
        assert self.process is not None
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


# --- measurements --------------------------------------------------------------------------------


@dataclass
class Latencies:
    samples_ms: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples_ms.append(seconds * 1000)

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples_ms)
        if not ordered:
            return float("nan")
        # nearest-rank percentile: the smallest sample with at least p% of the samples at or below it
        rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1]

    def summary(self) -> str:
        return f"{self.pct(50):.2f} / {self.pct(95):.2f} / {self.pct(99):.2f} ms"


@dataclass
class FillResult:
    created: int
    seconds: float
    latencies: Latencies
    server_cpu_s: float | None
    client_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.created / self.seconds if self.seconds > 0 else float("nan")


def room_name(rng: random.Random, index: int) -> str:
    # Varied names, so that sorting by name interleaves with creation order.
    return f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS)} {index}"


async def fill(server: Server, target: int, workers: int, seed: int) -> FillResult:
    """Create rooms from ``workers`` concurrent connections until the store holds ``target`` rooms."""
    rng = random.Random(seed)
    names = [room_name(rng, i) for i in range(target)]
    latencies = Latencies()
    next_index = 0
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    headers = {"X-API-KEY": API_KEY}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < target:
            name = names[next_index]
            next_index += 1  # no await between the check and the increment: no two workers take one name
            start = time.perf_counter()
            response = await client.post(ROOMS_PATH, json={"roomName": name})
            latencies.add(time.perf_counter() - start)
            if response.status_code != 201:
                raise BenchError(f"POST {ROOMS_PATH} answered {response.status_code}: {response.text[:300]}")

    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=30) as client:
        # open the connections before the clock starts
        await asyncio.gather(*(client.get(FLOOR_PATH) for _ in range(workers)))
        cpu_before = server.cpu_seconds()
        client_cpu_before = time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(workers)))
        elapsed = time.perf_counter() - start
        client_cpu = time.process_time() - client_cpu_before
        cpu_after = server.cpu_seconds()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return FillResult(target, elapsed, latencies, cpu, client_cpu)


async def raw_burst(server: Server, count: int, workers: int, first_index: int) -> FillResult:
    """The same creates from a minimal HTTP/1.1 client (asyncio streams, keep-alive), ~20x cheaper in CPU
    than httpx: on a small machine it shows what the server does when the load generator is not the limit.
    """
    latencies = Latencies()
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            while next_index < count:
                index = first_index + next_index
                next_index += 1
                body = json.dumps({"roomName": f"Burst room {index}"}).encode()
                head = (
                    f"POST {ROOMS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-API-KEY: {API_KEY}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                start = time.perf_counter()
                writer.write(head.encode() + body)
                status, payload = await _read_response(reader)
                latencies.add(time.perf_counter() - start)
                if status != 201:
                    raise BenchError(f"POST {ROOMS_PATH} answered {status}: {payload[:300]!r}")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    cpu_before = server.cpu_seconds()
    client_cpu_before = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - client_cpu_before
    cpu_after = server.cpu_seconds()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return FillResult(count, elapsed, latencies, cpu, client_cpu)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(
        (int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), None
    )
    if length is None:
        raise BenchError(f"response without Content-Length: {lines[:5]}")
    return status, await reader.readexactly(length)


class PageWalker:
    """Pages of ``GET /rooms`` for one sort order: the whole list through nextPageToken, and every
    ``restart_every``-th request a first page again (without losing the place in the walk)."""

    def __init__(self, client: httpx.Client, params: dict[str, str], expected_rooms: int, restart_every: int = 4):
        self.client = client
        self.params = params
        self.expected_rooms = expected_rooms
        self.restart_every = restart_every
        self.requests = 0
        self.token: str | None = None
        self.seen: set[str] = set()
        self.complete_walks = 0
        self.bytes = 0

    def next_request(self) -> tuple[dict[str, str], bool]:
        self.requests += 1
        if self.token is None or self.requests % self.restart_every == 0:
            return dict(self.params), self.token is None
        return {**self.params, "nextPageToken": self.token}, True

    def record(self, response: httpx.Response, part_of_walk: bool) -> None:
        if response.status_code != 200:
            raise BenchError(f"GET {ROOMS_PATH} {self.params} answered {response.status_code}: {response.text[:300]}")
        self.bytes += len(response.content)
        if not part_of_walk:
            return
        body = response.json()
        ids = [room["roomId"] for room in body["rooms"]]
        duplicates = self.seen.intersection(ids)
        if duplicates:
            raise BenchError(f"pagination returned rooms twice ({self.params}): {sorted(duplicates)[:5]}")
        self.seen.update(ids)
        self.token = body["pagination"].get("nextPageToken")
        if self.token is None:
            if len(self.seen) != self.expected_rooms:
                raise BenchError(
                    f"a walk through every page ({self.params}) saw {len(self.seen)} rooms, not {self.expected_rooms}"
                )
            self.complete_walks += 1
            self.seen.clear()


@dataclass
class LatencyResult:
    by_name: dict[str, Latencies]
    complete_walks: dict[str, int]
    mean_page_bytes: dict[str, float]
    server_cpu_s: float | None
    requests: int


def measure_latency(server: Server, rooms: int, requests: int, warmup: int) -> LatencyResult:
    figures = {
        "list": {"maxItems": str(PAGE_SIZE)},
        "list_by_name": {"maxItems": str(PAGE_SIZE), "sortField": "roomName", "sortOrder": "asc"},
    }
    by_name = {name: Latencies() for name in (*figures, "floor")}
    with httpx.Client(base_url=server.url, headers={"X-API-KEY": API_KEY}, timeout=30) as client:
        walkers = {name: PageWalker(client, params, rooms) for name, params in figures.items()}
        cpu_before: float | None = None
        for i in range(warmup + requests):
            timed = i >= warmup
            if i == warmup:
                cpu_before = server.cpu_seconds()
            start = time.perf_counter()
            response = client.get(FLOOR_PATH)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise BenchError(f"GET {FLOOR_PATH} answered {response.status_code}: {response.text[:300]}")
            if timed:
                by_name["floor"].add(elapsed)
            for name, walker in walkers.items():
                params, part_of_walk = walker.next_request()
                start = time.perf_counter()
                response = client.get(ROOMS_PATH, params=params)
                elapsed = time.perf_counter() - start
                walker.record(response, part_of_walk)
                if timed:
                    by_name[name].add(elapsed)
        cpu_after = server.cpu_seconds()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return LatencyResult(
        by_name,
        {name: walker.complete_walks for name, walker in walkers.items()},
        {name: walker.bytes / max(1, walker.requests) for name, walker in walkers.items()},
        cpu,
        requests,
    )


# --- report --------------------------------------------------------------------------------------


def create_rows(label: str, client: str, result: FillResult, workers: int) -> list[tuple[str, str, str, str]]:
    rate = result.per_second
    client_busy = result.client_cpu_s / result.seconds if result.seconds > 0 else 0.0
    note = " (load generator saturated)" if client_busy >= 0.9 else ""
    rows = [
        (
            f"POST /rooms throughput, {label}",
            f"{rate:,.0f} creates/s",
            f">= {CREATE_TARGET_PER_S:.0f} /s",
            f"{rate / CREATE_TARGET_PER_S:.2f}x target: {verdict(rate >= CREATE_TARGET_PER_S)}{note}",
        ),
        (f"  latency p50/p95/p99 ({workers} in flight)", result.latencies.summary(), "-", "info"),
    ]
    if result.server_cpu_s is not None:
        per_create = result.server_cpu_s / result.created * 1000
        ceiling = f"one core's ceiling ~{1000 / per_create:,.0f} /s" if per_create > 0 else "n/a"
        rows.append(("  server CPU per create", f"{per_create:.2f} ms", "-", ceiling))
    client_per_create = result.client_cpu_s / result.created * 1000
    rows.append(
        (
            f"  {client} CPU per create (same {os.cpu_count()} CPUs)",
            f"{client_per_create:.2f} ms",
            "-",
            f"client busy {client_busy:.0%} of the time",
        )
    )
    return rows


def report(
    args: argparse.Namespace,
    fill_result: FillResult,
    latency: LatencyResult,
    burst: FillResult | None,
    memory: dict[str, int],
) -> None:
    quick_note = "" if args.rooms >= LIST_TARGET_ROOMS else f" (target is for {LIST_TARGET_ROOMS:,} rooms)"
    rows: list[tuple[str, str, str, str]] = []
    fill_label = f"httpx.AsyncClient, {args.workers} workers, 0 -> {args.rooms:,} rooms"
    rows += create_rows(fill_label, "httpx client", fill_result, args.workers)
    floor = latency.by_name["floor"]
    labels = {
        "list": f"GET /rooms?maxItems={PAGE_SIZE} p50/p95/p99",
        "list_by_name": f"GET /rooms?maxItems={PAGE_SIZE}&sortField=roomName p50/p95/p99",
    }
    for name, label in labels.items():
        lat = latency.by_name[name]
        p95 = lat.pct(95)
        rows.append(
            (
                f"{label} ({args.rooms:,} rooms)",
                lat.summary(),
                f"p95 <= {LIST_P95_TARGET_MS:.0f} ms{quick_note}",
                f"{p95 / LIST_P95_TARGET_MS:.2f}x target: {verdict(p95 <= LIST_P95_TARGET_MS)}; "
                f"{p95 / floor.pct(95):.1f}x floor (p95)",
            )
        )
    rows.append((f"GET {FLOOR_PATH} p50/p95/p99 (floor)", floor.summary(), "-", "1.0x floor"))
    if latency.server_cpu_s is not None:
        per_round = latency.server_cpu_s / latency.requests * 1000
        rows.append(("server CPU per latency round (2 pages + floor)", f"{per_round:.2f} ms", "-", "info"))
    rows.append(
        (
            "response size, one page of 100 rooms",
            f"{latency.mean_page_bytes['list'] / 1024:.1f} KiB",
            "-",
            "info",
        )
    )
    if burst is not None:
        burst_label = f"raw-socket client, {args.workers} conns, {args.rooms:,} -> {args.rooms + burst.created:,}"
        rows += create_rows(burst_label, "raw client", burst, args.workers)
    rss = memory.get("VmRSS")
    hwm = memory.get("VmHWM")
    rows.append(
        (
            "server RSS at the end (peak)",
            f"{rss / 1024:.1f} MiB ({hwm / 1024:.1f} MiB)" if rss and hwm else "n/a",
            "-",
            "info",
        )
    )
    print()
    print_table(rows)
    walks = ", ".join(f"{name}: {count}" for name, count in latency.complete_walks.items())
    print(
        f"\n{latency.requests} timed requests per figure after {args.warmup} warm-up rounds; "
        f"complete walks through every page, each seeing all {args.rooms:,} rooms once: {walks}"
    )
    print(f"Server VmRSS: {rss if rss is not None else 'n/a'} kB")


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=None, help="rooms in the store (default 10,000; --quick 1,000)")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per figure (500; --quick 100)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed rounds first (50; --quick 10)")
    parser.add_argument("--workers", type=int, default=16, help="concurrent connections for the fill (16)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the room names")
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        help="rooms then created by a minimal raw client (2,000; --quick 300; 0: none)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,000 rooms, 100 requests")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and server log")
    args = parser.parse_args(argv)
    defaults = (1_000, 100, 10, 300) if args.quick else (LIST_TARGET_ROOMS, 500, 50, 2_000)
    for name, default in zip(("rooms", "requests", "warmup", "burst"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.rooms < 1 or args.requests < 1 or args.workers < 1 or args.warmup < 0 or args.burst < 0:
        parser.error("--rooms, --requests and --workers must be positive, --warmup and --burst not negative")
    return args


class Interrupts:
    """SIGTERM unwinds like Ctrl-C, so the server is stopped on the way out.

    Inside :meth:`run_async` a signal cancels the main task, as ``asyncio.run`` does for Ctrl-C (raising
    in the middle of the event loop would leave tasks and tracebacks behind); elsewhere it raises
    KeyboardInterrupt at once.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._main: asyncio.Task[Any] | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[Interrupts]:
        previous = signal.signal(signal.SIGTERM, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        main = self._main
        if main is not None and not main.done():
            main.get_loop().call_soon_threadsafe(main.cancel)
            return
        raise KeyboardInterrupt

    def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        async def main() -> T:
            self._main = asyncio.current_task()
            try:
                return await coro
            finally:
                self._main = None

        try:
            return asyncio.run(main())
        except asyncio.CancelledError:
            if self.received:
                raise KeyboardInterrupt from None
            raise

    @property
    def exit_status(self) -> int:
        return 128 + (self.received[0] if self.received else signal.SIGINT)


def run(args: argparse.Namespace, workdir: Path, interrupts: Interrupts) -> None:
    server = Server(workdir / "data", free_port(), workdir / "server.log")
    try:
        print(f"Starting the server on {server.url} (data in {server.data_dir}) ...", flush=True)
        server.start()
        print(f"Filling the store with {args.rooms:,} rooms from {args.workers} workers ...", flush=True)
        fill_result = interrupts.run_async(fill(server, args.rooms, args.workers, args.seed))
        print(
            f"  {fill_result.created:,} rooms in {fill_result.seconds:.1f} s ({fill_result.per_second:,.0f} creates/s)",
            flush=True,
        )
        print(f"Timing {args.requests} sequential requests per figure (after {args.warmup} warm-up) ...", flush=True)
        latency = measure_latency(server, args.rooms, args.requests, args.warmup)
        burst = None
        if args.burst:
            print(f"Creating {args.burst:,} more rooms from a minimal raw-socket client ...", flush=True)
            burst = interrupts.run_async(raw_burst(server, args.burst, args.workers, args.rooms))
        memory = server.memory_kib()
        report(args, fill_result, latency, burst, memory)
    except BenchError:
        print(f"--- server log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with Interrupts().installed() as interrupts:
        try:
            if args.keep:
                workdir = Path(tempfile.mkdtemp(prefix="meetdesk-bench-"))
                print(f"Keeping {workdir}")
                run(args, workdir, interrupts)
            else:
                with tempfile.TemporaryDirectory(prefix="meetdesk-bench-") as tmp:
                    run(args, Path(tmp), interrupts)
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted; server stopped", file=sys.stderr)
            return interrupts.exit_status
    return 0


if __name__ == "__main__":
    sys.exit(main())

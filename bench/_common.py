"""What the meeting benches share: running one (SIGTERM as Ctrl-C, a work dir, a failure said in one line), a
``meetdesk server`` child process with a room in it, waiting on counters and percentiles (the verdict column is
``table.verdict``).

The server process, :class:`~rest_bench.Interrupts` and :class:`~rest_bench.BenchError` live in
``rest_bench.py`` (the first bench); this module puts them together the way every meeting bench uses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from rest_bench import API_KEY, BenchError, Interrupts, Server, free_port  # bench/ is on sys.path

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.models import MeetRoom

Row = tuple[str, str, str, str]


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile: the smallest value with at least p% of them at or below it (nan for
    none)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


async def poll_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> float | None:
    """Poll ``condition`` (frame counters, another process's files: nothing to await) until it holds; the moment
    it did (``time.monotonic()``), or None after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(interval)
    return time.monotonic()


@contextlib.asynccontextmanager
async def running_server(workdir: Path, name: str = "server") -> AsyncIterator[Server]:
    """A fresh ``meetdesk server`` (data in ``workdir/<name>-data``, log ``workdir/<name>.log``) for the block,
    stopped after it; when the block fails with :class:`BenchError` the end of its log is printed."""
    server = Server(workdir / f"{name}-data", free_port(), workdir / f"{name}.log")
    try:
        await asyncio.to_thread(server.start)
        yield server
    except BenchError:
        print(f"--- server log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()


async def create_room(server: Server, name: str) -> MeetRoom:
    """A room on ``server``, with its links."""
    async with MeetDeskClient(server.url, api_key=API_KEY) as api:
        room = await api.create_room({"roomName": name})
    if room.moderatorUrl is None or room.speakerUrl is None:
        raise BenchError("the new room has no links")
    return room


def run_bench(run: Callable[[Path], Coroutine[Any, Any, object]], prefix: str, *, keep: Path | None = None) -> int:
    """Run ``run(workdir)`` in a fresh temporary dir (``keep``: in that dir, kept); 0, or 1 when it failed
    with :class:`BenchError` (said in one line), or the signal's status when interrupted (servers stopped)."""
    with Interrupts().installed() as interrupts, tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            interrupts.run_async(run(workdir))
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted; servers stopped", file=sys.stderr)
            return interrupts.exit_status
    return 0

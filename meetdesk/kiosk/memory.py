"""The kiosk's memory: big native blocks given back to the system when freed (:func:`return_freed_blocks`), and
where a long-running kiosk's memory goes: with ``MEETDESK_TRACE_MEMORY=FILE`` set, the kiosk traces Python
allocations (:mod:`tracemalloc`, ``MEETDESK_TRACE_MEMORY_FRAMES`` frames each, default 1) and, every
``MEETDESK_TRACE_MEMORY_EVERY`` seconds (default 60), appends to ``FILE`` its RSS, the traced total, the allocation
sites that grew most since the first report (by line, or by traceback with more frames) and the kinds of Python
objects whose number grew most (old sessions or peer connections kept alive show there by name).

A debugging aid for soaks (``bench/kiosk_soak.py --trace-memory``): tracing costs CPU and memory of its own (with many
frames, enough to slow a media process down), so it is off unless asked for. The traced total against the RSS
tells a Python leak (both grow) from native growth (decoders, frames, allocator arenas: the RSS grows, the traced
total does not).
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import gc
import logging
import os
import time
import tracemalloc
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

#: glibc's mallopt() parameter: blocks of at least this many bytes get a mapping of their own, unmapped when freed
M_MMAP_THRESHOLD: Final = -3
#: the kiosk's fixed threshold (glibc's starting value). glibc raises the threshold by itself to the size of each
#: mapped block freed (up to 32 MiB): after the first video frames and encoders came and went, a VP8 encoder's
#: buffers (about 20 MB, made again at every reconnection and at every change of its bit rate) and the frames were
#: carved out of the malloc arena of whichever thread allocated them (aiortc encodes in executor threads), and
#: freed there they stayed, as free memory that neither free() nor malloc_trim() gives back (a thread's arena only
#: shrinks from its top). The kiosk soak showed it: the memory in use flat at 80 MB while the arenas' free memory
#: grew from 17 to 110 MB in 10 minutes of reconnections. Fixed, the big blocks are mapped and unmapped each time.
KIOSK_MMAP_THRESHOLD: Final = 128 * 1024


def return_freed_blocks(threshold: int = KIOSK_MMAP_THRESHOLD) -> bool:
    """Give blocks of ``threshold`` bytes or more their own mapping, returned to the system when freed, for the rest
    of this process's life (see :data:`KIOSK_MMAP_THRESHOLD`); False where the C library has no such setting (not
    glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if done:
        logger.info("Memory: blocks of %d KiB or more are given back to the system when freed", threshold // 1024)
    return done


TRACE_ENV: Final = "MEETDESK_TRACE_MEMORY"
EVERY_ENV: Final = "MEETDESK_TRACE_MEMORY_EVERY"
FRAMES_ENV: Final = "MEETDESK_TRACE_MEMORY_FRAMES"
#: allocation sites in each report
TOP: Final = 15


def rss_mb() -> float:
    """This process's resident memory in MB (NaN where /proc does not say)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class MemoryTrace:
    """Traces allocations and appends a report to ``path`` every ``every`` seconds (:meth:`run`)."""

    def __init__(self, path: Path, every: float = 60.0, frames: int = 1) -> None:
        self.path = path
        self.every = every
        self.frames = frames
        self.started = time.monotonic()
        self._first: tracemalloc.Snapshot | None = None
        self._first_types: collections.Counter[str] = collections.Counter()

    @classmethod
    def from_env(cls) -> MemoryTrace | None:
        """The trace ``MEETDESK_TRACE_MEMORY`` asks for (None: not asked)."""
        path = os.environ.get(TRACE_ENV)
        if not path:
            return None
        try:
            every = float(os.environ.get(EVERY_ENV, "60"))
            frames = int(os.environ.get(FRAMES_ENV, "1"))
        except ValueError:
            every, frames = 60.0, 1
        return cls(Path(path), max(every, 1.0), min(max(frames, 1), 50))

    def start(self) -> None:
        tracemalloc.start(self.frames)
        logger.info("Memory: tracing allocations, a report every %.0f s to %s", self.every, self.path)

    def report(self) -> str:
        """One report: the figures now and the sites that grew most since the first report (which sets the base)."""
        snapshot = tracemalloc.take_snapshot().filter_traces(
            (
                tracemalloc.Filter(False, tracemalloc.__file__),
                tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            )
        )
        traced, peak = tracemalloc.get_traced_memory()
        lines = [
            f"== {time.monotonic() - self.started:.0f} s: RSS {rss_mb():.1f} MB, traced {traced / 2**20:.1f} MB "
            f"(peak {peak / 2**20:.1f} MB)"
        ]
        types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        if self._first is None:
            self._first, self._first_types = snapshot, types
            lines.append("(the base for the next reports)")
        else:
            grew = sorted(((n - self._first_types[t], t, n) for t, n in types.items()), reverse=True)[:TOP]
            lines.append("objects grown most: " + ", ".join(f"{t} {d:+d} (now {n})" for d, t, n in grew if d > 0))
            stats = snapshot.compare_to(self._first, "traceback" if self.frames > 1 else "lineno")
            grown = sum(s.size_diff for s in stats)
            lines.append(
                f"grown since the base: {grown / 2**20:+.2f} MB in {sum(s.count_diff for s in stats):+d} blocks"
            )
            for stat in stats[:TOP]:
                lines.append(
                    f"{stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks (now {stat.size / 1024:.1f} KiB)"
                )
                lines.extend(f"  {line}" for line in stat.traceback.format(most_recent_first=True))
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        text = self.report()
        try:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            logger.warning("Memory: could not write the report: %s", exc)

    async def run(self) -> None:
        """Report every :attr:`every` seconds until cancelled (the snapshot runs off the event loop's thread)."""
        while True:
            await asyncio.sleep(self.every)
            await asyncio.to_thread(self.write)

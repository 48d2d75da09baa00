"""The kiosk's memory: big blocks freed go back to the system (:func:`return_freed_blocks`); the memory trace
(``MEETDESK_TRACE_MEMORY``): off unless asked for; each report gives the RSS and the traced total, and names the
place whose allocations grew since the first report."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from meetdesk.kiosk.memory import EVERY_ENV, TRACE_ENV, MemoryTrace


class Held:
    """Something kept alive by mistake."""

    def __init__(self) -> None:
        self.data = bytearray(64 * 1024)


kept: list[Held] = []


def grow() -> None:
    kept.extend([Held() for _ in range(64)])  # 4 MiB held from here


@pytest.fixture
def tracing() -> Iterator[None]:
    yield
    tracemalloc.stop()
    kept.clear()


def test_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRACE_ENV, raising=False)
    assert MemoryTrace.from_env() is None


def test_reports_name_what_grew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracing: None) -> None:
    path = tmp_path / "memory.txt"
    monkeypatch.setenv(TRACE_ENV, str(path))
    monkeypatch.setenv(EVERY_ENV, "5")
    trace = MemoryTrace.from_env()
    assert trace is not None and trace.path == path and trace.every == 5
    trace.start()
    trace.write()  # the base
    grow()
    trace.write()
    first, second = re.split(r"^== ", path.read_text(), flags=re.MULTILINE)[1:]
    assert "RSS" in first and "(the base for the next reports)" in first
    growth = float(second.split("grown since the base: ")[1].split(" MB")[0])
    assert growth >= 4.0
    assert "Held +64 (now 64)" in second.split("\n")[1]  # the objects grown most
    size, where, line = second.split("\n")[3:6]  # the biggest growth and the newest frame of its traceback
    assert size.startswith("+40") and "KiB" in size
    assert "test_memory.py" in where and "self.data = bytearray(64 * 1024)" in line


FREED_SCRIPT = """
import ctypes, sys, threading
from meetdesk.kiosk.memory import return_freed_blocks, rss_mb
if sys.argv[1] == "fixed":
    assert return_freed_blocks()
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
libc.memset.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)
def block(size):
    address = libc.malloc(size)
    libc.memset(address, 1, size)  # written: resident
    return address
libc.free(block(24 << 20))  # a big mapped block freed (a video buffer): glibc raises its threshold to its size
kept = []
def encoder():  # a VP8 encoder's buffers, made and freed in an executor thread, a small block kept after them
    blocks = [block(512 << 10) for _ in range(48)]
    kept.append(block(64))
    for address in blocks:
        libc.free(address)
before = rss_mb()
thread = threading.Thread(target=encoder)
thread.start()
thread.join()
print(rss_mb() - before)
"""


def kept_mb(mode: str) -> float:
    """MB of 24 MB of blocks freed in a thread that the process still holds after (RSS)."""
    done = subprocess.run([sys.executable, "-c", FREED_SCRIPT, mode], capture_output=True, text=True, check=True)
    return float(done.stdout)


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc",
    reason="M_MMAP_THRESHOLD is a glibc mallopt() setting; other C libraries (musl) have none and "
    "return_freed_blocks() returns False there, so there is nothing to measure",
)
def test_freed_big_blocks_go_back_to_the_system() -> None:
    assert kept_mb("default") > 16  # glibc's own threshold: freed, they stay in the thread's arena
    assert kept_mb("fixed") < 4

"""The kiosk's memory trace (``MEETDESK_TRACE_MEMORY``): off unless asked for; each report gives the RSS and the
traced total, and names the place whose allocations grew since the first report."""

from __future__ import annotations

import re
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

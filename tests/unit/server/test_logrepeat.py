"""RepeatFilter: a flood of one kind of log record becomes a few lines and a count."""

from __future__ import annotations

import logging

import pytest

from meetdesk.server.logrepeat import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def flood() -> tuple[logging.Logger, list[str], RepeatFilter, Clock]:
    clock = Clock()
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    repeats = RepeatFilter(burst=3, window=60.0, clock=clock)
    handler.addFilter(repeats)
    logger = logging.getLogger("tests.logrepeat")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, lines, repeats, clock


def test_a_million_of_one_kind_are_three_lines_and_a_count(
    flood: tuple[logging.Logger, list[str], RepeatFilter, Clock],
) -> None:
    logger, lines, repeats, clock = flood
    for n in range(100_000):
        logger.warning("accept failed for socket %d", n)
    logger.warning("something else")  # another kind is not held back by the first
    assert lines == [
        "accept failed for socket 0",
        "accept failed for socket 1",
        "accept failed for socket 2",
        "something else",
    ]
    clock.now = 61.0
    repeats.flush()
    assert (
        lines[-1]
        == "99997 more log records like this one were not written in the last 61 s: accept failed for socket %d"
    )
    logger.warning("accept failed for socket %d", 7)  # a new window lets the kind through again
    assert lines[-1] == "accept failed for socket 7"


def test_the_count_is_written_when_the_kind_comes_back_after_its_window(
    flood: tuple[logging.Logger, list[str], RepeatFilter, Clock],
) -> None:
    logger, lines, _, clock = flood
    for _ in range(5):
        logger.warning("socket.accept() out of system resource\nsocket: <fd=%d>", 12)
    clock.now = 90.0
    logger.warning("socket.accept() out of system resource\nsocket: <fd=%d>", 13)
    assert lines[-2:] == [
        "2 more log records like this one were not written in the last 90 s: socket.accept() out of system resource",
        "socket.accept() out of system resource\nsocket: <fd=13>",
    ]


def test_at_shutdown_every_count_is_written(flood: tuple[logging.Logger, list[str], RepeatFilter, Clock]) -> None:
    logger, lines, repeats, clock = flood
    for _ in range(10):
        logger.warning("Refused a connection from %s", "127.0.0.2")
    clock.now = 5.0
    repeats.flush()  # the window is not over: nothing yet
    assert len(lines) == 3
    repeats.flush(everything=True)
    assert lines[-1] == (
        "7 more log records like this one were not written in the last 5 s: Refused a connection from %s"
    )


def test_debug_records_someone_asked_for_all_pass(
    flood: tuple[logging.Logger, list[str], RepeatFilter, Clock],
) -> None:
    logger, lines, _repeats, _clock = flood
    logger.setLevel(logging.DEBUG)
    for n in range(10):
        logger.debug("probe %d failed", n)
    assert lines == [f"probe {n} failed" for n in range(10)]

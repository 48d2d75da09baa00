"""Connection quality: the grade of a connection from its losses and round trip, row by row."""

from __future__ import annotations

import pytest

from meetdesk.client.quality import grade, held_to_downlink
from meetdesk.core.signalling import Quality


@pytest.mark.parametrize(
    ("loss", "rtt", "connected", "expected"),
    [
        (None, None, True, "good"),  # nothing measured yet: no news is not bad news
        (0.0, 0.002, True, "excellent"),  # loopback
        (0.01, 0.15, True, "excellent"),
        (0.02, 0.05, True, "good"),  # 2 % lost
        (0.0, 0.2, True, "good"),  # 200 ms round trip
        (0.09, 0.49, True, "good"),
        (0.10, 0.01, True, "poor"),  # 10 % lost
        (0.0, 0.5, True, "poor"),  # half a second round trip
        (None, 0.8, True, "poor"),
        (0.0, 0.001, False, "lost"),  # media not connected, whatever the last figures
    ],
)
def test_grade(loss: float | None, rtt: float | None, connected: bool, expected: str) -> None:
    assert grade(loss, rtt, connected=connected) == expected


@pytest.mark.parametrize(
    ("measured", "paused", "limited", "expected"),
    [
        ("excellent", False, False, "excellent"),  # nothing held back: as measured
        ("excellent", False, True, "good"),  # the server sends a low layer for a large tile
        ("excellent", True, True, "poor"),  # videos paused for this downlink
        ("good", False, True, "good"),
        ("lost", True, True, "lost"),  # never better than measured
        ("poor", False, True, "poor"),
    ],
)
def test_the_grade_is_held_to_what_the_downlink_estimate_made_the_server_do(
    measured: Quality, paused: bool, limited: bool, expected: str
) -> None:
    assert held_to_downlink(measured, paused=paused, limited=limited) == expected

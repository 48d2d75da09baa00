"""Initials: one function, the same answer in every place that shows them."""

from __future__ import annotations

import pytest

from meetdesk.core.names import initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Alice Admin", "AA"),
        ("bo", "B"),
        ("Bo", "B"),
        ("  Desk   Pilot ", "DP"),
        ("Ana María da Silva", "AS"),
        ("élodie durand", "ÉD"),
        ("Jean-Luc Picard", "JP"),
        ("— Ana", "A"),  # a word without letters is skipped
        ("R2D2", "R"),
        ("", "?"),
        ("   ", "?"),
        ("!!!", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_a_decorated_label_is_not_a_name() -> None:
    """The "(you)" suffix is a label, never part of the name: callers pass the name (this shows why)."""
    assert initials("Alice") == "A"
    assert "(" not in initials("Alice (you)")

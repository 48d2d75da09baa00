"""The composite's layouts: who goes where, for grid, speaker and single-speaker, with and without a screen."""

from __future__ import annotations

import pytest

from meetdesk.core.layout import Cell
from meetdesk.recorder.layouts import place

PEOPLE = ["ana", "bo", "cy"]


def _area(cell: Cell) -> int:
    return cell.width * cell.height


def _inside(cell: Cell, width: int, height: int) -> bool:
    return cell.x >= 0 and cell.y >= 0 and cell.x + cell.width <= width and cell.y + cell.height <= height


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (720, 1280), (1920, 1080)])
def test_the_grid_gives_everyone_an_equal_even_cell_inside_the_picture(width: int, height: int) -> None:
    placements = place("grid", width, height, PEOPLE, "bo", None)
    assert [p.identity for p in placements] == PEOPLE
    assert len({(p.cell.width, p.cell.height) for p in placements}) == 1
    for p in placements:
        assert _inside(p.cell, width, height) and p.cell.x % 2 == p.cell.y % 2 == p.cell.width % 2 == 0


def test_the_speaker_layout_shows_the_speaker_large_and_the_others_in_a_strip() -> None:
    placements = place("speaker", 1280, 720, PEOPLE, "bo", None)
    assert placements[0].identity == "bo" and placements[0].source == "camera"
    assert {p.identity for p in placements[1:]} == {"ana", "cy"}
    assert all(_area(placements[0].cell) > 4 * _area(p.cell) for p in placements[1:])
    # nobody speaking yet: the first one to have joined is large
    assert place("speaker", 1280, 720, PEOPLE, None, None)[0].identity == "ana"
    # portrait: the strip is below
    portrait = place("speaker", 720, 1280, PEOPLE, "bo", None)
    assert all(p.cell.y > portrait[0].cell.y + portrait[0].cell.height for p in portrait[1:])


def test_single_speaker_shows_only_the_speaker_or_the_screen() -> None:
    assert [(p.identity, p.source) for p in place("single-speaker", 1280, 720, PEOPLE, "cy", None)] == [
        ("cy", "camera")
    ]
    assert [(p.identity, p.source) for p in place("single-speaker", 1280, 720, PEOPLE, "cy", "ana")] == [
        ("ana", "screen")
    ]


@pytest.mark.parametrize("layout", ["grid", "speaker"])
def test_a_screen_share_takes_the_large_place_and_its_sharer_stays_in_the_strip(layout: str) -> None:
    placements = place(layout, 1280, 720, PEOPLE, "bo", "cy")
    assert (placements[0].identity, placements[0].source) == ("cy", "screen")
    assert sorted(p.identity for p in placements[1:]) == PEOPLE


def test_nobody_in_the_meeting_places_nothing() -> None:
    assert place("grid", 1280, 720, [], None, None) == []

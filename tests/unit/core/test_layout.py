"""The grid the tiles and the recorder's composite share: equal 16:9 cells, as large as fit, rows centred."""

from __future__ import annotations

import itertools

import pytest

from meetdesk.core.layout import Cell, grid_cells


def overlap(a: Cell, b: Cell) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


@pytest.mark.parametrize("count", range(1, 13))
@pytest.mark.parametrize("area", [(0, 0, 1280, 720), (10, 20, 800, 900), (0, 0, 1920, 400)])
def test_cells_are_equal_16_9_inside_the_area_and_apart(count: int, area: tuple[int, int, int, int]) -> None:
    x, y, width, height = area
    cells = grid_cells(count, x, y, width, height, gap=6)
    assert len(cells) == count
    assert len({(c.width, c.height) for c in cells}) == 1
    cell = cells[0]
    assert abs(cell.width / cell.height - 16 / 9) < 0.02
    for c in cells:
        assert x <= c.x and c.x + c.width <= x + width and y <= c.y and c.y + c.height <= y + height
    for a, b in itertools.combinations(cells, 2):
        assert not overlap(a, b)


def test_the_recorders_720p_canvas() -> None:
    # one person fills the frame; four make a 2 x 2 grid; three put the third one centred below
    assert grid_cells(1, 0, 0, 1280, 720, gap=0) == [Cell(0, 0, 1280, 720)]
    assert grid_cells(4, 0, 0, 1280, 720, gap=0) == [
        Cell(0, 0, 640, 360),
        Cell(640, 0, 640, 360),
        Cell(0, 360, 640, 360),
        Cell(640, 360, 640, 360),
    ]
    three = grid_cells(3, 0, 0, 1280, 720, gap=0)
    assert three[2] == Cell(320, 360, 640, 360)


def test_no_cells_and_no_room() -> None:
    assert grid_cells(0, 0, 0, 1280, 720, gap=6) == []
    assert all(c.width >= 0 and c.height >= 0 for c in grid_cells(5, 0, 0, 4, 4, gap=6))

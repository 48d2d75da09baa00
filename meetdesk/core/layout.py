"""The grid maths that the meeting window's tiles and the recorder's composite share.

:func:`grid_cells` places ``count`` equal cells of one aspect ratio (16:9 by default) in an area, with a
gap between them: the number of columns that gives the largest cells wins, and each row (the last one
may hold fewer cells) is centred, as is the whole grid. Pixels are integers, as both painters need.
"""

from __future__ import annotations

import math
from typing import NamedTuple

DEFAULT_ASPECT = 16 / 9


class Cell(NamedTuple):
    x: int
    y: int
    width: int
    height: int


def grid_cells(
    count: int, x: int, y: int, width: int, height: int, *, gap: int, aspect: float = DEFAULT_ASPECT
) -> list[Cell]:
    """``count`` equal cells of ``aspect`` filling the area at (``x``, ``y``) of ``width`` x ``height`` as well as
    possible, ``gap`` pixels apart, rows centred."""
    if count <= 0:
        return []
    best_columns, best_w, best_h = 1, 0, 0
    for columns in range(1, count + 1):
        rows = math.ceil(count / columns)
        cell_w = (width - gap * (columns - 1)) / columns
        cell_h = (height - gap * (rows - 1)) / rows
        if cell_h <= 0 or cell_w <= 0:
            continue
        if cell_w / cell_h > aspect:
            cell_w = cell_h * aspect
        else:
            cell_h = cell_w / aspect
        if cell_w * cell_h > best_w * best_h:
            best_columns, best_w, best_h = columns, int(cell_w), int(cell_h)
    columns = best_columns
    rows = math.ceil(count / columns)
    total_h = rows * best_h + (rows - 1) * gap
    top = y + (height - total_h) // 2
    cells = []
    for row in range(rows):
        in_row = min(columns, count - row * columns)
        row_w = in_row * best_w + (in_row - 1) * gap
        left = x + (width - row_w) // 2
        for column in range(in_row):
            cells.append(Cell(left + column * (best_w + gap), top + row * (best_h + gap), best_w, best_h))
    return cells

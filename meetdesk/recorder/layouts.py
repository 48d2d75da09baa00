"""Where each participant goes in the composite, for the room's ``recording.layout`` (pure geometry).

- ``grid``: everyone in equal cells (:func:`meetdesk.core.layout.grid_cells`, as the meeting window's tiles).
- ``speaker``: the active speaker large, the others in a strip beside it (below it in a portrait video).
- ``single-speaker``: the active speaker alone.

A screen share takes the large place in every layout (its sharer's camera joins the strip; in
``single-speaker`` the screen alone is shown). Rectangles are on even pixels, as 4:2:0 video needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from meetdesk.core.layout import Cell, grid_cells

GAP: Final = 8
STRIP_FRACTION: Final = 0.2


@dataclass(frozen=True, slots=True)
class Placement:
    identity: str
    source: Literal["camera", "screen"]
    cell: Cell


def _even(cell: Cell) -> Cell:
    # moved at most a pixel up and left, so it stays inside what the cell was (and equal cells stay equal)
    return Cell(cell.x & ~1, cell.y & ~1, cell.width & ~1, cell.height & ~1)


def _grid(identities: list[str], area: Cell) -> list[Placement]:
    cells = grid_cells(len(identities), area.x, area.y, area.width, area.height, gap=GAP)
    return [Placement(identity, "camera", _even(cell)) for identity, cell in zip(identities, cells, strict=True)]


def _stage_and_strip(width: int, height: int, others: int) -> tuple[Cell, Cell | None]:
    if others == 0:
        return Cell(0, 0, width, height), None
    if width >= height:
        strip = round(width * STRIP_FRACTION)
        return Cell(0, 0, width - strip - GAP, height), Cell(width - strip, 0, strip, height)
    strip = round(height * STRIP_FRACTION)
    return Cell(0, 0, width, height - strip - GAP), Cell(0, height - strip, width, strip)


def place(
    layout: str, width: int, height: int, identities: list[str], speaker: str | None, screen: str | None
) -> list[Placement]:
    """The tiles of a ``width`` x ``height`` composite: ``identities`` in the meeting (in the order they joined),
    the active ``speaker`` among them (None: nobody yet) and whoever shares a ``screen`` (None: nobody)."""
    if not identities:
        return []
    main = speaker if speaker in identities else identities[0]
    if layout == "single-speaker":
        if screen is not None:
            return [Placement(screen, "screen", _even(Cell(0, 0, width, height)))]
        return [Placement(main, "camera", _even(Cell(0, 0, width, height)))]
    if layout == "grid" and screen is None:
        return _grid(identities, Cell(0, 0, width, height))
    if screen is not None:
        stage_owner: tuple[str, Literal["camera", "screen"]] = (screen, "screen")
        others = list(identities)
    else:
        stage_owner = (main, "camera")
        others = [identity for identity in identities if identity != main]
    stage, strip = _stage_and_strip(width, height, len(others))
    placements = [Placement(stage_owner[0], stage_owner[1], _even(stage))]
    if strip is not None:
        placements += _grid(others, strip)
    return placements

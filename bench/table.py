"""The table every benchmark prints: figure | measured | target | ratio / verdict, the verdict in one vocabulary."""

from __future__ import annotations


def verdict(ok: bool) -> str:
    """The verdict column: whether a figure meets its target."""
    return "meets" if ok else "misses"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("figure", "measured", "target", "ratio / verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(cells: tuple[str, str, str, str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        print(line(row))

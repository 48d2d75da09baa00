"""The table every benchmark prints: figure | measured | target | ratio / verdict."""

from __future__ import annotations


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("figure", "measured", "target", "ratio / verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(cells: tuple[str, str, str, str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        print(line(row))

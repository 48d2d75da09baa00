"""The app's icons, from the compiled resources (``resources/icons/*.svg`` → ``meetdesk/_rc.py``).

``icon("delete")`` is ``:/icons/delete.svg``. An unknown name is a programming error and raises KeyError
rather than giving a blank button. ``tinted_icon("mic", "#ffffff", disabled="#888888")`` draws the icon's
strokes in the theme's colours instead (red strokes, such as a muted microphone's strike, stay red).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QFile, QIODevice, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

import meetdesk._rc  # noqa: F401  (registers the :/icons resources on import)

PREFIX = ":/icons/"
#: the stroke colour the icons are drawn with in resources/icons (what tinting replaces)
INK = "#5B6B7C"


@cache
def icon(name: str) -> QIcon:
    """The icon called ``name`` (the SVG file's name without ``.svg``)."""
    path = f"{PREFIX}{name}.svg"
    if not QFile.exists(path):
        raise KeyError(f"no icon called {name!r} in the resources (see resources/meetdesk.qrc)")
    return QIcon(path)


def _svg(name: str) -> bytes:
    path = f"{PREFIX}{name}.svg"
    file = QFile(path)
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise KeyError(f"no icon called {name!r} in the resources (see resources/meetdesk.qrc)")
    try:
        return bytes(file.readAll().data())
    finally:
        file.close()


@cache
def _tinted_pixmap(name: str, colour: str, pixels: int) -> QPixmap:
    svg = _svg(name).replace(INK.encode(), colour.encode())
    renderer = QSvgRenderer(QByteArray(svg))
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def tinted_icon(name: str, colour: str, *, disabled: str | None = None, size: int = 24) -> QIcon:
    """Icon ``name`` with its strokes in ``colour`` (and in ``disabled`` when its button is disabled), sharp up to
    twice ``size`` pixels."""
    out = QIcon()
    for pixels in (size, 2 * size):
        out.addPixmap(_tinted_pixmap(name, colour, pixels), QIcon.Mode.Normal)
        if disabled is not None:
            out.addPixmap(_tinted_pixmap(name, disabled, pixels), QIcon.Mode.Disabled)
    return out


def with_selected_colour(name: str, selected: QColor, sizes: tuple[int, ...] = (16, 20, 24, 32, 48)) -> QIcon:
    """Icon ``name`` as drawn normally, and in one flat ``selected`` colour on a highlighted row (the
    ``Selected`` mode item views use): a coloured icon on a highlight of a like colour does not show."""
    path = f"{PREFIX}{name}.svg"
    if not QFile.exists(path):
        raise KeyError(f"no icon called {name!r} in the resources (see resources/meetdesk.qrc)")
    renderer = QSvgRenderer(path)
    result = QIcon()
    for size in sizes:
        normal = QPixmap(size, size)
        normal.fill(Qt.GlobalColor.transparent)
        painter = QPainter(normal)
        renderer.render(painter)
        painter.end()
        tinted = QPixmap(normal)
        painter = QPainter(tinted)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(tinted.rect(), selected)
        painter.end()
        result.addPixmap(normal, QIcon.Mode.Normal)
        result.addPixmap(tinted, QIcon.Mode.Selected)
    return result

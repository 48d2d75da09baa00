"""The app's icons, from the compiled resources (``resources/icons/*.svg`` → ``meetdesk/_rc.py``).

``icon("delete")`` is ``:/icons/delete.svg``. An unknown name is a programming error and raises KeyError
rather than giving a blank button.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QFile
from PySide6.QtGui import QIcon

import meetdesk._rc  # noqa: F401  (registers the :/icons resources on import)

PREFIX = ":/icons/"


@cache
def icon(name: str) -> QIcon:
    """The icon called ``name`` (the SVG file's name without ``.svg``)."""
    path = f"{PREFIX}{name}.svg"
    if not QFile.exists(path):
        raise KeyError(f"no icon called {name!r} in the resources (see resources/meetdesk.qrc)")
    return QIcon(path)

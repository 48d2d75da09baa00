"""The built-in themes offered as presets, wherever MeetDesk runs from.

From a source tree (and a PyInstaller bundle) they are the files in the top-level ``themes/``. An installed
wheel ships only the ``meetdesk`` package, so there they come from the Qt resources that ``pyside6-rcc``
compiles into ``meetdesk/_rc.py`` from ``themes/``: every ``themes/*.json`` under ``:/themes/``. The default
light and dark themes are always offered, even when neither place has any file.
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import QDir, QFile, QIODevice

from meetdesk.core import theme as core
from meetdesk.core.models import MeetRoomTheme

logger = logging.getLogger(__name__)

#: Where ``meetdesk/_rc.py`` puts the files of ``themes/``.
RESOURCE_DIR = ":/themes"


def _resource_texts(directory: str) -> dict[str, str]:
    """``{file name: text}`` of the JSON files under a Qt resource directory (empty if there is none)."""
    try:
        importlib.import_module("meetdesk._rc")  # registers the resources; absent until it is generated
    except ImportError:
        logger.debug("No meetdesk._rc: built-in themes only from the source tree")
    texts = {}
    for name in QDir(directory).entryList(["*.json"], QDir.Filter.Files, QDir.SortFlag.Name):
        file = QFile(f"{directory}/{name}")
        if file.open(QIODevice.OpenModeFlag.ReadOnly):
            texts[name] = bytes(file.readAll().data()).decode("utf-8")
            file.close()
    return texts


def builtin_presets() -> list[MeetRoomTheme]:
    """The built-in themes, the defaults first, then the files in name order."""
    directory = core.source_presets_dir()
    if directory is not None:
        presets = core.load_presets(directory)
    else:
        presets = core.presets_from_texts(_resource_texts(RESOURCE_DIR))
        if not presets:
            logger.warning("No built-in theme files found (%s, %s)", core.SOURCE_PRESETS_DIR, RESOURCE_DIR)
    defaults = [preset for preset in presets if preset.name in (core.DEFAULT_LIGHT.name, core.DEFAULT_DARK.name)]
    others = [preset for preset in presets if preset not in defaults]
    return core.with_defaults(sorted(defaults, key=lambda t: t.baseTheme != "light") + others)

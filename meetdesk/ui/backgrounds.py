"""The bundled virtual-background pictures, and loading a background as the BGR array the effects take.

The pictures are ``resources/backgrounds/*.jpg`` (drawn by ``make_backgrounds.py`` there), compiled into
``meetdesk/_rc.py`` under ``:/backgrounds/``. :func:`load_background` gives what
``EffectTrack.set_effect("image", ...)`` takes, from a bundled picture or a file the user chose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QDir
from PySide6.QtGui import QImage

import meetdesk._rc  # noqa: F401  (registers the :/backgrounds resources on import)
from meetdesk.client.effects.background import load_image

PREFIX = ":/backgrounds"


def bundled_backgrounds() -> list[tuple[str, str]]:
    """Each bundled background as ``(display name, resource path)``, sorted by name.

    For example ``("Beach", ":/backgrounds/beach.jpg")``: the display name comes from the file name, so a
    picture added to the qrc needs no change here.
    """
    names = QDir(PREFIX).entryList(["*.jpg"], QDir.Filter.Files, QDir.SortFlag.Name)
    return [(Path(name).stem.capitalize(), f"{PREFIX}/{name}") for name in names]


def load_background(path: str | Path) -> npt.NDArray[np.uint8]:
    """The picture at ``path`` (a ``:/`` resource or a file) as BGR uint8 HxWx3.

    Raises ``ValueError`` with a sentence for the user when it cannot be read.
    """
    if not str(path).startswith(":"):
        return load_image(path)
    image = QImage(str(path))
    if image.isNull():
        raise ValueError(f"the bundled background {path} is missing from the app's resources")
    image = image.convertToFormat(QImage.Format.Format_BGR888)
    height, width, stride = image.height(), image.width(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return rows[:, : width * 3].reshape(height, width, 3).copy()  # the copy outlives the QImage

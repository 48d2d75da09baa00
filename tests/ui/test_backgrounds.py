"""The bundled virtual backgrounds load from the compiled resources as the BGR arrays the effects take."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from meetdesk.ui.backgrounds import bundled_backgrounds, load_background

SOURCES = Path(__file__).resolve().parents[2] / "resources" / "backgrounds"


def test_every_bundled_background_loads_as_a_720p_bgr_picture(qapp: QApplication) -> None:
    backgrounds = bundled_backgrounds()
    assert {name for name, _ in backgrounds} == {"Abstract", "Beach", "Bookshelf", "Office"}
    assert {path for _, path in backgrounds} == {f":/backgrounds/{jpg.name}" for jpg in SOURCES.glob("*.jpg")}
    for name, path in backgrounds:
        image = load_background(path)
        assert image.shape == (720, 1280, 3) and image.dtype == np.uint8, name
        decoded = cv2.imread(str(SOURCES / Path(path).name), cv2.IMREAD_COLOR)
        # The same picture in the same channel order (BGR) as OpenCV reads it from the file.
        assert np.abs(image.astype(np.int16) - decoded).mean() < 2, name
        assert float(image.std()) > 10, f"{name} is blank"


def test_a_chosen_file_loads_and_a_bad_one_says_so(qapp: QApplication, tmp_path: Path) -> None:
    picture = np.zeros((30, 40, 3), np.uint8)
    picture[:, :, 2] = 255  # red, in BGR
    cv2.imwrite(str(tmp_path / "red.png"), picture)
    np.testing.assert_array_equal(load_background(tmp_path / "red.png"), picture)
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(ValueError, match="use a PNG or JPEG file"):
        load_background(str(tmp_path / "notes.jpg"))
    with pytest.raises(ValueError, match="missing from the app's resources"):
        load_background(":/backgrounds/moon.jpg")

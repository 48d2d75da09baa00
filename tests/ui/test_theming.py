"""apply_theme restyles the application: palette and stylesheet from the theme's tokens, defaults otherwise."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QResource, Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QMenu, QPushButton, QToolButton

from meetdesk.core import theme as core
from meetdesk.core.models import MeetRoomTheme
from meetdesk.ui.theme import presets as theme_presets
from meetdesk.ui.theme.theming import apply_theme, stylesheet_for
from tests.ui.helpers import BRAND

Role = QPalette.ColorRole
THEMES = core.SOURCE_PRESETS_DIR


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The session's application, left with its own palette and no stylesheet afterwards."""
    yield qapp
    qapp.setStyleSheet("")
    qapp.setPalette(qapp.style().standardPalette())
    qapp.styleHints().unsetColorScheme()


def colour(palette: QPalette, role: QPalette.ColorRole) -> str:
    return palette.color(role).name()


def test_palette_and_stylesheet_from_the_tokens(app: QApplication) -> None:
    tokens = apply_theme(app, BRAND)
    palette = app.palette()
    assert colour(palette, Role.Window) == BRAND.backgroundColor
    assert colour(palette, Role.Button) == BRAND.primaryColor
    assert colour(palette, Role.Highlight) == BRAND.accentColor
    assert colour(palette, Role.Base) == BRAND.surfaceColor
    assert colour(palette, Role.ButtonText) == tokens.on_primary == core.DARK_TEXT.hex  # dark text on amber
    assert colour(palette, Role.WindowText) == tokens.on_background == core.LIGHT_TEXT.hex
    sheet = app.styleSheet()
    assert "QPushButton" in sheet and BRAND.primaryColor in sheet and tokens.primary_hover in sheet


def test_widgets_are_painted_with_the_theme(app: QApplication, qtbot) -> None:
    apply_theme(app, BRAND)
    button = QPushButton("Join")
    qtbot.addWidget(button)
    button.resize(button.sizeHint())
    image = button.grab().toImage()
    assert image.pixelColor(image.width() // 2, 4) == QColor(BRAND.primaryColor)
    box = QCheckBox("Use this theme")
    qtbot.addWidget(box)
    box.setChecked(True)
    box.resize(box.sizeHint())
    image = box.grab().toImage()
    assert image.pixelColor(3, 3) == QColor(BRAND.accentColor)  # checked: filled with the accent...
    side = image.height()
    marks = {image.pixelColor(x, y).name() for x in range(side) for y in range(side)}
    assert core.derive_tokens(BRAND).on_accent in marks  # ...and a check mark in the text colour on it


def test_a_partly_checked_box_looks_neither_checked_nor_empty(app: QApplication, qtbot) -> None:
    """The rooms page's select-all box when only some rooms are ticked: filled, with a dash, not an empty box."""
    apply_theme(app, BRAND)
    box = QCheckBox("All")
    qtbot.addWidget(box)
    box.setTristate(True)
    box.setCheckState(Qt.CheckState.PartiallyChecked)
    box.resize(box.sizeHint())
    image = box.grab().toImage()
    assert image.pixelColor(3, 3) == QColor(BRAND.accentColor)
    side = image.height()
    middle = [image.pixelColor(x, side // 2).name() for x in range(side)]
    corner = [image.pixelColor(x, 3).name() for x in range(side)]
    tokens = core.derive_tokens(BRAND)
    assert tokens.on_accent in middle and tokens.on_accent not in corner  # a dash across the middle, no tick


@pytest.mark.parametrize("preset", [BRAND, core.DEFAULT_LIGHT, core.DEFAULT_DARK], ids=["brand", "light", "dark"])
def test_a_disabled_tool_button_is_drawn_in_the_disabled_text_colour(app: QApplication, qtbot, preset) -> None:
    """The rooms page's action bar (Join, Edit, Copy link, Delete) with no room highlighted: its words must
    read as unavailable, not as the enabled ones (the stylesheet gave every tool button one colour)."""
    tokens = apply_theme(app, preset)
    button = QToolButton()
    qtbot.addWidget(button)
    button.setText("Edit")
    button.resize(button.sizeHint())

    def inks() -> set[str]:
        image = button.grab().toImage()
        return {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}

    assert tokens.on_background in inks()
    button.setEnabled(False)
    drawn = inks()
    assert tokens.disabled_text in drawn and tokens.on_background not in drawn


@pytest.mark.parametrize("preset", [BRAND, core.DEFAULT_LIGHT, core.DEFAULT_DARK], ids=["brand", "light", "dark"])
def test_a_disabled_menu_item_is_drawn_in_the_disabled_text_colour(app: QApplication, qtbot, preset) -> None:
    """The Kiosks page's context menu on a kiosk in its meeting: "Join now" must read as unavailable."""
    tokens = apply_theme(app, preset)
    menu = QMenu()
    qtbot.addWidget(menu)
    enabled = menu.addAction("Leave")
    disabled = menu.addAction("Join now")
    disabled.setEnabled(False)
    menu.resize(menu.sizeHint())
    image = menu.grab().toImage()

    def inks(action: QAction) -> set[str]:
        rect = menu.actionGeometry(action)
        return {
            image.pixelColor(x, y).name()
            for x in range(rect.left(), rect.right())
            for y in range(rect.top(), rect.bottom())
        }

    assert tokens.on_surface in inks(enabled)
    assert tokens.disabled_text in inks(disabled) and tokens.on_surface not in inks(disabled)


def test_none_resets_to_the_default_light_look(app: QApplication) -> None:
    apply_theme(app, BRAND)
    tokens = apply_theme(app, None)
    assert tokens == core.derive_tokens(core.DEFAULT_LIGHT)
    assert colour(app.palette(), Role.Window) == core.DEFAULT_LIGHT.backgroundColor
    assert colour(app.palette(), Role.Button) == core.DEFAULT_LIGHT.primaryColor
    assert BRAND.primaryColor not in app.styleSheet()


def test_a_disabled_theme_gives_the_default_of_its_base_style(app: QApplication) -> None:
    apply_theme(app, BRAND.model_copy(update={"enabled": False}))
    assert colour(app.palette(), Role.Window) == core.DEFAULT_DARK.backgroundColor
    assert colour(app.palette(), Role.Highlight) == core.DEFAULT_DARK.accentColor


def test_colours_that_skipped_validation_never_reach_the_stylesheet(
    app: QApplication, caplog: pytest.LogCaptureFixture
) -> None:
    bad = MeetRoomTheme.model_construct(
        name="bad", enabled=True, baseTheme="dark", primaryColor="#fff; } QWidget { background: url(/etc/passwd)"
    )
    apply_theme(app, bad)
    assert "passwd" not in app.styleSheet()
    assert colour(app.palette(), Role.Button) == core.DEFAULT_DARK.primaryColor
    assert "not applied" in caplog.text


def test_translucent_colours_are_flattened(app: QApplication) -> None:
    apply_theme(app, BRAND.model_copy(update={"primaryColor": "#ffffff80"}))
    assert app.palette().color(Role.Button).alpha() == 255
    assert "#ffffff80" not in app.styleSheet()


def test_images_of_the_stylesheet_exist() -> None:
    """The check mark and the combo box arrow are drawn in the theme's colours, from generated SVG files."""
    tokens = core.derive_tokens(BRAND)
    sheet = stylesheet_for(tokens)
    paths = [Path(part.split(")", 1)[0]) for part in sheet.split("url(")[1:]]
    assert len(paths) >= 3
    for path in paths:
        assert path.is_file() and "<svg" in path.read_text()
    assert any(tokens.on_accent in path.read_text() for path in paths)


def test_builtin_presets_from_the_source_tree() -> None:
    names = [preset.name for preset in theme_presets.builtin_presets()]
    assert names[:2] == ["default-light", "default-dark"]
    assert "high-contrast" in names


def test_builtin_presets_from_compiled_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a source tree (an installed wheel) the presets come from the Qt resources ``meetdesk._rc`` holds:
    here the same files compiled by pyside6-rcc and registered under another prefix."""
    files = "".join(f'<file alias="{p.name}">{p.as_posix()}</file>' for p in sorted(THEMES.glob("*.json")))
    qrc = tmp_path / "themes.qrc"
    qrc.write_text(f'<RCC><qresource prefix="/test-themes">{files}</qresource></RCC>')
    rcc = tmp_path / "themes.rcc"
    subprocess.run([Path(sys.executable).parent / "pyside6-rcc", "--binary", qrc, "-o", rcc], check=True)
    assert QResource.registerResource(str(rcc))
    try:
        monkeypatch.setattr(core, "source_presets_dir", lambda: None)
        monkeypatch.setattr(theme_presets, "RESOURCE_DIR", ":/test-themes")
        names = [preset.name for preset in theme_presets.builtin_presets()]
        assert names == ["default-light", "default-dark", "high-contrast"]
    finally:
        QResource.unregisterResource(str(rcc))


def test_defaults_are_offered_even_with_no_preset_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "source_presets_dir", lambda: None)
    monkeypatch.setattr(theme_presets, "RESOURCE_DIR", ":/no-such-dir")
    assert theme_presets.builtin_presets() == [core.DEFAULT_LIGHT, core.DEFAULT_DARK]

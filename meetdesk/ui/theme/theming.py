"""The app's look from a theme: a QPalette and a stylesheet generated from the theme's tokens.

:func:`apply_theme` restyles the whole application; the window calls it when the settings page says a theme
was loaded or saved. Colours reach the stylesheet only as ``#rrggbb`` re-written from parsed values
(:mod:`meetdesk.core.theme`), never as the text a user or a server supplied.

Buttons take the main-controls colour. Give a push button the dynamic property ``variant`` =
``"secondary"`` (secondary action) or ``"danger"`` (destructive action) to colour it otherwise. In a dialog's
button box only the default button is primary (the others are secondary), and the buttons have no icons.
A label with ``messageKind`` (or ``role``) = ``"error"`` takes the theme's error colour.
"""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from meetdesk.core.models import MeetRoomTheme
from meetdesk.core.theme import InvalidColour, ThemeTokens, default_theme, derive_tokens, effective_theme

logger = logging.getLogger(__name__)

#: The dynamic property that picks a push button's colours (``secondary`` or ``danger``).
VARIANT = "variant"


def set_variant(button: QWidget, variant: str | None) -> None:
    """Colour ``button`` as a ``"secondary"`` or ``"danger"`` action (None: the default look). The style sheet
    reads dynamic properties when it polishes a widget, and Qt may have polished this one already."""
    button.setProperty(VARIANT, variant)
    button.style().unpolish(button)
    button.style().polish(button)


def palette_for(tokens: ThemeTokens) -> QPalette:
    """The palette of ``tokens``, for the widgets the stylesheet leaves to the style."""
    c = {name: QColor(value) for name, value in vars(tokens).items() if name != "base"}
    roles = QPalette.ColorRole
    palette = QPalette()
    for role, name in (
        (roles.Window, "background"),
        (roles.WindowText, "on_background"),
        (roles.Base, "surface"),
        (roles.AlternateBase, "surface_alt"),
        (roles.Text, "on_surface"),
        (roles.PlaceholderText, "muted_on_surface"),
        (roles.Button, "primary"),
        (roles.ButtonText, "on_primary"),
        (roles.BrightText, "danger"),
        (roles.Highlight, "accent"),
        (roles.HighlightedText, "on_accent"),
        (roles.Accent, "accent"),
        (roles.Link, "link"),
        (roles.LinkVisited, "link"),
        (roles.ToolTipBase, "surface"),
        (roles.ToolTipText, "on_surface"),
    ):
        palette.setColor(role, c[name])
    # The 3D shades the style draws frames and scroll bars with, from the background.
    background = c["background"]
    dark_base = tokens.base == "dark"
    palette.setColor(roles.Light, background.lighter(160 if dark_base else 110))
    palette.setColor(roles.Midlight, background.lighter(130 if dark_base else 105))
    palette.setColor(roles.Mid, c["border"])
    palette.setColor(roles.Dark, c["input_border"])
    palette.setColor(roles.Shadow, QColor("#000000"))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText, roles.PlaceholderText):
        palette.setColor(disabled, role, c["disabled_text"])
    palette.setColor(disabled, roles.Button, c["disabled_fill"])
    palette.setColor(disabled, roles.Highlight, c["border"])
    return palette


_STYLESHEET = """
QToolTip {{ color: {on_surface}; background-color: {surface}; border: 1px solid {input_border}; padding: 0.2em; }}

QPushButton {{
    color: {on_primary}; background-color: {primary}; border: 2px solid {primary};
    border-radius: 0.3em; padding: 0.35em 1em; min-height: 1.2em;
}}
QPushButton:hover {{ background-color: {primary_hover}; border-color: {primary_hover}; }}
QPushButton:pressed, QPushButton:checked {{ background-color: {primary_pressed}; border-color: {primary_pressed}; }}
QPushButton[variant="secondary"] {{ color: {on_secondary}; background-color: {secondary}; border-color: {secondary}; }}
QPushButton[variant="secondary"]:hover {{ background-color: {secondary_hover}; border-color: {secondary_hover}; }}
QPushButton[variant="secondary"]:pressed {{ background-color: {secondary_pressed}; border-color: {secondary_pressed}; }}
QPushButton[variant="danger"] {{ color: {on_danger}; background-color: {danger}; border-color: {danger}; }}
QPushButton[variant="danger"]:hover {{ background-color: {danger_hover}; border-color: {danger_hover}; }}
QPushButton:flat {{ color: {link}; background-color: transparent; border-color: transparent; }}
QPushButton:focus {{ border-color: {button_focus}; }}
QPushButton:disabled {{ color: {disabled_text}; background-color: {disabled_fill}; border-color: {disabled_fill}; }}

QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QDialogButtonBox QPushButton {{ color: {on_secondary}; background-color: {secondary}; border-color: {secondary}; }}
QDialogButtonBox QPushButton:hover {{ background-color: {secondary_hover}; border-color: {secondary_hover}; }}
QDialogButtonBox QPushButton:default {{ color: {on_primary}; background-color: {primary}; border-color: {primary}; }}
QDialogButtonBox QPushButton:default:hover {{ background-color: {primary_hover}; border-color: {primary_hover}; }}
QDialogButtonBox QPushButton[variant="secondary"] {{
    color: {on_secondary}; background-color: {secondary}; border-color: {secondary};
}}
QDialogButtonBox QPushButton[variant="secondary"]:hover {{
    background-color: {secondary_hover}; border-color: {secondary_hover};
}}
QDialogButtonBox QPushButton[variant="danger"] {{
    color: {on_danger}; background-color: {danger}; border-color: {danger};
}}
QDialogButtonBox QPushButton[variant="danger"]:hover {{
    background-color: {danger_hover}; border-color: {danger_hover};
}}
QDialogButtonBox QPushButton:focus {{ border-color: {button_focus}; }}
QDialogButtonBox QPushButton:disabled {{
    color: {disabled_text}; background-color: {disabled_fill}; border-color: {disabled_fill};
}}

QToolButton {{
    color: {on_background}; background-color: transparent; border: 1px solid transparent;
    border-radius: 0.3em; padding: 0.2em;
}}
QToolButton:hover {{ background-color: {disabled_fill}; }}
QToolButton:pressed, QToolButton:checked {{ background-color: {border}; }}
QToolButton:focus {{ border-color: {focus}; }}
QToolButton:disabled {{ color: {disabled_text}; }}

QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox, QDateTimeEdit {{
    color: {on_surface}; background-color: {surface}; border: 1px solid {input_border};
    border-radius: 0.25em; padding: 0.2em 0.35em;
    selection-color: {on_accent}; selection-background-color: {accent};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QAbstractSpinBox:focus, QComboBox:focus {{
    border: 1px solid {focus};
}}
QLineEdit:disabled, QPlainTextEdit:disabled, QTextEdit:disabled, QAbstractSpinBox:disabled, QComboBox:disabled {{
    color: {disabled_text}; background-color: {disabled_fill}; border-color: {disabled_fill};
}}
QComboBox::drop-down, QDateTimeEdit::drop-down {{ border: none; width: 1.4em; }}
QComboBox::down-arrow, QDateTimeEdit::down-arrow {{ image: url({down_arrow}); width: 0.8em; height: 0.8em; }}
QComboBox::down-arrow:disabled, QDateTimeEdit::down-arrow:disabled {{ image: url({down_arrow_disabled}); }}
QComboBox QAbstractItemView {{
    color: {on_surface}; background-color: {surface}; border: 1px solid {input_border};
    selection-color: {on_accent}; selection-background-color: {accent};
}}

QAbstractItemView {{
    color: {on_surface}; background-color: {surface}; alternate-background-color: {surface_alt};
    selection-color: {on_accent}; selection-background-color: {accent};
}}
QHeaderView::section {{
    color: {on_surface}; background-color: {surface_alt}; border: none;
    border-right: 1px solid {border}; border-bottom: 1px solid {border}; padding: 0.25em 0.5em;
}}

QMenu {{ color: {on_surface}; background-color: {surface}; border: 1px solid {input_border}; }}
QMenu::item:selected {{ color: {on_accent}; background-color: {accent}; }}
QMenu::item:disabled {{ color: {disabled_text}; }}
QMenuBar::item:selected {{ color: {on_accent}; background-color: {accent}; }}

QTabBar::tab {{
    color: {muted_on_background}; background-color: transparent; padding: 0.4em 1em;
    border: none; border-bottom: 2px solid transparent;
}}
QTabBar::tab:selected {{ color: {on_background}; border-bottom-color: {accent}; }}
QTabBar::tab:hover {{ color: {on_background}; }}

QProgressBar {{
    color: {on_surface}; background-color: {surface_alt}; border: 1px solid {border};
    border-radius: 0.25em; text-align: center;
}}
QProgressBar::chunk {{ background-color: {accent}; border-radius: 0.2em; }}

QLabel[hint="true"] {{ color: {muted_on_background}; }}
QLabel[messageKind="error"], QLabel[role="error"] {{ color: {error_text}; }}

QCheckBox::indicator, QRadioButton::indicator, QAbstractItemView::indicator {{
    width: {indicator}px; height: {indicator}px; border: 1px solid {input_border}; background-color: {surface};
}}
QCheckBox::indicator, QAbstractItemView::indicator {{ border-radius: 3px; }}
QCheckBox::indicator:checked, QAbstractItemView::indicator:checked {{
    background-color: {accent}; border-color: {accent}; image: url({check_mark});
}}
QCheckBox::indicator:indeterminate, QAbstractItemView::indicator:indeterminate {{
    background-color: {accent}; border-color: {accent}; image: url({dash_mark});
}}
QRadioButton::indicator {{ border-radius: {indicator_radius}px; }}
QRadioButton::indicator:checked {{
    border-color: {accent};
    background-color: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
        stop: 0 {accent}, stop: 0.55 {accent}, stop: 0.65 {surface}, stop: 1 {surface});
}}
QCheckBox::indicator:focus, QRadioButton::indicator:focus {{ border-color: {focus}; }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    background-color: {disabled_fill}; border-color: {disabled_fill};
}}

#meetingToolbar QToolButton::menu-indicator {{ image: none; width: 0; }}
#sharingBanner, #recordingNotice {{ background-color: {secondary}; }}
#sharingBanner QLabel, #recordingNotice QLabel {{ color: {on_secondary}; }}

QGroupBox {{ border: 1px solid {border}; border-radius: 0.3em; margin-top: 1.2em; padding-top: 0.4em; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 0.6em; padding: 0 0.2em; color: {on_background}; }}
"""


_ICONS = {
    "check": '<path d="M3.5 8.5l3 3 6-7" stroke-width="2.2"/>',
    "down": '<path d="M4 6l4 4 4-4" stroke-width="1.8"/>',
    "dash": '<path d="M4 8h8" stroke-width="2.2"/>',
}


@functools.cache
def _icon_dir() -> Path:
    """A private directory for this process's generated icons, removed at exit."""
    directory = Path(tempfile.mkdtemp(prefix="meetdesk-theme-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def _icon(name: str, colour: str) -> str:
    """The path of SVG icon ``name`` drawn in ``colour``: a stylesheet draws images only from files, and an SVG
    cannot take its colour from the stylesheet."""
    path = _icon_dir() / f"{name}-{colour.removeprefix('#')}.svg"
    if not path.exists():
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" fill="none" stroke="{colour}" '
            f'stroke-linecap="round" stroke-linejoin="round">{_ICONS[name]}</svg>'
        )
        path.write_text(svg, encoding="utf-8")
    return path.as_posix()


def stylesheet_for(tokens: ThemeTokens, em: int = 16) -> str:
    """The application stylesheet of ``tokens``, its indicators sized for a font ``em`` pixels high."""
    indicator = max(12, round(em * 0.9))
    values = {name: value for name, value in vars(tokens).items() if name != "base"}
    values.update(
        indicator=indicator,
        indicator_radius=indicator // 2 + 1,
        check_mark=_icon("check", tokens.on_accent),
        dash_mark=_icon("dash", tokens.on_accent),  # partly checked (a select-all box)
        down_arrow=_icon("down", tokens.on_surface),
        down_arrow_disabled=_icon("down", tokens.disabled_text),
    )
    return _STYLESHEET.format(**values).strip()


def apply_theme(app: QApplication, theme: MeetRoomTheme | None) -> ThemeTokens:
    """Restyle ``app`` with ``theme``; None or a disabled theme gives the default of its base style (light for
    None). A theme whose colours are not hex (one that skipped validation) gives the default too."""
    shown = effective_theme(theme)
    try:
        tokens = derive_tokens(shown)
    except InvalidColour as exc:
        logger.warning("Theme(%s) not applied, its colours are not valid: %s", shown.name, exc)
        tokens = derive_tokens(default_theme(shown.baseTheme))
    app.setPalette(palette_for(tokens))
    app.setStyleSheet(stylesheet_for(tokens, QFontMetrics(app.font()).height()))
    scheme = Qt.ColorScheme.Dark if tokens.base == "dark" else Qt.ColorScheme.Light
    app.styleHints().setColorScheme(scheme)
    logger.debug("Theme(%s) applied (%s)", shown.name, tokens.base)
    return tokens

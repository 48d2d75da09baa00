"""Messages in the admin app's forms: error labels next to fields (coloured for the light or dark theme,
hidden until used) and the one way to show or clear one."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel


def mark_as_error(label: QLabel) -> None:
    """Make ``label`` an error message (red that reads on the light or dark palette), hidden until used.

    The ``messageKind`` property lets a theme's style sheet restyle it.
    """
    set_error_colour(label, True)
    label.clear()
    label.hide()


def show_message(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def set_error_colour(label: QLabel, error: bool) -> None:
    """Colour ``label``'s text as an error, or as normal text again.

    The ``messageKind`` property is what the theme's style sheet colours (its error colour reads on the
    theme's background); the palette is the fallback for a window without the app's style sheet.
    """
    label.setProperty("messageKind", "error" if error else None)
    label.setPalette(QPalette())  # nothing of its own: the parent's colours (or the style sheet's) again
    label.style().unpolish(label)
    label.style().polish(label)
    if error:
        palette = label.palette()
        if palette.color(QPalette.ColorRole.WindowText) == QApplication.palette(label).color(
            QPalette.ColorRole.WindowText
        ):  # no style sheet coloured it: colour it here
            dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
            palette.setColor(QPalette.ColorRole.WindowText, QColor("#ef9a9a" if dark else "#c62828"))
            label.setPalette(palette)

"""The meeting's keyboard shortcuts: what they are, installing them on the window, and the help that lists them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

#: (action, key sequence, what it does): the meeting's shortcuts, also listed in the help
SHORTCUTS = (
    ("mic", "Ctrl+D", QT_TRANSLATE_NOOP("Shortcuts", "Turn the microphone on or off")),
    ("camera", "Ctrl+E", QT_TRANSLATE_NOOP("Shortcuts", "Turn the camera on or off")),
    ("hand", "Ctrl+Alt+H", QT_TRANSLATE_NOOP("Shortcuts", "Raise or lower your hand")),
    ("chat", "Ctrl+Alt+C", QT_TRANSLATE_NOOP("Shortcuts", "Open or close the chat")),
    ("participants", "Ctrl+Alt+P", QT_TRANSLATE_NOOP("Shortcuts", "Open or close the participants list")),
    ("fullscreen", "F11", QT_TRANSLATE_NOOP("Shortcuts", "Full screen on or off")),
    ("help", "Ctrl+/", QT_TRANSLATE_NOOP("Shortcuts", "Show these shortcuts")),
)


def install_shortcuts(window: QWidget, actions: Mapping[str, Callable[[], None]]) -> dict[str, QShortcut]:
    """A window-wide shortcut for each of :data:`SHORTCUTS`, running ``actions[name]``."""
    shortcuts = {}
    for name, keys, _ in SHORTCUTS:
        shortcut = QShortcut(QKeySequence(keys), window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(actions[name])
        shortcuts[name] = shortcut
    return shortcuts


class ShortcutsDialog(QDialog):
    """The shortcuts, key and what it does, one a line (opened with ``open()``, deleted on close)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsHelp")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        form = QFormLayout(self)
        for _, keys, what in SHORTCUTS:
            key_label = QLabel(QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText))
            key_label.setObjectName("shortcutKeys")
            form.addRow(key_label, QLabel(QCoreApplication.translate("Shortcuts", what)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

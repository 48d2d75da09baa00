"""What the desktop app and the participant window do with an error nothing else caught: the crash handler
(:class:`~meetdesk.kiosk.logs.CrashHandler`) writes the crash file and the log, and this dialog says so, with
"Copy diagnostics" (versions and the end of the log, secrets already masked) for a bug report. The app keeps
running: the person decides whether to go on or to restart it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from meetdesk.kiosk.logs import CrashHandler, diagnostics, setup_logging

#: the crash dialogs on screen
SHOWN: list[CrashDialog] = []


def log_dir_for(config_dir: Path) -> Path:
    """Where the app's logs and crash files go: ``logs/`` in a profile dir (``--profile-dir``), else the user's
    log dir (``~/.local/state/meetdesk/log`` on Linux)."""
    if config_dir.name == "config":
        return config_dir.parent / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("meetdesk"))


class CrashDialog(QMessageBox):
    """ "Something went wrong", where the crash file is, and "Copy diagnostics"."""

    def __init__(self, crash_file: Path, log_dir: Path, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(self.tr("MeetDesk ran into a problem"))
        self.setText(self.tr("Something went wrong inside MeetDesk. You can go on, or restart it if it misbehaves."))
        self.setInformativeText(
            self.tr("The details are in {file}. Copy the diagnostics to add them to a bug report.").format(
                file=crash_file
            )
        )
        self.copy = self.addButton(self.tr("Copy diagnostics"), QMessageBox.ButtonRole.ActionRole)
        self.copy.clicked.disconnect()  # an action button closes the box otherwise
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(diagnostics(log_dir, name)))
        self.addButton(QMessageBox.StandardButton.Close)
        self.crash_file = crash_file


def install(config_dir: Path, name: str) -> CrashHandler:
    """Rotating, masked logs for ``name`` ("app", "participant") and a crash handler that shows a
    :class:`CrashDialog` over the active window."""
    log_dir = log_dir_for(config_dir)
    setup_logging(log_dir, name)

    def show(path: Path) -> None:
        if QApplication.instance() is None:
            return
        dialog = CrashDialog(path, log_dir, name, QApplication.activeWindow())
        dialog.setModal(False)
        dialog.finished.connect(lambda _result: SHOWN.remove(dialog) if dialog in SHOWN else None)
        SHOWN.append(dialog)  # kept alive while on screen
        dialog.show()

    return CrashHandler(log_dir / "crashes", name, show).install()

"""A kiosk's recent logs, fetched from the kiosk through the server (secrets already masked by the kiosk), in a
read-only dialog with Copy and Save. The dialog opens at once and says it is waiting; the text (or why there is
none) replaces that when the kiosk has answered. When no new logs come (the kiosk is offline, or does not answer),
the last ones it sent are shown, with when they came: the server keeps them.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core.kiosks import Kiosk, KioskLogs
from meetdesk.ui.admin.form_messages import set_error_colour
from meetdesk.ui.admin.kiosks_model import format_time, kiosk_error_text

logger = logging.getLogger(__name__)


class KioskLogsDialog(QDialog):
    """Fetches and shows one kiosk's logs.

    Signals:
        loadFinished(): the logs arrived, or the fetching failed (the status line says which).
    """

    loadFinished = Signal()
    #: seconds to wait for the kiosk's answer
    wait_s = 20.0

    def __init__(self, client: MeetDeskClient, kiosk: Kiosk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskLogsDialog")
        self.setWindowTitle(self.tr("Logs of “{name}”").format(name=kiosk.name))
        self.client = client
        self.kiosk = kiosk
        self.logs: KioskLogs | None = None
        self._task: asyncio.Task[None] | None = None
        column = QVBoxLayout(self)
        self.status = QLabel(self.tr("Asking the kiosk for its recent logs…"))
        self.status.setObjectName("kioskLogsStatus")
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        self.text = QPlainTextEdit()
        self.text.setObjectName("kioskLogsText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName(self.tr("Kiosk logs"))
        column.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.save_button = QPushButton(self.tr("Save…"))
        for button in (self.copy_button, self.save_button):
            button.setEnabled(False)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.ask_where_to_save)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)
        self.resize(900, 560)

    def start(self) -> None:
        """Ask for the logs (the dialog shows them when they come)."""
        self._task = asyncio.ensure_future(self.load())

    async def load(self) -> None:
        try:
            logs = await self.client.fetch_kiosk_logs(self.kiosk.kioskId, timeout=self.wait_s)
        except ApiError as exc:
            logger.info("Fetching a kiosk's logs failed: %r", exc)
            reason = kiosk_error_text(exc)
            kept = await self._kept()
            set_error_colour(self.status, True)
            if kept is None:
                self.status.setText(self.tr("No logs came from the kiosk. {reason}").format(reason=reason))
            else:  # the server keeps the last ones the kiosk sent (an offline kiosk's too)
                self._show(kept)
                self.status.setText(
                    self.tr("No new logs came from the kiosk. {reason} These are the ones it sent at {time}.").format(
                        reason=reason, time=format_time(kept.receivedAt)
                    )
                )
            self.loadFinished.emit()
            return
        self._show(logs)
        lines = logs.text.count("\n") + (0 if logs.text.endswith("\n") or not logs.text else 1)
        self.status.setText(
            self.tr("%n line(s) received at {time}.", "", lines).format(time=format_time(logs.receivedAt))
        )
        self.loadFinished.emit()

    async def _kept(self) -> KioskLogs | None:
        """The logs the kiosk sent last time, if the server has any."""
        try:
            return await self.client.kiosk_logs(self.kiosk.kioskId)
        except ApiError as exc:
            logger.info("Reading a kiosk's kept logs failed: %r", exc)
            return None

    def _show(self, logs: KioskLogs) -> None:
        self.logs = logs
        self.text.setPlainText(logs.text)
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)  # the newest lines in view
        self.copy_button.setEnabled(True)
        self.save_button.setEnabled(True)

    def copy(self) -> None:
        if self.logs is not None:
            QGuiApplication.clipboard().setText(self.logs.text)
            self.status.setText(self.tr("The logs are on the clipboard."))

    def ask_where_to_save(self) -> QFileDialog:
        """A save dialog (window-modal, no nested event loop); the file is written when one is chosen."""
        name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.kiosk.name).strip("-") or "kiosk"
        dialog = QFileDialog(self, self.tr("Save the kiosk's logs"), str(Path.home() / f"{name}.log"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("Log files (*.log *.txt)"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.save(Path(path)))
        dialog.open()
        return dialog

    def save(self, path: Path) -> bool:
        if self.logs is None:
            return False
        try:
            path.write_text(self.logs.text, encoding="utf-8")
        except OSError as exc:
            set_error_colour(self.status, True)
            self.status.setText(
                self.tr("The logs were not saved to {path}: {reason}.").format(path=path, reason=exc.strerror or exc)
            )
            return False
        set_error_colour(self.status, False)
        self.status.setText(self.tr("Saved to {path}.").format(path=path))
        return True

    def done(self, result: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()  # closed while waiting: stop asking
        super().done(result)

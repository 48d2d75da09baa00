"""The banner across the top of the window: what went wrong talking to the server, and a Retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import qasync
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy

from meetdesk.ui.messages import describe_error

Retry = Callable[[], Awaitable[object]]


class Banner(QFrame):
    """Hidden until :meth:`show_problem`; Retry runs the given coroutine function, and the banner hides when
    it succeeds (or shows the new problem when it does not).

    Signals:
        retried(): the user pressed Retry and it worked.
    """

    retried = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", "error")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Problem"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        self.text = QLabel(self)
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton(self.tr("Retry"), self)
        self.retry_button.setAccessibleName(self.tr("Retry"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"), self)
        self.dismiss_button.setAccessibleName(self.tr("Dismiss the message"))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.dismiss_button)
        self.retry_button.clicked.connect(self._retry_clicked)
        self.dismiss_button.clicked.connect(self.hide)
        self._retry: Retry | None = None
        self.hide()

    @property
    def message(self) -> str:
        return self.text.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_problem(self, exc: BaseException, retry: Retry | None = None) -> None:
        self.show_message(describe_error(exc), retry)

    def show_message(self, text: str, retry: Retry | None = None) -> None:
        self.text.setText(text)
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self.retry_button.setEnabled(True)
        self.show()

    @qasync.asyncSlot()
    async def _retry_clicked(self) -> None:
        await self.retry()

    async def retry(self) -> bool:
        """Run the retry; True when it worked (the banner is then hidden)."""
        if self._retry is None:
            self.hide()
            return True
        self.retry_button.setEnabled(False)
        self.text.setText(self.tr("Trying again…"))
        try:
            await self._retry()
        except Exception as exc:
            self.show_message(describe_error(exc), self._retry)
            return False
        self.hide()
        self.retried.emit()
        return True

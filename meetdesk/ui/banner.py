"""The banner across the top of the window: what went wrong talking to the server, or what the app is doing
about it, and only the buttons the user can act on (Retry, or the choices of a question)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import qasync
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy

from meetdesk.ui.messages import describe_error

Retry = Callable[[], Awaitable[object]]
Kind = Literal["error", "info", "question"]


@dataclass(frozen=True)
class BannerAction:
    """A button of the banner: ``text`` on it, ``run`` when pressed, ``progress`` said meanwhile."""

    text: str
    run: Retry
    progress: str = ""
    name: str = ""  # object name, for tests and accessibility tools


class Banner(QFrame):
    """Hidden until :meth:`show_problem` / :meth:`show_message`. Retry (or an action) runs the given coroutine
    function; the banner then hides when it succeeds or shows the new problem when it does not — unless the
    banner was given something else to say meanwhile (whoever said it knows better).

    ``kind`` "error" (a failure), "info" (the app is doing something about it: no buttons) or "question"
    (the user must choose).

    Signals:
        retried(): the user pressed Retry (or an action) and it worked.
    """

    retried = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", "error")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Problem"))
        self._layout = layout = QHBoxLayout(self)
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
        self._actions: list[tuple[QPushButton, BannerAction]] = []
        self._shown = 0  # how many things the banner was given to say (an action's outcome applies to its own)
        self._follow_palette()
        self.hide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._follow_palette()

    def _follow_palette(self) -> None:
        """A dark theme gets the dark version of the banner's colours (the style sheet picks them by ``dark``).
        The theme's palette is the application's: the banner's own is its style sheet's colours."""
        dark = QApplication.palette().window().color().lightness() < 128
        if self.property("dark") != dark:
            self.setProperty("dark", dark)
            self._repolish()

    def _repolish(self) -> None:
        for widget in (self, self.text):
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    @property
    def message(self) -> str:
        return self.text.text() if self.isVisibleTo(self.parentWidget()) else ""

    @property
    def kind(self) -> str:
        return str(self.property("kind"))

    @property
    def action_buttons(self) -> list[QPushButton]:
        return [button for button, _ in self._actions]

    def show_problem(self, exc: BaseException, retry: Retry | None = None) -> None:
        self.show_message(describe_error(exc), retry)

    def show_message(
        self,
        text: str,
        retry: Retry | None = None,
        *,
        kind: Kind = "error",
        actions: Sequence[BannerAction] = (),
        dismissable: bool = True,
    ) -> None:
        self._shown += 1
        self.text.setText(text)
        if self.property("kind") != kind:
            self.setProperty("kind", kind)
            self.setAccessibleName(self.tr("Problem") if kind == "error" else self.tr("Server status"))
            self._repolish()  # the style sheet picks the colours by kind
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self.retry_button.setEnabled(True)
        self._set_actions(actions)
        self.dismiss_button.setVisible(dismissable)
        self.show()

    def _set_actions(self, actions: Sequence[BannerAction]) -> None:
        for button, _ in self._actions:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._actions = []
        for action in actions:
            button = QPushButton(action.text, self)
            button.setObjectName(action.name)
            button.setAccessibleName(action.text)
            button.clicked.connect(lambda _=False, a=action: self._action_clicked(a))
            self._layout.insertWidget(self._layout.indexOf(self.dismiss_button), button)
            self._actions.append((button, action))

    @qasync.asyncSlot()
    async def _retry_clicked(self) -> None:
        await self.retry()

    @qasync.asyncSlot(object)
    async def _action_clicked(self, action: BannerAction) -> None:
        await self.run_action(action)

    async def retry(self) -> bool:
        """Run the retry; True when it worked (the banner is then hidden)."""
        if self._retry is None:
            self.hide()
            return True
        return await self._run(self._retry, self.tr("Trying again…"))

    async def run_action(self, action: BannerAction) -> bool:
        """As pressing ``action``'s button: True when it worked."""
        return await self._run(action.run, action.progress or self.tr("Working on it…"))

    async def _run(self, run: Retry, progress: str) -> bool:
        retry, actions = self._retry, [action for _, action in self._actions]
        for button in [self.retry_button, *self.action_buttons]:
            button.setEnabled(False)
        self.text.setText(progress)
        shown = self._shown
        try:
            await run()
        except Exception as exc:
            if self._shown == shown:  # the same choices again, under what went wrong
                self.show_message(describe_error(exc), retry, actions=actions)
            return False
        if self._shown == shown:
            self.hide()
        self.retried.emit()
        return True

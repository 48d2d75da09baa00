"""The one way the admin app's dialogs send what was typed (the room dialog, Add kiosk, a kiosk's settings):
check it first and say what is wrong next to the fields, send it once (a second OK while it is on its way does
nothing), say the server's refusal where it belongs with the input untouched, and close only once it was taken.

A mixin of those ``QDialog`` subclasses: each says what it checks (:meth:`local_errors`), sends (:meth:`_send`)
and shows (:meth:`_clear_errors`, :meth:`_show_errors`, :meth:`_show_failure`, :meth:`_set_busy`), and what
it does with the server's answer (:meth:`_sent`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPushButton, QVBoxLayout

from meetdesk.client.errors import ApiError
from meetdesk.ui.admin.form_messages import mark_as_error

logger = logging.getLogger(__name__)


class SubmitForm:
    """Check, send, and on success accept (mixed into a ``QDialog``, which gives ``accept``)."""

    #: what failed, in the log ("Saving the room")
    action = "Sending the form"
    _busy: bool
    #: the dialog's OK button
    ok: QPushButton

    #: the dialog's message for what is not about one field (hidden until used)
    error: QLabel
    buttons: QDialogButtonBox

    if TYPE_CHECKING:

        def accept(self) -> None: ...

        def reject(self) -> None: ...

        def tr(self, text: str) -> str: ...  # the dialog's (declared for the checker only: never shadow QDialog's)

    def _add_submit_row(self, column: QVBoxLayout, ok_text: str, error_name: str) -> None:
        """The dialog's end, for a dialog built in code: its general message (:attr:`error`, object name
        ``error_name``) and OK (labelled ``ok_text``, sends) and Cancel."""
        self.error = QLabel()
        self.error.setObjectName(error_name)
        self.error.setWordWrap(True)
        mark_as_error(self.error)
        column.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.buttons.accepted.connect(self._ok_clicked)
        self.buttons.rejected.connect(self.reject)
        column.addWidget(self.buttons)

    @qasync.asyncSlot()
    async def _ok_clicked(self) -> None:
        await self.submit()

    async def submit(self) -> bool:
        """Check, send, and on success accept the dialog. Returns whether the server took it."""
        if self._busy:
            return False  # already sending
        self._clear_errors()
        problems = self.local_errors()
        if problems:
            self._show_errors(problems)
            return False
        self._set_busy(True)
        try:
            answer = await self._send()
        except ApiError as exc:
            logger.info("%s failed: %r", self.action, exc)
            self._show_failure(exc)
            return False
        finally:
            self._set_busy(False)
        self._sent(answer)
        self.accept()
        return True

    # --- the dialog's ---------------------------------------------------------------------------------------

    def local_errors(self) -> dict[str, str]:
        """What is wrong before sending, by field (keyed like the server's field errors)."""
        return {}

    async def _send(self) -> Any:
        """Send what was typed; the server's answer (raises its refusal as an ``ApiError``)."""

    def _sent(self, answer: Any) -> None:
        """The server took it: keep and announce ``answer`` (the dialog is accepted next)."""

    def _clear_errors(self) -> None:
        """Hide every message of an earlier try."""

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Show each field's problem next to it."""

    def _show_failure(self, exc: ApiError) -> None:
        """Show the server's refusal where it belongs (its field errors next to the fields)."""

    def _set_busy(self, busy: bool) -> None:
        """While it is on its way: OK does nothing (a dialog may show more)."""
        self._busy = busy
        self.ok.setEnabled(not busy)

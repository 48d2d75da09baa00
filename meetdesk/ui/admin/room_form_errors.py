"""Where the room dialog says what is wrong: each field's error next to it (the server's 422 details, and what
the dialog checks before sending, keyed alike: ``roomName``, ``config.maxParticipants``...), anything else as
a sentence at the bottom of the dialog; the dialog stays open with the user's input untouched.

A mixin of :class:`~meetdesk.ui.admin.room_form.RoomFormDialog`, which fills ``_error_labels`` (a field's path
-> its error label and the field; the longest matching prefix wins).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from meetdesk.client.errors import ApiError, Conflict
from meetdesk.ui.admin.form_messages import show_message
from meetdesk.ui.messages import describe_error, field_errors


class FormErrors:
    """Field errors of the room dialog (mixed into it; ``ui``, ``tr`` and ``fit_to_screen`` are the dialog's)."""

    _error_labels: dict[str, tuple[QLabel, QWidget]]
    ui: Any
    editing: bool

    def _route(self, path: str) -> tuple[QLabel, QWidget] | None:
        matches = [key for key in self._error_labels if path == key or path.startswith(key + ".")]
        return self._error_labels[max(matches, key=len)] if matches else None

    def _humane(self, path: str, message: str) -> str:
        """The server's field message, speaking of the field as the form names it ("roomName cannot be
        empty" -> "The name cannot be empty")."""
        names = {"roomName": self.tr("The name"), "autoDeletionDate": self.tr("The date")}
        field = path.rsplit(".", 1)[-1]
        if field in names and message.startswith(field + " "):
            return names[field] + message[len(field) :]
        return message

    def _show_field_errors(self, errors: dict[str, str]) -> None:
        unplaced = []
        first: QWidget | None = None
        for path, message in errors.items():
            route = self._route(path)
            if route is None:
                unplaced.append(f"{path}: {message}")
                continue
            label, field = route
            message = self._humane(path, message)
            show_message(label, message)
            field.setAccessibleDescription(message)
            if self.ui.advancedPanel.isAncestorOf(field):
                self.ui.advancedToggle.setChecked(True)
            first = first or field
        summary = self.tr("Some settings need a change before the room can be saved.")
        show_message(self.ui.formError, "\n".join([summary, *unplaced]))
        if first is not None and first.isEnabled():
            first.setFocus()
        self.fit_to_screen()

    def _show_failure(self, exc: ApiError) -> None:
        errors = field_errors(exc)
        if errors:
            self._show_field_errors(errors)
        elif isinstance(exc, Conflict) and self.editing:
            show_message(
                self.ui.formError,
                self.tr("This room has a meeting in progress. Its settings can be changed once the meeting ends."),
            )
        else:
            show_message(self.ui.formError, describe_error(exc))
        self.fit_to_screen()

    def _clear_error(self, path: str) -> None:
        label, field = self._error_labels[path]
        show_message(label, "")
        field.setAccessibleDescription("")

    def _clear_errors(self) -> None:
        for path in self._error_labels:
            self._clear_error(path)
        show_message(self.ui.formError, "")

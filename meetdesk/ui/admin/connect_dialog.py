"""Connect to another MeetDesk (or OpenVidu Meet compatible) server: address, and admin password or API key.

The dialog validates what it can before sending and stays open on failure with the user's input intact;
the window does the connecting (it owns the connection) and reports back through :meth:`show_error`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from meetdesk.client.errors import ConnectionFailed
from meetdesk.ui.admin.connection import SignInNeeded
from meetdesk.ui.admin.form_messages import mark_as_error
from meetdesk.ui.admin.servers import ServerProfile
from meetdesk.ui.forms.ui_connect_dialog import Ui_ConnectDialog
from meetdesk.ui.messages import describe_error


class ConnectDialog(QDialog):
    """Asks for a server and a secret.

    Signals:
        submitted(object, object): (this dialog, (ServerProfile, secret)) — the window tries to connect.
    """

    submitted = Signal(object, object)

    def __init__(
        self,
        parent: QWidget | None,
        profile: ServerProfile | None = None,
        reason: str | None = None,
        *,
        editing: bool = False,
        saved_secret: bool = False,
    ) -> None:
        """``editing``: change a saved server (``profile``); with ``saved_secret`` its secret may be left empty."""
        super().__init__(parent)
        self.ui = Ui_ConnectDialog()
        self.ui.setupUi(self)
        self.profile = profile
        self.editing = editing and profile is not None and not profile.is_embedded
        self.saved_secret = saved_secret and self.editing
        self._ok_text = self.tr("Save and connect") if self.editing else self.tr("Connect")
        if self.editing:
            assert profile is not None
            self.setWindowTitle(self.tr("Edit server"))
            reason = reason or self.tr(
                "Change how MeetDesk reaches “{name}”. It connects with the new details before saving them."
            ).format(name=profile.name)
        self.ui.reasonLabel.setText(reason or self.tr("Manage the rooms of another MeetDesk server."))
        # room for an address like https://meet.example.com:6080 without scrolling it
        self.ui.urlEdit.setMinimumWidth(self.ui.urlEdit.fontMetrics().averageCharWidth() * 40)
        for label in (self.ui.urlError, self.ui.secretError, self.ui.errorLabel):
            mark_as_error(label)  # the theme's error colour, readable in light and dark
        if profile is not None:
            self.ui.urlEdit.setText(profile.url)
            self.ui.nameEdit.setText(profile.name)
            self.ui.userEdit.setText(profile.username)
            self.ui.apiKeyRadio.setChecked(profile.auth == "api_key")
            if profile.is_embedded:  # only the password is missing: the rest is fixed
                self.ui.urlEdit.setText(self.tr("this computer"))
                for widget in (self.ui.urlEdit, self.ui.nameEdit, self.ui.apiKeyRadio, self.ui.userEdit):
                    widget.setEnabled(False)
            self.ui.secretEdit.setFocus()
        self.ui.passwordRadio.toggled.connect(self._method_changed)
        self._method_changed(self.ui.passwordRadio.isChecked())
        self.ui.buttonBox.accepted.connect(self.submit)
        self.ui.buttonBox.rejected.connect(self.reject)
        self.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok).setText(self._ok_text)
        if self.saved_secret:
            self.ui.secretEdit.setPlaceholderText(self.tr("Saved: leave empty to keep it"))

    def _method_changed(self, password: bool) -> None:
        self.ui.userEdit.setVisible(password)
        self.ui.userLabel.setVisible(password)
        self.ui.secretLabel.setText(self.tr("Pass&word") if password else self.tr("API &key"))

    def request(self) -> tuple[ServerProfile, str] | None:
        """The profile and secret typed, or None with messages next to the fields that need fixing."""
        self.ui.urlError.hide()
        self.ui.secretError.hide()
        secret = self.ui.secretEdit.text()
        ok = True
        if self.profile is not None and self.profile.is_embedded:
            profile = self.profile
        else:
            url = self.ui.urlEdit.text().strip().rstrip("/")
            if url and "://" not in url:
                url = "http://" + url
            problem = self._address_problem(url)
            if problem:
                self._field_error(self.ui.urlError, problem)
                ok = False
            parts = urlsplit(url)
            method = "password" if self.ui.passwordRadio.isChecked() else "api_key"
            name = self.ui.nameEdit.text().strip() or parts.netloc or url
            profile = ServerProfile(
                name=name, url=url, auth=method, username=self.ui.userEdit.text().strip() or "admin"
            )
        if not secret and not self.saved_secret:
            what = self.tr("the API key") if profile.auth == "api_key" else self.tr("the password")
            self._field_error(self.ui.secretError, self.tr("Type {what}.").format(what=what))
            ok = False
        return (profile, secret) if ok else None

    def _address_problem(self, url: str) -> str:
        """Why ``url`` cannot be a server's address (refused before trying), or "" when it can."""
        if any(ch.isspace() for ch in url):
            return self.tr("A server address has no spaces. Check what was typed or pasted.")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return self.tr("The port after the colon must be a number from 1 to 65535.")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return self.tr("Type the server's address, like https://meet.example.com.")
        if port == 0:
            return self.tr("The port after the colon must be a number from 1 to 65535.")
        return ""

    def submit(self) -> None:
        request = self.request()
        if request is not None:
            self.submitted.emit(self, request)

    def set_busy(self, busy: bool) -> None:
        button = self.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        button.setEnabled(not busy)
        button.setText(self.tr("Connecting…") if busy else self._ok_text)
        if busy:
            self.ui.errorLabel.hide()

    def show_error(self, exc: BaseException) -> None:
        if isinstance(exc, SignInNeeded):
            self._field_error(self.ui.secretError, str(exc))
        elif isinstance(exc, ConnectionFailed):
            self._field_error(self.ui.urlError, describe_error(exc))
        else:
            self._field_error(self.ui.errorLabel, describe_error(exc))

    def _field_error(self, label: Any, text: str) -> None:
        label.setText(text)
        label.show()
        self.adjustSize()  # room for the wrapped sentence: never cut off under the next field

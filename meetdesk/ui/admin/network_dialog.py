""" "Share on the network": the settings dialog of the embedded server's address (see client/sharing.py).

The dialog checks what it can before anything restarts and stays open, with what was typed, when the
restart fails; the window does the restarting (it owns the connection) and reports back through
:meth:`NetworkSettingsDialog.show_error`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QWidget

from meetdesk.client.embedded import EmbeddedServerError
from meetdesk.client.sharing import EVERY_INTERFACE, NetworkSharing, SharingProblem, suggested_addresses
from meetdesk.core.addresses import is_unspecified
from meetdesk.core.fingerprint import pin_for_people
from meetdesk.ui.forms.ui_network_settings import Ui_NetworkSettingsDialog
from meetdesk.ui.messages import describe_error


class NetworkSettingsDialog(QDialog):
    """Share the embedded server on the network, or not.

    Signals:
        submitted(object, object): (this dialog, NetworkSharing) — the window restarts the server with it.
    """

    submitted = Signal(object, object)

    def __init__(self, parent: QWidget | None, sharing: NetworkSharing, port: int | None, pin: str | None) -> None:
        super().__init__(parent)
        self.ui = Ui_NetworkSettingsDialog()
        self.ui.setupUi(self)
        self.port = port
        self.pin = pin
        self._busy = False
        self._suggested = ""  # the address last filled in for the user (replaced when the network changes)
        for label in (self.ui.listenError, self.ui.addressError, self.ui.errorLabel):
            label.setProperty("role", "error")
            label.hide()
        self._fill(sharing)
        self.ui.noteLabel.setText(
            self.tr(
                "Saving restarts the server on this computer: people in a meeting on it reconnect, and links "
                "copied before no longer work."
            )
        )
        self.ui.shareCheck.toggled.connect(self._update)
        self.ui.listenCombo.currentIndexChanged.connect(self._listen_changed)
        self.ui.addressCombo.editTextChanged.connect(self._update)
        self.save_button.setText(self.tr("Save and restart"))
        self.save_button.setDefault(True)
        self.ui.buttonBox.accepted.connect(self.submit)
        self.ui.buttonBox.rejected.connect(self.reject)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 72)  # the sentences read in lines, not columns
        self._update()

    @property
    def save_button(self) -> QWidget:
        return self.ui.buttonBox.button(QDialogButtonBox.StandardButton.Save)

    def _fill(self, sharing: NetworkSharing) -> None:
        addresses = suggested_addresses()
        for address, interface in addresses:
            self.ui.listenCombo.addItem(
                self.tr("{address} ({interface})").format(address=address, interface=interface), address
            )
            self.ui.addressCombo.addItem(address)
        self.ui.listenCombo.addItem(self.tr("Every network of this computer"), EVERY_INTERFACE)
        if sharing.listen and self.ui.listenCombo.findData(sharing.listen) < 0:
            self.ui.listenCombo.addItem(
                self.tr("{address} (not on this computer now)").format(address=sharing.listen), sharing.listen
            )
        index = self.ui.listenCombo.findData(sharing.listen) if sharing.listen else 0
        self.ui.listenCombo.setCurrentIndex(max(0, index))
        self._suggested = addresses[0][0] if addresses else ""
        listen = self.ui.listenCombo.currentData()
        if listen and not is_unspecified(listen):
            self._suggested = listen
        self.ui.addressCombo.setEditText(sharing.address or self._suggested)
        self.ui.shareCheck.setChecked(sharing.enabled)

    def _listen_changed(self) -> None:
        listen = self.ui.listenCombo.currentData()
        if (
            self.ui.addressCombo.currentText().strip() in ("", self._suggested)
            and listen
            and not is_unspecified(listen)
        ):
            self._suggested = listen
            self.ui.addressCombo.setEditText(listen)
        self._update()

    def sharing(self) -> NetworkSharing:
        """What the dialog shows, as settings."""
        return NetworkSharing(
            enabled=self.ui.shareCheck.isChecked(),
            listen=str(self.ui.listenCombo.currentData() or ""),
            address=self.ui.addressCombo.currentText().strip(),
        )

    def _update(self) -> None:
        on = self.ui.shareCheck.isChecked()
        for widget in (self.ui.listenCombo, self.ui.addressCombo, self.ui.listenLabel, self.ui.addressLabel):
            widget.setEnabled(on)
        port = str(self.port) if self.port is not None else "6080"
        sharing = self.sharing()
        if on and sharing.address and "address" not in sharing.problems():
            host = f"[{sharing.address}]" if ":" in sharing.address else sharing.address
            self.ui.linkPreview.setText(self.tr("https://{host}:{port}/room/…").format(host=host, port=port))
        elif on:
            self.ui.linkPreview.setText(self.tr("Type the address others use to see the links."))
        else:
            self.ui.linkPreview.setText(
                self.tr("http://127.0.0.1:{port}/room/… (they work on this computer only)").format(port=port)
            )
        if self.pin:
            self.ui.fingerprintValue.setText(pin_for_people(self.pin))
        else:
            self.ui.fingerprintValue.setText(
                self.tr("The server makes its certificate when it is first shared; its fingerprint shows here then.")
            )
        for label in (self.ui.listenError, self.ui.addressError):
            label.hide()

    def request(self) -> NetworkSharing | None:
        """The settings, or None with a sentence next to each field that needs fixing."""
        sharing = self.sharing()
        problems = sharing.problems()
        labels = {"listen": self.ui.listenError, "address": self.ui.addressError}
        for field, label in labels.items():
            problem = problems.get(field)
            label.setVisible(problem is not None)
            label.setText(self._words(problem, sharing) if problem is not None else "")
        self.adjustSize()  # room for the sentences that appeared (or less for those gone)
        return None if problems else sharing

    def _words(self, problem: SharingProblem, sharing: NetworkSharing) -> str:
        if problem is SharingProblem.NO_NETWORK:
            return self.tr("Choose the network to share the server on.")
        if problem is SharingProblem.NOT_THIS_COMPUTER:
            return self.tr("{address} is not an address of this computer (any more).").format(address=sharing.listen)
        if problem is SharingProblem.NO_ADDRESS:
            return self.tr("Type the address others reach this computer at, such as 192.168.1.20.")
        if problem is SharingProblem.SPACE:
            return self.tr("An address has no spaces.")
        if problem is SharingProblem.NOT_AN_ADDRESS:
            return self.tr("“{address}” is not an IP address or a computer name.").format(address=sharing.address)
        return self.tr("That address reaches this computer only: others could not use the links.")

    def submit(self) -> None:
        sharing = self.request()
        if sharing is not None:
            self.set_busy(True)  # at once: the restart starts on the next turn of the loop
            self.submitted.emit(self, sharing)

    def set_busy(self, busy: bool) -> None:
        """While the server restarts nothing here can change, nor can the dialog go (it hears how it went)."""
        self._busy = busy
        for widget in (self.ui.buttonBox, self.ui.shareCheck, self.ui.listenCombo, self.ui.addressCombo):
            widget.setEnabled(not busy)
        self.save_button.setText(self.tr("Restarting the server…") if busy else self.tr("Save and restart"))
        if busy:
            self.ui.errorLabel.hide()
        else:
            self._update()

    def reject(self) -> None:
        if not self._busy:  # Escape or the window's close button while the server restarts: wait for it
            super().reject()

    def show_error(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, EmbeddedServerError) else describe_error(exc)
        self.ui.errorLabel.setText(text)
        self.ui.errorLabel.show()
        self.adjustSize()

    def error_labels(self) -> list[QLabel]:
        """The error sentences on screen (tests read them as a user would)."""
        return [label for label in (self.ui.listenError, self.ui.addressError, self.ui.errorLabel) if label.isVisible()]

"""The saved servers, to edit or remove: the list behind the window's server switcher.

This computer's server is always there and cannot be edited or removed; nor can the server in use be
removed (switch to another one first). Removing a server forgets its saved password or API key too, after
asking. Editing is the connect dialog, filled in: :class:`SavedServers` connects with what was typed and
saves it only when the server accepts it (a secret left empty is the saved one, even at a new address).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.credentials import CredentialStore
from meetdesk.client.errors import UnknownCertificate
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.servers import ServerList, ServerProfile
from meetdesk.ui.theme.theming import set_variant

if TYPE_CHECKING:
    from meetdesk.ui.admin.connect_dialog import ConnectDialog


def secret_user(profile: ServerProfile) -> str:
    """The user a profile's secret is kept under in the credential store."""
    return profile.username if profile.auth == "password" else "api-key"


class ServersDialog(QDialog):
    """Saved servers with Edit… and Remove.

    Signals:
        editRequested(object): the ServerProfile to edit (the window opens the connect dialog for it).
        removed(str): the key of a server that was removed from the list.
    """

    editRequested = Signal(object)
    removed = Signal(str)

    def __init__(
        self, servers: ServerList, credentials: CredentialStore, current: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.servers = servers
        self.credentials = credentials
        self.current = current
        self.confirmation: QMessageBox | None = None
        self.setWindowTitle(self.tr("Saved servers"))
        self.setAccessibleName(self.tr("Saved servers"))
        layout = QVBoxLayout(self)
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Saved servers"))
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long names and addresses: full in the tooltip
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setUniformItemSizes(True)
        self.list.setMinimumWidth(self.fontMetrics().averageCharWidth() * 48)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setProperty("hint", True)
        actions = QHBoxLayout()
        self.edit_button = QPushButton(self.tr("&Edit…"), self)
        self.remove_button = QPushButton(self.tr("&Remove"), self)
        for button in (self.edit_button, self.remove_button):
            button.setAutoDefault(False)
            set_variant(button, "secondary")  # Close is the dialog's one primary button
            actions.addWidget(button)
        actions.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addLayout(actions)
        layout.addWidget(self.buttons)

        self.list.currentRowChanged.connect(lambda _row: self._update())
        self.list.itemActivated.connect(lambda _item: self._edit())
        self.edit_button.clicked.connect(self._edit)
        self.remove_button.clicked.connect(self._ask_remove)
        self.buttons.rejected.connect(self.reject)
        self.fill()

    def fill(self) -> None:
        """(Re)list the servers, keeping the selection where it can."""
        selected = self.selected()
        self.list.clear()
        for profile in self.servers.profiles:
            text = profile.name if profile.is_embedded else f"{profile.name} — {profile.url}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, profile.key)
            item.setToolTip(text)
            self.list.addItem(item)
        keys = [p.key for p in self.servers.profiles]
        self.list.setCurrentRow(keys.index(selected.key) if selected is not None and selected.key in keys else 0)
        self._update()

    def selected(self) -> ServerProfile | None:
        item = self.list.currentItem()
        return None if item is None else self.servers.find(str(item.data(Qt.ItemDataRole.UserRole)))

    def _update(self) -> None:
        profile = self.selected()
        editable = profile is not None and not profile.is_embedded
        self.edit_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and profile is not None and profile.key != self.current)
        if profile is None:
            note = ""
        elif profile.is_embedded:
            note = self.tr("This computer's server is always in the list; it cannot be edited or removed.")
        elif profile.key == self.current:
            note = self.tr("This is the server in use: switch to another one before removing it.")
        else:
            note = ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.remove_button.setToolTip(note if profile is not None and not self.remove_button.isEnabled() else "")

    def _edit(self) -> None:
        profile = self.selected()
        if profile is not None and not profile.is_embedded:
            self.editRequested.emit(profile)

    def _ask_remove(self) -> None:
        profile = self.selected()
        if profile is None or profile.is_embedded or profile.key == self.current:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Remove server"))
        box.setText(self.tr("Remove “{name}” from the saved servers?").format(name=profile.name))
        what = self.tr("password") if profile.auth == "password" else self.tr("API key")
        box.setInformativeText(
            self.tr("Its saved {what} is forgotten too. Its rooms stay on the server.").format(what=what)
        )
        remove = box.addButton(self.tr("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        remove.setAutoDefault(False)
        set_variant(remove, "danger")
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.finished.connect(lambda _result: self._removal_answered(box, remove, profile))
        self.confirmation = box
        box.open()

    def _removal_answered(self, box: QMessageBox, remove: QPushButton, profile: ServerProfile) -> None:
        self.confirmation = None
        if box.clickedButton() is not remove:
            return
        self.remove(profile)

    def remove(self, profile: ServerProfile) -> None:
        """Forget ``profile`` and its saved secret (no question asked: the Remove button asks first)."""
        self.servers.remove(profile.key)
        self.credentials.delete(profile.url, secret_user(profile))
        self.fill()
        self.removed.emit(profile.key)


class SavedServers(QObject):
    """The window's saved-servers actions: the list (:meth:`manage`) and editing one (:meth:`edit`).

    Signals:
        listChanged(): a server was removed or edited (the switcher lists them again).
        connected(object): an edited server accepted its new details and is in use now (its MeetDeskClient).
        untrusted(object, object): (UnknownCertificate, retry) — the window asks whether to trust it.
    """

    listChanged = Signal()
    connected = Signal(object)
    untrusted = Signal(object, object)

    def __init__(self, connection: AdminConnection, window: QWidget) -> None:
        super().__init__(window)
        self.connection = connection
        self.window = window
        self.dialog: ServersDialog | None = None

    def manage(self) -> ServersDialog:
        """The saved servers, to edit or remove (window-modal, without blocking)."""
        current = self.connection.profile.key if self.connection.profile else None
        dialog = ServersDialog(self.connection.servers, self.connection.credentials, current, self.window)
        dialog.editRequested.connect(self.edit)
        dialog.removed.connect(lambda _key: self.listChanged.emit())
        self.dialog = dialog
        dialog.open()
        return dialog

    def edit(self, profile: ServerProfile) -> ConnectDialog:
        """The connect dialog filled with ``profile``: what is typed replaces it once the server accepts it."""
        from meetdesk.ui.admin.connect_dialog import ConnectDialog

        saved = self.connection.credentials.get(profile.url, secret_user(profile)) is not None
        dialog = ConnectDialog(self.window, profile, None, editing=True, saved_secret=saved)
        dialog.submitted.connect(self._edit_submitted)
        dialog.open()
        return dialog

    @qasync.asyncSlot(object, object)
    async def _edit_submitted(self, dialog: ConnectDialog, request: tuple[ServerProfile, str]) -> None:
        old = dialog.profile
        assert old is not None
        new, secret = request
        credentials = self.connection.credentials
        secret = secret or credentials.get(old.url, secret_user(old)) or ""
        dialog.set_busy(True)
        try:
            client = await self.connection.open(new, secret)  # saves the profile, and the secret under it
        except Exception as exc:
            dialog.set_busy(False)
            dialog.show_error(exc)
            if isinstance(exc, UnknownCertificate):
                self.untrusted.emit(exc, dialog.submit)
            return
        if old.key != new.key:
            self.connection.servers.remove(old.key)
        if (old.url, secret_user(old)) != (new.url, secret_user(new)):
            credentials.delete(old.url, secret_user(old))  # nothing kept under the old address or user
        dialog.accept()
        if self.dialog is not None:
            self.dialog.current = new.key
            self.dialog.fill()
        self.listChanged.emit()
        self.connected.emit(client)

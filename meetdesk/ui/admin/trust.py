"""Trusting a server's self-signed certificate, as SSH does: its fingerprint shown, remembered once trusted."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from meetdesk.client.errors import CertificateError, CertificateMismatch
from meetdesk.core.fingerprint import pin_for_people
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.banner import Banner, BannerAction


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def ask_to_trust(
    parent: QWidget, connection: AdminConnection, exc: CertificateError, retry: Callable[[], Any]
) -> asyncio.Future[bool]:
    """Show the certificate's fingerprint and remember it if the user trusts it (then ``retry``). For a
    certificate that changed, the question says so. The future says what the user answered."""
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    changed = isinstance(exc, CertificateMismatch)
    box = QMessageBox(parent)
    box.setObjectName("trustCertificate")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_tr("Trust this server?"))
    if changed:
        box.setText(_tr("The certificate of {server} changed.").format(server=exc.base_url))
        text = _tr(
            "Someone may be intercepting the connection. Trust the new certificate only if the server's "
            "administrator confirms that it shows this fingerprint:\n\n{fingerprint}"
        )
    else:
        box.setText(_tr("Is this the certificate of {server}?").format(server=exc.base_url))
        text = _tr(
            "No certificate authority vouches for it. Compare its fingerprint with the one the server shows "
            "(printed when it starts, or in Share on the network on that computer) before trusting "
            "it:\n\n{fingerprint}"
        )
    box.setInformativeText(text.format(fingerprint=pin_for_people(exc.presented)))
    label = _tr("Trust the new certificate") if changed else _tr("Trust and connect")
    trust = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered() -> None:
        trusted = box.clickedButton() is trust
        if trusted:
            connection.known.remember(exc.base_url, exc.presented)
            retry()
        if not answer.done():
            answer.set_result(trusted)

    box.finished.connect(answered)
    box.open()
    return answer


def offer_new_certificate(
    parent: QWidget,
    connection: AdminConnection,
    banner: Banner,
    exc: CertificateMismatch,
    retry: Callable[[], Awaitable[Any]],
) -> None:
    """A server whose certificate changed since it was trusted: refused, with the sentence saying so and a way
    to trust the new one after a warning (when its administrator made a new one)."""

    async def trust_new() -> None:
        if not await ask_to_trust(parent, connection, exc, lambda: None):
            raise exc  # still refused: the banner keeps saying so
        await retry()  # with the new fingerprint remembered

    action = BannerAction(_tr("Trust the new certificate…"), trust_new, _tr("Connecting…"), "trustNew")
    banner.show_message(exc.message, actions=[action])

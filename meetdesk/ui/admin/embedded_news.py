"""The embedded server's news in the main window: restarting, back, its port taken by another program, giving up.

The supervisor (client/supervisor.py) restarts this computer's server by itself; this presenter turns its
status into the header's state and the banner's sentence with what the user can do (Try again, Use port N),
and signs in again once a new process answers. Only while the embedded server is the one shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from meetdesk.client.embedded import EmbeddedServerError
from meetdesk.client.supervisor import SupervisorState, SupervisorStatus
from meetdesk.ui.admin.server_link import LinkState
from meetdesk.ui.admin.servers import EMBEDDED_PROFILE
from meetdesk.ui.banner import BannerAction

if TYPE_CHECKING:
    from meetdesk.ui.admin.main_window import MainWindow


class EmbeddedServerNews(QObject):
    """Listens to the embedded server's supervisor for ``window`` (stop it with :meth:`stop`)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.supervisor = window.connection.supervisor
        self.supervisor.add_listener(self.status_changed)

    def stop(self) -> None:
        self.supervisor.remove_listener(self.status_changed)

    def status_changed(self, status: SupervisorStatus) -> None:
        window = self.window
        if not window.showing_embedded():
            return
        link, banner = window.link, window.banner
        if status.state is SupervisorState.RESTARTING:
            link.set_state(LinkState.RESTARTING)
            if status.attempt <= 1:
                text = self.tr("The server on this computer stopped. Restarting it…")
            else:
                text = self.tr("The server on this computer stopped again. Restarting it (attempt {n} of {max})…")
                text = text.format(n=status.attempt, max=self.supervisor.policy.max_attempts)
            banner.show_message(text, kind="info", dismissable=False)
        elif status.state is SupervisorState.RUNNING and link.state is LinkState.RESTARTING:
            window.background(self._back_after_restart())
        elif status.state is SupervisorState.PORT_TAKEN:
            link.set_state(LinkState.NOT_CONNECTED)
            self._ask_about_port(status)
        elif status.state is SupervisorState.FAILED:
            link.set_state(LinkState.NOT_CONNECTED)
            again = BannerAction(self.tr("Try again"), self.start_again, self._starting_text(), "tryAgain")
            banner.show_message(self._failed_text(status), actions=[again])

    def _failed_text(self, status: SupervisorStatus) -> str:
        if status.lasting:
            return status.message  # what to change, in the server's settings' own words
        code = status.exit_code
        if code is None:
            how = self.tr("it did not answer in time")
        elif code < 0:
            how = self.tr("it was stopped by signal {signal}").format(signal=-code)
        else:
            how = self.tr("exit code {code}").format(code=code)
        if status.attempt:
            text = self.tr("The server on this computer keeps stopping, so MeetDesk stopped restarting it ({how}).")
        else:
            text = self.tr("The server on this computer did not start ({how}).")
        return text.format(how=how) + " " + self.tr("Its log is {path}.").format(path=status.log_file)

    def _starting_text(self, port: int | None = None) -> str:
        if port is None:
            return self.tr("Starting the server on this computer…")
        return self.tr("Starting the server on this computer on port {port}…").format(port=port)

    def _ask_about_port(self, status: SupervisorStatus) -> None:
        assert status.port is not None and status.suggestion is not None
        suggestion = status.suggestion
        self.window.banner.show_message(
            self.tr(
                "Port {port} is used by another program. Links you already shared point to it. "
                "Close that program and try again, or use port {other} (links shared before will not work)."
            ).format(port=status.port, other=suggestion),
            kind="question",
            actions=[
                BannerAction(self.tr("Try again"), self.start_again, self._starting_text(), "tryAgain"),
                BannerAction(
                    self.tr("Use port {port}").format(port=suggestion),
                    lambda: self.start_again(suggestion),
                    self._starting_text(suggestion),
                    "usePort",
                ),
            ],
            dismissable=False,
        )

    async def start_again(self, port: int | None = None) -> None:
        """Try again / Use port N: start this computer's server. A refusal raises, and is in the banner already
        (the supervisor's new status, :meth:`status_changed`)."""
        window = self.window
        window.link.set_state(LinkState.CONNECTING)
        try:
            if port is None:
                await self.supervisor.try_again()
            else:
                await self.supervisor.use_port(port)
        except EmbeddedServerError:
            window.link.set_state(LinkState.NOT_CONNECTED)
            raise
        if not await window.open_server(EMBEDDED_PROFILE):
            raise RuntimeError(window.banner.text.text())

    async def _back_after_restart(self) -> None:
        window = self.window
        try:
            client = await window.connection.reconnect()  # a new process: sign in again
        except Exception as exc:
            window.link.set_state(LinkState.NOT_CONNECTED)
            window.show_problem(exc, window.reconnect)
            return
        window.banner.hide()
        window.notify(self.tr("The server on this computer is running again."))
        window.connected_to(client)
        await window.rooms_page.reload()

"""The admin app's main window: the server switcher, the problem banner, and the pages (Rooms, Appearance,
Recordings, Kiosks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.embedded import EmbeddedServerError
from meetdesk.client.errors import (
    CertificateError,
    CertificateMismatch,
    ConnectionFailed,
    Unauthorized,
    UnknownCertificate,
)
from meetdesk.core.models import MeetRoom
from meetdesk.ui.admin.connection import AdminConnection, SignInNeeded
from meetdesk.ui.admin.embedded_news import EmbeddedServerNews
from meetdesk.ui.admin.kiosks_page import KiosksPage
from meetdesk.ui.admin.recordings_page import RecordingsPage
from meetdesk.ui.admin.rooms_page import RoomsPage
from meetdesk.ui.admin.server_link import LinkState, ServerLink
from meetdesk.ui.admin.servers import ServerProfile
from meetdesk.ui.admin.servers_dialog import SavedServers
from meetdesk.ui.admin.trust import ask_to_trust, offer_new_certificate
from meetdesk.ui.banner import Banner
from meetdesk.ui.icons import icon, with_selected_colour

if TYPE_CHECKING:
    from meetdesk.ui.admin.network_dialog import NetworkSettingsDialog
    from meetdesk.ui.meeting.window import ParticipantWindow

logger = logging.getLogger(__name__)

NOTICE_MS = 6000

#: the window's structure (sizes, spacing, the banner's alarm colours); colours otherwise come from the theme
STRUCTURE_QSS = """
#header { border-bottom: 1px solid palette(mid); }
#brand { font-size: 15pt; font-weight: 600; }
#pageTitle { font-size: 16pt; font-weight: 600; padding-bottom: 4px; }
#emptyTitle { font-size: 15pt; font-weight: 600; }
QListWidget#nav { border: none; border-right: 1px solid palette(mid); padding-top: 8px; }
QListWidget#nav::item { padding: 8px 12px; margin: 1px 6px; border-radius: 6px; }
QListWidget#nav::item:selected { background: palette(highlight); color: palette(highlighted-text); }
#banner { background: #fdecea; border: none; border-bottom: 1px solid #e8a39b; }
#bannerText { color: #7a1a12; }
#banner[kind="info"], #banner[kind="question"] { background: #e7f0fb; border-bottom: 1px solid #9dbce3; }
#banner[kind="info"] #bannerText, #banner[kind="question"] #bannerText { color: #0f3460; }
#banner[dark="true"] { background: #4a1f1c; border-bottom: 1px solid #8c3b33; }
#banner[dark="true"] #bannerText { color: #ffd9d4; }
#banner[dark="true"][kind="info"], #banner[dark="true"][kind="question"] {
    background: #172f4d; border-bottom: 1px solid #335a8a; }
#banner[dark="true"][kind="info"] #bannerText, #banner[dark="true"][kind="question"] #bannerText { color: #dbe8fa; }
#serverStateDot { font-size: 11pt; color: #8a8f98; }
#serverStateDot[state="connected"] { color: #2e9d57; }
#serverStateDot[state="connecting"], #serverStateDot[state="reconnecting"], #serverStateDot[state="restarting"] {
    color: #d08b00; }
#serverStateDot[state="not_connected"] { color: #d64541; }
"""
ADD_SERVER = "__add__"
MANAGE_SERVERS = "__manage__"


class MainWindow(QMainWindow):
    """Rooms and appearance of the connected server.

    Signals:
        connected(object): a server was opened (its MeetDeskClient).
        sharingChanged(object): this computer's server restarted with new NetworkSharing settings.
        closing(): the user closed the window (the app stops after cleaning up).
    """

    connected = Signal(object)
    closing = Signal()
    sharingChanged = Signal(object)

    def __init__(self, connection: AdminConnection, settings: QSettings, parent: Any = None) -> None:
        super().__init__(parent)
        self.connection = connection
        self.settings = settings
        self.participant_windows: set[ParticipantWindow] = set()
        self.setWindowTitle(self.tr("MeetDesk"))
        self.setAccessibleName(self.tr("MeetDesk"))
        self._connecting: asyncio.Task[bool] | None = None
        #: the server being opened or shown (the embedded server's news matter only while it is this one)
        self._wanted: ServerProfile | None = None
        self.link = ServerLink(self)
        self._build()
        self._fill_servers()
        if not self.restoreGeometry(settings.value("window/geometry", b"")):
            self.resize(1100, 720)

    # --- construction ------------------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        header = QWidget(central)
        header.setObjectName("header")
        bar = QHBoxLayout(header)
        bar.setContentsMargins(16, 8, 16, 8)
        brand = QLabel(self.tr("MeetDesk"), header)
        brand.setObjectName("brand")
        server_label = QLabel(self.tr("&Server:"), header)
        self.server_combo = QComboBox(header)
        self.server_combo.setAccessibleName(self.tr("Server"))
        self.server_combo.setMinimumContentsLength(24)
        server_label.setBuddy(self.server_combo)
        self.server_state = QLabel(self.link.text, header)
        self.server_state.setObjectName("serverState")
        self.server_state.setAccessibleName(self.tr("Connection state"))
        self.link.textChanged.connect(self.server_state.setText)
        # as wide as its longest words: the server picker does not jump when the state changes
        metrics = self.server_state.fontMetrics()
        self.server_state.setMinimumWidth(max(metrics.horizontalAdvance(text) for text in self.link.all_texts()))
        self.state_dot = QLabel("●", header)  # the state at a glance; its words are next to it
        self.state_dot.setObjectName("serverStateDot")
        self.state_dot.setAccessibleName(self.tr("Connection state"))
        self._show_state_dot(self.link.state)
        self.link.stateChanged.connect(self._show_state_dot)
        self.join_link_button = QPushButton(self.tr("Join with a link…"), header)
        self.join_link_button.setObjectName("joinLinkButton")
        self.join_link_button.setAccessibleName(self.tr("Join a meeting with a room link"))
        self.join_link_button.clicked.connect(self._ask_for_link)
        self.share_button = QToolButton(header)
        self.share_button.setIcon(icon("settings"))
        self.share_button.setText(self.tr("Share on the network…"))
        self.share_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.share_button.setAutoRaise(True)
        self.share_button.setObjectName("shareButton")
        self.share_button.setAccessibleName(self.tr("Share this computer's server on the network"))
        self.share_button.clicked.connect(self.open_network_settings)
        self._show_sharing()
        bar.addWidget(brand)
        bar.addStretch(1)
        bar.addWidget(self.share_button)
        bar.addWidget(self.join_link_button)
        bar.addWidget(server_label)
        bar.addWidget(self.server_combo)
        bar.addSpacing(4)
        bar.addWidget(self.state_dot)
        bar.addWidget(self.server_state)
        outer.addWidget(header)

        self.banner = Banner(central)
        outer.addWidget(self.banner)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        self.nav = QListWidget(central)
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName(self.tr("Pages"))
        self.nav.addItem(QListWidgetItem(self.tr("Rooms")))
        self.nav.addItem(QListWidgetItem(self.tr("Appearance")))
        self.nav.addItem(QListWidgetItem(self.tr("Recordings")))
        self.nav.addItem(QListWidgetItem(self.tr("Kiosks")))
        self._colour_nav_icons()
        self.nav.setFixedWidth(self.nav.fontMetrics().horizontalAdvance("M") * 16)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget(central)
        self.rooms_page = RoomsPage(None, self.pages)
        self.pages.addWidget(self.rooms_page)
        self.appearance_holder = QStackedWidget(self.pages)
        self.appearance_placeholder = QLabel(self.tr("Connect to a server to edit how its meetings look."))
        self.appearance_placeholder.setWordWrap(True)
        self.appearance_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.appearance_holder.addWidget(self.appearance_placeholder)
        self.theme_page: Any = None
        self.pages.addWidget(self.appearance_holder)
        self.recordings_page = RecordingsPage(None, self.pages)
        self.pages.addWidget(self.recordings_page)
        self.kiosks_page = KiosksPage(None, self.pages)
        self.pages.addWidget(self.kiosks_page)
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.setStyleSheet(STRUCTURE_QSS)

        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(0)
        self.server_combo.activated.connect(self._server_chosen)
        self.saved_servers = SavedServers(self.connection, self)
        self.saved_servers.listChanged.connect(self._fill_servers)
        self.saved_servers.connected.connect(self._server_edited)
        self.saved_servers.untrusted.connect(self._ask_to_trust)
        self.rooms_page.problem.connect(self.show_problem)
        self.rooms_page.notice.connect(lambda text: self.statusBar().showMessage(text, NOTICE_MS))
        self.rooms_page.joinRequested.connect(self._join_requested)
        self.rooms_page.recordingsRequested.connect(self._recordings_requested)
        self.kiosks_page.notice.connect(self.notify)
        self.banner.retried.connect(
            lambda: self.statusBar().showMessage(self.tr("Back in touch with the server."), NOTICE_MS)
        )
        self.link.recovered.connect(self._link_recovered)
        self.link.stateChanged.connect(self._link_state_changed)
        self.link.stateChanged.connect(lambda _state: self.rooms_page.set_unavailable(self.link.unavailable_reason()))
        self.rooms_page.set_unavailable(self.link.unavailable_reason())
        self.embedded_news = EmbeddedServerNews(self)
        if self.connection.credentials.fallback_reason:
            self.statusBar().showMessage(self.connection.credentials.fallback_reason)

    def _fill_servers(self) -> None:
        self.server_combo.blockSignals(True)
        self.server_combo.clear()
        for profile in self.connection.servers.profiles:
            text = profile.name if profile.is_embedded else f"{profile.name} ({profile.url})"
            self.server_combo.addItem(text, profile.key)
        self.server_combo.addItem(self.tr("Add a server…"), ADD_SERVER)
        self.server_combo.addItem(self.tr("Edit or remove saved servers…"), MANAGE_SERVERS)
        current = self.connection.profile.key if self.connection.profile else self.connection.servers.last
        self.server_combo.setCurrentIndex(max(0, self.server_combo.findData(current)))
        self.server_combo.blockSignals(False)

    def notify(self, text: str) -> None:
        self.statusBar().showMessage(text, NOTICE_MS)

    # --- connecting -----------------------------------------------------------------------------------------

    def show_problem(self, exc: BaseException, retry: Any = None) -> None:
        if isinstance(exc, CertificateMismatch) and not exc.from_link and retry is not None:
            offer_new_certificate(self, self.connection, self.banner, exc, retry)
            return
        if isinstance(exc, UnknownCertificate) and retry is not None:
            self.banner.show_problem(exc, retry)
            self._ask_to_trust(exc, lambda: self.background(self.banner.retry()))
            return
        if isinstance(exc, SignInNeeded):
            self.banner.show_message(str(exc))
            self._ask_sign_in(exc.profile, str(exc))
            return
        if isinstance(exc, EmbeddedServerError):
            return  # the supervisor's status is in the banner already (EmbeddedServerNews), with what to do
        if isinstance(exc, ConnectionFailed) and self.link.state in (LinkState.RECONNECTING, LinkState.RESTARTING):
            return  # the banner already says the server is away and what the app is doing about it
        profile = self.connection.profile
        if isinstance(exc, Unauthorized) or (isinstance(exc, ConnectionFailed) and profile and profile.is_embedded):
            retry = self.reconnect  # sign in again; for this computer's server, start it again if it stopped
        self.banner.show_problem(exc, retry)

    async def open_server(self, profile: ServerProfile, secret: str | None = None) -> bool:
        """Connect to a server and show its rooms; False (with the banner saying why) when it failed."""
        self._wanted = profile
        self.link.set_state(LinkState.CONNECTING)
        try:
            client = await self.connection.open(profile, secret)
        except Exception as exc:
            logger.info("Opening %s failed: %r", profile.key, exc)
            self.link.set_state(LinkState.NOT_CONNECTED)
            self.show_problem(exc, lambda: self._retry_open(profile))
            self._fill_servers()
            return False
        self.banner.hide()
        self._fill_servers()
        self.connected_to(client)
        try:
            await self.rooms_page.reload()
        except Exception:
            return False  # the rooms page reported it to the banner, with a retry
        return True

    async def _retry_open(self, profile: ServerProfile) -> None:
        if not await self.open_server(profile):
            raise RuntimeError(self.banner.text.text())

    async def reconnect(self) -> None:
        """The banner's retry after an expired session: sign in again, then reload the page."""
        client = await self.connection.reconnect()
        self.connected_to(client)
        await self.rooms_page.reload()

    def connected_to(self, client: MeetDeskClient) -> None:
        self._wanted = self.connection.profile
        self.link.set_state(LinkState.CONNECTED)
        self.link.watch(self.connection.answers)
        self._use_client(client)

    # --- the link's state: the header, and the banner for the server's own troubles -------------------------

    def showing_embedded(self) -> bool:
        return self._wanted is not None and self._wanted.is_embedded

    def _show_state_dot(self, state: LinkState) -> None:
        self.state_dot.setProperty("state", state.value)
        self.state_dot.style().unpolish(self.state_dot)
        self.state_dot.style().polish(self.state_dot)

    def _link_state_changed(self, state: LinkState) -> None:
        if state is LinkState.RECONNECTING:
            text = self.tr(
                "The server at {url} does not answer. MeetDesk keeps trying; the rooms shown may be out of date."
            )
            self.banner.show_message(
                text.format(url=self.connection.url or ""),
                kind="info",
                dismissable=False,
            )

    def _link_recovered(self) -> None:
        self.banner.hide()
        self.notify(self.tr("Back in touch with the server."))
        self.background(self.rooms_page.reload())

    def _recordings_requested(self, room: Any) -> None:
        """ "View recordings" on a room: the Recordings page, showing that room's only."""
        self.nav.setCurrentRow(self.pages.indexOf(self.recordings_page))
        self.recordings_page.show_room(room.roomId, room.roomName or room.roomId)

    def _use_client(self, client: MeetDeskClient) -> None:
        self.rooms_page.set_client(client)
        self.recordings_page.set_client(client)
        self.kiosks_page.set_client(client)
        self._install_theme_page(client)
        self.connected.emit(client)

    def _install_theme_page(self, client: MeetDeskClient) -> None:
        from meetdesk.ui.theme.editor import ThemeEditorPage

        if self.theme_page is not None:
            self.appearance_holder.removeWidget(self.theme_page)
            self.theme_page.deleteLater()
            self.theme_page = None
        if client.credentials.access_token is None:  # the appearance is an admin's, not an API key's, business
            self.appearance_placeholder.setText(
                self.tr("Sign in with the admin password to edit how meetings look: an API key manages rooms only.")
            )
            self.appearance_holder.setCurrentWidget(self.appearance_placeholder)
            return
        self.theme_page = ThemeEditorPage(client, self.appearance_holder)
        self.theme_page.themeApplied.connect(self._apply_theme)
        self.theme_page.problem.connect(lambda exc: self.show_problem(exc, self.theme_page.load))
        self.appearance_holder.addWidget(self.theme_page)
        self.appearance_holder.setCurrentWidget(self.theme_page)
        self.background(self.theme_page.load())

    _NAV_ICONS = ("join", "settings", "recording", "fullscreen")

    def _colour_nav_icons(self) -> None:
        """The selected page's icon in the highlighted text's colour, so that it shows on the highlight."""
        selected = QApplication.palette(self.nav).color(QPalette.ColorRole.HighlightedText)
        for row, name in enumerate(self._NAV_ICONS):
            self.nav.item(row).setIcon(with_selected_colour(name, selected))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._colour_nav_icons()  # a new theme: a new highlight
        super().changeEvent(event)

    def _apply_theme(self, theme: Any) -> None:
        from meetdesk.ui.theme.theming import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    def background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks = getattr(self, "_tasks", set())
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.info("Background request failed: %r", task.exception())

    @qasync.asyncSlot(int)
    async def _server_chosen(self, index: int) -> None:
        key = self.server_combo.itemData(index)
        if key == ADD_SERVER:
            self._fill_servers()  # back to the current one while the dialog is open
            self._ask_sign_in(None, None)
            return
        if key == MANAGE_SERVERS:
            self._fill_servers()
            self.saved_servers.manage()
            return
        profile = self.connection.servers.find(key)
        if profile is not None and profile != self.connection.profile:
            await self.open_server(profile)

    def _ask_sign_in(self, profile: ServerProfile | None, reason: str | None) -> None:
        from meetdesk.ui.admin.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self, profile, reason)
        dialog.submitted.connect(self._sign_in_submitted)
        dialog.open()

    @qasync.asyncSlot(object, object)
    async def _sign_in_submitted(self, dialog: Any, request: Any) -> None:
        profile, secret = request
        dialog.set_busy(True)
        try:
            client = await self.connection.open(profile, secret)
        except Exception as exc:
            dialog.set_busy(False)
            dialog.show_error(exc)
            if isinstance(exc, UnknownCertificate):
                self._ask_to_trust(exc, dialog.submit)
            return
        dialog.accept()
        self.banner.hide()
        self._fill_servers()
        self.connected_to(client)
        with contextlib.suppress(Exception):  # the rooms page reports a failed load itself, with a retry
            await self.rooms_page.reload()

    # --- sharing this computer's server, trusting other servers' certificates -----------------------------

    def open_network_settings(self) -> NetworkSettingsDialog:
        """The "Share on the network" dialog for this computer's server."""
        from meetdesk.ui.admin.network_dialog import NetworkSettingsDialog

        embedded = self.connection.embedded
        dialog = NetworkSettingsDialog(self, embedded.sharing, embedded.port, embedded.pin)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(self._sharing_submitted)
        dialog.open()
        return dialog

    def _show_sharing(self) -> None:
        """The header button says whether this computer's server is shared, and at which address."""
        sharing = self.connection.embedded.sharing
        if sharing.active:
            self.share_button.setText(self.tr("Shared at {address}").format(address=sharing.address))
            self.share_button.setToolTip(
                self.tr("The server on this computer is shared on the network: room links name {address}.").format(
                    address=sharing.address
                )
            )
        else:
            self.share_button.setText(self.tr("Share on the network…"))
            self.share_button.setToolTip(
                self.tr("The server on this computer is reached from this computer only. Share it on the network.")
            )

    @qasync.asyncSlot(object, object)
    async def _sharing_submitted(self, dialog: Any, sharing: Any) -> None:
        in_use = self.showing_embedded()
        before = self.link.state
        if in_use:  # the header says what happens; the checks wait (the server is away on purpose)
            self.link.set_state(LinkState.CONNECTING)
        try:
            client = await self.connection.share(sharing)
        except Exception as exc:
            logger.info("Sharing change failed: %r", exc)
            dialog.set_busy(False)
            dialog.show_error(exc)
            if in_use:
                self.link.set_state(LinkState.NOT_CONNECTED if self.connection.client is None else before)
            return
        dialog.accept()
        self._show_sharing()
        self.sharingChanged.emit(sharing)
        if client is None:
            self.notify(self.tr("Saved: the server on this computer uses it from its next start."))
            return
        self.banner.hide()
        self.connected_to(client)
        await self.rooms_page.reload()

    def _ask_to_trust(self, exc: CertificateError, retry: Any) -> asyncio.Future[bool]:
        return ask_to_trust(self, self.connection, exc, retry)

    @qasync.asyncSlot(object)
    async def _server_edited(self, client: MeetDeskClient) -> None:
        """A saved server took its new details and is the one in use now: show its rooms."""
        self.banner.hide()
        self.connected_to(client)
        await self.rooms_page.reload()

    def _join_requested(self, room: MeetRoom) -> None:
        if room.moderatorUrl:
            self.open_participant_window(room.moderatorUrl)

    def _ask_for_link(self) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("joinLinkDialog")
        dialog.setWindowTitle(self.tr("Join a meeting"))
        dialog.setLabelText(self.tr("Paste the room link you were sent:"))
        dialog.resize(520, dialog.sizeHint().height())
        clip = QGuiApplication.clipboard().text().strip()
        if "/room/" in clip:
            dialog.setTextValue(clip)
        dialog.textValueSelected.connect(lambda text: text.strip() and self.open_participant_window(text.strip()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_participant_window(self, link: str) -> ParticipantWindow:
        """A meeting window for ``link`` (its end view leads back here)."""
        from meetdesk.ui.meeting.window import ParticipantWindow

        window = ParticipantWindow(self.settings, admin=True)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.participant_windows.add(window)
        window.closing.connect(lambda: self._participant_window_closed(window))
        window.show()
        window.open_link(link)
        return window

    def _participant_window_closed(self, window: ParticipantWindow) -> None:
        self.participant_windows.discard(window)
        self.raise_()
        self.activateWindow()

    # --- closing --------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        for window in list(self.participant_windows):
            if window.meeting_page.in_meeting:  # ask first, as closing it directly would
                window.raise_()
                window.close()
                event.ignore()
                return
            window.close()
        self.link.stop()
        self.kiosks_page.live.stop()
        self.rooms_page.live.stop()  # while the loop still runs, so that its socket closes now, not at exit
        self.embedded_news.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        self.closing.emit()
        super().closeEvent(event)

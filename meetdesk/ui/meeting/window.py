"""The participant window: a room link → join view → device view → meeting → end view, and the room's recording
view (from the join view and from the meeting, or first and alone for a room's recordings link).

One window walks one person through one room link (``meetdesk open <link>``, a pasted link, or "Join"
in the rooms manager). The link is checked before anything is shown (a bad one gets the error page
saying why); the server's theme is applied to the whole window; devices open in the device view
and are released when the meeting ends.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QStackedWidget, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, Conflict
from meetdesk.client.links import RecordingsLink
from meetdesk.client.lobby import LinkProblem, RoomInfo, inspect_link, open_recordings_link, parse_any
from meetdesk.client.media.audio import AudioEngine
from meetdesk.client.media.local import LocalMedia
from meetdesk.client.signalling import SignallingError
from meetdesk.core.errors import ErrorCode
from meetdesk.ui.meeting.device_page import DevicePage
from meetdesk.ui.meeting.meeting_page import MeetingPage
from meetdesk.ui.meeting.pages import Card, EndPage, ErrorPage, JoinPage
from meetdesk.ui.meeting.recording_view import RecordingView
from meetdesk.ui.meeting.settings_dialog import DeviceSettingsDialog
from meetdesk.ui.messages import describe_error

logger = logging.getLogger(__name__)


class ParticipantWindow(QMainWindow):
    """One room link's way through the meeting.

    ``synthetic``: a test pattern and a tone (drawing ``source_id``) instead of the camera and microphone.
    ``admin``: opened from the rooms manager (the end view leads back to it). ``closing`` when the window goes.
    """

    closing = Signal()
    # "checking" | "error" | "join" | "devices" | "joining" | "meeting" | "ended" | "recordings"
    stageChanged = Signal(str)

    def __init__(
        self,
        settings: QSettings,
        *,
        synthetic: bool = False,
        source_id: int = 0,
        admin: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("participantWindow")
        self.setWindowTitle(self.tr("MeetDesk meeting"))
        self.settings = settings
        self.synthetic = synthetic
        self.source_id = source_id
        self.admin = admin
        self.info: RoomInfo | None = None
        self.link = ""
        self.name = ""
        self.local: LocalMedia | None = None
        self.audio: AudioEngine | None = None
        self.stage = ""
        self._task: asyncio.Task[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing_confirmed = False

        self.pages = QStackedWidget()
        self.checking = Card("checkingPage")
        self.error_page = ErrorPage()
        self.join_page = JoinPage()
        self.device_page = DevicePage(settings)
        self.meeting_page = MeetingPage()
        self.end_page = EndPage()
        self.recording_view = RecordingView()
        for page in (
            self.checking,
            self.error_page,
            self.join_page,
            self.device_page,
            self.meeting_page,
            self.end_page,
            self.recording_view,
        ):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.resize(1180, 760)
        if not admin:
            self._apply_product_theme()

        self.error_page.retryRequested.connect(lambda: self.open_link(self.link))
        self.error_page.otherLinkRequested.connect(self.open_link)
        self.join_page.nameChosen.connect(self._name_chosen)
        self.device_page.joinRequested.connect(lambda: self._spawn(self._join()))
        self.device_page.backRequested.connect(self._back_to_name)
        self.meeting_page.finished.connect(self._meeting_finished)
        self.meeting_page.fullscreenRequested.connect(self._fullscreen)
        self.meeting_page.settingsRequested.connect(self.open_settings)
        self.meeting_page.model.permissionsChanged.connect(self._permissions_changed)
        self.end_page.rejoinRequested.connect(self._rejoin)
        self.end_page.backRequested.connect(self.close)
        self.join_page.recordingsRequested.connect(lambda: self._spawn(self.recordings_from_join()))
        self.meeting_page.recordingsRequested.connect(self.recordings_from_meeting)
        self.recording_view.backRequested.connect(self._back_from_recordings)
        meeting = self.meeting_page.model
        meeting.recordingChanged.connect(self.recording_view.model.recording_event)
        meeting.permissionsChanged.connect(self._meeting_permissions_changed)

    # stages ----------------------------------------------------------------------------------------

    def _show(self, stage: str, page: QWidget) -> None:
        if stage != "recordings":
            self.recording_view.hidden()
        self.stage = stage
        self.pages.setCurrentWidget(page)
        self.stageChanged.emit(stage)

    def open_link(self, link: str) -> None:
        """Check ``link`` and go to the join view (or the error page)."""
        self.link = link.strip()
        self.checking.title.setText(self.tr("Opening the room…"))
        self.checking.text.setText(self.tr("Checking the link with its server."))
        self._show("checking", self.checking)
        self._spawn(self._check())

    async def _check(self) -> None:
        try:
            link = parse_any(self.link)
            if isinstance(link, RecordingsLink):
                await self._open_recordings_link(link)
                return
            info = await inspect_link(self.link)
        except LinkProblem as problem:
            if not self.admin:
                self._apply_product_theme()  # not the theme of a room an earlier link opened
            self.error_page.show_problem(problem)
            self._show("error", self.error_page)
            return
        self.info = info
        self.setWindowTitle(self.tr("{room} — MeetDesk").format(room=info.room_name))
        self._apply_theme(info)
        self.join_page.show_room(info, self.settings.value("participant/name", "", str))
        self._show("join", self.join_page)

    def _apply_product_theme(self) -> None:
        """MeetDesk's own theme (light or dark as the system prefers), for the pages before a room's theme is
        known. Opened from the rooms manager, the window keeps the manager's theme instead."""
        from meetdesk.core.theme import default_theme
        from meetdesk.ui.theme.theming import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
            apply_theme(app, default_theme("dark" if dark else "light"))

    def _apply_theme(self, info: RoomInfo) -> None:
        from meetdesk.ui.theme.theming import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, info.theme)

    def _name_chosen(self, name: str) -> None:
        self.name = name
        self.settings.setValue("participant/name", name)
        self._spawn(self._open_devices())

    async def _open_devices(self) -> None:
        info = self.info
        assert info is not None
        self._release_devices()
        self.audio = AudioEngine(speaker_name=None)
        self.local = LocalMedia(
            synthetic=self.synthetic, source_id=self.source_id, process_microphone=self.audio.process_microphone
        )
        self.device_page.show_join_error("")
        self._show("devices", self.device_page)
        await self.device_page.open(
            self.local,
            self.audio,
            room_name=info.room_name,
            backgrounds=info.can_change_background,
            name=self.name,
            initial=(info.initial_audio, info.initial_video),
        )

    def _back_to_name(self) -> None:
        self.device_page.close_preview()
        self._release_devices()
        self._show("join", self.join_page)

    async def _join(self) -> None:
        info, local = self.info, self.local
        assert info is not None and local is not None
        self.device_page.join.setEnabled(False)
        self.device_page.join.setText(self.tr("Joining…"))
        self.stageChanged.emit("joining")
        self.meeting_page.reset()
        try:
            await self.meeting_page.start(
                info,
                self.name,
                sources=local.publish_tracks(),
                self_view=local.preview() if local.has_camera else None,
                audio_enabled=self.device_page.audio_enabled,
                video_enabled=self.device_page.video_enabled,
                audio=self.audio,
                device_notes=(local.camera_note, local.microphone_note),
            )
        except (ApiError, SignallingError, OSError) as exc:
            logger.info("Joining failed: %s", exc)
            self.device_page.show_join_error(self._join_problem(exc))
            return
        self.device_page.close_preview()
        self._show("meeting", self.meeting_page)

    def _join_problem(self, exc: BaseException) -> str:
        if isinstance(exc, SignallingError) and exc.code is ErrorCode.MEETING_FULL:
            return self.tr("This meeting is full. You can join when someone leaves: press Join again then.")
        if (isinstance(exc, SignallingError) and exc.code is ErrorCode.ROOM_CLOSED) or isinstance(exc, Conflict):
            return self.tr(
                "The meeting is locked, or the room was closed: nobody new can join now. "
                "Ask a moderator to unlock it, then press Join again."
            )
        if isinstance(exc, ApiError):
            return describe_error(exc)
        return self.tr("Could not join the meeting: {reason}. Try again.").format(reason=exc)

    def _meeting_finished(self, reason: str, detail: str) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.reject()  # its devices go now
        self._release_devices()
        if self.isFullScreen():
            self._fullscreen(False)
        self.end_page.show_reason(reason, detail, can_go_back=self.admin)
        self.end_page.back.setText(self.tr("Back to rooms") if self.admin else self.tr("Close"))
        self.end_page.back.setVisible(True)
        self._show("ended", self.end_page)

    #: the open settings dialog (None when none is open)
    settings_dialog: DeviceSettingsDialog | None = None

    def open_settings(self) -> DeviceSettingsDialog | None:
        """The device settings during the meeting (window-modal; the devices are listed as it opens)."""
        info, local = self.info, self.local
        if info is None or local is None or self.stage != "meeting":
            return None
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = self.settings_dialog = DeviceSettingsDialog(self.settings, self)
        dialog.finished.connect(lambda _result: self._settings_closed(dialog))
        dialog.choices.devicesChanged.connect(self._devices_changed)
        model = self.meeting_page.model
        dialog.choices.mic_muted = not model.mic_on  # the level shows what the others hear
        dialog.open()
        self._spawn(
            dialog.show_devices(
                local,
                self.audio,
                backgrounds=self.meeting_page.model.permissions.canChangeVirtualBackground,  # now, not at join
                background=self.device_page.background,
                published=(model.has_camera, model.has_microphone),
            )
        )
        return dialog

    def _permissions_changed(self) -> None:
        """What the role may do changed (a role change, or the room's roles): the background choice follows at
        once, and a background in use is dropped, with a notice, when ``canChangeVirtualBackground`` goes.
        Backgrounds are applied on this computer, so this window is where that permission holds: the server
        never sees the camera's picture before the background, and cannot tell one is in use."""
        allowed = self.meeting_page.model.permissions.canChangeVirtualBackground
        if self.settings_dialog is not None:
            self.settings_dialog.choices.allow_backgrounds(allowed)
        local = self.local
        if allowed or local is None or self.device_page.background == "none":
            return
        local.set_background("none")
        self.device_page.choices.show_background("none")
        logger.info("Participant window: the background is off (the role may no longer change it)")
        self.meeting_page.toast(self.tr("Your role may no longer use a virtual background here, so it is off now."))

    def _settings_closed(self, dialog: DeviceSettingsDialog) -> None:
        if self.settings_dialog is dialog:
            self.settings_dialog = None
            self.device_page.choices.show_background(dialog.choices.background)

    def _devices_changed(self) -> None:
        """A device changed in the settings: the toolbar shows what is there now, and why not."""
        local = self.local
        if local is not None and self.stage == "meeting":
            self.meeting_page.model.set_devices(
                microphone=local.has_microphone,
                camera=local.has_camera,
                camera_note=local.camera_note or "",
                microphone_note=local.microphone_note or "",
            )

    # the recording view ----------------------------------------------------------------------------------

    async def recordings_from_join(self) -> None:
        """The room's recordings from the join view, with a token of the link that browses and joins nothing."""
        info = self.info
        if info is None or not info.can_see_recordings:
            return
        self.join_page.recordings.setEnabled(False)

        async def browse_token() -> str:
            assert info is not None
            async with MeetDeskClient(info.link.base_url, pin=info.link.pin) as api:
                return await api.participant_token(info.link.room_id, info.link.secret)

        try:
            token = await browse_token()
        except ApiError as exc:
            self.join_page.error.setText(
                self.tr("The recordings cannot be opened. {reason}").format(reason=describe_error(exc))
            )
            self.join_page.error.show()
            return
        finally:
            self.join_page.recordings.setEnabled(True)
        if self.stage != "join":
            return  # the user moved on meanwhile
        self.recording_view.model.open(
            info,
            lambda: token,
            origin="join",
            by_events=False,
            can_see=info.can_see_recordings,
            can_delete=info.permissions.canDeleteRecordings,
            renew=browse_token,
        )
        self._show("recordings", self.recording_view)

    async def _open_recordings_link(self, link: RecordingsLink) -> None:
        """A room's recordings link (``access.anonymous.recording.url``): its secret exchanged for a recording
        token, and the recording view as the window's only page (no join view, no meeting, no Back). Raises
        :class:`LinkProblem` (the error page says it)."""
        self.checking.title.setText(self.tr("Opening the recordings…"))
        access = await open_recordings_link(link)
        self.info = None  # no room to join from here
        self.setWindowTitle(self.tr("{room}: recordings — MeetDesk").format(room=access.room_name))
        if access.theme is not None:
            from meetdesk.ui.theme.theming import apply_theme

            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, access.theme)
        elif not self.admin:
            self._apply_product_theme()

        async def renew() -> str:
            async with MeetDeskClient(link.base_url, pin=link.pin) as api:
                return (await api.recordings_link_token(link.room_id, link.secret)).token

        room = RoomInfo(link=link.room_link, room_name=access.room_name, role="recordings")
        # what the server's rules let a recordings link do: list, play, download and share; never delete
        self.recording_view.model.open(
            room,
            lambda: access.token,
            origin="",
            by_events=False,
            can_see=True,
            can_delete=False,
            renew=renew,
            by_link=True,
        )
        self._show("recordings", self.recording_view)

    def recordings_from_meeting(self, recording_id: str = "") -> None:
        """The room's recordings from the meeting (which goes on behind), kept live by its events;
        ``recording_id``: one to highlight."""
        info, session = self.info, self.meeting_page.session
        if info is None or session is None or self.stage != "meeting":
            return
        model = self.meeting_page.model
        self.recording_view.model.open(
            info,
            lambda: session.token,
            origin="meeting",
            by_events=True,
            can_see=model.may("canRetrieveRecordings"),
            can_delete=model.may("canDeleteRecordings"),
        )
        self.recording_view.model.highlight(recording_id)
        self._show("recordings", self.recording_view)

    def _meeting_permissions_changed(self) -> None:
        """A role change in the meeting: the recording view opened from it offers what the role may now."""
        view = self.recording_view.model
        if view.origin == "meeting":
            model = self.meeting_page.model
            view.set_permissions(
                can_see=model.may("canRetrieveRecordings"), can_delete=model.may("canDeleteRecordings")
            )
            if self.stage == "recordings" and view.can_see:
                view.recordings.refresh()

    def _back_from_recordings(self) -> None:
        if self.recording_view.model.origin == "meeting" and self.meeting_page.in_meeting:
            self._show("meeting", self.meeting_page)
        elif self.info is not None:
            self._show("join", self.join_page)

    def _rejoin(self) -> None:
        self._spawn(self._open_devices())

    def _fullscreen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        else:
            self.showNormal()
        button = self.meeting_page.fullscreen_button
        button.blockSignals(True)
        button.setChecked(on)
        button.blockSignals(False)

    # plumbing --------------------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Participant window task failed", exc_info=task.exception())

    def _release_devices(self) -> None:
        if self.local is not None:
            self.local.close()
            self.local = None
        if self.audio is not None:
            self.audio.close()
            self.audio = None

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.meeting_page.in_meeting and not self._closing_confirmed:
            event.ignore()
            self._confirm_leave()
            return
        self.device_page.close_preview()
        self._release_devices()
        self.recording_view.stop()
        for task in self._tasks:
            task.cancel()
        self.closing.emit()
        super().closeEvent(event)

    def _confirm_leave(self) -> None:
        """Ask before a close takes the user out of the meeting (a window-modal box: no nested event loop)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Leave the meeting?"),
            self.tr("Closing this window takes you out of the meeting."),
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("confirmLeave")
        leave = box.addButton(self.tr("Leave meeting"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if box.clickedButton() is leave:
                self._closing_confirmed = True
                self._spawn(self._leave_and_close())

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    confirm_box: QMessageBox | None = None

    async def _leave_and_close(self) -> None:
        await self.meeting_page.leave()
        self.close()

"""The kiosk window: full screen, no window chrome, no way out without the admin PIN, and the stages of
:mod:`meetdesk.kiosk.stages` (home, joining, meeting, waiting to try again, restarting) on its pages.

It never gives up: a join that fails, or a meeting lost for good, leads to "Reconnecting in N s" and another
try, forever; inside the meeting the session itself resumes or rejoins (:mod:`meetdesk.ui.kiosk.meeting`).
It writes its heartbeat (:mod:`meetdesk.kiosk.health`) for the watchdog, checks its server and devices, leaves a
meeting where it has been alone too long, and restarts at its maintenance hour when idle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QWidget

from meetdesk.client.errors import ApiError
from meetdesk.client.lobby import LinkProblem, inspect_link
from meetdesk.client.media.audio import AudioEngine
from meetdesk.client.media.local import LocalMedia
from meetdesk.client.signalling import SignallingError
from meetdesk.core.signalling import LeftReason
from meetdesk.kiosk.config import ConfigProblem, KioskConfig, load_config
from meetdesk.kiosk.fleet import KioskRemoved
from meetdesk.kiosk.health import (
    HEARTBEAT_INTERVAL_S,
    DeviceKind,
    DeviceState,
)
from meetdesk.kiosk.pin import PinGuard
from meetdesk.kiosk.stages import Event, Stage, next_stage, retry_delay
from meetdesk.kiosk.volume import initial_volume, remember_volume
from meetdesk.ui.kiosk.fleet_control import KioskFleet
from meetdesk.ui.kiosk.health_watch import KioskHealthMixin
from meetdesk.ui.kiosk.meeting import KioskMeetingPage, kiosk_session
from meetdesk.ui.kiosk.pages import HomePage, KioskPage, ProblemPage, WaitingPage
from meetdesk.ui.kiosk.pin_dialog import PinDialog

logger = logging.getLogger(__name__)

#: how often the server and the devices are checked
HEALTH_INTERVAL_S = 5.0
#: the meeting ended for these reasons by someone's decision (not by trouble)
DECIDED = frozenset({LeftReason.MEETING_ENDED, LeftReason.PARTICIPANT_KICKED, LeftReason.ROOM_DELETED})
#: a kiosk restarts at its maintenance hour only after running this long (not again in the same hour)
MIN_UPTIME_FOR_MAINTENANCE_S = 3600.0


class KioskWindow(KioskHealthMixin, QMainWindow):
    """The kiosk. ``config`` (or the ``problem`` that stopped it from loading ``config_path``); ``state_dir``
    holds the heartbeat. ``source_id``: drawn into the synthetic devices' test pattern and tone.

    Signals:
        stageChanged(str): a :class:`~meetdesk.kiosk.stages.Stage` value.
        exitRequested(): the admin PIN was entered: the kiosk may close.
        restartRequested(): time for the kiosk to restart (maintenance, or the admin asked).
        configFixed(): the configuration file that had a problem now loads.
    """

    stageChanged = Signal(str)
    exitRequested = Signal()
    restartRequested = Signal()
    configFixed = Signal()

    def __init__(
        self,
        config: KioskConfig | None,
        state_dir: Path,
        *,
        problem: ConfigProblem | None = None,
        config_path: Path | None = None,
        source_id: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.FramelessWindowHint)
        self.setObjectName("kioskWindow")
        self.setWindowTitle(self.tr("MeetDesk kiosk"))
        self.config = config
        self.problem = problem
        self.config_path = config_path
        self.state_dir = state_dir
        self.source_id = source_id
        self.stage = Stage.HOME
        self.guard = PinGuard(config.admin_pin_hash) if config is not None and config.admin_pin_hash else None
        self.unlocked = False
        self.started = time.monotonic()
        self.last_error: str | None = None
        self.server_reachable: bool | None = None
        self.devices: dict[DeviceKind, DeviceState] = {}
        self.local: LocalMedia | None = None
        self.audio: AudioEngine | None = None
        self.pin_dialog: PinDialog | None = None
        self._attempt = 0
        self._retry_at = 0.0
        self._retry_reason = ""
        self._leaving: Event | None = None  # the event a leave of our own ends with (LEAVE, ALONE)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._member_token: str | None = None  # reads who is in the meeting (cannot join)
        self._speaker_gone = False  # the meeting's speaker was unplugged: sound goes nowhere until it is back
        self._volume_from_settings = False  # the volume is being set from the settings, not by a touch

        self.pages = QStackedWidget()
        self.home = HomePage()
        self.waiting = WaitingPage()
        self.meeting = KioskMeetingPage()
        self.problem_page = ProblemPage()
        for page in (self.home, self.waiting, self.meeting, self.problem_page):
            self.pages.addWidget(page)
            if isinstance(page, KioskPage):
                page.adminRequested.connect(self.ask_pin)
        # full screen on any screen: the pages fit the screen, never the window the pages (the meeting's toolbar
        # alone asks for more than a small screen's width)
        self.pages.setMinimumSize(1, 1)
        self.setCentralWidget(self.pages)
        self.home.joinRequested.connect(lambda: self.handle(Event.JOIN))
        self.waiting.retryNow.connect(lambda: self.handle(Event.RETRY_DUE))
        self.waiting.cancelRequested.connect(lambda: self.handle(Event.LEAVE))
        self.meeting.finished.connect(self._meeting_finished)
        self.meeting.toolbar.leaveRequested.disconnect()
        self.meeting.toolbar.leaveRequested.connect(lambda: self.leave(Event.LEAVE))
        self.meeting.model.countChanged.connect(self._count_changed)
        self.meeting.volume.volumeChanged.connect(self._volume_changed)

        self._retry_timer = QTimer(self)
        self._retry_timer.setInterval(250)
        self._retry_timer.timeout.connect(self._retry_tick)
        self._alone_timer = QTimer(self)
        self._alone_timer.setSingleShot(True)
        self._alone_timer.timeout.connect(lambda: self.leave(Event.ALONE))
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(int(HEARTBEAT_INTERVAL_S * 1000))
        self._heartbeat.timeout.connect(self.beat)
        self._health = QTimer(self)
        self._health.setInterval(int(HEALTH_INTERVAL_S * 1000))
        self._health.timeout.connect(lambda: self._spawn(self.check_health()))
        self._maintenance = QTimer(self)
        self._maintenance.setInterval(60_000)
        self._maintenance.timeout.connect(self._maintenance_check)
        self._watcher: QFileSystemWatcher | None = None
        #: an enrolled kiosk's link to its server (None: a kiosk with a room link)
        self.fleet: KioskFleet | None = None
        if config is not None and config.enrolled:
            self.fleet = KioskFleet(self)

    # starting --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Show the home screen (or the configuration's problem) and begin."""
        self._apply_product_theme()
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:  # without a window manager (a bare X session) full screen is only this geometry
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self._heartbeat.start()
        self.beat()
        if self.config is None:
            self._show_problem()
            return
        self.home.set_room(self.config.display_name or "")
        self._show_volume(initial_volume(self.state_dir, self.config.volume))
        self._health.start()
        self._maintenance.start()
        if self.fleet is not None:
            self._spawn(self.fleet.start())  # enrolled first; then the same as below
            return
        self._spawn(self.check_health())
        self.handle(Event.STARTED)

    def _show_problem(self) -> None:
        problem = self.problem or ConfigProblem("", self.tr("The configuration could not be read."))
        self.problem_page.show_problem(problem.field, problem.message, problem.source)
        self.pages.setCurrentWidget(self.problem_page)
        self.last_error = str(problem)
        self._watch_config()

    def _watch_config(self) -> None:
        if self.config_path is not None and self._watcher is None:
            # fixed in place, the file is used at once (an editor may replace the file: watch its folder too)
            self._watcher = QFileSystemWatcher([str(self.config_path), str(self.config_path.parent)], self)
            self._watcher.fileChanged.connect(self._config_changed)
            self._watcher.directoryChanged.connect(self._config_changed)

    def _config_changed(self, _path: str) -> None:
        assert self.config_path is not None
        try:
            load_config(self.config_path)
        except ConfigProblem as problem:
            self.problem = problem
            self.problem_page.show_problem(problem.field, problem.message, problem.source)
            return
        logger.info("Kiosk: the configuration now loads: restarting with it")
        self.configFixed.emit()

    def _apply_product_theme(self) -> None:
        from meetdesk.core.theme import default_theme
        from meetdesk.ui.theme.theming import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
            apply_theme(app, default_theme("dark" if dark else "light"))

    # stages ----------------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Move to the stage ``event`` leads to (nothing when it does not apply in this stage)."""
        if self.config is None or (self.fleet is not None and self.fleet.halted):
            return
        stage = next_stage(self.stage, event, self.config.join_policy)
        logger.info("Kiosk: %s in %s -> %s", event.value, self.stage.value, stage.value)
        if stage is self.stage:
            return
        self.stage = stage
        self._retry_timer.stop()
        if stage is Stage.HOME:
            self._attempt = 0
            self._alone_timer.stop()
            self._release_devices()
            self.home.set_status("")
            self.home.join.setEnabled(True)
            self.pages.setCurrentWidget(self.home)
            if self.fleet is not None:
                self.fleet.idle()  # settings pushed during the meeting apply now
        elif stage is Stage.JOINING:
            self.home.set_status(self.tr("Joining the meeting…"))
            self.home.join.setEnabled(False)
            if self.pages.currentWidget() is not self.waiting:
                self.pages.setCurrentWidget(self.home)
            self._spawn(self._join())
        elif stage is Stage.MEETING:
            self._attempt = 0
            self.last_error = None
            self.pages.setCurrentWidget(self.meeting)
            self._count_changed(self.meeting.model.count)
        elif stage is Stage.WAITING:
            self._alone_timer.stop()
            self._release_devices()
            delay = retry_delay(self._attempt)
            self._attempt += 1
            self._retry_at = time.monotonic() + delay
            self.pages.setCurrentWidget(self.waiting)
            self._retry_timer.start()
            self._retry_tick()
        elif stage is Stage.RESTARTING:
            self._release_devices()
            self.home.set_status(self.tr("Restarting…"))
            self.pages.setCurrentWidget(self.home)
            self.beat()
            self.restartRequested.emit()
        self.stageChanged.emit(stage.value)
        self.beat()
        if self.fleet is not None:
            self.fleet.changed()

    def _retry_tick(self) -> None:
        left = self._retry_at - time.monotonic()
        if left <= 0:
            self._retry_timer.stop()
            self.handle(Event.RETRY_DUE)
            return
        self.waiting.show_countdown(int(left + 0.999), self._retry_reason)

    async def _join(self) -> None:
        config = self.config
        assert config is not None
        try:
            if self.fleet is not None:
                info, name, session_factory = await self.fleet.room()
            else:
                assert config.room_link is not None and config.display_name is not None
                info, name, session_factory = await inspect_link(config.room_link), config.display_name, kiosk_session
            self.home.set_room(info.room_name)
            self._apply_theme(info.theme)
            self._release_devices()
            self.audio = AudioEngine(speaker_name=None if config.synthetic_devices else config.speaker)
            self.audio.volume = self.meeting.volume.volume / 100
            local = self.local = LocalMedia(
                synthetic=config.synthetic_devices,
                source_id=self.source_id,
                process_microphone=self.audio.process_microphone,
            )
            await local.use_camera(config.camera)
            await local.use_microphone(config.microphone)
            self.meeting.reset()
            await self.meeting.start(
                info,
                name,
                sources=local.publish_tracks(),
                self_view=local.preview() if local.has_camera else None,
                audio_enabled=True,
                video_enabled=True,
                audio=self.audio,
                device_notes=(local.camera_note, local.microphone_note),
                session_factory=session_factory,
            )
        except KioskRemoved:
            return  # the window shows it already
        except LinkProblem as problem:
            self._join_failed(problem.message)
            return
        except (ApiError, SignallingError, OSError) as exc:
            self._join_failed(str(exc))
            return
        if self.stage is not Stage.JOINING:  # left (or restarting) while joining
            self._spawn(self.meeting.leave())
            return
        self.handle(Event.JOINED)

    def _join_failed(self, reason: str) -> None:
        logger.info("Kiosk: joining failed: %s", reason)
        self.last_error = reason
        self._retry_reason = self.tr("Could not join the meeting: {reason}.").format(reason=reason.rstrip("."))
        self._release_devices()
        self.handle(Event.JOIN_FAILED)

    def _apply_theme(self, theme: Any) -> None:
        from meetdesk.ui.theme.theming import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication) and theme is not None:
            apply_theme(app, theme)

    def _meeting_finished(self, reason: str, detail: str) -> None:
        leaving, self._leaving = self._leaving, None
        self._release_devices()
        if leaving is not None:
            self.handle(leaving)
            return
        left = LeftReason(reason) if reason in LeftReason._value2member_map_ else LeftReason.UNKNOWN
        self.last_error = detail or left.value
        if left in DECIDED:
            self._retry_reason = self.tr("The meeting was ended.")
            self.handle(Event.ENDED)
        else:
            self._retry_reason = detail or self.tr("The connection to the meeting was lost.")
            self.handle(Event.LOST)

    def leave(self, why: Event) -> None:
        """Leave the meeting (a touch on Leave, nobody else there, the admin's request); ``why`` is LEAVE or ALONE."""
        if self.stage is not Stage.MEETING:
            self.handle(why)
            return
        if self._leaving is None:
            self._leaving = why
            self._spawn(self.meeting.leave())

    def _volume_changed(self, volume: int) -> None:
        """The level changed: heard at once; set by a touch, it is kept for the next start."""
        if self.audio is not None:
            self.audio.volume = volume / 100
        if self.config is not None and not self._volume_from_settings:
            remember_volume(self.state_dir, volume, self.config.volume)

    def _show_volume(self, volume: int) -> None:
        """Set the level from the settings (not a touch: nothing to remember)."""
        self._volume_from_settings = True
        try:
            self.meeting.volume.set_volume(volume)
        finally:
            self._volume_from_settings = False

    def apply_volume_setting(self, volume: int) -> None:
        """A new configured level (the admin's pushed settings, 0..100): heard at once, over an older touch."""
        if self.config is None or volume == self.config.volume:
            return
        self.config = self.config.model_copy(update={"volume": volume})
        self._show_volume(initial_volume(self.state_dir, volume))

    def _count_changed(self, count: int) -> None:
        """Alone in the meeting (only this kiosk): leave after the configured minutes, unless someone comes."""
        config = self.config
        if config is None or config.leave_when_alone_s is None or self.stage is not Stage.MEETING:
            self._alone_timer.stop()
            return
        if count <= 1:
            if not self._alone_timer.isActive():
                self._alone_timer.start(int(config.leave_when_alone_s * 1000))
        else:
            self._alone_timer.stop()

    def _maintenance_check(self) -> None:
        config = self.config
        if config is None or config.maintenance_hour is None or self.stage is not Stage.HOME:
            return
        if time.localtime().tm_hour == config.maintenance_hour and self.uptime > MIN_UPTIME_FOR_MAINTENANCE_S:
            logger.info("Kiosk: maintenance hour, idle: restarting")
            self.handle(Event.MAINTENANCE_DUE)

    # the fleet -------------------------------------------------------------------------------------

    def halt(self, reason: str) -> None:
        """Stop for good (removed from the server, not enrolled): out of any meeting, nothing retried."""
        logger.warning("Kiosk: stopping: %s", reason)
        self.last_error = reason
        for timer in (self._retry_timer, self._alone_timer, self._health, self._maintenance):
            timer.stop()
        if self.meeting.in_meeting:
            self._leaving = Event.LEAVE
            self._spawn(self.meeting.leave())
        else:
            self._release_devices()

    def show_notice(self, title: str, message: str, hint: str) -> None:
        self.problem_page.show_notice(title, message, hint)
        self.pages.setCurrentWidget(self.problem_page)
        self._watch_config()
        self.beat()

    # the way out -----------------------------------------------------------------------------------

    def ask_pin(self) -> PinDialog:
        """The PIN dialog (one at a time); the right PIN closes the kiosk."""
        if self.pin_dialog is not None:
            self.pin_dialog.raise_()
            return self.pin_dialog
        dialog = self.pin_dialog = PinDialog(self.guard, self)
        dialog.unlocked.connect(self._unlocked)
        dialog.finished.connect(lambda _result: setattr(self, "pin_dialog", None))
        dialog.open()
        # a kiosk may run without a window manager: nobody else puts the dialog above the full-screen window
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _unlocked(self) -> None:
        logger.info("Kiosk: admin PIN entered: closing")
        self.unlocked = True
        self._spawn(self._exit())

    async def _exit(self) -> None:
        if self.meeting.in_meeting:
            self._leaving = Event.LEAVE
            await self.meeting.leave()
        self.exitRequested.emit()
        self.close()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            event.accept()  # Escape never leaves full screen nor the kiosk
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.unlocked:
            event.ignore()  # Alt+F4, the window manager's close: refused, the PIN is asked for
            self.ask_pin()
            return
        self._stop()
        super().closeEvent(event)

    def _stop(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()
        for timer in (self._heartbeat, self._health, self._maintenance, self._retry_timer, self._alone_timer):
            timer.stop()
        self._release_devices()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()

    async def shutdown(self) -> None:
        """Leave the meeting if in one, stop everything and wait for the window's tasks to end; then close."""
        self.unlocked = True
        if self.meeting.in_meeting:
            self._leaving = Event.LEAVE
            await self.meeting.leave()
        self._stop()
        current = asyncio.current_task()
        await asyncio.gather(*(task for task in self._tasks if task is not current), return_exceptions=True)
        self.close()

    # plumbing --------------------------------------------------------------------------------------

    def _release_devices(self) -> None:
        self._speaker_gone = False
        self.meeting.volume_control.set_note(None)
        if self.local is not None:
            self.local.close()
            self.local = None
        if self.audio is not None:
            self.audio.close()
            self.audio = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.last_error = str(exc)
            logger.error("Kiosk task failed", exc_info=exc)

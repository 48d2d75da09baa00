"""An enrolled kiosk's link to its fleet, on the kiosk window's side: enrolment at start, its room and tokens from
the server, heartbeats, and the admin's commands carried out (join, leave, restart, settings, logs).

Settings pushed by the admin are applied at once when the kiosk is idle (its home screen), after the meeting
otherwise; the heartbeat says which version runs. A credential the server refuses ends it all: the kiosk shows
"This kiosk was removed from the server".
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from meetdesk import __version__
from meetdesk.client.api import MeetDeskClient, RoomLink
from meetdesk.client.lobby import RoomInfo
from meetdesk.client.session import MeetingSession
from meetdesk.core.kiosks import (
    Command,
    Heartbeat,
    KioskDevice,
    KioskDevices,
    KioskSettings,
    KioskState,
    ServerMessage,
    SettingsPush,
    Welcome,
    listed,
)
from meetdesk.core.permissions import DEFAULT_SPEAKER
from meetdesk.kiosk.fleet import (
    EnrolmentProblem,
    FleetCredentials,
    FleetIdentity,
    FleetLink,
    KioskRemoved,
    enrol,
    room_token,
    split_server,
)
from meetdesk.kiosk.logs import recent_log
from meetdesk.kiosk.stages import Event, Stage
from meetdesk.ui.kiosk.meeting import kiosk_session

if TYPE_CHECKING:
    from meetdesk.ui.kiosk.window import KioskWindow

logger = logging.getLogger(__name__)

#: a kiosk stage as the fleet reports it
STATES: dict[Stage, KioskState] = {
    Stage.HOME: "home",
    Stage.JOINING: "starting",
    Stage.MEETING: "meeting",
    Stage.WAITING: "reconnecting",
    Stage.RESTARTING: "starting",
}
SETTINGS_FILE = "fleet-settings.json"


class KioskFleet(QObject):
    """The window's fleet side (only for a kiosk configured with a server and no room link).

    Signals:
        removed(): the server refused the kiosk's credential (the window says so).
        enrolmentFailed(str): the code was refused (a sentence; the window says so).
    """

    removed = Signal()
    enrolmentFailed = Signal(str)

    def __init__(self, window: KioskWindow) -> None:
        super().__init__(window)
        config = window.config
        assert config is not None and config.server is not None
        self.window = window
        self.server = config.server
        self.code = config.enrolment_code
        secrets_dir = window.config_path.parent if window.config_path is not None else window.state_dir
        self.credentials = FleetCredentials(window.state_dir, secrets_dir)
        self.identity: FleetIdentity | None = None
        self.link: FleetLink | None = None
        self.settings_version = 0
        self.pending: SettingsPush | None = None
        self.is_removed = False
        #: the room's name as the server last gave it (the home screen shows it; None: not known yet)
        self.room_name: str | None = None
        #: why the kiosk stopped for good ("removed", "not_enrolled"), for its heartbeat file; None: it runs
        self.halted: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.removed.connect(self._show_removed)
        self.enrolmentFailed.connect(self._show_not_enrolled)

    # starting --------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Enrolled (now, with the code, or before): the link runs and the kiosk starts; else it says why."""
        self.identity = self.credentials.load(self.server)
        if self.identity is not None:
            self._restore_settings()
        elif self.code:
            if not await self._enrol():
                return
        else:
            self.enrolmentFailed.emit(
                self.tr("This kiosk is not enrolled yet. Start it with the code from the admin app's Kiosks page.")
            )
            return
        self._connect()
        await self.window.check_health()
        self.window.handle(Event.STARTED)

    async def _enrol(self) -> bool:
        assert self.code is not None
        attempt = 0
        while True:
            self.window.home.set_status(self.tr("Enrolling this kiosk on {server}…").format(server=self.base_url))
            try:
                self.identity, enrolment = await enrol(self.server, self.code)
                break
            except EnrolmentProblem as problem:
                logger.warning("Kiosk: enrolment failed: %s", problem.message)
                if not problem.retry:
                    self.enrolmentFailed.emit(problem.message)
                    return False
                self.window.home.set_status(problem.message)
                attempt += 1
                await asyncio.sleep(min(30.0, 2.0 * attempt))
        self.credentials.save(self.identity)
        self._apply(enrolment.settings, 1)
        self.window.home.set_status("")
        return True

    def _connect(self) -> None:
        assert self.identity is not None
        self.link = FleetLink(self.identity, self.heartbeat, self._message, self._removed)
        self._task = asyncio.create_task(self.link.run(), name="kiosk-fleet")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    @property
    def base_url(self) -> str:
        return split_server(self.server)[0]

    # the room --------------------------------------------------------------------------------------

    async def token(self) -> str:
        assert self.identity is not None
        try:
            granted = await room_token(self.identity)
        except KioskRemoved:
            self._removed()
            raise
        self._named(granted.roomName)
        return granted.token

    async def room(self) -> tuple[RoomInfo, str, Any]:
        """What the meeting page needs to join: the room, the name, and a session factory whose tokens come from
        the server (a rejoin asks again). Raises :class:`KioskRemoved` or the client's ApiError."""
        identity = self.identity
        assert identity is not None
        try:
            granted = await room_token(identity)
        except KioskRemoved:
            self._removed()
            raise
        self._named(granted.roomName)
        async with identity.client() as api:
            roles = await api.room_roles(granted.roomId)
            theme = await api.get_appearance()
        speaker = next((role for role in roles if role.role.value == "speaker"), None)
        link = RoomLink(identity.base_url, granted.roomId, "", identity.pin)
        info = RoomInfo(
            link=link,
            room_name=granted.roomName,
            role="speaker",
            permissions=speaker.permissions.openvidu.permissions if speaker is not None else DEFAULT_SPEAKER,
            theme=theme if theme is not None and theme.enabled else None,
        )
        tokens = iter([granted.token])  # the first join uses this one; later ones ask again

        async def next_token() -> str:
            return next(tokens, None) or await self.token()

        def factory(_url: str, name: str, **kwargs: Any) -> MeetingSession:
            return kiosk_session(link, name, token_source=next_token, **kwargs)

        return info, granted.participantName, factory

    def _named(self, room_name: str) -> None:
        """The home screen shows the room's name (a renamed room too), from the server's answers."""
        if room_name != self.room_name:
            self.room_name = room_name
            self.window.home.set_room(room_name)

    async def presence_client(self) -> MeetDeskClient:
        """A client of the server holding a token of the room (to read who is in the meeting)."""
        api = MeetDeskClient(self.base_url, timeout=3.0, pin=split_server(self.server)[1])
        api.credentials.participant_token = await self.token()
        return api

    # the server's messages -------------------------------------------------------------------------

    def _message(self, message: ServerMessage) -> None:
        if isinstance(message, Welcome):
            if message.settingsVersion != self.settings_version:
                self.settings(SettingsPush(settings=message.settings, settingsVersion=message.settingsVersion))
        elif isinstance(message, SettingsPush):
            self.settings(message)
        elif isinstance(message, Command):
            self.command(message.action)

    def command(self, action: str) -> None:
        window = self.window
        logger.info("Kiosk: the admin asks to %s", action)
        if action == "join":
            window.handle(Event.JOIN)
        elif action == "leave":
            window.leave(Event.LEAVE)
        elif action == "restart":
            window.handle(Event.RESTART)
        elif action == "sendLogs":
            text = recent_log(window.state_dir / "logs", "kiosk")  # masked when written
            if self.link is not None:
                asyncio.create_task(self.link.send_logs(text), name="kiosk-logs")  # noqa: RUF006 - one send

    def settings(self, push: SettingsPush) -> None:
        """New settings: at once when idle, else once the kiosk is back on its home screen."""
        if self.window.stage is Stage.HOME:
            self._apply(push.settings, push.settingsVersion)
        else:
            logger.info("Kiosk: settings version %d kept for after the meeting", push.settingsVersion)
            self.pending = push

    def idle(self) -> None:
        """The kiosk is back on its home screen: settings that waited apply now."""
        if self.pending is not None:
            push, self.pending = self.pending, None
            self._apply(push.settings, push.settingsVersion)

    def _apply(self, settings: KioskSettings, version: int) -> None:
        window = self.window
        config = window.config
        assert config is not None
        window.config = config.model_copy(
            update={
                "display_name": settings.displayName or config.display_name,
                "camera": settings.camera,
                "microphone": settings.microphone,
                "speaker": settings.speaker,
                "join_policy": settings.joinPolicy,
                "leave_when_alone_minutes": float(settings.leaveWhenAloneMinutes or 0),
                "maintenance_hour": settings.maintenanceHour,
            }
        )
        window.apply_volume_setting(settings.volume)  # over an older touch, only when the admin's level changes
        self.settings_version = version
        self._save_settings(settings, version)
        logger.info("Kiosk: settings version %d applied", version)
        window.home.set_room(self.room_name or window.config.display_name or "")  # the room's, once known
        if self.link is not None:
            self.link.beat_now()
        window._spawn(window.check_health())

    def _save_settings(self, settings: KioskSettings, version: int) -> None:
        path = self.window.state_dir / SETTINGS_FILE
        try:
            path.write_text(json.dumps({"settings": settings.model_dump(), "version": version}), encoding="utf-8")
        except OSError as exc:
            logger.warning("Kiosk: could not keep the settings: %s", exc)

    def _restore_settings(self) -> None:
        try:
            data = json.loads((self.window.state_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
            settings, version = KioskSettings.model_validate(data["settings"]), int(data["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        self._apply(settings, version)

    def _removed(self) -> None:
        if self.is_removed:
            return
        self.is_removed = True
        self.credentials.forget(self.server)
        self.stop()
        self.removed.emit()

    def _show_removed(self) -> None:
        window = self.window
        self.halted = "removed"
        window.halt(self.tr("This kiosk was removed from the server."))
        window.show_notice(
            self.tr("This kiosk was removed from the server"),
            self.tr("An administrator removed this kiosk, or enrolled it again with a new code."),
            self.tr(
                "To use this computer as a kiosk again, add it on the admin app's Kiosks page and start it with "
                "the new enrolment code."
            ),
        )

    def _show_not_enrolled(self, message: str) -> None:
        window = self.window
        self.halted = "not_enrolled"
        window.halt(message)
        if window.config_path is not None:
            hint = self.tr(
                "Put the new code in {file} (enrolment_code). The kiosk starts by itself as soon as the file is saved."
            ).format(file=window.config_path)
        else:
            hint = self.tr("Start the kiosk again with --enrol and the new code.")
        window.show_notice(self.tr("This kiosk could not be enrolled"), message, hint)

    # the heartbeat ---------------------------------------------------------------------------------

    def heartbeat(self) -> Heartbeat:
        window = self.window
        state = STATES.get(window.stage, "unknown")
        if window.stage is Stage.MEETING and window.meeting.reconnect_in is not None:
            state = "reconnecting"
        config = window.config
        wanted = {"camera": config.camera, "microphone": config.microphone, "speaker": config.speaker} if config else {}
        devices: dict[str, KioskDevice] = {}
        for kind, name in wanted.items():
            found = window.devices.get(kind)
            if found is None:
                devices[kind] = KioskDevice(name=name, found=False)
            else:
                devices[kind] = KioskDevice(
                    name=found.found or found.wanted, found=not found.missing, available=listed(found.available)
                )
        return Heartbeat(
            state=state,
            devices=KioskDevices(**devices),
            version=__version__,
            uptimeSeconds=round(window.uptime, 1),
            lastError=(window.last_error or None) and window.last_error[:2000],
            settingsVersion=self.settings_version,
        )

    def changed(self) -> None:
        if self.link is not None:
            self.link.beat_now()

"""The kiosk window's watch over its surroundings: whether the server answers and who is in the meeting (the home
screen's presence line), which of its devices are plugged in (by name), following them in the meeting (an unplugged
device stops being used and the meeting goes on; plugged back, it is used again without a touch), and the
heartbeat it writes for the watchdog (:mod:`meetdesk.kiosk.health`).

:class:`KioskHealthMixin` is part of :class:`~meetdesk.ui.kiosk.window.KioskWindow`; it reads and sets the
window's state (its config, stage, meeting page, devices in use).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, NotFound, Unauthorized
from meetdesk.client.media.audio import AudioEngine
from meetdesk.client.media.local import LocalMedia
from meetdesk.client.session import SessionState
from meetdesk.kiosk.config import KioskConfig
from meetdesk.kiosk.fleet import KioskRemoved
from meetdesk.kiosk.health import DeviceKind, DeviceState, Heartbeat, device_states, write_heartbeat
from meetdesk.kiosk.stages import Stage
from meetdesk.ui.kiosk.fleet_control import KioskFleet
from meetdesk.ui.kiosk.meeting import KioskMeetingPage
from meetdesk.ui.kiosk.pages import HomePage, device_text

logger = logging.getLogger("meetdesk.ui.kiosk.window")  # the window's own log lines, as before the split


class KioskHealthMixin:
    """The server, presence, devices and heartbeat part of the kiosk window (a QMainWindow: ``tr`` is its)."""

    # the window's state this part reads and sets (KioskWindow.__init__ sets them all)
    config: KioskConfig | None
    fleet: KioskFleet | None
    stage: Stage
    state_dir: Path
    started: float
    last_error: str | None
    server_reachable: bool | None
    devices: dict[DeviceKind, DeviceState]
    local: LocalMedia | None
    audio: AudioEngine | None
    home: HomePage
    meeting: KioskMeetingPage
    _retry_at: float
    _member_token: str | None
    _speaker_gone: bool

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started

    async def check_health(self) -> None:
        """Whether the server answers, and which of the devices are there (by name)."""
        config = self.config
        if config is None or (self.fleet is not None and (self.fleet.identity is None or self.fleet.halted)):
            return
        where = self.fleet.identity if self.fleet is not None and self.fleet.identity is not None else config.link
        base_url, pin = where.base_url, where.pin
        presence: list[str] | None = None
        try:
            async with MeetDeskClient(base_url, timeout=3.0, pin=pin) as api:
                await api.get_security()
                self.server_reachable = True
                presence = await self._presence(api)
        except KioskRemoved:
            return  # the window shows it already
        except (ApiError, OSError):
            self.server_reachable = False
        self.home.set_presence(presence)
        wanted: dict[DeviceKind, str | None] = {
            "camera": config.camera,
            "microphone": config.microphone,
            "speaker": config.speaker,
        }
        self.devices = await asyncio.to_thread(
            device_states, wanted, synthetic=config.synthetic_devices, state_dir=self.state_dir
        )
        self.home.set_health(self.server_reachable, dict(self.devices))
        if self.stage is Stage.MEETING:
            await self._follow_devices()

    async def _follow_devices(self) -> None:
        """In the meeting: a device unplugged (camera, microphone, speaker) stops being used (the meeting goes on
        without it); plugged back, it is used again, without a touch."""
        local, config = self.local, self.config
        if local is None or config is None:
            return
        camera, microphone = self.devices.get("camera"), self.devices.get("microphone")
        changed = False
        if camera is not None and camera.missing and local.has_camera:
            logger.warning("Kiosk: the camera %r is gone: the meeting goes on without it", camera.wanted)
            local.release_camera(device_text(self, camera))
            changed = True
        elif camera is not None and not camera.missing and not local.has_camera:
            logger.info("Kiosk: the camera %r is back", camera.found)
            changed = await local.use_camera(camera.found)
        if microphone is not None and microphone.missing and local.has_microphone:
            logger.warning("Kiosk: the microphone %r is gone: the meeting goes on without it", microphone.wanted)
            local.release_microphone(device_text(self, microphone))
            changed = True
        elif microphone is not None and not microphone.missing and not local.has_microphone:
            logger.info("Kiosk: the microphone %r is back", microphone.found)
            changed = await local.use_microphone(microphone.found) or changed
        speaker, audio = self.devices.get("speaker"), self.audio
        if speaker is not None and audio is not None:
            if speaker.missing and not self._speaker_gone:
                logger.warning("Kiosk: the speaker %r is gone: the meeting goes on without sound", speaker.wanted)
                self._speaker_gone = True
                audio.release_speaker(device_text(self, speaker))
            elif not speaker.missing and self._speaker_gone:
                logger.info("Kiosk: the speaker %r is back", speaker.found)
                self._speaker_gone = False
                # synthetic devices: the speaker opened at the start (the null one here), as at the join
                audio.use_speaker(None if config.synthetic_devices else speaker.found)
            self.meeting.volume_control.set_note(device_text(self, speaker) if self._speaker_gone else None)
        if changed:
            self.meeting.model.set_devices(
                microphone=local.has_microphone,
                camera=local.has_camera,
                camera_note=local.camera_note or "",
                microphone_note=local.microphone_note or "",
            )

    async def _presence(self, api: MeetDeskClient) -> list[str] | None:
        """Who is in the room's meeting now, by name (public meetings API, as a member of the room with a token
        that cannot join); None when the server does not say."""
        config = self.config
        assert config is not None
        fleet = self.fleet
        room_id = fleet.identity.room_id if fleet is not None and fleet.identity is not None else config.link.room_id
        for _ in range(2):  # a token the server no longer takes (restarted with a new key): once more, new
            if self._member_token is None:
                self._member_token = (
                    await fleet.token()
                    if fleet is not None
                    else await api.participant_token(config.link.room_id, config.link.secret)
                )
            api.credentials.participant_token = self._member_token
            try:
                people = await api.meeting_participants(room_id)
            except NotFound:
                return []  # no meeting: nobody
            except Unauthorized:
                self._member_token = None
                continue
            mine = (
                self.meeting.session.joined.you.identity
                if self.meeting.in_meeting and self.meeting.session and self.meeting.session.joined
                else None
            )
            return [p.participantName for p in people if p.participantIdentity != mine]
        return None

    def heartbeat(self) -> Heartbeat:
        session = self.meeting.session
        connected = self.stage is Stage.MEETING and session is not None and session.state is SessionState.CONNECTED
        reconnect_in = self.meeting.reconnect_in if self.stage is Stage.MEETING else None
        if self.stage is Stage.WAITING:
            reconnect_in = max(0.0, self._retry_at - time.monotonic())
        received: dict[str, int] = {}
        if session is not None and self.stage is Stage.MEETING:
            for track in session.remote.values():
                received[track.kind] = received.get(track.kind, 0) + track.frames
        return Heartbeat(
            pid=os.getpid(),
            stage=self._stage_name(),
            connected=connected,
            reconnect_in=reconnect_in,
            frames_received=received,
            devices_found={kind: s.found for kind, s in self.devices.items() if s.found is not None},
            devices_missing={kind: s.wanted or "" for kind, s in self.devices.items() if s.missing},
            server_reachable=self.server_reachable,
            uptime_s=round(self.uptime, 1),
            last_error=self.last_error,
        )

    def _stage_name(self) -> str:
        if self.config is None:
            return "misconfigured"
        return (self.fleet.halted if self.fleet is not None else None) or self.stage.value

    def beat(self) -> None:
        try:
            write_heartbeat(self.state_dir, self.heartbeat())
        except OSError as exc:
            logger.warning("Kiosk: could not write the heartbeat: %s", exc)

"""The fleet service: kiosks added by admins, enrolled with a one-time code, reporting heartbeats, and driven
remotely (join, leave, restart, settings, logs).

- An enrolment code is one-time and valid :data:`~meetdesk.core.kiosks.CODE_TTL_S`; only its hash is kept, so
  it is shown once (in the answer that made it). Wrong codes are limited per address.
- A credential is ``secrets.token_urlsafe(32)``, kept hashed; deleting the kiosk or enrolling it again voids it
  at once: its socket is closed and its participant is removed from the meeting (its tokens revoked).
- Online means a heartbeat within ``kiosk_offline_after`` seconds (60); a sweep every ``kiosk_sweep_interval``
  seconds (5) announces the kiosks that went quiet (``KioskUpdated``).
- What must outlive a restart is in the store: pushed settings (versioned in the kiosk's row; a kiosk that
  connects gets them in its welcome, and pendingSettings shows until it reports them applied), the last logs a
  kiosk sent, and commands for a kiosk that counts as online but has no socket at that moment (its server just
  restarted). Join, leave, restart and logs for an **offline** kiosk are refused (409): run an hour later, they
  would surprise the people in the room. Likewise a waiting command is delivered only if the kiosk connects
  within ``kiosk_offline_after`` seconds of it; older ones are dropped (and logged).
- A kiosk's meeting identity is ``kiosk-<kioskId>-<enrolment>``: a speaker in its room, named by its settings
  (a new join replaces its older seat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass

from meetdesk.core.claims import TokenGrants, participant_claims
from meetdesk.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from meetdesk.core.events import KioskRemoved, KioskUpdated
from meetdesk.core.kiosks import (
    CLOSE_KIOSK_REMOVED,
    CODE_TTL_S,
    HEARTBEAT_INTERVAL_S,
    ActionAccepted,
    Command,
    Enrolment,
    Heartbeat,
    Kiosk,
    KioskAction,
    KioskCreate,
    KioskLogs,
    KioskSettings,
    KioskToken,
    KioskUpdate,
    SettingsPush,
    WaitingAction,
    Welcome,
    new_credential,
    new_enrolment_code,
)
from meetdesk.core.models import RoomStatus, now_ms
from meetdesk.core.permissions import Role
from meetdesk.server.auth import PARTICIPANT_TTL_S, TokenService
from meetdesk.server.events import EventHub
from meetdesk.server.kiosks.links import KioskLink, Links
from meetdesk.server.meeting.engine import MeetingEngine
from meetdesk.server.ratelimit import SlidingWindow
from meetdesk.server.store.kiosks import KioskRecord, KioskStatus, KioskStore
from meetdesk.server.store.revocations import RevocationStore
from meetdesk.server.store.rooms import RoomStore

logger = logging.getLogger(__name__)

OFFLINE = "The kiosk is offline."


@dataclass(frozen=True)
class FleetTimes:
    """Seconds without a heartbeat before a kiosk is offline, and between two sweeps looking for such kiosks."""

    offline_after: float = 60.0
    sweep_interval: float = 5.0

    @property
    def heartbeat_interval(self) -> float:
        """What kiosks are told to beat at: 10 s, or more often when the offline delay is short (tests)."""
        return min(HEARTBEAT_INTERVAL_S, self.offline_after / 4)


def kiosk_identity(record: KioskRecord) -> str:
    return f"kiosk-{record.kiosk_id}-{record.generation}"


def _missing(kiosk_id: str) -> NotFound:
    return NotFound(f"Kiosk '{kiosk_id}' does not exist", error="Kiosk Error")


class FleetService:
    def __init__(
        self,
        store: KioskStore,
        rooms: RoomStore,
        meetings: MeetingEngine,
        revocations: RevocationStore,
        tokens: TokenService,
        events: EventHub,
        times: FleetTimes,
    ) -> None:
        self.store = store
        self._rooms = rooms
        self._meetings = meetings
        self._revocations = revocations
        self._tokens = tokens
        self._events = events
        self.times = times
        self.links = Links()
        self._online: set[str] = set()  # kiosks last announced online
        self._wrong_codes = SlidingWindow(
            10, 60, "Too many wrong enrolment codes from this address. Try again in {seconds} s"
        )
        self._sweeper: asyncio.Task[None] | None = None

    # lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Kiosks seen recently before a restart count as online until the sweep finds them quiet."""
        self._online = {record.kiosk_id for record in await self.store.all() if self._is_online(record)}
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.times.sweep_interval)
            try:
                await self.sweep()
            except Exception:  # a database hiccup: the next sweep tries again
                logger.exception("Fleet: the offline sweep failed")

    async def sweep(self) -> None:
        """Announce every kiosk that went quiet since the last sweep."""
        for kiosk_id in list(self._online):
            record = await self.store.get(kiosk_id)
            if record is None:
                self._online.discard(kiosk_id)
            elif not self._is_online(record):
                self._online.discard(kiosk_id)
                logger.info("Kiosk(%s) went offline (no heartbeat for %.0f s)", kiosk_id, self.times.offline_after)
                await self._announce(record)

    # views -----------------------------------------------------------------------------------------

    def _is_online(self, record: KioskRecord) -> bool:
        """A recent heartbeat from the credential in force (a kiosk waiting to enrol again has none)."""
        if not record.enrolled or record.last_seen_at is None:
            return False
        return now_ms() - record.last_seen_at < self.times.offline_after * 1000

    async def view(self, record: KioskRecord, code: str | None = None) -> Kiosk:
        room = await self._rooms.get(record.room_id)
        status = record.status
        return Kiosk(
            kioskId=record.kiosk_id,
            name=record.name,
            roomId=record.room_id,
            roomName=room.room_name if room is not None else None,
            enrolled=record.enrolled,
            enrolmentCode=code,
            enrolmentExpiresAt=record.code_expires_at,
            online=self._is_online(record),
            state=status.state if record.enrolled and record.last_seen_at is not None else "unknown",
            devices=status.devices,
            version=status.version,
            uptimeSeconds=status.uptime_s,
            lastError=status.last_error,
            lastSeenAt=record.last_seen_at,
            settings=self._settings(record),
            pendingSettings=record.enrolled and record.applied_version < record.settings_version,
            createdAt=record.created_at,
        )

    @staticmethod
    def _settings(record: KioskRecord) -> KioskSettings:
        settings = record.settings
        return settings if settings.displayName else settings.model_copy(update={"displayName": record.name[:64]})

    async def _announce(self, record: KioskRecord) -> Kiosk:
        kiosk = await self.view(record)
        self._events.publish(KioskUpdated(kiosk=kiosk))
        return kiosk

    async def _record(self, kiosk_id: str) -> KioskRecord:
        record = await self.store.get(kiosk_id)
        if record is None:
            raise _missing(kiosk_id)
        return record

    # the admin's side ------------------------------------------------------------------------------

    async def create(self, body: KioskCreate) -> Kiosk:
        if await self._rooms.get(body.roomId) is None:
            raise ValidationFailed.one("roomId", f"Room '{body.roomId}' does not exist")
        code = new_enrolment_code()
        now = now_ms()
        kiosk_id = "k-" + secrets.token_urlsafe(9)
        record = await self.store.add(
            kiosk_id, body.name, body.roomId, body.settings or KioskSettings(), code, now + CODE_TTL_S * 1000, now
        )
        logger.info("Kiosk(%s) added for room %s", kiosk_id, body.roomId)
        await self._announce(record)
        return await self.view(record, code)

    async def all(self) -> list[Kiosk]:
        return [await self.view(record) for record in await self.store.all()]

    async def get(self, kiosk_id: str) -> Kiosk:
        return await self.view(await self._record(kiosk_id))

    async def update(self, kiosk_id: str, body: KioskUpdate) -> Kiosk:
        record = await self._record(kiosk_id)
        if body.name is not None and body.name != record.name:
            await self.store.rename(kiosk_id, body.name)
        if body.settings is not None:
            await self.store.push_settings(kiosk_id, record.settings.merged(body.settings))
        record = await self._record(kiosk_id)
        if body.settings is not None:
            push = SettingsPush(settings=self._settings(record), settingsVersion=record.settings_version)
            link = self.links.get(kiosk_id)
            if link is not None:
                link.send(push)
            logger.info("Kiosk(%s) settings version %d pushed", kiosk_id, record.settings_version)
        return await self._announce(record)

    async def delete(self, kiosk_id: str) -> None:
        record = await self._record(kiosk_id)
        await self.store.delete(kiosk_id)
        await self._void_credential(record)
        self._online.discard(kiosk_id)
        logger.info("Kiosk(%s) removed", kiosk_id)
        self._events.publish(KioskRemoved(kioskId=kiosk_id))

    async def renew_enrolment(self, kiosk_id: str) -> Kiosk:
        record = await self._record(kiosk_id)
        code = new_enrolment_code()
        await self.store.new_code(kiosk_id, code, now_ms() + CODE_TTL_S * 1000)
        await self._void_credential(record)
        self._online.discard(kiosk_id)
        logger.info("Kiosk(%s) has a new enrolment code: its credential is void", kiosk_id)
        record = await self._record(kiosk_id)
        await self._announce(record)
        return await self.view(record, code)

    async def _void_credential(self, record: KioskRecord) -> None:
        """The credential's holder is cut off now: its socket, and its place in the meeting."""
        self.links.drop(record.kiosk_id, CLOSE_KIOSK_REMOVED)
        if not record.enrolled:
            return
        identity = kiosk_identity(record)
        try:
            await self._meetings.kick(record.room_id, identity)
        except NotFound:  # not in the meeting: its tokens are revoked all the same
            now = now_ms()
            await self._revocations.revoke(identity, record.room_id, now, now + PARTICIPANT_TTL_S * 1000)

    async def act(self, kiosk_id: str, action: KioskAction) -> ActionAccepted:
        sent_at = await self._command(kiosk_id, action)
        logger.info("Kiosk(%s) asked to %s", kiosk_id, action)
        return ActionAccepted(action=action, sentAt=sent_at)

    async def ask_logs(self, kiosk_id: str) -> None:
        await self._command(kiosk_id, "sendLogs")
        logger.info("Kiosk(%s) asked for its logs", kiosk_id)

    async def _command(self, kiosk_id: str, action: WaitingAction) -> int:
        """Send ``action`` to an online kiosk now, or keep it in the store until its socket is back."""
        record = await self._record(kiosk_id)
        if not self._is_online(record):
            raise Conflict(OFFLINE, error="Kiosk Error")
        now = now_ms()
        if not self.links.command(kiosk_id, Command(action=action)):
            await self.store.wait_command(kiosk_id, action, now)
            link = self.links.get(kiosk_id)
            if link is not None:  # connected while it was stored: sent now unless its welcome took it
                for waiting in await self.store.take_commands(kiosk_id, now):
                    link.send(Command(action=waiting))
            else:
                logger.info("Kiosk(%s) has no socket now: %s kept until it connects", kiosk_id, action)
        return now

    async def logs(self, kiosk_id: str) -> KioskLogs:
        await self._record(kiosk_id)
        logs = await self.store.logs(kiosk_id)
        if logs is None:
            raise NotFound(f"Kiosk '{kiosk_id}' has not sent logs yet", error="Kiosk Error")
        return logs

    # the kiosk's side ------------------------------------------------------------------------------

    async def enrol(self, code: str, address: str) -> Enrolment:
        attempt = self._wrong_codes.hit(address)
        credential = new_credential()
        record = await self.store.enrol(code, credential, now_ms())
        if record is None:
            raise Unauthorized("The enrolment code is wrong, used already or expired", error="Kiosk Error")
        self._wrong_codes.forgive(address, attempt)
        logger.info("Kiosk(%s) enrolled", record.kiosk_id)
        await self._announce(record)
        return Enrolment(
            kioskId=record.kiosk_id, credential=credential, roomId=record.room_id, settings=self._settings(record)
        )

    async def authenticate(self, credential: str) -> KioskRecord:
        record = await self.store.by_credential(credential) if credential else None
        if record is None:
            raise Unauthorized("This kiosk's credential is not valid: the kiosk was removed or enrolled again")
        return record

    async def token(self, record: KioskRecord) -> KioskToken:
        room = await self._rooms.get(record.room_id)
        if room is None:
            raise NotFound(f"Room '{record.room_id}' does not exist", error="Room Error")
        if room.status is RoomStatus.CLOSED:
            raise Conflict(f"Room '{room.room_id}' is closed and cannot be joined", error="Room Error")
        settings = self._settings(record)
        assert settings.displayName is not None
        # not reserved: the kiosk is always in its room under its own name (its identity is stable, a second
        # token replaces its seat), and its home screen asks for tokens to see who is in the meeting
        name = settings.displayName
        claims = participant_claims(
            room.room_id, Role.SPEAKER, TokenGrants.of(room.permissions(Role.SPEAKER), join=True), name
        )
        token, _ = self._tokens.issue("participant", kiosk_identity(record), PARTICIPANT_TTL_S, **claims)
        return KioskToken(token=token, roomId=room.room_id, roomName=room.room_name, participantName=name)

    def welcome(self, record: KioskRecord) -> Welcome:
        return Welcome(
            kioskId=record.kiosk_id,
            roomId=record.room_id,
            settings=self._settings(record),
            settingsVersion=record.settings_version,
            heartbeatInterval=self.times.heartbeat_interval,
        )

    async def connected(self, link: KioskLink, record: KioskRecord) -> None:
        """The welcome, then the commands that waited for this socket (made within the offline delay)."""
        link.send(self.welcome(record))
        self.links.attach(link)
        logger.info("Kiosk(%s) connected", record.kiosk_id)
        since = now_ms() - round(self.times.offline_after * 1000)
        waiting = await self.store.take_commands(record.kiosk_id, since)
        for action in waiting:
            link.send(Command(action=action))
            logger.info("Kiosk(%s) gets the %s that waited for it", record.kiosk_id, action)

    def disconnected(self, link: KioskLink) -> None:
        self.links.detach(link)
        logger.info("Kiosk(%s) disconnected", link.kiosk_id)

    async def heartbeat(self, kiosk_id: str, beat: Heartbeat) -> None:
        before = await self.store.get(kiosk_id)
        if before is None:
            return  # removed meanwhile: its socket is being closed
        status = KioskStatus(beat.state, beat.devices, beat.version, round(beat.uptimeSeconds, 1), beat.lastError)
        applied = min(beat.settingsVersion, before.settings_version)
        await self.store.report(kiosk_id, status, applied, now_ms())
        was_online = kiosk_id in self._online
        self._online.add(kiosk_id)
        old = before.status
        reported = (status.state, status.devices, status.version, status.last_error, applied)
        changed = not was_online or reported != (
            old.state,
            old.devices,
            old.version,
            old.last_error,
            before.applied_version,
        )
        if changed:
            after = await self.store.get(kiosk_id)
            if after is not None:
                await self._announce(after)

    async def received_logs(self, kiosk_id: str, text: str) -> None:
        await self.store.keep_logs(kiosk_id, KioskLogs(receivedAt=now_ms(), text=text))
        logger.info("Kiosk(%s) sent its logs (%d characters)", kiosk_id, len(text))

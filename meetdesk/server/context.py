"""Everything a request handler needs, built once at start-up and passed in (no global registry)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from meetdesk.core.ids import new_password
from meetdesk.core.models import now_ms
from meetdesk.server.auth import TokenService, hash_password
from meetdesk.server.config import ServerSettings
from meetdesk.server.events import EventHub
from meetdesk.server.keys import ServerKeys
from meetdesk.server.kiosks.service import FleetService, FleetTimes
from meetdesk.server.meeting.engine import MeetingEngine
from meetdesk.server.meeting.media import MediaRouter
from meetdesk.server.meeting.peers import IceConfig
from meetdesk.server.meeting.registry import NameReservations
from meetdesk.server.paging import PageTokens
from meetdesk.server.private_files import create_private, secure_data_dir
from meetdesk.server.ratelimit import RateLimits, parse_networks
from meetdesk.server.recordings.announce import RecordingAnnouncer
from meetdesk.server.recordings.links import RecordingLinks
from meetdesk.server.recordings.service import RecordingLimits, RecordingService
from meetdesk.server.recordings.serving import remove_files
from meetdesk.server.rooms.service import RoomService, room_api_view
from meetdesk.server.store import Database
from meetdesk.server.store.accounts import AccountStore
from meetdesk.server.store.kiosks import KioskStore
from meetdesk.server.store.recordings import RecordingStore
from meetdesk.server.store.revocations import RevocationStore
from meetdesk.server.store.rooms import RoomRecord, RoomStore
from meetdesk.server.store.webhooks import WebhookStore
from meetdesk.server.webhook_events import announce_participants, receivers
from meetdesk.server.webhooks import WebhookDispatcher

logger = logging.getLogger(__name__)


@dataclass
class FirstStart:
    """Credentials created by this start; the command line prints them once."""

    admin_user: str
    generated_password: str | None


@dataclass
class ServerContext:
    settings: ServerSettings
    db: Database
    accounts: AccountStore
    rooms: RoomService
    meetings: MeetingEngine
    tokens: TokenService
    webhooks: WebhookDispatcher
    events: EventHub
    limits: RateLimits = field(default_factory=RateLimits)
    first_start: FirstStart | None = None
    #: signalling sockets waiting for their ``join``, by client address (capped per address)
    joining_sockets: Counter[str] = field(default_factory=Counter)
    #: the rooms' recordings (set by :meth:`open`)
    recordings: RecordingService | None = None
    #: the recordings' share secrets, and the signer of their list's page tokens (set by :meth:`open`)
    recording_links: RecordingLinks | None = None
    recording_page_tokens: PageTokens | None = None
    #: the webhooks registered through ``/api/v1/webhooks`` (set by :meth:`open`)
    registered_webhooks: WebhookStore | None = None
    #: the kiosk fleet (set by :meth:`open`)
    kiosks: FleetService | None = None

    @classmethod
    async def open(cls, settings: ServerSettings) -> ServerContext:
        secure_data_dir(settings.data_dir)
        if settings.database_url is None:
            create_private(settings.data_dir / "meetdesk.db")
        key_file = settings.effective_key_file

        def open_keys(legacy_signing: bytes | None) -> ServerKeys:
            return ServerKeys.open(key_file, legacy_signing)

        db = await Database.open(settings.effective_database_url, open_keys)
        keys = await asyncio.to_thread(ServerKeys.open, key_file)
        secure_data_dir(settings.data_dir)  # the WAL and shared-memory files SQLite has just made
        accounts = AccountStore(db, keys)
        first_start = await _seed(settings, accounts)
        tokens = TokenService(lambda: keys.derive("jwt").hex())
        names = NameReservations()
        room_store = RoomStore(db)
        events = EventHub()
        revocations = RevocationStore(db)
        meetings = MeetingEngine(
            room_store,
            tokens,
            names,
            events,
            grace_s=settings.reconnect_grace,
            revocations=revocations,
            minute_s=settings.minute_seconds,
        )
        media = MediaRouter(
            meetings,
            IceConfig(host_addresses=await asyncio.to_thread(settings.ice_addresses)),
            answer_timeout=settings.answer_timeout,
        )
        registered_webhooks = WebhookStore(db)
        webhooks = WebhookDispatcher(receivers(accounts, registered_webhooks), accounts.webhook_key)
        announce_participants(meetings, webhooks)
        # Registered before the rooms service's hooks, so a room deleted when its meeting ends is
        # still there to describe in meetingEnded.
        departed: dict[str, RoomRecord] = {}
        _announce_meetings(meetings, room_store, webhooks, settings.link_base, departed)
        recording_store = RecordingStore(db)
        recording_store.on_changed(RecordingAnnouncer(meetings, webhooks).changed)
        recordings_dir = settings.effective_recordings_dir
        recordings = RecordingService(
            recording_store,
            room_store,
            meetings,
            media,
            recordings_dir,
            RecordingLimits(
                settings.recording_disk_floor_mb * 1024**2, settings.max_composites, settings.recording_start_timeout
            ),
        )
        rooms = RoomService(
            room_store,
            recording_store,
            meetings,
            names,
            settings.link_base,
            PageTokens(keys.derive("page-tokens")),
            events,
            departed=departed,
            remove_recording_files=functools.partial(remove_files, recordings_dir),
        )
        await rooms.repair_after_restart()
        await recordings.repair_after_restart()
        recording_links = await RecordingLinks.open(accounts)
        webhooks.start()
        kiosks = FleetService(
            KioskStore(db),
            room_store,
            meetings,
            revocations,
            tokens,
            events,
            FleetTimes(settings.kiosk_offline_after, settings.kiosk_sweep_interval),
        )
        await kiosks.start()
        limits = RateLimits(trusted_proxies=parse_networks(settings.trusted_proxies))
        return cls(
            settings,
            db,
            accounts,
            rooms,
            meetings,
            tokens,
            webhooks,
            events,
            limits=limits,
            first_start=first_start,
            recordings=recordings,
            recording_links=recording_links,
            recording_page_tokens=PageTokens(recording_links.derive("page-tokens")),
            registered_webhooks=registered_webhooks,
            kiosks=kiosks,
        )

    async def close(self) -> None:
        if self.kiosks is not None:
            await self.kiosks.stop()
        await self.meetings.shutdown()
        if self.recordings is not None:
            await self.recordings.close()
        await self.webhooks.stop()
        await self.db.close()


async def _seed(settings: ServerSettings, accounts: AccountStore) -> FirstStart | None:
    """Create the admin and the initial API key on the very first start; never afterwards."""
    if await accounts.config("seeded"):
        return None
    generated = None
    password = settings.initial_admin_password
    if not password:
        password = generated = new_password()
    if not await accounts.any_user():
        await accounts.add_user(settings.initial_admin_user, hash_password(password), ["admin"], now_ms())
    if settings.initial_api_key:
        await accounts.replace_api_key(settings.initial_api_key, now_ms())
    await accounts.set_config("seeded", True)
    logger.info("First start: admin user '%s' created", settings.initial_admin_user)
    return FirstStart(settings.initial_admin_user, generated)


def _announce_meetings(
    meetings: MeetingEngine,
    rooms: RoomStore,
    webhooks: WebhookDispatcher,
    base_url: str,
    departed: dict[str, RoomRecord],
) -> None:
    """meetingStarted / meetingEnded webhooks, with the room (as the API shows it) as data. A room
    force-deleted with its meeting is gone from the store when the meeting ends: ``departed`` has it."""

    def hook(event: str) -> Callable[[str], Awaitable[None]]:
        async def emit(room_id: str) -> None:
            room = await rooms.get(room_id) or departed.get(room_id)
            if room is not None:
                webhooks.emit(event, room_api_view(room, base_url))

        return emit

    meetings.on_started(hook("meetingStarted"))
    meetings.on_ended(hook("meetingEnded"))

"""``MeetingSession``: one participant in a meeting, without widgets.

Joins from a room link and a name, publishes camera and microphone (and a screen share on demand),
receives everybody else, and keeps going through trouble:

- a dropped signalling socket is resumed under the same identity within the server's grace period;
- a publisher connection that fails (or closes without us closing it) is rebuilt and republished;
  a failed subscriber connection is dropped and the server asked for a new one (``resubscribe``: its
  side may not have noticed), which the server's next offer builds;
- when resuming is no longer possible (grace expired, server restarted) the session rejoins from
  scratch with a new token from the room link, on a bounded retry schedule (:mod:`.recovery`).

The state (connecting, connected, reconnecting, disconnected with a reason) comes as
:class:`StateChanged` events. The desktop app, the kiosk, the ``meetdesk join`` bot and the tests
all drive meetings through this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import websockets
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack
from pydantic import BaseModel

from meetdesk.client.api import MeetDeskClient, RoomLink, parse_room_link
from meetdesk.client.media.devices import open_sources
from meetdesk.client.publisher import PeerConnectionFactory, Publisher, PublishError
from meetdesk.client.quality import QualityMeter, estimates_now, held_to_estimates
from meetdesk.client.recovery import GiveUp, ReconnectAttempt, RetryPolicy, TokenSource, reconnect
from meetdesk.client.session_actions import SessionActions
from meetdesk.client.signalling import LinkFailure, SignallingClient, SignallingError
from meetdesk.client.subscriber import FrameCallback, RemoteTrack, Subscriber
from meetdesk.core.errors import ErrorCode
from meetdesk.core.permissions import DEFAULT_MODERATOR, Permissions
from meetdesk.core.signalling import (
    AudioLevel,
    ChatHistory,
    ChatHistoryPage,
    ConnectionQualityReport,
    DownlinkState,
    ErrorMessage,
    Joined,
    Leave,
    Left,
    LeftReason,
    MeetingLocked,
    Muted,
    PublishAnswer,
    Quality,
    RecordingChanged,
    RecordingState,
    Resubscribe,
    RoleChanged,
    ServerMessage,
    SubscribeOffer,
    TileSize,
    VideoTiles,
)

__all__ = ["MeetingSession", "ReconnectAttempt", "RemoteTrack", "RetryPolicy", "SessionState", "StateChanged"]

logger = logging.getLogger(__name__)

LEVEL_INTERVAL_S = 0.25
#: how often the connection's quality is graded (it is reported to the server when it changes)
QUALITY_INTERVAL_S = 2.0
SPEAKING_LEVEL = 0.05
REPUBLISH_DELAYS_S = (0.0, 0.5, 1.0, 2.0)
#: the server ended the meeting for everyone by going away: come back when it is back
RECOVERABLE_LEFT = frozenset({LeftReason.SERVER_SHUTDOWN, LeftReason.NETWORK_DISCONNECT})


class SessionState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class StateChanged:
    state: SessionState
    reason: LeftReason | None = None
    #: a sentence for the person when there is more to say than the reason (why reconnecting gave up)
    detail: str | None = None


SessionEvent = StateChanged | ReconnectAttempt | ServerMessage


class MeetingSession(SessionActions):
    """A participant. Events (``events()``): :class:`StateChanged`, :class:`ReconnectAttempt` and every
    server message.

    ``synthetic``: send a test pattern and a tone (``source_id`` drawn into both); otherwise the real
    ``camera`` and ``microphone`` (by name; None: the first one), falling back to the synthetic ones
    when there is no such device (``device_notes`` says why). ``sources``: (video, audio) tracks opened
    already (the desktop's device view), used instead of opening any; either may be None (not sent).
    ``audio_enabled`` / ``video_enabled``: start muted or not; ``room_defaults``: also as the room says on joining
    (its ``initialAudioEnabled`` / ``initialVideoEnabled``: off there means off here).
    ``on_frame(track, frame)``: every decoded frame received, on the event loop. ``retry`` bounds reconnecting.
    ``peer_connection``: makes the publisher's and the subscriber's peer connections (the impairment harness's
    :meth:`meetdesk.rtc.impaired_path.ImpairedNetwork.peer_connection` puts them behind a bad network).
    ``simulcast``: send the camera's low layer too (see :mod:`meetdesk.core.simulcast`).
    """

    def __init__(
        self,
        link: str | RoomLink,
        name: str,
        *,
        source_id: int = 0,
        publish_video: bool = True,
        publish_audio: bool = True,
        rtc: RTCConfiguration | None = None,
        synthetic: bool = True,
        camera: str | None = None,
        microphone: str | None = None,
        retry: RetryPolicy | None = None,
        sources: tuple[MediaStreamTrack | None, MediaStreamTrack | None] | None = None,
        audio_enabled: bool = True,
        video_enabled: bool = True,
        room_defaults: bool = False,
        on_frame: FrameCallback | None = None,
        read_markers: bool = True,
        peer_connection: PeerConnectionFactory = RTCPeerConnection,
        simulcast: bool = True,
        token_source: TokenSource | None = None,
    ) -> None:
        self.link = link if isinstance(link, RoomLink) else parse_room_link(link)
        #: where tokens come from instead of the link's secret (an enrolled kiosk asks its server for them)
        self.token_source = token_source
        self.name = name
        self.source_id = source_id
        self.publish_video = publish_video
        self.publish_audio = publish_audio
        self.synthetic = synthetic
        self.camera = camera
        self.microphone = microphone
        self.retry = retry or RetryPolicy()
        # max-bundle, as on the server (see meetdesk.server.meeting.peers.media_configuration)
        rtc = rtc or RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        self.state = SessionState.DISCONNECTED
        self.end_reason: LeftReason | None = None
        self.joined: Joined | None = None
        self.token: str | None = None
        self.device_notes: list[str] = []
        self.started_at = time.monotonic()
        self._signalling: SignallingClient | None = None
        self._publisher = Publisher(
            name,
            rtc,
            self.send,
            self._on_publisher_state,
            self._on_screen_ended,
            peer_connection,
            simulcast=simulcast,
        )
        self._subscriber = Subscriber(
            name, rtc, self.send, self._on_subscriber_state, on_frame, read_markers, peer_connection
        )
        self._publisher.set_enabled(audio=audio_enabled, video=video_enabled)
        #: whether the first join still has to apply the room's initialAudioEnabled / initialVideoEnabled
        self._room_defaults_pending = room_defaults
        self._sources_open = sources is not None
        #: the camera and microphone opened; the publisher sends those the role's permissions allow
        self._sources: tuple[MediaStreamTrack | None, MediaStreamTrack | None] = sources or (None, None)
        #: what this participant may do (from ``joined``, then each ``role_changed``)
        self._permissions: Permissions = DEFAULT_MODERATOR  # an older server says nothing: nothing is held back
        self._sent_sources = self._sources
        if sources is not None:
            self._publisher.use_sources(*sources)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._events: asyncio.Queue[SessionEvent] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._republisher: asyncio.Task[None] | None = None
        self._level_task: asyncio.Task[None] | None = None
        self._quality_task: asyncio.Task[None] | None = None
        #: the connection's quality as last reported to the server (None: not yet)
        self.quality: Quality | None = None
        #: whose camera video the server holds back for this session's weak downlink ("Video paused: weak
        #: connection"), and its estimate of that downlink in bits per second (None: it never held anything back)
        self.paused_video: frozenset[str] = frozenset()
        self.downlink_bps: int | None = None
        #: whether the server holds any camera back for this session's downlink (paused, or a low layer in a large tile)
        self.downlink_limited = False
        self._leaving = False
        self._locked = False
        self._recording: RecordingState | None = None
        #: whether the server keeps older chat than this session has (``fetch_older_chat`` asks for it)
        self.older_chat_kept = False
        self._oldest_chat: str | None = None
        self._finished = False
        self._recovering = False
        #: media connections being rebuilt ("publisher", "subscriber"): the state is reconnecting meanwhile
        self._trouble: set[str] = set()

    @property
    def permissions(self) -> Permissions:
        """What this participant may do now (its role's permissions in the room)."""
        return self._permissions

    @property
    def remote(self) -> dict[str, RemoteTrack]:
        """Every track received in this session, by "<identity>/<source>" (``active``: arriving now)."""
        return self._subscriber.remote

    @property
    def sharing_screen(self) -> bool:
        return self._publisher.sharing

    @property
    def audio_enabled(self) -> bool:
        return self._publisher.audio_enabled

    @property
    def video_enabled(self) -> bool:
        return self._publisher.video_enabled

    @property
    def microphone_level(self) -> float:
        """The level of what the microphone sends, 0..1 (0 without a microphone)."""
        meter = self._publisher.microphone
        return meter.level if meter is not None else 0.0

    # lifecycle -------------------------------------------------------------------------------------

    async def join(self) -> Joined:
        """Get a token from the link, connect, publish. Raises the API or signalling error if refused."""
        self._set_state(SessionState.CONNECTING)
        try:
            await self._open_sources()
            if self.token_source is not None:
                self.token = await self.token_source()
            else:
                async with MeetDeskClient(self.link.base_url, pin=self.link.pin) as api:
                    self.token = await api.participant_token(self.link.room_id, self.link.secret, self.name)
            signalling = await SignallingClient.connect(self.link.base_url, self.token, pin=self.link.pin)
        except BaseException:
            await self._publisher.close()  # the camera and microphone are not kept open for nothing
            self._sources_open = False
            self._set_state(SessionState.DISCONNECTED)
            raise
        await self._attach(signalling)
        assert signalling.joined is not None
        return signalling.joined

    async def _open_sources(self) -> None:
        if self._sources_open:
            return
        self._sources_open = True
        video, audio, notes = await open_sources(
            self.synthetic,
            self.camera,
            self.microphone,
            source_id=self.source_id,
            video=self.publish_video,
            audio=self.publish_audio,
        )
        for note in notes:
            logger.warning("Session(%s) %s", self.name, note)
        self.device_notes = notes
        self._sources = (video, audio)
        self._use_permitted_sources()

    async def _attach(self, signalling: SignallingClient) -> None:
        joined = signalling.joined
        assert joined is not None
        if self._leaving:
            with contextlib.suppress(Exception):
                await signalling.close()
            return
        self._signalling, self.joined = signalling, joined
        if joined.permissions is not None:
            self._permissions = joined.permissions.openvidu.permissions
            self._use_permitted_sources()
        self._locked = joined.locked
        self._recording = joined.recording
        self.older_chat_kept = joined.chatMore
        self._oldest_chat = joined.chat[0].id if joined.chat else None
        self._reader = asyncio.create_task(self._read(signalling), name=f"session-{self.name}")
        if joined.resumed:
            self._refresh_state()
            if "publisher" in self._trouble or self._publisher.stale:
                self._republish_soon()
            if self._subscriber.lost:
                self._spawn(self._resubscribe())  # it failed while the signalling was down
            return
        self._trouble.clear()
        if self._room_defaults_pending:
            # the room's defaults are for joining: a later rejoin keeps what the participant turned on since
            self._room_defaults_pending = False
            config = joined.room.config
            audio, video = (
                self.audio_enabled and config.initialAudioEnabled,
                self.video_enabled and config.initialVideoEnabled,
            )
            if (audio, video) != (self.audio_enabled, self.video_enabled):
                on_off = ("on" if audio else "off", "on" if video else "off")
                logger.info("Session(%s) joins with microphone %s, camera %s, as the room says", self.name, *on_off)
            self._publisher.set_enabled(audio=audio, video=video)
        self._set_state(SessionState.CONNECTED)
        await self._subscriber.reset()
        try:
            await self._publish()
        except (PublishError, SignallingError) as exc:
            logger.info("Session(%s) could not publish yet: %s", self.name, exc)
            self._media_lost("publisher")
            self._republish_soon()  # or, if the socket went away meanwhile, the recovery publishes

    async def leave(self) -> None:
        """Leave voluntarily and release everything."""
        self._leaving = True
        if self._signalling is not None and not self._signalling.closed and not self._finished:
            with contextlib.suppress(Exception):
                await self._signalling.send(Leave())
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._reader), 5) if self._reader else None
        await self._finish(self.end_reason or LeftReason.VOLUNTARY_LEAVE)

    async def _finish(self, reason: LeftReason, detail: str | None = None) -> None:
        if self._finished:
            return
        self._finished = True
        self.end_reason = self.end_reason or reason
        current = asyncio.current_task()
        for task in [*self._tasks, self._level_task, self._quality_task, self._republisher, self._reader]:
            if task is not None and task is not current:
                task.cancel()
        if self._signalling is not None:
            with contextlib.suppress(Exception):
                await self._signalling.close()
        await self._publisher.close()
        await self._subscriber.close()  # what was received stays, for summary()
        self._set_state(SessionState.DISCONNECTED, self.end_reason, detail)

    async def events(self) -> AsyncIterator[SessionEvent]:
        """Everything that happens, until the session is over."""
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, StateChanged) and event.state is SessionState.DISCONNECTED:
                return

    def _set_state(self, state: SessionState, reason: LeftReason | None = None, detail: str | None = None) -> None:
        if state is not self.state:
            logger.debug("Session(%s) %s -> %s", self.name, self.state.value, state.value)
            self.state = state
            self._events.put_nowait(StateChanged(state, reason, detail))

    def _refresh_state(self) -> None:
        """Connected, or reconnecting while a media connection is being rebuilt."""
        if self._finished or self._recovering or self.state is SessionState.CONNECTING:
            return
        self._set_state(SessionState.RECONNECTING if self._trouble else SessionState.CONNECTED)

    # actions ---------------------------------------------------------------------------------------

    async def send(self, message: BaseModel) -> None:
        signalling = self._signalling
        if signalling is None or self._finished:
            raise SignallingError("Not connected", ErrorCode.NOT_JOINED)
        try:
            await signalling.send(message)
        except websockets.ConnectionClosed as exc:
            raise SignallingError("The signalling connection is closed", LinkFailure.NETWORK) from exc

    async def fetch_older_chat(self) -> bool:
        """Ask for the chat page before the oldest message this session has (``joined`` brings only the
        newest): it comes as a ``chat_history`` event. False when the server keeps no older ones."""
        if not self.older_chat_kept or self._oldest_chat is None:
            return False
        await self.send(ChatHistory(before=self._oldest_chat))
        return True

    async def report_tiles(self, tiles: dict[str, tuple[int, int]]) -> None:
        """The sizes (width, height in device pixels) this participant shows the others' cameras at, by identity:
        small tiles get the low layer. Replaces the last report; cameras not listed get the full layer."""
        sizes = {identity: TileSize(width=w, height=h) for identity, (w, h) in tiles.items()}
        await self.send(VideoTiles(tiles=sizes))

    @property
    def locked(self) -> bool:
        """Whether the meeting is locked (nobody new may join)."""
        return self._locked

    @property
    def recording(self) -> RecordingState | None:
        """The meeting's recording while it is starting, active or ending; None when nothing is recorded."""
        return self._recording

    # media -----------------------------------------------------------------------------------------

    async def publish(self) -> None:
        """Rebuild the publisher connection with every local track, and offer it."""
        await self._publish()

    async def _publish(self) -> None:
        await self._publisher.publish()
        await self._send_media_state()
        if self._level_task is None or self._level_task.done():
            self._level_task = asyncio.create_task(self._report_levels(), name=f"levels-{self.name}")
        if self._quality_task is None or self._quality_task.done():
            self._quality_task = asyncio.create_task(self._report_quality(), name=f"quality-{self.name}")

    def _on_publisher_state(self, pc: RTCPeerConnection, state: str) -> None:
        if pc is not self._publisher.pc or self._finished:
            return
        if state == "connected":
            self._media_ok("publisher")
        elif state in ("failed", "closed"):
            then = "rebuilding it" if self._signalling_up() else "to be rebuilt once the signalling is back"
            logger.info("Session(%s) publisher connection %s: %s", self.name, state, then)
            self._media_lost("publisher")
            self._republish_soon()

    def _on_subscriber_state(self, pc: RTCPeerConnection, state: str) -> None:
        if pc is not self._subscriber.pc or self._finished:
            return
        if state == "connected":
            self._media_ok("subscriber")
        elif state in ("failed", "closed"):
            # the server's side may not know (a failure on this side only): ask it for a new connection
            then = "asking for a new one" if self._signalling_up() else "to be asked for once the signalling is back"
            logger.info("Session(%s) subscriber connection %s: %s", self.name, state, then)
            if self._subscriber.receiving:  # with nothing to receive, the server offers nothing: no trouble
                self._media_lost("subscriber")
            self._spawn(self._resubscribe(pc))

    async def _resubscribe(self, failed: RTCPeerConnection | None = None) -> None:
        """Drop the ``failed`` subscriber connection and ask the server for a new one."""
        if failed is not None and not await self._subscriber.reset(failed=failed):
            return  # replaced already
        if not self._subscriber.lost or not self._signalling_up():
            return  # a new offer came meanwhile; or the signalling recovery asks once it is back
        with contextlib.suppress(SignallingError):  # a drop is handled by the reader's recovery
            await self.send(Resubscribe())

    def _media_lost(self, which: str) -> None:
        self._trouble.add(which)
        self._refresh_state()

    def _media_ok(self, which: str) -> None:
        self._trouble.discard(which)
        self._refresh_state()

    def _signalling_up(self) -> bool:
        signalling = self._signalling
        return signalling is not None and not signalling.closed and not self._recovering and not self._finished

    def _republish_soon(self) -> None:
        """Rebuild the publisher connection, unless a rebuild is under way or the signalling is down (the
        signalling recovery republishes once it is back)."""
        if self._signalling_up() and (self._republisher is None or self._republisher.done()):
            self._republisher = asyncio.create_task(self._republish(), name=f"republish-{self.name}")

    async def _republish(self) -> None:
        for attempt, delay in enumerate(REPUBLISH_DELAYS_S):
            await asyncio.sleep(delay)
            if not self._signalling_up():
                return
            try:
                await self._publish()
                return
            except (PublishError, SignallingError) as exc:
                logger.info("Session(%s) republishing failed (attempt %d): %s", self.name, attempt + 1, exc)
            except Exception:
                if self._finished:
                    return  # closed under our feet
                logger.warning("Session(%s) republishing failed (attempt %d)", self.name, attempt + 1, exc_info=True)
        logger.warning("Session(%s) could not republish its camera and microphone", self.name)

    async def _report_levels(self) -> None:
        """Tell the server how loud this microphone is, a few times a second (it picks the active speaker)."""
        last = -1.0
        while not self._finished:
            await asyncio.sleep(LEVEL_INTERVAL_S)
            meter = self._publisher.microphone
            if meter is None or self.state is not SessionState.CONNECTED:
                continue
            level = round(meter.level, 2)
            if abs(level - last) >= 0.02 or level >= SPEAKING_LEVEL:
                with contextlib.suppress(SignallingError):  # a drop is handled by the reader's recovery
                    await self.send(AudioLevel(level=level))
                last = level

    async def _report_quality(self) -> None:
        """Grade the media connections every few seconds; tell the server when the grade changes."""
        meter, reported_for = QualityMeter(), None
        while not self._finished:
            await asyncio.sleep(QUALITY_INTERVAL_S)
            joined = self.joined
            if joined is None or not self._signalling_up():
                continue
            if joined.you.identity != reported_for:  # a rejoin: the server knows nothing of this identity yet
                self.quality, reported_for = None, joined.you.identity
            quality = await meter.measure(self._publisher.pc, self._subscriber.pc, connected=not self._trouble)
            paused, limited, uplink = bool(self.paused_video), self.downlink_limited, self._publisher.uplink
            quality = held_to_estimates(quality, estimates_now(paused=paused, limited=limited, uplink=uplink))
            if quality != self.quality:
                with contextlib.suppress(SignallingError):  # a drop is handled by the reader's recovery
                    await self.send(ConnectionQualityReport(quality=quality))
                    self.quality = quality

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        if not self._finished:  # after the end, a connection closed under a task is no news
            logger.warning("Session(%s) background task failed", self.name, exc_info=task.exception())

    # signalling ------------------------------------------------------------------------------------

    async def _read(self, signalling: SignallingClient) -> None:
        resume = True
        async for message in signalling.messages():
            await self._events.put(message)
            if isinstance(message, Left):
                if message.reason in RECOVERABLE_LEFT and not self._leaving:
                    logger.info("Session(%s) the server let us go (%s): rejoining", self.name, message.reason.value)
                    resume = False  # the server ended our session: only a rejoin brings us back
                    continue
                await self._finish(message.reason)
                return
            try:
                await self._handle(message)
            except SignallingError as exc:
                # the socket closed while answering (the meeting ended, the network dropped): the end of this
                # loop handles that, and the next connection gets a fresh offer
                logger.info("Session(%s) could not answer %s: %s", self.name, message.type, exc)
            except Exception:
                if self._leaving or self._finished:  # an offer racing our own leave: nothing left to answer it
                    logger.debug("Session(%s) leaving: dropped %s", self.name, message.type, exc_info=True)
                else:
                    logger.exception("Session(%s) could not handle %s", self.name, message.type)
        if signalling is self._signalling and not self._leaving and not self._finished:
            self._publisher.refuse(PublishError("The signalling connection was lost", LinkFailure.NETWORK))
            self._spawn(self._recover(resume=resume))

    async def _handle(self, message: ServerMessage) -> None:
        if isinstance(message, SubscribeOffer):
            if await self._subscriber.on_offer(message):
                self._media_lost("subscriber")  # a new connection replaced ours: until it connects
        elif isinstance(message, PublishAnswer):
            self._publisher.take_answer(message.sdp)
        elif isinstance(message, ErrorMessage) and message.ref == "publish_offer":
            self._publisher.refuse(PublishError(message.message, message.code))
        elif (
            isinstance(message, ErrorMessage) and message.code is ErrorCode.TIMEOUT and message.ref == "subscribe_offer"
        ):
            # the server gave up an offer this side was too slow to answer: ask for a new one
            logger.info("Session(%s) subscribe offer withdrawn: asking for a new one", self.name)
            await self.send(Resubscribe())
        elif isinstance(message, RoleChanged):
            self.token = message.token
            await self._permissions_changed(message.permissions.openvidu.permissions)
        elif isinstance(message, ChatHistoryPage):
            if message.before == self._oldest_chat:
                self.older_chat_kept = message.more
                self._oldest_chat = message.messages[0].id if message.messages else self._oldest_chat
        elif isinstance(message, MeetingLocked):
            self._locked = message.locked
        elif isinstance(message, RecordingChanged):
            self._recording = message.recording if message.recording.recording else None
        elif isinstance(message, DownlinkState):
            self.paused_video, self.downlink_bps = frozenset(message.paused), message.estimateBps
            self.downlink_limited = message.limited
        elif isinstance(message, Muted):
            # the server holds the microphone already; the mic goes off here too, so that what this side
            # shows and sends agrees, and unmuting (set_media) is what lifts the mute
            logger.info("Session(%s) muted by %s", self.name, message.by)
            self._publisher.set_enabled(audio=False, video=self._publisher.video_enabled)
            await self._send_media_state()

    async def _recover(self, *, resume: bool) -> None:
        """The socket is gone: resume, or rejoin from scratch, within the retry policy's bounds."""
        self._recovering = True
        self._set_state(SessionState.RECONNECTING)
        assert self.joined is not None and self.token is not None
        try:
            back = await reconnect(
                self.link,
                self.name,
                self.token,
                session_id=self.joined.sessionId if resume else None,
                grace=self.joined.reconnectGrace,
                policy=self.retry,
                announce=self._events.put_nowait,
                new_token=self.token_source,
            )
        except GiveUp as exc:
            logger.warning("Session(%s) gave up reconnecting: %s", self.name, exc)
            self._recovering = False
            await self._finish(LeftReason.NETWORK_DISCONNECT, str(exc))
            return
        self._recovering = False
        self.token = back.token
        joined = back.signalling.joined
        assert joined is not None
        if not joined.resumed:
            logger.info("Session(%s) rejoined as %s (%s)", self.name, joined.you.identity, joined.you.name)
        await self._attach(back.signalling)

    # summary ---------------------------------------------------------------------------------------

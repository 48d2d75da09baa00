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

The class is split by concept: its lifecycle and state here, the signalling messages and the socket's recovery
in :mod:`.session_signalling`, the media connections (publishing, rebuilding, levels, quality) in
:mod:`.session_media`, the participant's actions in :mod:`.session_actions`, the state and event types in
:mod:`.session_state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import websockets
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack
from pydantic import BaseModel

from meetdesk.client.api import MeetDeskClient, RoomLink, parse_room_link
from meetdesk.client.media.devices import open_sources
from meetdesk.client.publisher import PeerConnectionFactory, Publisher, PublishError
from meetdesk.client.recovery import ReconnectAttempt, RetryPolicy, TokenSource
from meetdesk.client.session_actions import SessionActions
from meetdesk.client.session_media import SessionMedia
from meetdesk.client.session_signalling import SessionSignalling
from meetdesk.client.session_state import SessionEvent, SessionState, StateChanged
from meetdesk.client.signalling import LinkFailure, SignallingClient, SignallingError
from meetdesk.client.subscriber import FrameCallback, RemoteTrack, Subscriber
from meetdesk.core.errors import ErrorCode
from meetdesk.core.permissions import DEFAULT_MODERATOR, Permissions
from meetdesk.core.signalling import (
    ChatHistory,
    Joined,
    Leave,
    LeftReason,
    Quality,
    RecordingState,
    TileSize,
    VideoTiles,
)

__all__ = [
    "MeetingSession",
    "ReconnectAttempt",
    "RemoteTrack",
    "RetryPolicy",
    "SessionEvent",
    "SessionState",
    "StateChanged",
]

logger = logging.getLogger(__name__)


class MeetingSession(SessionSignalling, SessionMedia, SessionActions):
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

"""``MeetingSession``: one participant in a meeting, without widgets.

Joins from a room link and a name, publishes camera and microphone, receives everybody else, and
keeps going through trouble: a dropped signalling socket is resumed under the same identity within
the server's grace period; a failed peer connection is rebuilt and republished; when resuming is no
longer possible (grace expired, server restarted) the session rejoins from scratch. The desktop app,
the kiosk, the ``meetdesk join`` bot and the tests all drive meetings through this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from pydantic import BaseModel

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.media.level import LevelMeter
from meetdesk.client.media.synthetic import MarkerError, SyntheticCamera, SyntheticMicrophone, decode_marker
from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.core.signalling import (
    AudioLevel,
    EndMeeting,
    Joined,
    Kick,
    Leave,
    Left,
    LeftReason,
    MediaState,
    PublishAnswer,
    PublishOffer,
    RaiseHand,
    RoleChanged,
    SendChat,
    SendReaction,
    ServerMessage,
    SetRole,
    SubscribeAnswer,
    SubscribeOffer,
)

logger = logging.getLogger(__name__)

RECONNECT_DELAYS_S = (0.1, 0.25, 0.5, 1.0, 2.0)
LEVEL_INTERVAL_S = 0.25
SPEAKING_LEVEL = 0.05


class SessionState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


@dataclass
class RemoteTrack:
    """What this participant receives of one remote track."""

    mid: str
    kind: str
    identity: str = ""
    source: str = ""
    frames: int = 0
    first_frame_at: float | None = None
    #: the last frame's synthetic marker (source id, frame number), when the sender is synthetic
    last_marker: tuple[int, int] | None = None
    markers_seen: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class StateChanged:
    state: SessionState
    reason: LeftReason | None = None


SessionEvent = StateChanged | ServerMessage


class MeetingSession:
    """A participant. Events (``events()``): :class:`StateChanged` and every server message."""

    def __init__(
        self,
        link: str,
        name: str,
        *,
        source_id: int = 0,
        publish_video: bool = True,
        publish_audio: bool = True,
        rtc: RTCConfiguration | None = None,
    ) -> None:
        self.link = parse_room_link(link)
        self.name = name
        self.source_id = source_id
        self.publish_video = publish_video
        self.publish_audio = publish_audio
        # max-bundle, as on the server (see meetdesk.server.meeting.media.media_configuration)
        self._rtc = rtc or RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        self.state = SessionState.DISCONNECTED
        self.end_reason: LeftReason | None = None
        self.joined: Joined | None = None
        self.token: str | None = None
        self.remote: dict[str, RemoteTrack] = {}
        self.started_at = time.monotonic()
        self._signalling: SignallingClient | None = None
        self._publisher: RTCPeerConnection | None = None
        self._subscriber: RTCPeerConnection | None = None
        self._local: list[MediaStreamTrack] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._events: asyncio.Queue[SessionEvent] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._leaving = False
        self._meter: LevelMeter | None = None
        self._level_task: asyncio.Task[None] | None = None

    # lifecycle -------------------------------------------------------------------------------------

    async def join(self) -> Joined:
        """Get a token from the link, connect, publish. Raises the API or signalling error if refused."""
        self._set_state(SessionState.CONNECTING)
        async with MeetDeskClient(self.link.base_url) as api:
            self.token = await api.participant_token(self.link.room_id, self.link.secret, self.name)
        try:
            signalling = await SignallingClient.connect(self.link.base_url, self.token)
        except SignallingError:
            self._set_state(SessionState.DISCONNECTED)
            raise
        await self._attach(signalling)
        return signalling.joined  # type: ignore[return-value]

    async def _attach(self, signalling: SignallingClient) -> None:
        self._signalling = signalling
        assert signalling.joined is not None
        resumed = signalling.joined.resumed
        self.joined = signalling.joined
        self._set_state(SessionState.CONNECTED)
        self._reader = asyncio.create_task(self._read(signalling), name=f"session-{self.name}")
        if not resumed:
            await self._reset_subscriber()
            await self.publish()

    async def leave(self) -> None:
        """Leave voluntarily and release everything."""
        self._leaving = True
        if self._signalling is not None and not self._signalling.closed:
            with contextlib.suppress(Exception):
                await self._signalling.send(Leave())
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._reader), 5) if self._reader else None
        await self._finish(self.end_reason or LeftReason.VOLUNTARY_LEAVE)

    async def _finish(self, reason: LeftReason) -> None:
        self.end_reason = self.end_reason or reason
        for task in [*self._tasks, self._level_task]:
            if task is not None:
                task.cancel()
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
        if self._signalling is not None:
            with contextlib.suppress(Exception):
                await self._signalling.close()
        for pc in (self._publisher, self._subscriber):
            if pc is not None:
                await pc.close()
        for track in self._local:
            track.stop()
        self._publisher = self._subscriber = None
        self._set_state(SessionState.DISCONNECTED, self.end_reason)

    async def events(self) -> AsyncIterator[SessionEvent]:
        """Everything that happens, until the session is over."""
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, StateChanged) and event.state is SessionState.DISCONNECTED:
                return

    def _set_state(self, state: SessionState, reason: LeftReason | None = None) -> None:
        if state is not self.state:
            self.state = state
            self._events.put_nowait(StateChanged(state, reason))

    # actions ---------------------------------------------------------------------------------------

    async def send(self, message: BaseModel) -> None:
        if self._signalling is None:
            raise SignallingError("Not connected", "not_joined")
        await self._signalling.send(message)

    async def chat(self, text: str) -> None:
        await self.send(SendChat(text=text))

    async def raise_hand(self, raised: bool = True) -> None:
        await self.send(RaiseHand(raised=raised))

    async def react(self, emoji: str) -> None:
        await self.send(SendReaction(emoji=emoji))

    async def set_media(self, *, audio: bool, video: bool, screen: bool = False) -> None:
        senders = self._publisher.getSenders() if self._publisher else []
        for sender in senders:
            if sender.track is not None:
                # aiortc's mute switch: a disabled sender drops frames instead of sending them
                sender._enabled = audio if sender.track.kind == "audio" else video
        await self.send(MediaState(audio=audio, video=video, screen=screen))

    async def audio_level(self, level: float) -> None:
        await self.send(AudioLevel(level=level))

    async def kick(self, identity: str) -> None:
        await self.send(Kick(identity=identity))

    async def set_role(self, identity: str, role: str) -> None:
        await self.send(SetRole(identity=identity, role=role))  # type: ignore[arg-type]

    async def end_meeting(self) -> None:
        await self.send(EndMeeting())

    # media -----------------------------------------------------------------------------------------

    async def publish(self) -> None:
        """(Re)build the publisher connection with camera and microphone, and offer it."""
        if self._publisher is not None:
            await self._publisher.close()
        for track in self._local:
            track.stop()
        pc = RTCPeerConnection(self._rtc)
        self._publisher = pc
        self._local = []
        sources: dict[str, str] = {}
        if self.publish_video:
            self._local.append(SyntheticCamera(self.source_id))
        if self.publish_audio:
            self._meter = LevelMeter(SyntheticMicrophone(self.source_id))
            self._local.append(self._meter)
        for track in self._local:
            transceiver = pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(_forwardable_codecs(track.kind))
        if not self._local:
            return
        await pc.setLocalDescription(await pc.createOffer())
        for transceiver in pc.getTransceivers():
            if transceiver.mid is not None:
                sources[transceiver.mid] = "microphone" if transceiver.kind == "audio" else "camera"

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState == "failed" and self._publisher is pc and not self._leaving:
                logger.info("Session(%s) publisher connection failed: republishing", self.name)
                await self.publish()

        await self.send(PublishOffer(sdp=pc.localDescription.sdp, sources=sources))  # type: ignore[arg-type]
        await self.send(MediaState(audio=self.publish_audio, video=self.publish_video))
        if self._level_task is None or self._level_task.done():
            self._level_task = asyncio.create_task(self._report_levels(), name=f"levels-{self.name}")

    async def _report_levels(self) -> None:
        """Tell the server how loud this microphone is, a few times a second (it picks the active speaker)."""
        last = -1.0
        while self._signalling is not None:
            await asyncio.sleep(LEVEL_INTERVAL_S)
            if self._meter is None or self.state is not SessionState.CONNECTED:
                continue
            level = round(self._meter.level, 2)
            if abs(level - last) >= 0.02 or level >= SPEAKING_LEVEL:
                with contextlib.suppress(Exception):  # a drop is handled by the reader's recovery
                    await self.send(AudioLevel(level=level))
                last = level

    async def _reset_subscriber(self) -> None:
        if self._subscriber is not None:
            await self._subscriber.close()
        self._subscriber = None
        self.remote.clear()

    async def _on_subscribe_offer(self, offer: SubscribeOffer) -> None:
        if self._subscriber is None:
            pc = RTCPeerConnection(self._rtc)
            self._subscriber = pc

            @pc.on("track")
            def _track(track: MediaStreamTrack) -> None:
                mid = next((t.mid for t in pc.getTransceivers() if t.receiver.track is track), None)
                if mid is not None:
                    self._spawn(self._consume(mid, track))

        pc = self._subscriber
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        for mid, info in offer.tracks.items():
            remote = self.remote.setdefault(mid, RemoteTrack(mid, info.get("kind", "")))
            remote.identity, remote.source, remote.kind = info.get("identity", ""), info.get("source", ""), info["kind"]
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(SubscribeAnswer(sdp=pc.localDescription.sdp))

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        remote = self.remote.setdefault(mid, RemoteTrack(mid, track.kind))
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                remote.frames += 1
                if remote.first_frame_at is None:
                    remote.first_frame_at = time.monotonic()
                if track.kind == "video":
                    with contextlib.suppress(MarkerError):
                        remote.last_marker = decode_marker(frame)  # type: ignore[arg-type]
                        remote.markers_seen.add(remote.last_marker[0])

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # signalling ------------------------------------------------------------------------------------

    async def _read(self, signalling: SignallingClient) -> None:
        async for message in signalling.messages():
            await self._events.put(message)
            if isinstance(message, Left):
                self.end_reason = message.reason
                await self._finish(message.reason)
                return
            try:
                await self._handle(message)
            except Exception:
                logger.exception("Session(%s) could not handle %s", self.name, message.type)
        if not self._leaving and self.end_reason is None:
            self._spawn(self._recover())

    async def _handle(self, message: ServerMessage) -> None:
        if isinstance(message, SubscribeOffer):
            await self._on_subscribe_offer(message)
        elif isinstance(message, PublishAnswer) and self._publisher is not None:
            await self._publisher.setRemoteDescription(RTCSessionDescription(sdp=message.sdp, type="answer"))
        elif isinstance(message, RoleChanged):
            self.token = message.token

    async def _recover(self) -> None:
        """The socket dropped: resume within the grace period, else rejoin from scratch."""
        self._set_state(SessionState.RECONNECTING)
        assert self.joined is not None and self.token is not None
        session_id, grace = self.joined.sessionId, self.joined.reconnectGrace
        deadline = time.monotonic() + grace
        attempt = 0
        while not self._leaving:
            delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
            attempt += 1
            await asyncio.sleep(delay)
            resume = session_id if time.monotonic() < deadline else None
            try:
                signalling = await SignallingClient.connect(self.link.base_url, self.token, resume=resume)
            except SignallingError as exc:
                if exc.code == "network":
                    continue
                logger.info("Session(%s) cannot rejoin: %s", self.name, exc)
                await self._finish(LeftReason.NETWORK_DISCONNECT)
                return
            await self._attach(signalling)
            return

    # summary ---------------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Per remote track: frames received and time to the first one; the end reason."""
        participants = {p.identity: p.name for p in (self.joined.participants if self.joined else [])}
        return {
            "name": self.name,
            "identity": self.joined.you.identity if self.joined else None,
            "endReason": self.end_reason.value if self.end_reason else None,
            "tracks": [
                {
                    "identity": r.identity,
                    "name": participants.get(r.identity, r.identity),
                    "source": r.source,
                    "kind": r.kind,
                    "frames" if r.kind == "video" else "audioFrames": r.frames,
                    "firstFrameMs": round((r.first_frame_at - self.started_at) * 1000) if r.first_frame_at else None,
                }
                for r in self.remote.values()
            ],
        }


def _forwardable_codecs(kind: str) -> list[RTCRtpCodecCapability]:
    """VP8 (with its retransmissions) or Opus: the codecs the server's SFU forwards."""
    wanted = ("video/vp8", "video/rtx") if kind == "video" else ("audio/opus",)
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]

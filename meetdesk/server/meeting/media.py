"""The meeting's media: publisher and subscriber peer connections per participant, wired by the SFU.

Each participant publishes through one peer connection (the client offers; we answer) and receives
everybody else through another (we offer; the client answers). Every published track gets a
:class:`TrackForwarder`; every other participant gets a subscription to it on its subscriber
connection. When tracks come and go, the subscriber connections are renegotiated in place: freed
transceivers are reused, so nobody else's streams restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from meetdesk.core.errors import BadRequest
from meetdesk.core.signalling import PublishAnswer, PublishOffer, SubscribeAnswer, SubscribeOffer
from meetdesk.server.meeting.engine import MeetingEngine, Participant
from meetdesk.server.sfu import Subscription, TrackForwarder

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class IceConfig:
    """ICE servers for real networks; none by default (host candidates suffice on a LAN or loopback)."""

    urls: tuple[str, ...] = ()
    username: str | None = None
    credential: str | None = None

    def rtc(self) -> RTCConfiguration:
        servers = [RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential)]
        return media_configuration(servers if self.urls else [])


def media_configuration(ice_servers: list[RTCIceServer]) -> RTCConfiguration:
    """Max-bundle: every track on one transport. With aiortc's default (balanced) a third track of a kind
    gets a transport of its own that never connects, and its sender never starts."""
    return RTCConfiguration(iceServers=ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@dataclass(eq=False)
class Published:
    forwarder: TrackForwarder
    identity: str
    source: str
    key: str  # "<identity>/<mid>": unique while the publisher connection lives


@dataclass(eq=False)
class PeerMedia:
    """One participant's two peer connections and what flows through them."""

    identity: str
    publisher: RTCPeerConnection | None = None
    published: list[Published] = field(default_factory=list)
    subscriber: RTCPeerConnection | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # Published.key -> subscription
    answer: asyncio.Future[str] | None = None
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    negotiator: asyncio.Task[None] | None = None


class MediaRouter:
    """Plugs into :class:`MeetingEngine` as its ``media``."""

    def __init__(self, engine: MeetingEngine, ice: IceConfig | None = None) -> None:
        self._engine = engine
        self._ice = ice or IceConfig()
        self._peers: dict[tuple[str, str], PeerMedia] = {}  # (room, identity)
        engine.media = self

    def _peer(self, participant: Participant) -> PeerMedia:
        key = (participant.room_id, participant.identity)
        peer = self._peers.get(key)
        if peer is None:
            peer = self._peers[key] = PeerMedia(participant.identity)
        return peer

    def _room_peers(self, room_id: str) -> list[tuple[Participant, PeerMedia]]:
        meeting = self._engine.live(room_id)
        if meeting is None:
            return []
        return [(p, self._peer(p)) for p in meeting.participants.values()]

    # signalling messages ---------------------------------------------------------------------------

    async def handle(self, participant: Participant, message: PublishOffer | SubscribeAnswer) -> None:
        if isinstance(message, PublishOffer):
            await self._publish(participant, message)
        else:
            peer = self._peer(participant)
            if peer.answer is None or peer.answer.done():
                raise BadRequest("No subscribe offer is waiting for an answer")
            peer.answer.set_result(message.sdp)

    async def _publish(self, participant: Participant, offer: PublishOffer) -> None:
        """A (re)publish: a new publisher connection replaces the old one, with all of its tracks."""
        peer = self._peer(participant)
        await self._close_publisher(participant.room_id, peer)
        pc = RTCPeerConnection(self._ice.rtc())
        peer.publisher = pc
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc raises ValueError, InvalidStateError... for SDP it cannot use
            peer.publisher = None
            await pc.close()
            raise BadRequest(f"Invalid SDP offer: {exc}", error="invalid_sdp") from exc
        for transceiver in pc.getTransceivers():
            track = transceiver.receiver.track
            if track is None or transceiver.mid is None:
                continue
            source = offer.sources.get(transceiver.mid, "microphone" if track.kind == "audio" else "camera")
            key = f"{participant.identity}/{transceiver.mid}"
            forwarder = TrackForwarder(transceiver.receiver, track, name=f"{participant.room_id}/{key}:{source}")
            peer.published.append(Published(forwarder, participant.identity, source, key))
        participant.send(PublishAnswer(sdp=pc.localDescription.sdp))
        self._engine.update(participant, tracks={p.key: p.source for p in peer.published})
        logger.info("Room(%s) %s publishes %d track(s)", participant.room_id, participant.identity, len(peer.published))

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState == "failed" and peer.publisher is pc:
                logger.info("Room(%s) %s publisher connection failed", participant.room_id, participant.identity)
                await self._close_publisher(participant.room_id, peer)

        self._resync_room(participant.room_id)

    async def _close_publisher(self, room_id: str, peer: PeerMedia) -> None:
        published, pc = peer.published, peer.publisher
        peer.published, peer.publisher = [], None
        for item in published:
            item.forwarder.close()
        if pc is not None:
            await pc.close()
        if published:
            self._resync_room(room_id)

    async def participant_left(self, participant: Participant) -> None:
        peer = self._peers.pop((participant.room_id, participant.identity), None)
        if peer is None:
            return
        if peer.negotiator is not None:
            peer.negotiator.cancel()
        await self._close_publisher(participant.room_id, peer)
        for subscription in peer.subscriptions.values():
            subscription.close()
        if peer.subscriber is not None:
            await peer.subscriber.close()

    # subscriptions ---------------------------------------------------------------------------------

    def _resync_room(self, room_id: str) -> None:
        for participant, peer in self._room_peers(room_id):
            peer.dirty.set()
            if peer.negotiator is None or peer.negotiator.done():
                peer.negotiator = asyncio.create_task(
                    self._negotiate(participant, peer), name=f"subscribe-{peer.identity}"
                )

    def participant_joined(self, participant: Participant) -> None:
        self._resync_room(participant.room_id)

    async def _negotiate(self, participant: Participant, peer: PeerMedia) -> None:
        """Bring the subscriber connection in line with the tracks of the others, as often as they change."""
        while peer.dirty.is_set():
            peer.dirty.clear()
            try:
                await self._sync_subscriptions(participant, peer)
            except (TimeoutError, asyncio.InvalidStateError, ValueError) as exc:
                logger.info(
                    "Room(%s) subscribe negotiation with %s failed: %s", participant.room_id, peer.identity, exc
                )
                await self._reset_subscriber(peer)
                peer.dirty.set()
                await asyncio.sleep(0.5)
            if participant.connection is None:
                return  # reconnecting: renegotiate when it is back (the engine calls participant_joined)

    async def _sync_subscriptions(self, participant: Participant, peer: PeerMedia) -> None:
        wanted = {
            item.key: item
            for other, other_peer in self._room_peers(participant.room_id)
            if other is not participant
            for item in other_peer.published
            if not item.forwarder.closed and not item.forwarder.ended
        }
        if not wanted and not peer.subscriptions:
            return
        if peer.subscriber is None:
            peer.subscriber = RTCPeerConnection(self._ice.rtc())
        pc = peer.subscriber
        for key in [k for k in peer.subscriptions if k not in wanted]:
            subscription = peer.subscriptions.pop(key)
            sender = next((t.sender for t in pc.getTransceivers() if t.sender.track is subscription.track), None)
            subscription.close()
            if sender is not None:
                sender.replaceTrack(None)  # frees the transceiver for the next track of its kind
        for key, item in wanted.items():
            if key not in peer.subscriptions:
                peer.subscriptions[key] = item.forwarder.add_to(pc, participant.identity)
        await pc.setLocalDescription(await pc.createOffer())
        tracks: dict[str, dict[str, str]] = {}
        for transceiver in pc.getTransceivers():
            for key, subscription in peer.subscriptions.items():
                if transceiver.sender.track is subscription.track and transceiver.mid is not None:
                    item = wanted[key]
                    tracks[transceiver.mid] = {
                        "identity": item.identity,
                        "source": item.source,
                        "kind": transceiver.kind,
                    }
        peer.answer = asyncio.get_running_loop().create_future()
        participant.send(SubscribeOffer(sdp=pc.localDescription.sdp, tracks=tracks))
        sdp = await asyncio.wait_for(peer.answer, ANSWER_TIMEOUT_S)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        # aiortc starts the senders of a renegotiation only if the transport is connected by then: a
        # second offer while the first connection is still being set up would leave its tracks unsent.
        await asyncio.wait_for(_connected(pc), ANSWER_TIMEOUT_S)

    async def _reset_subscriber(self, peer: PeerMedia) -> None:
        for subscription in peer.subscriptions.values():
            subscription.close()
        peer.subscriptions.clear()
        if peer.subscriber is not None:
            with contextlib.suppress(Exception):
                await peer.subscriber.close()
        peer.subscriber = None


async def _connected(pc: RTCPeerConnection) -> None:
    """Return once ``pc`` is connected; raise ValueError if it fails or closes instead."""
    changed = asyncio.Event()
    pc.on("connectionstatechange", changed.set)
    try:
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise ValueError(f"subscriber connection {pc.connectionState}")
            changed.clear()
            await changed.wait()
    finally:
        pc.remove_listener("connectionstatechange", changed.set)

"""The meeting's media: publisher and subscriber peer connections per participant, wired by the SFU.

Each participant publishes through one peer connection (the client offers; we answer) and receives
everybody else through another (we offer; the client answers). Every published track gets a
:class:`TrackForwarder`; every other participant gets a subscription to it on its subscriber
connection. When tracks come and go, the subscriber connections are renegotiated in place: freed
transceivers are reused, so nobody else's streams restart.

A publish offer from the client's current publisher connection (same ICE credentials and DTLS
fingerprint) renegotiates it in place: a screen share starts or stops without touching the camera
and microphone. An offer from a new connection replaces the old one and all of its tracks. A
connection that fails or closes without us closing it is cleaned up at once: a publisher's tracks
are withdrawn from the others (until the client republishes); a subscriber connection is rebuilt
and offered afresh. So is one whose client side failed while ours still looks fine (ours would
notice only when ICE consent expires, ~30 s later): the client asks with ``resubscribe``.

Two-layer simulcast: a publisher's camera may come with a low layer (source ``camera_low``), tied to
the camera's :class:`Published`; the others see one camera track, and each gets the layer that suits
it (:func:`meetdesk.core.simulcast.choose_layer`, from the tile sizes it reports with ``video_tiles``).
A change of layer moves the subscriber's sender to the other layer's forwarder once that one has a
keyframe for it (asked of the publisher at once), without a renegotiation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamTrack

from meetdesk.core.errors import BadRequest, ErrorCode
from meetdesk.core.signalling import (
    ErrorMessage,
    PublishAnswer,
    PublishOffer,
    Resubscribe,
    SubscribeAnswer,
    SubscribeOffer,
    VideoTiles,
)
from meetdesk.core.simulcast import Layer, TileSize
from meetdesk.rtc import sdp as sdp_check
from meetdesk.rtc.ice import HostLimitedPeerConnection
from meetdesk.rtc.peer import close_peer_connection
from meetdesk.server.meeting.downlink import Downlink
from meetdesk.server.meeting.engine import MeetingEngine, Participant
from meetdesk.server.meeting.layers import SimulcastLayers
from meetdesk.server.recordings.capture import RoomCapture
from meetdesk.server.sfu import ForwarderStats, Subscription, TrackForwarder

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 10.0
# what a renegotiation raises when the connection failed or closed under it, or the answer does not fit
_NEGOTIATION_ERRORS = (
    TimeoutError,
    ValueError,
    asyncio.InvalidStateError,
    InvalidStateError,
    InvalidAccessError,
    OperationError,
)


class _Unanswered(Exception):
    """The client did not answer a subscribe offer in time."""


@dataclass(frozen=True)
class IceConfig:
    """ICE servers for real networks; none by default (host candidates suffice on a LAN or loopback).
    ``host_addresses``: the only addresses to offer host candidates on (empty: every interface)."""

    urls: tuple[str, ...] = ()
    username: str | None = None
    credential: str | None = None
    host_addresses: tuple[str, ...] = ()

    def rtc(self) -> RTCConfiguration:
        servers = [RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential)]
        return media_configuration(servers if self.urls else [])

    def peer_connection(self) -> RTCPeerConnection:
        if self.host_addresses:
            return HostLimitedPeerConnection(self.rtc(), self.host_addresses)
        return RTCPeerConnection(self.rtc())


def media_configuration(ice_servers: list[RTCIceServer]) -> RTCConfiguration:
    """Max-bundle: every track on one transport. With aiortc's default (balanced) a third track of a kind
    gets a transport of its own that never connects, and its sender never starts."""
    return RTCConfiguration(iceServers=ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@dataclass(eq=False)
class Published:
    forwarder: TrackForwarder
    identity: str
    source: str
    mid: str
    #: "<identity>/<mid>": names the track in ParticipantInfo.tracks. A republished or restarted track
    #: can get the key of an earlier one: subscriptions are matched by forwarder, not by key alone.
    key: str
    #: a camera's low layer (simulcast), and the mid it comes on
    low: TrackForwarder | None = None
    low_mid: str | None = None

    def layer(self, layer: Layer) -> TrackForwarder:
        """The forwarder of ``layer`` (the full one when there is no usable low layer)."""
        if layer is Layer.LOW and self.low is not None and not self.low.closed and not self.low.ended:
            return self.low
        return self.forwarder

    @property
    def has_low(self) -> bool:
        return self.low is not None and not self.low.closed and not self.low.ended

    def close(self) -> None:
        self.forwarder.close()
        if self.low is not None:
            self.low.close()


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
    #: the sizes this participant shows the others' cameras at (video_tiles), by identity
    tiles: dict[str, TileSize] = field(default_factory=dict)
    #: the layer each camera subscription forwards now, by Published.key
    layers: dict[str, Layer] = field(default_factory=dict)
    #: changes of layer under way, by Published.key
    switching: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    #: the subscriber's downlink estimate (made with its first video subscription), the cameras paused because
    #: of it (by Published.key), and what the subscriber was last told of them (identities, estimate)
    downlink: Downlink | None = None
    paused: set[str] = field(default_factory=set)
    told: tuple[tuple[str, ...], bool, int | None] = ((), False, None)


class MediaRouter(SimulcastLayers):
    """Plugs into :class:`MeetingEngine` as its ``media``."""

    def __init__(
        self, engine: MeetingEngine, ice: IceConfig | None = None, answer_timeout: float = ANSWER_TIMEOUT_S
    ) -> None:
        self._engine = engine
        self._ice = ice or IceConfig()
        self._answer_timeout = answer_timeout
        self._peers: dict[tuple[str, str], PeerMedia] = {}  # (room, identity)
        self._captures: dict[str, RoomCapture] = {}  # rooms being recorded
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

    async def handle(
        self, participant: Participant, message: PublishOffer | SubscribeAnswer | Resubscribe | VideoTiles
    ) -> None:
        if isinstance(message, PublishOffer):
            await self._publish(participant, message)
        elif isinstance(message, VideoTiles):
            peer = self._peer(participant)
            peer.tiles = {identity: TileSize(t.width, t.height) for identity, t in message.tiles.items()}
            self._apply_layers(participant, peer)
        elif isinstance(message, Resubscribe):
            await self._resubscribe(participant)
        else:
            peer = self._peer(participant)
            if peer.answer is None or peer.answer.done() or peer.subscriber is None:
                state = peer.subscriber.signalingState if peer.subscriber is not None else "none"
                raise BadRequest(
                    f"No subscribe offer is waiting for an answer (the subscriber connection's state is '{state}')"
                )
            offer = peer.subscriber.localDescription
            _checked(message.sdp, "answer", offer.sdp.count("\nm=") if offer is not None else 0)
            peer.answer.set_result(message.sdp)

    async def _publish(self, participant: Participant, offer: PublishOffer) -> None:
        _checked(offer.sdp, "offer")  # before aiortc: it would build whatever the offer asks for
        peer = self._peer(participant)
        pc = peer.publisher
        if pc is not None and pc.connectionState not in ("failed", "closed") and _same_endpoint(pc, offer.sdp):
            await self._renegotiate_publisher(participant, peer, pc, offer)
        else:
            await self._replace_publisher(participant, peer, offer)

    async def _replace_publisher(self, participant: Participant, peer: PeerMedia, offer: PublishOffer) -> None:
        """A new publisher connection replaces the old one, with all of its tracks."""
        await self._close_publisher(participant.room_id, peer)
        pc = self._ice.peer_connection()
        peer.publisher = pc
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc raises ValueError, InvalidStateError... for SDP it cannot use
            peer.publisher = None
            await close_peer_connection(pc)
            raise BadRequest(f"Invalid SDP offer: {exc}", code=ErrorCode.INVALID_SDP) from exc

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed") and peer.publisher is pc:
                # closed without us closing it: the client's side went away (DTLS close_notify)
                logger.info(
                    "Room(%s) %s publisher connection %s", participant.room_id, peer.identity, pc.connectionState
                )
                await self._close_publisher(participant.room_id, peer)
                self._announce_tracks(participant, peer)

        self._reconcile(participant, peer, pc, offer)
        participant.send(PublishAnswer(sdp=pc.localDescription.sdp))
        logger.info("Room(%s) %s publishes %d track(s)", participant.room_id, participant.identity, len(peer.published))

    async def _renegotiate_publisher(
        self, participant: Participant, peer: PeerMedia, pc: RTCPeerConnection, offer: PublishOffer
    ) -> None:
        """The client's publisher connection changed its tracks (a screen share started or stopped)."""
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            # half-applied: the connection is of no further use; the client republishes on a new one
            await self._close_publisher(participant.room_id, peer)
            self._announce_tracks(participant, peer)
            raise BadRequest(f"Invalid SDP offer: {exc}", code=ErrorCode.INVALID_SDP) from exc
        self._reconcile(participant, peer, pc, offer)
        participant.send(PublishAnswer(sdp=pc.localDescription.sdp))
        logger.info(
            "Room(%s) %s renegotiated: %d track(s)", participant.room_id, participant.identity, len(peer.published)
        )

    def _reconcile(self, participant: Participant, peer: PeerMedia, pc: RTCPeerConnection, offer: PublishOffer) -> None:
        """One forwarder per track the client sends now; tracks it stopped sending are withdrawn."""
        before = {item.mid: item for item in peer.published}
        old_lows = {item.low_mid: item.low for item in peer.published if item.low is not None}
        published: list[Published] = []
        low_layers: list[tuple[str, RTCRtpReceiver, MediaStreamTrack]] = []
        for transceiver in pc.getTransceivers():
            track, mid = transceiver.receiver.track, transceiver.mid
            if track is None or mid is None or transceiver.currentDirection not in ("recvonly", "sendrecv"):
                continue
            source = offer.sources.get(mid, "microphone" if track.kind == "audio" else "camera")
            if source == "camera_low":
                if track.kind == "video":
                    low_layers.append((mid, transceiver.receiver, track))
                continue
            item = before.pop(mid, None)
            if item is not None and item.source == source and not item.forwarder.closed and not item.forwarder.ended:
                published.append(item)
                continue
            if item is not None:
                item.forwarder.close()
            key = f"{participant.identity}/{mid}"
            published.append(
                Published(
                    self._forwarder(participant, key, source, transceiver.receiver, track),
                    participant.identity,
                    source,
                    mid,
                    key,
                )
            )
            if (capture := self._captures.get(participant.room_id)) is not None:
                self._capture(capture, published[-1])
        for item in before.values():
            item.forwarder.close()
        # the low layer goes with the camera (one of each per publisher connection)
        camera = next((item for item in published if item.source == "camera"), None)
        if camera is not None and low_layers:
            mid, receiver, track = low_layers[0]
            low = old_lows.pop(mid, None)
            if low is None or low.closed or low.ended or camera.low is not low:
                key = f"{participant.identity}/{mid}"
                low = self._forwarder(participant, key, "camera_low", receiver, track)
            camera.low, camera.low_mid = low, mid
        elif camera is not None:
            camera.low = camera.low_mid = None
        for low in old_lows.values():
            if low is not None and (camera is None or low is not camera.low):
                low.close()
        peer.published = published
        self._announce_tracks(participant, peer)
        self._resync_room(participant.room_id)

    def _forwarder(
        self, participant: Participant, key: str, source: str, receiver: RTCRtpReceiver, track: MediaStreamTrack
    ) -> TrackForwarder:
        forwarder = TrackForwarder(
            receiver,
            track,
            name=f"{participant.room_id}/{key}:{source}",
            on_ended=lambda _f: self._resync_room(participant.room_id),
        )
        forwarder.held = source == "microphone" and participant.muted_by is not None
        return forwarder

    def _announce_tracks(self, participant: Participant, peer: PeerMedia) -> None:
        if self._engine.live(participant.room_id) is not None:
            self._engine.update(participant, tracks={p.key: p.source for p in peer.published})

    async def _close_publisher(self, room_id: str, peer: PeerMedia) -> None:
        published, pc = peer.published, peer.publisher
        peer.published, peer.publisher = [], None
        for item in published:
            item.close()
        if pc is not None:
            await close_peer_connection(pc)
        if published:
            self._resync_room(room_id)

    async def participant_left(self, participant: Participant) -> None:
        peer = self._peers.pop((participant.room_id, participant.identity), None)
        if peer is None:
            return
        if peer.negotiator is not None:
            peer.negotiator.cancel()
        await self._close_publisher(participant.room_id, peer)
        await self._reset_subscriber(peer)

    # subscriptions ---------------------------------------------------------------------------------

    def _resync_room(self, room_id: str) -> None:
        for participant, peer in self._room_peers(room_id):
            self._resync(participant, peer)

    def _resync(self, participant: Participant, peer: PeerMedia) -> None:
        peer.dirty.set()
        if peer.negotiator is None or peer.negotiator.done():
            peer.negotiator = asyncio.create_task(self._negotiate(participant, peer), name=f"subscribe-{peer.identity}")

    async def _resubscribe(self, participant: Participant) -> None:
        """The client's side of the subscriber connection failed or closed: drop ours, offer a new one."""
        peer = self._peer(participant)
        pc = peer.subscriber
        if pc is not None and pc.remoteDescription is None and (peer.answer is None or not peer.answer.done()):
            # a new connection is being offered already (this side noticed first): the client answers it on a
            # new connection of its own. Dropping it now could have that answer taken for the next offer's.
            return
        logger.info(
            "Room(%s) %s resubscribes: offering a new subscriber connection", participant.room_id, peer.identity
        )
        # a negotiation under way may wait for an answer that will never come (its offer went to the failed connection)
        negotiator, peer.negotiator = peer.negotiator, None
        if negotiator is not None and not negotiator.done():
            negotiator.cancel()
            await asyncio.wait([negotiator])
        await self._reset_subscriber(peer)
        if self._peers.get((participant.room_id, participant.identity)) is peer:
            self._resync(participant, peer)

    def participant_joined(self, participant: Participant) -> None:
        self._resync_room(participant.room_id)

    # recording --------------------------------------------------------------------------------------

    def start_capture(self, room_id: str, directory: Path) -> RoomCapture:
        """Capture every track the room forwards, now and until :meth:`stop_capture`, into ``directory``."""
        if room_id in self._captures:
            raise RuntimeError(f"Room({room_id}) is captured already")
        capture = self._captures[room_id] = RoomCapture(directory)
        for _participant, peer in self._room_peers(room_id):
            for item in peer.published:
                if not item.forwarder.closed and not item.forwarder.ended:
                    self._capture(capture, item)
        logger.info("Room(%s) capture started", room_id)
        return capture

    def stop_capture(self, room_id: str, *, close: bool = True) -> RoomCapture | None:
        """Stop capturing the room; its files are complete when this returns (with ``close``; without, when
        the capture's ``close()``, which waits for its writers, returns)."""
        capture = self._captures.pop(room_id, None)
        if capture is None:
            return None
        offers = [track.offer for _, track in capture.captures]
        for peer in [p for (room, _), p in self._peers.items() if room == room_id]:
            for item in peer.published:
                item.forwarder.taps = [tap for tap in item.forwarder.taps if tap not in offers]
        if close:
            capture.close()
        logger.info("Room(%s) capture stopped", room_id)
        return capture

    @staticmethod
    def _capture(capture: RoomCapture, item: Published) -> None:
        forwarder = item.forwarder
        track = capture.add(item.identity, item.source, forwarder.kind, lambda: forwarder.request_keyframe("recording"))
        forwarder.taps.append(track.offer)
        if forwarder.kind == "video":
            forwarder.request_keyframe("recording started")

    def forward_audio(self, participant: Participant, on: bool) -> None:
        """Forward ``participant``'s microphone to the others, or hold it (muted by a moderator)."""
        peer = self._peers.get((participant.room_id, participant.identity))
        for item in peer.published if peer is not None else []:
            if item.source == "microphone":
                item.forwarder.held = not on

    def withdraw(self, participant: Participant, sources: set[str]) -> None:
        """Stop forwarding ``participant``'s tracks of these sources (its permissions no longer allow them):
        they end for everyone at once; the participant, told by ``role_changed``, renegotiates without them."""
        peer = self._peers.get((participant.room_id, participant.identity))
        if peer is None:
            return
        kept = [item for item in peer.published if item.source not in sources]
        if len(kept) == len(peer.published):
            return
        for item in peer.published:
            if item.source in sources:
                item.forwarder.close()
                if item.low is not None:
                    item.low.close()
        peer.published = kept
        logger.info(
            "Room(%s) %s may no longer send: %s", participant.room_id, peer.identity, ", ".join(sorted(sources))
        )
        self._announce_tracks(participant, peer)
        self._resync_room(participant.room_id)

    def peer_connections(
        self, room_id: str, identity: str
    ) -> tuple[RTCPeerConnection | None, RTCPeerConnection | None]:
        """A participant's (publisher, subscriber) connections on this side, for diagnostics and tests."""
        peer = self._peers.get((room_id, identity))
        return (peer.publisher, peer.subscriber) if peer is not None else (None, None)

    def forwarder_stats(self, room_id: str, identity: str) -> dict[str, ForwarderStats]:
        """What a participant's published tracks carried, by source ("camera", "microphone", "screen"), for
        diagnostics and tests."""
        peer = self._peers.get((room_id, identity))
        if peer is None:
            return {}
        stats = {item.source: item.forwarder.stats() for item in peer.published}
        for item in peer.published:
            if item.low is not None:
                stats[f"{item.source}_low"] = item.low.stats()
        return stats

    def layer(self, room_id: str, identity: str, publisher: str) -> Layer | None:
        """The layer of ``publisher``'s camera forwarded to ``identity`` now (None: not subscribed), for tests."""
        peer = self._peers.get((room_id, identity))
        if peer is None:
            return None
        source = self._peers.get((room_id, publisher))
        camera = next((item for item in source.published if item.source == "camera"), None) if source else None
        return peer.layers.get(camera.key) if camera is not None else None

    async def _negotiate(self, participant: Participant, peer: PeerMedia) -> None:
        """Bring the subscriber connection in line with the tracks of the others, as often as they change."""
        while peer.dirty.is_set():
            peer.dirty.clear()
            try:
                await self._sync_subscriptions(participant, peer)
            except _Unanswered:
                # given up: offering again and again to a client that never answers would hold a connection
                # and its tracks for nothing. The client is told; ``resubscribe`` brings a new offer.
                logger.info(
                    "Room(%s) %s did not answer its subscribe offer: withdrawn", participant.room_id, peer.identity
                )
                await self._reset_subscriber(peer)
                participant.send(
                    ErrorMessage(
                        code="timeout",
                        message=f"The subscribe offer was not answered within {self._answer_timeout:g} s and is "
                        "withdrawn: send 'resubscribe' for a new one",
                        ref="subscribe_offer",
                    )
                )
                return
            except _NEGOTIATION_ERRORS as exc:
                # the connection failed, closed (a state handler reset it) or did not take the answer
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
            peer.subscriber = self._new_subscriber(participant, peer)
        pc = peer.subscriber
        # a key whose track was republished since names another forwarder: drop the old subscription
        stale = [
            k
            for k, s in peer.subscriptions.items()
            if k not in wanted or s.forwarder not in (wanted[k].forwarder, wanted[k].low) or s.forwarder.closed
        ]
        for key in stale:
            self._cancel_switch(peer, key)
            peer.layers.pop(key, None)
            subscription = peer.subscriptions.pop(key)
            sender = next((t.sender for t in pc.getTransceivers() if t.sender.track is subscription.track), None)
            subscription.close()
            if sender is not None:
                sender.replaceTrack(None)  # frees the transceiver for the next track of its kind
        for key, item in wanted.items():
            if key not in peer.subscriptions:
                layer = self._choose_layer(peer, item, self._camera_share(peer, wanted))
                peer.subscriptions[key] = item.layer(layer).add_to(pc, participant.identity)
                peer.layers[key] = layer if item.layer(layer) is item.low else Layer.FULL
                self._watch_downlink(participant, peer, peer.subscriptions[key])
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
        try:
            sdp = await asyncio.wait_for(peer.answer, self._answer_timeout)
        except TimeoutError as exc:
            raise _Unanswered from exc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        # aiortc starts the senders of a renegotiation only if the transport is connected by then: a
        # second offer while the first connection is still being set up would leave its tracks unsent.
        await asyncio.wait_for(_connected(pc), self._answer_timeout)
        self._apply_layers(participant, peer)  # tiles reported, or low layers that came, during the negotiation

    def _new_subscriber(self, participant: Participant, peer: PeerMedia) -> RTCPeerConnection:
        pc = self._ice.peer_connection()

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed") and peer.subscriber is pc:
                # not closed by us: the client's side went away, or the transport failed
                logger.info(
                    "Room(%s) %s subscriber connection %s: offering a new one",
                    participant.room_id,
                    peer.identity,
                    pc.connectionState,
                )
                await self._reset_subscriber(peer)
                if self._peers.get((participant.room_id, participant.identity)) is peer:
                    self._resync_room(participant.room_id)

        return pc

    async def _reset_subscriber(self, peer: PeerMedia) -> None:
        for key in list(peer.switching):
            self._cancel_switch(peer, key)
        peer.layers.clear()
        peer.paused.clear()
        if peer.downlink is not None:
            peer.downlink.close()  # the next connection's link is measured afresh
            peer.downlink = None
        for subscription in peer.subscriptions.values():
            subscription.close()
        peer.subscriptions.clear()
        if peer.answer is not None and peer.answer.done():
            peer.answer = None  # answered the old connection: the next one has no answer yet
        pc, peer.subscriber = peer.subscriber, None  # first: its state handler must not take the close for a failure
        if pc is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(close_peer_connection(pc))  # a cancelled negotiator must not leave it half closed


def _checked(sdp: str, kind: sdp_check.Kind, offered: int | None = None) -> None:
    try:
        sdp_check.check(sdp, kind, offered)
    except sdp_check.SdpProblem as exc:
        raise BadRequest(f"Invalid SDP {kind}: {exc}", code=ErrorCode.INVALID_SDP) from exc


_ICE_UFRAG = re.compile(r"^a=ice-ufrag:(\S+)", re.MULTILINE)
_FINGERPRINT = re.compile(r"^a=fingerprint:(.+?)\s*$", re.MULTILINE)


def _same_endpoint(pc: RTCPeerConnection, offer_sdp: str) -> bool:
    """Whether ``offer_sdp`` comes from the peer ``pc`` is connected to (same ICE ufrag and DTLS fingerprint)."""
    current = pc.remoteDescription
    if current is None:
        return False

    def endpoint(sdp: str) -> tuple[str | None, str | None]:
        ufrag, fingerprint = _ICE_UFRAG.search(sdp), _FINGERPRINT.search(sdp)
        return (ufrag.group(1) if ufrag else None, fingerprint.group(1) if fingerprint else None)

    theirs = endpoint(offer_sdp)
    return None not in theirs and theirs == endpoint(current.sdp)


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

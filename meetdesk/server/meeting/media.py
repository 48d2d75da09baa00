"""The meeting's media: publisher and subscriber peer connections per participant, wired by the SFU.

Each participant publishes through one peer connection (the client offers; we answer;
:mod:`~meetdesk.server.meeting.publishing`) and receives everybody else through another (we offer; the client
answers; :mod:`~meetdesk.server.meeting.subscribing`). Every published track gets a :class:`TrackForwarder`;
every other participant gets a subscription to it on its subscriber connection.

Two-layer simulcast: a publisher's camera may come with a low layer, and each subscriber gets the layer that suits
it (:mod:`~meetdesk.server.meeting.layers`, from the tile sizes it reports with ``video_tiles`` and its downlink
estimate). A change of layer moves the subscriber's sender to the other layer's forwarder once that one has a
keyframe for it (asked of the publisher at once), without a renegotiation.

This module ties the two sides together and answers the engine: signalling messages, joins and departures,
recording captures, moderation (held audio, withdrawn sources) and diagnostics.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiortc import RTCPeerConnection

from meetdesk.core.errors import BadRequest
from meetdesk.core.signalling import PublishOffer, Resubscribe, SubscribeAnswer, VideoTiles
from meetdesk.core.simulcast import Layer, TileSize
from meetdesk.server.meeting.engine import MeetingEngine, Participant
from meetdesk.server.meeting.peers import IceConfig, PeerMedia, checked_sdp
from meetdesk.server.meeting.publishing import PublisherSide, capture_published
from meetdesk.server.meeting.subscribing import ANSWER_TIMEOUT_S, SubscriberSide
from meetdesk.server.recordings.capture import RoomCapture
from meetdesk.server.sfu import ForwarderStats

logger = logging.getLogger(__name__)


class MediaRouter(PublisherSide, SubscriberSide):
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
            checked_sdp(message.sdp, "answer", offer.sdp.count("\nm=") if offer is not None else 0)
            peer.answer.set_result(message.sdp)

    async def participant_left(self, participant: Participant) -> None:
        peer = self._peers.pop((participant.room_id, participant.identity), None)
        if peer is None:
            return
        if peer.negotiator is not None:
            peer.negotiator.cancel()
        await self._close_publisher(participant.room_id, peer)
        await self._reset_subscriber(peer)

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
                    capture_published(capture, item)
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

    def full_layer_arrives(self, room_id: str, identity: str) -> bool | None:
        """Whether ``identity``'s camera's full layer arrives (None: no camera with a low layer), for tests."""
        peer = self._peers.get((room_id, identity))
        camera = next((item for item in peer.published if item.source == "camera"), None) if peer else None
        return None if camera is None or not camera.has_low else not camera.full_idle

    def layer(self, room_id: str, identity: str, publisher: str) -> Layer | None:
        """The layer of ``publisher``'s camera forwarded to ``identity`` now (None: not subscribed), for tests."""
        peer = self._peers.get((room_id, identity))
        if peer is None:
            return None
        source = self._peers.get((room_id, publisher))
        camera = next((item for item in source.published if item.source == "camera"), None) if source else None
        return peer.layers.get(camera.key) if camera is not None else None

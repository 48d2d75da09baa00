"""The subscribing side of the media router: each participant's subscriber connection, kept in line with the
others' tracks.

Each participant receives everybody else through one peer connection (we offer; the client answers); every other
participant's published track gets a subscription on it. When tracks come and go, the subscriber connection is
renegotiated in place: freed transceivers are reused, so nobody else's streams restart. A subscriber connection
that fails or closes without us closing it is rebuilt and offered afresh. So is one whose client side failed
while ours still looks fine (ours would notice only when ICE consent expires, ~30 s later): the client asks with
``resubscribe``. The layer of each camera a subscriber gets is :class:`SimulcastLayers`' choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError

from meetdesk.core.errors import ErrorCode
from meetdesk.core.signalling import ErrorMessage, SubscribedTrack, SubscribeOffer
from meetdesk.core.simulcast import Layer
from meetdesk.rtc.peer import close_peer_connection
from meetdesk.server.meeting.engine import Participant
from meetdesk.server.meeting.layers import SimulcastLayers
from meetdesk.server.meeting.peers import IceConfig, PeerMedia

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


class SubscriberSide(SimulcastLayers):
    """Subscriber connections and their negotiation (mixed into the media router, which gives what is declared
    below)."""

    if TYPE_CHECKING:
        _ice: IceConfig
        _answer_timeout: float
        _peers: dict[tuple[str, str], PeerMedia]

        def _peer(self, participant: Participant) -> PeerMedia: ...

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
                        code=ErrorCode.TIMEOUT,
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
        cameras = {key: item for key, item in wanted.items() if item.source == "camera"}
        shares = self._camera_shares(peer, cameras)
        for key, item in wanted.items():
            if key not in peer.subscriptions:
                layer = self._choose_layer(peer, item, None if shares is None else shares.get(key))
                peer.subscriptions[key] = item.layer(layer).add_to(pc, participant.identity)
                peer.layers[key] = Layer.LOW if item.layer(layer) is item.low else Layer.FULL
                self._watch_downlink(participant, peer, peer.subscriptions[key])
        await pc.setLocalDescription(await pc.createOffer())
        tracks: dict[str, SubscribedTrack] = {}
        for transceiver in pc.getTransceivers():
            for key, subscription in peer.subscriptions.items():
                if transceiver.sender.track is subscription.track and transceiver.mid is not None:
                    item = wanted[key]
                    tracks[transceiver.mid] = SubscribedTrack.model_validate(
                        {"identity": item.identity, "source": item.source, "kind": transceiver.kind}
                    )
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

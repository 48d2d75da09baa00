"""The publishing side of the media router: each participant's publisher connection and its forwarders.

Each participant publishes through one peer connection (the client offers; we answer). Every published track
gets a :class:`TrackForwarder`. A publish offer from the client's current publisher connection (same ICE
credentials and DTLS fingerprint) renegotiates it in place: a screen share starts or stops without touching the
camera and microphone. An offer from a new connection replaces the old one and all of its tracks. A publisher
connection that fails or closes without us closing it is cleaned up at once: its tracks are withdrawn from the
others (until the client republishes).

Two-layer simulcast: a publisher's camera may come with a low layer (source ``camera_low``), tied to the
camera's :class:`Published`; the others see one camera track. While the full layer does not arrive (the publisher
stopped it: its uplink is too thin) they all get the low layer (:mod:`~meetdesk.server.meeting.layer_watch`).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from meetdesk.core.errors import BadRequest, ErrorCode
from meetdesk.core.signalling import PublishAnswer, PublishOffer
from meetdesk.rtc import adaptations
from meetdesk.rtc.peer import close_peer_connection
from meetdesk.server.meeting.engine import MeetingEngine, Participant
from meetdesk.server.meeting.layer_watch import FullLayerWatch
from meetdesk.server.meeting.peers import IceConfig, PeerMedia, Published, checked_sdp
from meetdesk.server.recordings.capture import RoomCapture
from meetdesk.server.sfu import TrackForwarder

logger = logging.getLogger(__name__)


class PublisherSide:
    """Publisher connections and their forwarders (mixed into the media router, which gives what is declared
    below)."""

    if TYPE_CHECKING:
        _engine: MeetingEngine
        _ice: IceConfig
        _captures: dict[str, RoomCapture]

        def _peer(self, participant: Participant) -> PeerMedia: ...

        def _resync_room(self, room_id: str) -> None: ...

        def _room_peers(self, room_id: str) -> list[tuple[Participant, PeerMedia]]: ...

        def _apply_layers(self, participant: Participant, peer: PeerMedia) -> None: ...

    async def _publish(self, participant: Participant, offer: PublishOffer) -> None:
        checked_sdp(offer.sdp, "offer")  # before aiortc: it would build whatever the offer asks for
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
                capture_published(capture, published[-1])
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
        if camera is not None:
            self._watch_full_layer(participant, camera)
        peer.published = published
        self._announce_tracks(participant, peer)
        self._resync_room(participant.room_id)

    def _watch_full_layer(self, participant: Participant, camera: Published) -> None:
        """Have the others moved to the low layer while ``camera``'s full layer does not arrive, and back."""
        low = camera.low if camera.has_low else None
        watch = camera.watch
        if watch is not None and (low is None or watch.low is not low or watch.full is not camera.forwarder):
            watch.close()
            camera.watch = watch = None
        if watch is None and low is not None and adaptations.enabled():
            room_id = participant.room_id
            camera.watch = FullLayerWatch(camera.forwarder, low, lambda: self._relayer(room_id))

    def _relayer(self, room_id: str) -> None:
        for participant, peer in self._room_peers(room_id):
            self._apply_layers(participant, peer)

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


def capture_published(capture: RoomCapture, item: Published) -> None:
    """Have ``capture`` record what ``item``'s forwarder forwards, from a keyframe."""
    forwarder = item.forwarder
    track = capture.add(item.identity, item.source, forwarder.kind, lambda: forwarder.request_keyframe("recording"))
    forwarder.taps.append(track.offer)
    if forwarder.kind == "video":
        forwarder.request_keyframe("recording started")


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

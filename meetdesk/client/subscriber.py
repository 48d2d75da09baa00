"""The receiving side of a participant: the subscriber peer connection the server offers, and what arrives on it.

The server offers (``subscribe_offer``) every other participant's tracks on one connection and
renegotiates it as tracks come and go; this side answers. An offer from a new server-side
connection (other ICE credentials or DTLS fingerprint: the server rebuilt its side after a failure)
gets a new connection here too. When this side fails first, the session asks the server for a new
connection (``resubscribe``); until it comes, offers for the failed one are not answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import InvalidStateError
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from pydantic import BaseModel

from meetdesk.client.media.synthetic import MarkerError, decode_marker
from meetdesk.client.publisher import PeerConnectionFactory
from meetdesk.client.receiving import lean_receiver
from meetdesk.core.signalling import SubscribeAnswer, SubscribeOffer
from meetdesk.rtc.peer import close_peer_connection

logger = logging.getLogger(__name__)

StateCallback = Callable[[RTCPeerConnection, str], None]
Send = Callable[[BaseModel], Awaitable[None]]
#: called with every decoded frame received (video and audio), on the event loop
FrameCallback = Callable[["RemoteTrack", Frame], None]


@dataclass
class RemoteTrack:
    """What this participant receives of one remote track (a participant's camera, microphone or screen).

    The same object stays with the track for the whole session: when the track is withdrawn
    (``active`` False) and comes back (a republish, a new connection), its counts go on.
    """

    mid: str
    kind: str
    identity: str = ""
    source: str = ""
    #: carried by the subscriber connection now (``mid`` is its m-line), or withdrawn
    active: bool = True
    frames: int = 0
    first_frame_at: float | None = None
    #: the last frame's synthetic marker (source id, frame number), when the sender is synthetic
    last_marker: tuple[int, int] | None = None
    markers_seen: set[int] = field(default_factory=set)
    #: the last video frame's (width, height): which simulcast layer arrives
    size: tuple[int, int] | None = None

    @property
    def key(self) -> str:
        return f"{self.identity}/{self.source}"


class Subscriber:
    """The subscriber connection. ``remote``: every track received in this session, by "<identity>/<source>"."""

    def __init__(
        self,
        name: str,
        rtc: RTCConfiguration,
        send: Send,
        on_state: StateCallback,
        on_frame: FrameCallback | None = None,
        read_markers: bool = True,
        peer_connection: PeerConnectionFactory = RTCPeerConnection,
    ) -> None:
        self._name = name
        self._peer_connection = peer_connection
        self._read_markers = read_markers
        self._rtc = rtc
        self._send = send
        self._on_state = on_state
        self.on_frame = on_frame
        self.pc: RTCPeerConnection | None = None
        self.remote: dict[str, RemoteTrack] = {}
        self._by_mid: dict[str, RemoteTrack] = {}  # what each m-line carries now
        self._tasks: set[asyncio.Task[None]] = set()
        #: the server-side endpoint of a connection that failed here, until a new connection replaces it
        self._failed_endpoint: tuple[str | None, str | None] | None = None

    @property
    def receiving(self) -> bool:
        """Whether the connection carries any track now."""
        return bool(self._by_mid)

    @property
    def lost(self) -> bool:
        """The connection failed here and no new one replaced it yet: the server has to offer one."""
        return self.pc is None and self._failed_endpoint is not None

    async def on_offer(self, offer: SubscribeOffer) -> bool:
        """Answer an offer; True if it came from a new server-side connection and replaced ours."""
        replaced = False
        if self.pc is None and self._failed_endpoint == sdp_endpoint(offer.sdp):
            # a renegotiation the server sent before it took our resubscribe: its new connection comes next
            logger.info("Session(%s) ignored an offer for the failed subscriber connection", self._name)
            return False
        if self.pc is not None and not _same_endpoint(self.pc, offer.sdp):
            logger.info("Session(%s) the server offers a new subscriber connection", self._name)
            await self.reset()
            replaced = True
        if self.pc is None:
            self.pc = self._new_connection()
            self._failed_endpoint = None
        pc = self.pc
        try:
            await self._apply(pc, offer)
        except InvalidStateError:
            # aiortc marks the signalling state closed as close() begins, the connection state as it ends
            if pc is self.pc and "closed" not in (pc.connectionState, pc.signalingState):
                raise
            # closed under us (it failed, or its session ended): the session asks for a new connection
            logger.info("Session(%s) the subscriber connection closed during a negotiation", self._name)
        return replaced

    async def _apply(self, pc: RTCPeerConnection, offer: SubscribeOffer) -> None:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        for mid in [mid for mid in self._by_mid if mid not in offer.tracks]:
            self._withdraw(mid)  # that transceiver is idle now
        for mid, info in offer.tracks.items():
            known = self._by_mid.get(mid)
            if known is not None and known.key == info.key:
                continue
            if known is not None:
                self._withdraw(mid)
            # the same participant's same source, back after a republish or on a new connection: counts go on
            track = self.remote.get(info.key) or RemoteTrack(mid, info.kind, info.identity, info.source)
            track.mid, track.active = mid, True
            self.remote[track.key] = self._by_mid[mid] = track
        await pc.setLocalDescription(await pc.createAnswer())
        await self._send(SubscribeAnswer(sdp=pc.localDescription.sdp))

    def _new_connection(self) -> RTCPeerConnection:
        pc = self._peer_connection(self._rtc)

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            transceiver = next((t for t in pc.getTransceivers() if t.receiver.track is track), None)
            if transceiver is None or transceiver.mid is None:
                return
            mid = transceiver.mid
            # before receive(), so its decoder thread has not started: decoded frames come to _arrived directly
            # and the track's queue gets only the end of the stream
            lean_receiver(transceiver.receiver, functools.partial(self._arrived, mid, track.kind))
            task = asyncio.create_task(self._consume(mid, track), name=f"receive-{self._name}-{mid}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        @pc.on("connectionstatechange")
        def _state() -> None:
            self._on_state(pc, pc.connectionState)

        return pc

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        """Until the track ends: the frames its queue gets (none when :func:`lean_receiver` took the receiver)."""
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, Frame):  # (a track may yield encoded packets: not a receiver's)
                    self._arrived(mid, track.kind, frame)

    def _arrived(self, mid: str, kind: str, frame: Frame) -> None:
        """A decoded frame on m-line ``mid``, on the event loop."""
        remote = self._by_mid.get(mid)  # the transceiver may carry another track by now
        if remote is None:
            return
        remote.frames += 1
        if remote.first_frame_at is None:
            remote.first_frame_at = time.monotonic()
        if kind == "video":
            remote.size = (frame.width, frame.height)  # type: ignore[attr-defined]
        if kind == "video" and self._read_markers:
            with contextlib.suppress(MarkerError):
                remote.last_marker = decode_marker(frame)  # type: ignore[arg-type]
                remote.markers_seen.add(remote.last_marker[0])
        if self.on_frame is not None:
            try:
                self.on_frame(remote, frame)
            except Exception:  # a broken consumer must not stop the reception
                logger.exception("Session(%s) the frame consumer failed", self._name)

    def _withdraw(self, mid: str) -> None:
        self._by_mid.pop(mid).active = False

    async def reset(self, failed: RTCPeerConnection | None = None) -> bool:
        """Drop the connection; the next offer starts a new one. With ``failed``: only if that is still the
        connection (False if it was replaced already), and offers for it are ignored from then on.

        Tracks that come back keep their counts.
        """
        if failed is not None and failed is not self.pc:
            return False  # replaced already
        remote = failed.remoteDescription if failed is not None else None
        self._failed_endpoint = sdp_endpoint(remote.sdp) if remote is not None else None
        for mid in list(self._by_mid):
            self._withdraw(mid)
        await self.close()
        return True

    async def close(self) -> None:
        """Close the connection; ``remote`` keeps the counts of what was received."""
        pc, self.pc = self.pc, None  # first: its state callback must not take this close for a failure
        for task in self._tasks:
            task.cancel()
        if pc is not None:
            await close_peer_connection(pc)


_ICE_UFRAG = re.compile(r"^a=ice-ufrag:(\S+)", re.MULTILINE)
_FINGERPRINT = re.compile(r"^a=fingerprint:(.+?)\s*$", re.MULTILINE)


def sdp_endpoint(sdp: str) -> tuple[str | None, str | None]:
    """The ICE username fragment and DTLS fingerprint of a description: who is at the other end."""
    ufrag, fingerprint = _ICE_UFRAG.search(sdp), _FINGERPRINT.search(sdp)
    return (ufrag.group(1) if ufrag else None, fingerprint.group(1) if fingerprint else None)


def _same_endpoint(pc: RTCPeerConnection, sdp: str) -> bool:
    current = pc.remoteDescription
    return current is None or sdp_endpoint(current.sdp) == sdp_endpoint(sdp)

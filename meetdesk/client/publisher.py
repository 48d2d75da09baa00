"""The sending side of a participant: camera, microphone and screen share on one publisher peer connection.

The client offers, the server answers. :meth:`Publisher.publish` builds a new connection with every
current track (at join, after a rejoin, and when the connection failed); starting or stopping the
screen share renegotiates the connection in place, so the camera and microphone never restart for
the others. The screen share's transceiver is kept when sharing stops (direction ``inactive``) and
reused by the next share.

With ``simulcast`` (the default) the camera goes out twice, full and as a low layer
(:mod:`meetdesk.client.media.layers`); the server forwards each of the others the layer that suits it.
The full layer follows the publisher's uplink estimate (:mod:`meetdesk.client.media.uplink`): a lower bit rate,
then half the frame rate, then off (the others get the low layer) on a thin link, and back as it recovers
(unless :mod:`meetdesk.rtc.adaptations` are off: then aiortc's encoder follows the server's REMB alone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.exceptions import InvalidStateError
from aiortc.mediastreams import MediaStreamTrack
from pydantic import BaseModel

from meetdesk.client.media.layers import FullLayerView, LowLayerView, use_low_layer_encoder
from meetdesk.client.media.level import LevelMeter
from meetdesk.client.media.opus_fec import use_fec_encoder
from meetdesk.client.media.source_view import SourceView
from meetdesk.client.media.switchable import SwitchableVideoTrack
from meetdesk.client.media.uplink import UplinkController, follow_uplink
from meetdesk.client.signalling import FailureCode, LinkFailure
from meetdesk.core.signalling import PublishOffer
from meetdesk.rtc import adaptations
from meetdesk.rtc.peer import close_peer_connection

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S: Final = 10.0
#: aiortc's per-sender switch (``RTCRtpSender._enabled``): a disabled sender reads its track and drops
#: the frames instead of encoding them. aiortc sets it from the negotiated direction after every answer.
#: tests/unit/client/test_aiortc_sender.py fails if the pinned aiortc changes it.
SENDER_ENABLED: Final = "_enabled"

StateCallback = Callable[[RTCPeerConnection, str], None]
#: makes a peer connection (RTCPeerConnection itself, or one behind the impairment harness)
PeerConnectionFactory = Callable[[RTCConfiguration], RTCPeerConnection]
Send = Callable[[BaseModel], Awaitable[None]]


class PublishError(Exception):
    """A publish offer that got no answer: refused by the server, timed out, or the socket went away."""

    def __init__(self, message: str, code: FailureCode = LinkFailure.UNKNOWN) -> None:
        super().__init__(message)
        self.code = code


class Publisher:
    """The publisher connection and the local tracks it sends.

    ``on_state(pc, state)`` is called on every connection state change of every connection this
    makes; compare ``pc`` with :attr:`pc` to know whether it is the current one.
    """

    def __init__(
        self,
        name: str,
        rtc: RTCConfiguration,
        send: Send,
        on_state: StateCallback,
        on_screen_ended: Callable[[MediaStreamTrack], None] | None = None,
        peer_connection: PeerConnectionFactory = RTCPeerConnection,
        simulcast: bool = True,
    ) -> None:
        self._name = name
        self._peer_connection = peer_connection
        #: send the camera's low layer too
        self.simulcast = simulcast
        self._rtc = rtc
        self._send = send
        self._on_state = on_state
        self.camera: MediaStreamTrack | None = None
        self.microphone: LevelMeter | None = None
        self.screen = SwitchableVideoTrack(on_source_ended=on_screen_ended)
        self.pc: RTCPeerConnection | None = None
        #: the full layer's control by the uplink estimate, on the current connection (None: no full layer, or
        #: the adaptations are off)
        self.uplink: UplinkController | None = None
        self.audio_enabled = True
        self.video_enabled = True
        #: a negotiation was interrupted: the connection's state is unknown, the next step is a new one
        self.stale = False
        self._answer: asyncio.Future[str] | None = None
        self._lock = asyncio.Lock()

    @property
    def sharing(self) -> bool:
        return self.screen.source is not None

    def use_sources(self, camera: MediaStreamTrack | None, microphone: MediaStreamTrack | None) -> None:
        """The tracks to send from the next :meth:`publish` on (the microphone gets a level meter)."""
        self.camera = camera
        self.microphone = LevelMeter(microphone) if microphone is not None else None

    # negotiation -----------------------------------------------------------------------------------

    async def publish(self) -> None:
        """Close the current connection, open a new one with every track, offer it and apply the answer."""
        async with self._lock:
            await self._publish()

    async def _publish(self) -> None:
        await self._close_connection()
        tracks = [t for t in (self.microphone, self.camera) if t is not None]
        if self.sharing:
            tracks.append(self.screen)
        if not tracks:
            return
        pc = self._peer_connection(self._rtc)
        self.pc = pc

        @pc.on("connectionstatechange")
        def _state() -> None:
            self._on_state(pc, pc.connectionState)

        for track in tracks:
            self._add(pc, track)
        await self._negotiate(pc)

    async def _negotiate(self, pc: RTCPeerConnection) -> None:
        """Offer ``pc``'s current tracks and apply the answer; raises :class:`PublishError` without one."""
        self.stale = True  # until the answer is applied
        try:
            await self._offer_and_answer(pc)
        except InvalidStateError as exc:  # aiortc: the connection closed under the negotiation
            raise PublishError(
                f"The publisher connection closed during its negotiation: {exc}", LinkFailure.CLOSED
            ) from exc
        self._apply_enabled(pc)  # the answer reset the senders' switches
        self.stale = False
        if self.uplink is not None and pc is self.pc:
            self.uplink.start()

    async def _offer_and_answer(self, pc: RTCPeerConnection) -> None:
        await pc.setLocalDescription(await pc.createOffer())
        sources: dict[str, str] = {}
        for transceiver in pc.getTransceivers():
            source = _source(transceiver)
            if transceiver.mid is not None and source is not None and transceiver.direction == "sendonly":
                low = isinstance(transceiver.sender.track, LowLayerView)
                sources[transceiver.mid] = "camera_low" if low else self._source_name(source)
        answer = self._answer = asyncio.get_running_loop().create_future()
        try:
            await self._send(PublishOffer(sdp=pc.localDescription.sdp, sources=sources))  # type: ignore[arg-type]
            sdp = await asyncio.wait_for(answer, ANSWER_TIMEOUT_S)
        except TimeoutError as exc:
            raise PublishError(f"The server did not answer the publish offer in {ANSWER_TIMEOUT_S:g} s") from exc
        finally:
            self._answer = None
            if answer.done() and not answer.cancelled():
                answer.exception()  # refused while the offer was still being sent: what was raised says so
        if pc is not self.pc:
            raise PublishError("The publisher connection was replaced during its negotiation")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    def take_answer(self, sdp: str) -> None:
        """The server's ``publish_answer``."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(sdp)
        else:
            logger.debug("Session(%s) ignored a publish answer nobody waits for", self._name)

    def refuse(self, error: PublishError) -> None:
        """The server answered the offer with an error, or the socket it went on is gone."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)

    def _add(self, pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
        # a view: aiortc stops a sender's track with its connection, and the source outlives it
        if track is self.camera and self.simulcast:
            full = FullLayerView(track)
            views: list[SourceView] = [full, full.low]
        else:
            views = [SourceView(track)]
        senders = []
        for view in views:
            transceiver = pc.addTransceiver(view, direction="sendonly")
            transceiver.setCodecPreferences(_forwardable_codecs(track.kind))
            senders.append(transceiver.sender)
            if track.kind == "audio" and adaptations.enabled():
                use_fec_encoder(transceiver.sender)  # in-band FEC once the server reports loss
        if isinstance(views[0], FullLayerView):
            low = use_low_layer_encoder(senders[1])
            if adaptations.enabled():
                self.uplink = follow_uplink(
                    pc, senders[0], views[0], low, lambda _on: self._apply_enabled(pc), name=self._name
                )

    def _screen_transceiver(self, pc: RTCPeerConnection) -> RTCRtpTransceiver | None:
        return next((t for t in pc.getTransceivers() if _source(t) is self.screen), None)

    def _source_name(self, track: MediaStreamTrack) -> str:
        if track is self.screen:
            return "screen"
        return "microphone" if track.kind == "audio" else "camera"

    # screen share ----------------------------------------------------------------------------------

    async def start_screen(self, source: MediaStreamTrack) -> MediaStreamTrack | None:
        """Send ``source`` as the screen share; returns the source it replaces, if any.

        If the server does not take it, the share is off again and the error raised; the connection
        is :attr:`stale` then (its next negotiation builds a new one).
        """
        async with self._lock:
            previous = self.screen.detach()
            self.screen.attach(source)
            if previous is not None:
                return previous  # already negotiated: the new source just takes its place
            try:
                pc = self.pc
                if pc is None or self.stale or pc.connectionState in ("failed", "closed"):
                    await self._publish()
                    return None
                transceiver = self._screen_transceiver(pc)
                if transceiver is None:
                    self._add(pc, self.screen)
                else:
                    transceiver.direction = "sendonly"
                await self._negotiate(pc)
            except BaseException:
                self.screen.detach()
                raise
            return None

    async def stop_screen(self) -> MediaStreamTrack | None:
        """Stop sending the screen share (its transceiver goes idle); returns the source it had."""
        async with self._lock:
            source = self.screen.detach()
            pc = self.pc
            transceiver = self._screen_transceiver(pc) if pc is not None else None
            if pc is not None and transceiver is not None and transceiver.direction != "inactive":
                transceiver.direction = "inactive"
                if not self.stale and pc.connectionState not in ("failed", "closed"):
                    await self._negotiate(pc)
            return source

    # mute ------------------------------------------------------------------------------------------

    def set_enabled(self, *, audio: bool, video: bool) -> None:
        """Mute or unmute the microphone and the camera (the tracks keep running; nothing is sent)."""
        self.audio_enabled, self.video_enabled = audio, video
        if self.pc is not None:
            self._apply_enabled(self.pc)

    def _apply_enabled(self, pc: RTCPeerConnection) -> None:
        for transceiver in pc.getTransceivers():
            source = _source(transceiver)
            if source is None or transceiver.direction != "sendonly":
                continue
            if source is self.microphone:
                setattr(transceiver.sender, SENDER_ENABLED, self.audio_enabled)
            elif source is self.camera:
                # the full layer is off too while the uplink cannot carry it (the low layer goes on)
                full = isinstance(transceiver.sender.track, FullLayerView)
                off = full and self.uplink is not None and not self.uplink.plan.on
                setattr(transceiver.sender, SENDER_ENABLED, self.video_enabled and not off)

    # teardown --------------------------------------------------------------------------------------

    async def _close_connection(self) -> None:
        pc, self.pc = self.pc, None  # first: its state callback must not take this close for a failure
        uplink, self.uplink = self.uplink, None
        if uplink is not None:
            await uplink.stop()
        if pc is not None:
            await close_peer_connection(pc)
        if uplink is not None:
            uplink.release_encoders()  # after the close: its senders no longer encode

    async def close(self) -> None:
        """Close the connection and stop every local track."""
        self.refuse(PublishError("The session is over", LinkFailure.CLOSED))
        await self._close_connection()
        for track in (self.camera, self.microphone, self.screen.detach()):
            if track is not None:
                track.stop()


def _source(transceiver: RTCRtpTransceiver) -> MediaStreamTrack | None:
    """The local source a transceiver sends (through its :class:`SourceView`)."""
    track = transceiver.sender.track
    return track.source if isinstance(track, SourceView) else None


def _forwardable_codecs(kind: str) -> list[RTCRtpCodecCapability]:
    """VP8 (with its retransmissions) or Opus: the codecs the server's SFU forwards."""
    wanted = ("video/vp8", "video/rtx") if kind == "video" else ("audio/opus",)
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]

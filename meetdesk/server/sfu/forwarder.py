"""The forwarder of one published track: encoded frames from a receiver, fanned out to subscribers.

The meeting engine makes one :class:`TrackForwarder` per track a participant publishes (from the
publisher peer connection's transceivers once the offer is applied) and one :class:`Subscription`
per participant that receives it, on that participant's subscriber peer connection::

    forwarder = TrackForwarder(transceiver.receiver, track, name="room/alice/camera")
    subscription = forwarder.add_to(bob_subscriber_pc, "bob")   # addTrack + VP8/Opus + PLI routing
    ...                                                          # renegotiate bob's connection
    subscription.close()       # bob's transceiver goes idle, reusable by the next add_to/addTrack
    forwarder.close()          # alice unpublished or left: every subscription closed

(``add_to`` is ``subscribe`` + ``pc.addTrack`` + ``setCodecPreferences(forwarded_codecs(kind))`` +
``bind_sender``; do those steps by hand to place the track some other way, e.g. ``replaceTrack``.)
The publisher side should offer only :func:`forwarded_codecs` too.

Functions in ``forwarder.taps`` get every frame that is forwarded (a recording's capture); they
must not block.

Setting ``forwarder.held`` stops forwarding without touching the connections (a moderator muted
that microphone); clearing it resumes at the next frame.

Fan-out is synchronous and never waits on a subscriber: each has a bounded queue (see
:mod:`.track`). Keyframes are asked of the publisher with RTCP PLI whenever a subscriber needs one
(a new subscriber, an overflow, a loss upstream, a PLI/FIR from a subscriber), at most once per
``pli_interval``, and again every ``pli_interval`` until one arrives.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final

import av
from aiortc import RTCPeerConnection, RTCRtpCodecCapability, RTCRtpReceiver, RTCRtpSender
from aiortc.mediastreams import MediaStreamTrack

from meetdesk.rtc import adaptations
from meetdesk.rtc.clock import AUDIO_TIME_BASE, VIDEO_TIME_BASE

from . import hooks
from .frames import EncodedFrame
from .track import DEFAULT_AUDIO_QUEUE, DEFAULT_VIDEO_QUEUE, ForwardedTrack, SubscriberStats

logger = logging.getLogger(__name__)

DEFAULT_PLI_INTERVAL: Final = 0.3
#: an audio publisher is told the worst loss its subscribers report at most this often
LOSS_REPORT_INTERVAL: Final = 1.0
#: a subscriber's loss report counts for this long
LOSS_REPORT_TTL: Final = 5.0
#: the arrival bit rate is measured over this long
RATE_WINDOW_S: Final = 1.0

# Where the timestamps of idle senders stopped, for the subscription that reuses them next.
_sender_timelines: weakref.WeakKeyDictionary[RTCRtpSender, tuple[int, float]] = weakref.WeakKeyDictionary()


def forwarded_codecs(kind: str) -> list[RTCRtpCodecCapability]:
    """The codecs the SFU forwards, for ``RTCRtpTransceiver.setCodecPreferences`` on both sides.

    VP8 (with RTX) for video, Opus for audio: the assemblers know no other payload format.
    """
    wanted = {"video": ("video/vp8", "video/rtx"), "audio": ("audio/opus",)}[kind]
    capabilities = RTCRtpSender.getCapabilities(kind)
    return [codec for codec in capabilities.codecs if codec.mimeType.lower() in wanted]


class SubscriptionError(Exception):
    """A subscription that cannot be made (the forwarder is closed, or the subscriber has one)."""


@dataclass(frozen=True, slots=True)
class ForwarderStats:
    """Counters of one forwarder: what came from the publisher, and each subscription's stats."""

    kind: str
    frames_received: int
    keyframes_received: int
    plis_sent: int
    upstream_losses: int
    subscribers: dict[str, SubscriberStats] = field(default_factory=dict)
    #: packets lost upstream that came back in time (the receiver's NACK, the publisher's retransmission)
    upstream_repaired: int = 0


class Subscription:
    """One subscriber's copy of a forwarded track. Add :attr:`track` to the subscriber's peer connection."""

    def __init__(self, forwarder: TrackForwarder, subscriber_id: str, track: ForwardedTrack) -> None:
        self.forwarder = forwarder
        self.subscriber_id = subscriber_id
        self._track = track
        self._sender: RTCRtpSender | None = None
        #: the fraction of packets the subscriber last reported lost (RTCP RR), and when (audio only)
        self.reported_loss = 0.0
        self.reported_at = -float("inf")

    @property
    def track(self) -> MediaStreamTrack:
        """The track for ``RTCPeerConnection.addTrack`` or ``RTCRtpSender.replaceTrack``."""
        return self._track

    @property
    def closed(self) -> bool:
        return self._track.readyState != "live"

    @property
    def sender(self) -> RTCRtpSender | None:
        """The subscriber's sender this subscription is bound to (:meth:`bind_sender`), if any."""
        return self._sender

    async def started(self) -> None:
        """Return once the track has something to send (a video one: the keyframe it starts with)."""
        await self._track.started.wait()

    def bind_sender(self, sender: RTCRtpSender) -> None:
        """Route PLI/FIR that the subscriber sends for ``sender`` to the publisher, and have the sender
        answer NACKs from the SFU's retransmission history (:mod:`.history`).

        If ``sender`` carried another forwarded track before (closed, or still on it: then bind
        before ``replaceTrack``), this one continues its timestamps.
        """
        hooks.redirect_keyframe_requests(sender, self.request_keyframe)
        if adaptations.enabled():
            hooks.keep_history(sender)  # NACKs answered from the SFU's own history, within a budget
            if self.forwarder.kind == "audio":
                hooks.watch_loss_reports(sender, self._note_loss)  # the publisher's Opus FEC follows it
        self._sender = sender
        previous = sender.track
        if isinstance(previous, ForwardedTrack) and previous is not self._track and previous.readyState == "live":
            self._track.continue_after(previous.timeline())
        elif (timeline := _sender_timelines.pop(sender, None)) is not None:
            self._track.continue_after(timeline)

    def _note_loss(self, fraction: float) -> None:
        self.reported_loss, self.reported_at = fraction, time.monotonic()

    def request_keyframe(self) -> None:
        """The subscriber lost pictures (PLI/FIR): ask the publisher for a keyframe (throttled)."""
        self._track.note_keyframe_request()
        self.forwarder.request_keyframe(f"PLI/FIR from {self.subscriber_id}")

    def stats(self) -> SubscriberStats:
        history = hooks.history_of(self._sender) if self._sender is not None else None
        stats = self._track.stats()
        return stats if history is None else replace(stats, retransmissions=history.stats())

    @property
    def paused(self) -> bool:
        return self._track.paused

    def pause(self) -> None:
        """Stop forwarding to this subscriber for now (its link does not carry the video); :meth:`resume` ends it."""
        self._track.pause()

    def resume(self) -> None:
        """Forward again, from the next keyframe (asked of the publisher now)."""
        if self._track.resume():
            self.forwarder.request_keyframe(f"{self.subscriber_id} resumes")

    def close(self) -> None:
        """End the subscription. Idempotent.

        With a bound sender, the sender is left idle (``replaceTrack(None)`` if it still carries
        this track) and alive: its transceiver can carry another subscription after
        ``addTrack``/``replaceTrack`` and a renegotiation. Without one, the track just ends, and
        aiortc ends the sender's RTP loop for good.
        """
        sender, self._sender = self._sender, None
        if sender is None:
            self._track.stop()
            return
        hooks.restore_keyframe_requests(sender, self.request_keyframe)
        if sender.track is self._track:
            sender.replaceTrack(None)
            _sender_timelines[sender] = self._track.timeline()
        self._track.detach()


class TrackForwarder:
    """Forwards the encoded frames of one published track (``receiver`` and its remote ``track``).

    Taps the receiver at construction: from then on its frames are not decoded. ``on_ended`` runs
    once if the publisher's stream ends (receiver stopped, RTCP BYE, transport gone).
    """

    def __init__(
        self,
        receiver: RTCRtpReceiver,
        track: MediaStreamTrack,
        *,
        name: str | None = None,
        pli_interval: float = DEFAULT_PLI_INTERVAL,
        max_queue: int | None = None,
        on_ended: Callable[[TrackForwarder], None] | None = None,
    ) -> None:
        if track.kind not in ("audio", "video"):
            raise ValueError(f"cannot forward a {track.kind!r} track")
        self.kind: str = track.kind
        self.name = name or track.id
        self._receiver = receiver
        self._pli_interval = pli_interval
        self._max_queue = max_queue or (DEFAULT_VIDEO_QUEUE if self.kind == "video" else DEFAULT_AUDIO_QUEUE)
        self._time_base = VIDEO_TIME_BASE if self.kind == "video" else AUDIO_TIME_BASE
        self._on_ended = on_ended
        self._subscriptions: dict[str, Subscription] = {}
        self._tracks: list[ForwardedTrack] = []
        self._closed = False
        self._ended = False
        #: while held, frames still arrive (and are counted) but none is forwarded: a muted microphone
        self.held = False
        self._ssrc: int | None = None
        self._ts_origin: int | None = None
        self._keyframe_wanted = False
        #: since when a keyframe is awaited (monotonic; None: none is)
        self.keyframe_wanted_since: float | None = None
        self._last_pli = -float("inf")
        self._pli_tasks: set[asyncio.Future[None]] = set()
        self._loss_reported_at = -float("inf")
        self._frames = 0
        self._bytes = 0
        self._rate_mark = (0, time.monotonic())
        #: the bit rate frames arrive at, measured over the last second or so (None: not yet)
        self.bitrate: float | None = None
        self._keyframes = 0
        self._plis = 0
        #: what else receives every frame forwarded (the recording's capture): called on the loop, must not block
        self.taps: list[Callable[[EncodedFrame], None]] = []
        self._assembler = hooks.tap_receiver(receiver, self._on_frame, self._on_upstream_end)
        logger.debug("Forwarder(%s) attached to a %s receiver", self.name, self.kind)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ended(self) -> bool:
        """Whether the publisher's stream ended (the forwarder stays usable for stats until closed)."""
        return self._ended

    def subscribe(self, subscriber_id: str, *, max_queue: int | None = None) -> Subscription:
        """A new subscription; video ones start at the next keyframe, asked of the publisher now."""
        if self._closed or self._ended:
            raise SubscriptionError(f"Forwarder({self.name}) is closed")
        if subscriber_id in self._subscriptions:
            raise SubscriptionError(f"Forwarder({self.name}) already has a subscription for {subscriber_id}")
        track = ForwardedTrack(self.kind, max_queue or self._max_queue, on_stop=self._on_track_stop)
        subscription = Subscription(self, subscriber_id, track)
        self._subscriptions[subscriber_id] = subscription
        self._tracks.append(track)
        logger.debug("Forwarder(%s) subscribed %s", self.name, subscriber_id)
        if self.kind == "video":
            self.request_keyframe(f"new subscriber {subscriber_id}")
        return subscription

    def add_to(self, pc: RTCPeerConnection, subscriber_id: str, *, max_queue: int | None = None) -> Subscription:
        """Subscribe, add the track to the subscriber's ``pc`` (forwarded codec only) and bind the sender.

        The caller renegotiates afterwards.
        """
        subscription = self.subscribe(subscriber_id, max_queue=max_queue)
        sender = pc.addTrack(subscription.track)
        for transceiver in pc.getTransceivers():
            if transceiver.sender is sender:
                transceiver.setCodecPreferences(forwarded_codecs(self.kind))
        subscription.bind_sender(sender)
        return subscription

    def subscription(self, subscriber_id: str) -> Subscription | None:
        return self._subscriptions.get(subscriber_id)

    def unsubscribe(self, subscriber_id: str) -> None:
        """End ``subscriber_id``'s subscription, if any."""
        subscription = self._subscriptions.get(subscriber_id)
        if subscription is not None:
            subscription.close()

    def request_keyframe(self, reason: str) -> None:
        """Ask the publisher for a keyframe; repeated every ``pli_interval`` until one arrives."""
        if self.kind != "video" or self._closed:
            return
        if not self._keyframe_wanted:
            logger.debug("Forwarder(%s) wants a keyframe: %s", self.name, reason)
            self.keyframe_wanted_since = time.monotonic()
        self._keyframe_wanted = True
        self._maybe_send_pli()

    @property
    def bytes_received(self) -> int:
        """The payload bytes of every frame received from the publisher so far."""
        return self._bytes

    def stats(self) -> ForwarderStats:
        return ForwarderStats(
            kind=self.kind,
            frames_received=self._frames,
            keyframes_received=self._keyframes,
            plis_sent=self._plis,
            upstream_losses=getattr(self._assembler, "losses", 0),
            subscribers={sid: s.stats() for sid, s in self._subscriptions.items()},
            upstream_repaired=getattr(self._assembler, "repaired", 0),
        )

    def close(self) -> None:
        """End every subscription and stop forwarding. The receiver stays tapped (it is not decoded)."""
        if self._closed:
            return
        self._closed = True
        for subscription in list(self._subscriptions.values()):
            subscription.close()
        for task in self._pli_tasks:
            task.cancel()
        logger.debug("Forwarder(%s) closed", self.name)

    # -- the receiver's side

    def _on_frame(self, frame: EncodedFrame) -> None:
        if self._closed:
            return
        self._frames += 1
        self._bytes += len(frame.data)
        now = time.monotonic()
        if now - self._rate_mark[1] >= RATE_WINDOW_S:
            self.bitrate = (self._bytes - self._rate_mark[0]) * 8 / (now - self._rate_mark[1])
            self._rate_mark = (self._bytes, now)
        self._ssrc = frame.ssrc
        if self._ts_origin is None:
            self._ts_origin = frame.timestamp
        if frame.keyframe and self.kind == "video":
            self._keyframes += 1
            self._keyframe_wanted, self.keyframe_wanted_since = False, None
        if not self.held:
            for tap in self.taps:
                tap(frame)
        if self._tracks and not self.held:
            packet = av.Packet(frame.data)
            packet.pts = max(0, frame.timestamp - self._ts_origin)
            packet.time_base = self._time_base
            packet.is_keyframe = frame.keyframe
            wanted = False
            for track in self._tracks:
                wanted |= track.offer(frame, packet)
            if wanted and not self._keyframe_wanted:
                self._keyframe_wanted, self.keyframe_wanted_since = True, now
        if self._keyframe_wanted and self.kind == "video":
            self._maybe_send_pli()
        elif self.kind == "audio":
            self._maybe_report_loss(frame.received_at)

    def _maybe_report_loss(self, now: float) -> None:
        """Tell the publisher the worst loss a subscriber reports lately, so its Opus FEC covers it."""
        if self._ssrc is None or now - self._loss_reported_at < LOSS_REPORT_INTERVAL:
            return
        self._loss_reported_at = now
        recent = [s.reported_loss for s in self._subscriptions.values() if now - s.reported_at < LOSS_REPORT_TTL]
        worst = max(recent, default=0.0)
        if worst <= 0:
            return  # aiortc's own reports say what the publisher's link loses
        task = asyncio.ensure_future(hooks.report_loss_upstream(self._receiver, self._ssrc, worst))
        self._pli_tasks.add(task)
        task.add_done_callback(self._pli_done)

    def _on_upstream_end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self._closed:
            return  # closed first (the publisher connection closes after): nothing left to tell
        logger.info("Forwarder(%s) publisher's stream ended", self.name)
        for subscription in list(self._subscriptions.values()):
            subscription.close()
        if self._on_ended is not None:
            self._on_ended(self)

    def _on_track_stop(self, track: ForwardedTrack) -> None:
        self._tracks = [t for t in self._tracks if t is not track]
        for subscriber_id, subscription in list(self._subscriptions.items()):
            if subscription._track is track:
                del self._subscriptions[subscriber_id]
                logger.debug("Forwarder(%s) unsubscribed %s", self.name, subscriber_id)

    def _maybe_send_pli(self) -> None:
        now = time.monotonic()
        if self._ssrc is None or now - self._last_pli < self._pli_interval:
            return  # no packet yet (the first frame will do), or throttled: the next frame retries
        self._last_pli = now
        self._plis += 1
        task = asyncio.ensure_future(hooks.send_pli(self._receiver, self._ssrc))
        self._pli_tasks.add(task)
        task.add_done_callback(self._pli_done)

    def _pli_done(self, task: asyncio.Future[None]) -> None:
        self._pli_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("Forwarder(%s) could not send RTCP upstream: %r", self.name, task.exception())

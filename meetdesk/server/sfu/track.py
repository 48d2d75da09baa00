"""The track a subscriber's ``RTCRtpSender`` reads: encoded frames from one forwarder, bounded.

``recv()`` returns ``av.Packet`` objects, which aiortc's sender packetizes without encoding. The
queue is bounded: a subscriber that does not keep up loses what is queued and waits for the next
keyframe (its forwarder asks the publisher for one), so it never holds up the others and never
sends a frame that its decoder cannot use.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.rtc.clock import AUDIO_CLOCK_RATE, AUDIO_TIME_BASE, VIDEO_CLOCK_RATE, VIDEO_TIME_BASE

from .frames import EncodedFrame
from .history import HistoryStats

logger = logging.getLogger(__name__)

DEFAULT_VIDEO_QUEUE: Final = 15  # frames, half a second at 30 fps
DEFAULT_AUDIO_QUEUE: Final = 25  # frames, half a second at 20 ms
# One 20 ms Opus frame of silence (TOC: CELT fullband 20 ms, mono, one frame), as SFUs send for it.
OPUS_SILENCE: Final = b"\xf8\xff\xfe"
OPUS_FRAME_TICKS: Final = 960
VIDEO_FRAME_TICKS: Final = 3000  # one frame at 30 fps


@dataclass(frozen=True, slots=True)
class SubscriberStats:
    """Counters of one subscription.

    ``frames_forwarded``: handed to the sender. ``frames_dropped``: thrown away because the
    subscriber fell behind (the queue overflowed, and the frames until the next keyframe).
    ``frames_skipped``: not sent while waiting for a keyframe to start on (at subscription, after
    a loss upstream). ``keyframes_requested``: times this subscription needed a keyframe (start,
    overflow, upstream loss, and PLI/FIR from the subscriber); the forwarder throttles what it
    sends upstream. ``queued``: frames waiting now.
    """

    frames_forwarded: int
    frames_dropped: int
    frames_skipped: int
    keyframes_requested: int
    queued: int
    #: what the subscriber's sender retransmitted (NACK) from the SFU's history; None: no history (audio
    #: senders keep one too; none before the subscription is bound to a sender, or with adaptations off)
    retransmissions: HistoryStats | None = None


class ForwardedTrack(MediaStreamTrack):
    """A subscriber's copy of a published track: a bounded queue of encoded frames.

    Starts (and restarts after an overflow) at a keyframe. ``offer()`` is the forwarder's side and
    returns whether this track now wants a keyframe. ``on_stop`` runs once when the track ends,
    whoever ends it (the forwarder, or aiortc when the sender stops).
    """

    def __init__(self, kind: str, max_queue: int, on_stop: Callable[[ForwardedTrack], None] | None = None) -> None:
        super().__init__()
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.kind = kind
        self._max_queue = max_queue
        self._queue: deque[av.Packet[Any]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._on_stop = on_stop
        self.waiting_for_keyframe = self._asking = kind == "video"
        self._behind = False  # waiting because this subscriber fell behind (its frames count as dropped)
        self._forwarded = 0
        self._dropped = 0
        self._skipped = 0
        self._keyframe_requests = 1 if self.waiting_for_keyframe else 0
        self._forwarded_at_request = -1
        self._detached = False
        self._clock_rate = VIDEO_CLOCK_RATE if kind == "video" else AUDIO_CLOCK_RATE
        self._frame_ticks = VIDEO_FRAME_TICKS if kind == "video" else OPUS_FRAME_TICKS
        self._last_pts = 0  # of the last packet recv() returned, on this track's timeline
        self._last_at = 0.0
        self._continue_from: tuple[int, float] | None = None
        self._offset = 0
        #: while paused, frames are not queued (counted as skipped); see :meth:`pause`
        self.paused = False
        #: set once a frame was queued (for video: the keyframe it starts with)
        self.started = asyncio.Event()

    def stats(self) -> SubscriberStats:
        return SubscriberStats(
            frames_forwarded=self._forwarded,
            frames_dropped=self._dropped,
            frames_skipped=self._skipped,
            keyframes_requested=self._keyframe_requests,
            queued=len(self._queue),
        )

    def offer(self, frame: EncodedFrame, packet: av.Packet[Any]) -> bool:
        """Queue ``packet`` (made from ``frame``) if this track can use it; True if it wants a keyframe."""
        if self.readyState != "live":
            return False
        if self.paused:
            self._skipped += 1
            return False
        if self.waiting_for_keyframe:
            if not frame.keyframe:
                if self._behind:
                    self._dropped += 1
                else:
                    self._skipped += 1
                return self._asking
            self.waiting_for_keyframe = self._asking = self._behind = False
        elif frame.after_loss and not frame.keyframe and self.kind == "video":
            self._skipped += 1
            self._wait_for_keyframe(behind=False)
            return True
        if len(self._queue) >= self._max_queue:
            self._dropped += len(self._queue)
            self._queue.clear()
            if not frame.keyframe:
                logger.debug("ForwardedTrack(%s) overflowed; waiting for a keyframe", self.id)
                self._dropped += 1
                # A subscriber that has read nothing since it last asked is stalled, not slow: it
                # waits for the next keyframe anyone asks for rather than make the publisher send
                # keyframes (costly for every subscriber) that it will not read either.
                stalled = self._forwarded == self._forwarded_at_request
                self._wait_for_keyframe(behind=True, ask=not stalled)
                return self._asking
        self._queue.append(packet)
        self.started.set()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return False

    def _wait_for_keyframe(self, *, behind: bool, ask: bool = True) -> None:
        self.waiting_for_keyframe = True
        self._behind = behind
        self._asking = ask
        if ask:
            self._forwarded_at_request = self._forwarded
            self._keyframe_requests += 1

    def pause(self) -> None:
        """Queue nothing until :meth:`resume` (the subscriber's link does not carry this video); what is queued
        goes (the sender idles: its ``recv()`` waits)."""
        if self.kind != "video" or self.paused:
            return
        self.paused = True
        self._skipped += len(self._queue)
        self._queue.clear()

    def resume(self) -> bool:
        """Queue frames again from the next keyframe; True if it was paused (the caller asks for that keyframe)."""
        if not self.paused:
            return False
        self.paused = False
        self._wait_for_keyframe(behind=False)
        return True

    def note_keyframe_request(self) -> None:
        """Count a PLI/FIR the subscriber sent for this track."""
        self._keyframe_requests += 1

    async def recv(self) -> av.Packet[Any]:
        while not self._queue:
            if self.readyState != "live":
                if self._detached:
                    self._detached = False
                    return self._filler()
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        packet = self._queue.popleft()
        if self._forwarded == 0 and self._continue_from is not None:
            last_pts, last_at = self._continue_from
            gap = max(2 * self._frame_ticks, round((time.monotonic() - last_at) * self._clock_rate))
            self._offset = last_pts + gap - (packet.pts or 0)
        if self._offset:
            # the packet is shared with the other subscribers: this one gets its own timestamp
            shifted = av.Packet(bytes(packet))
            shifted.pts, shifted.time_base = (packet.pts or 0) + self._offset, packet.time_base
            shifted.is_keyframe = packet.is_keyframe
            packet = shifted
        self._forwarded += 1
        self._last_pts, self._last_at = packet.pts or 0, time.monotonic()
        return packet

    def timeline(self) -> tuple[int, float]:
        """The last timestamp this track gave its sender, and when: for :meth:`continue_after`."""
        return self._last_pts, self._last_at

    def continue_after(self, timeline: tuple[int, float]) -> None:
        """Continue the RTP timestamps of the track the sender carried before (see :meth:`timeline`).

        A reused sender keeps its SSRC and timestamp origin, so without this the new stream's
        timestamps would restart from the forwarder's clock: repeated or backwards timestamps
        make a receiver glue frames of both streams together (aiortc's jitter buffer cuts frames
        where the timestamp changes) and lose the keyframe the new stream starts with.
        """
        self._continue_from = timeline

    def detach(self) -> None:
        """End the track, but let the ``recv()`` its sender is waiting in return a harmless packet.

        aiortc's sender ends its RTP loop for good when its track raises ``MediaStreamError``, and
        a transceiver whose loop ended sends nothing ever again, even with a new track. After
        ``replaceTrack(None)`` the sender idles instead, once this last ``recv()`` has returned:
        an empty VP8 packet (packetized to nothing) or one Opus silence frame.
        """
        self._detached = True
        self.stop()

    def _filler(self) -> av.Packet[Any]:
        packet = av.Packet(b"" if self.kind == "video" else OPUS_SILENCE)
        packet.pts = self._last_pts + (0 if self.kind == "video" else self._frame_ticks)
        packet.time_base = VIDEO_TIME_BASE if self.kind == "video" else AUDIO_TIME_BASE
        return packet

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
            self._queue.clear()
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)
            if self._on_stop is not None:
                on_stop, self._on_stop = self._on_stop, None
                on_stop(self)

"""A video track whose source can be swapped or removed while a sender reads it.

aiortc's ``RTCRtpSender`` ends its sending loop for good when its track's ``recv()`` raises
``MediaStreamError``, and a transceiver whose loop ended never sends again, even with another track.
The screen share is started and stopped many times over a meeting on the same transceiver, so its
sender reads a :class:`SwitchableVideoTrack`: while it has no source, ``recv()`` waits; when the
source ends or is swapped, ``recv()`` carries on with the next one. Timestamps continue across
sources, so the encoder and the receivers see one stream that paused. The microphone's
:class:`SwitchableAudioTrack` does the same for audio, so the microphone can change in a meeting.
"""

from __future__ import annotations

import fractions
import logging
import time
from collections.abc import Callable
from typing import Final

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.rtc.clock import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE
from meetdesk.rtc.wakeup import Wakeup

logger = logging.getLogger(__name__)

MIN_GAP: Final = VIDEO_CLOCK_RATE // 30  # one frame at 30 fps


class SwitchableVideoTrack(MediaStreamTrack):
    """Forwards the frames of its current source (:meth:`attach`), on one continuous 90 kHz timeline.

    ``on_source_ended(source)`` runs when a source ends by itself (the shared window was closed),
    not when it is detached or replaced.
    """

    kind = "video"

    def __init__(self, on_source_ended: Callable[[MediaStreamTrack], None] | None = None) -> None:
        super().__init__()
        self._source: MediaStreamTrack | None = None
        self._changed = Wakeup()
        self._on_source_ended = on_source_ended
        self._rebase = True
        self._offset = 0
        self._last_pts: int | None = None
        self._last_at = 0.0

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    def attach(self, source: MediaStreamTrack) -> None:
        """Send ``source`` from now on (the previous source, if any, is left as it is)."""
        if source.kind != "video":
            raise ValueError(f"a {source.kind} track cannot be a video source")
        self._source = source
        self._rebase = True
        self._changed.set()

    def detach(self) -> MediaStreamTrack | None:
        """Stop forwarding; ``recv()`` waits until the next :meth:`attach`. Returns the source it had."""
        source, self._source = self._source, None
        self._changed.set()
        return source

    async def recv(self) -> av.VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if source is self._source:
                    self._source = None
                    logger.info("SwitchableVideoTrack(%s) source ended", self.id)
                    if self._on_source_ended is not None:
                        self._on_source_ended(source)
                continue
            if source is not self._source:
                continue  # swapped while this frame was on its way: it belongs to the old source
            return self._retime(frame)  # type: ignore[arg-type]

    def _retime(self, frame: av.VideoFrame) -> av.VideoFrame:
        now = time.monotonic()
        pts = round((frame.pts or 0) * (frame.time_base or VIDEO_TIME_BASE) * VIDEO_CLOCK_RATE)
        if self._rebase:
            self._rebase = False
            if self._last_pts is not None:
                gap = max(MIN_GAP, round((now - self._last_at) * VIDEO_CLOCK_RATE))
                self._offset = self._last_pts + gap - pts
        pts += self._offset
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        self._last_pts, self._last_at = pts, now
        return frame

    def stop(self) -> None:
        super().stop()
        self._changed.set()


class SwitchableAudioTrack(MediaStreamTrack):
    """Forwards the audio frames of its current source (:meth:`attach`): the microphone can change during a
    meeting while the same sender reads this track. Timestamps count the samples sent, across sources, so the
    encoder sees one stream; while there is no source, ``recv()`` waits."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._source: MediaStreamTrack | None = None
        self._changed = Wakeup()
        self._next_pts = 0

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    def attach(self, source: MediaStreamTrack) -> None:
        """Send ``source`` from now on (the previous source, if any, is left as it is)."""
        if source.kind != "audio":
            raise ValueError(f"a {source.kind} track cannot be an audio source")
        self._source = source
        self._changed.set()

    def detach(self) -> MediaStreamTrack | None:
        """Stop forwarding; ``recv()`` waits until the next :meth:`attach`. Returns the source it had."""
        source, self._source = self._source, None
        self._changed.set()
        return source

    async def recv(self) -> av.AudioFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if source is self._source:
                    self._source = None
                    logger.info("SwitchableAudioTrack(%s) source ended", self.id)
                continue
            if source is not self._source:
                continue  # swapped while this frame was on its way
            assert isinstance(frame, av.AudioFrame)
            frame.pts, frame.time_base = self._next_pts, fractions.Fraction(1, frame.sample_rate)
            self._next_pts += frame.samples
            return frame

    def stop(self) -> None:
        super().stop()
        self._changed.set()

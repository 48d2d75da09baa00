"""Whether a camera's full layer arrives: a publisher whose uplink cannot carry it stops sending it.

The publisher keeps its low layer going (:mod:`meetdesk.client.media.uplink`), and says nothing: the SFU sees
it. :class:`FullLayerWatch` notes the arrival of each layer's frames (a tap on each forwarder) and, every
:data:`CHECK_S`, calls the full layer idle when none of its frames came for :data:`IDLE_S` while the low layer's
did (a cut stops both: nothing to choose then), or when its subscribers have waited :data:`KEYFRAME_WAIT_S` for a
keyframe of it while the low layer flows: on a link that overflows, the full layer's frames break (its
subscribers cannot decode what follows) and its keyframes, several times the size of the low layer's, take a second
or more to get through, while a few of its frames still come; its subscribers saw 1 fps for seconds. While it is
idle every subscriber gets the low layer (:meth:`meetdesk.server.meeting.peers.Published.layer`). Once its frames
have come without a break for :data:`BACK_S`, no keyframe awaited that long meanwhile (the publisher trying it
again on a link that cannot carry it stops it again sooner), it is the full layer again, each subscriber moving
back at its next keyframe; for :data:`RETRY_S` after that the layers are looked at again every second (a move
whose keyframe was lost is tried again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from meetdesk.server.sfu import TrackForwarder
from meetdesk.server.sfu.frames import EncodedFrame

logger = logging.getLogger(__name__)

#: the full layer is idle after this long without a frame of it (it runs at 15 fps at least when sent)
IDLE_S: Final = 0.5
#: how often that is checked
CHECK_S: Final = 0.2
#: ... or when a keyframe of it has been awaited this long (one takes a round trip and a frame's time to come)
KEYFRAME_WAIT_S: Final = 0.5
#: the full layer is back after this long of frames without a break of IDLE_S
BACK_S: Final = 2.0
#: after a change, the layers are looked at again every RETRY_EVERY_S for this long
RETRY_S: Final = 8.0
RETRY_EVERY_S: Final = 1.0


class FullLayerWatch:
    """Watches a camera's two layers; ``on_change()`` when :attr:`idle` changes."""

    def __init__(self, full: TrackForwarder, low: TrackForwarder, on_change: Callable[[], None]) -> None:
        self.full, self.low = full, low
        self.idle = False
        self._on_change = on_change
        self._full_at = self._low_at = time.monotonic()
        self._back_since: float | None = None  #: while idle: the full layer's frames come again since then
        self._changed_at = self._retried_at = -float("inf")
        full.taps.append(self._full_frame)
        low.taps.append(self._low_frame)
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(CHECK_S, self._check)

    def _full_frame(self, _frame: EncodedFrame) -> None:
        now = time.monotonic()
        if self.idle and (self._back_since is None or now - self._full_at >= IDLE_S):
            self._back_since = now
        self._full_at = now

    def _low_frame(self, _frame: EncodedFrame) -> None:
        self._low_at = time.monotonic()

    def _check(self) -> None:
        if self.full.closed or self.full.ended or self.low.closed or self.low.ended:
            self.close()
            return
        now = time.monotonic()
        waited = self.full.keyframe_wanted_since
        starved = waited is not None and now - waited >= KEYFRAME_WAIT_S and self.low.keyframe_wanted_since is None
        if not self.idle and now - self._low_at < IDLE_S and (now - self._full_at >= IDLE_S or starved):
            self._change(True, now)
        elif self.idle and starved:
            self._back_since = None  # its next frame starts the wait for it to be back again
        elif self.idle and self._back_since is not None and now - self._full_at < IDLE_S:
            if now - self._back_since >= BACK_S:
                self._change(False, now)
        elif now - self._changed_at < RETRY_S and now - self._retried_at >= RETRY_EVERY_S:
            self._retried_at = now
            self._on_change()
        self._timer = asyncio.get_running_loop().call_later(CHECK_S, self._check)

    def _change(self, idle: bool, now: float) -> None:
        logger.info("Forwarder(%s) %s", self.full.name, "does not arrive: the low layer for all" if idle else "is back")
        self.idle, self._back_since = idle, None
        self._changed_at = self._retried_at = now
        self._on_change()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for forwarder, tap in ((self.full, self._full_frame), (self.low, self._low_frame)):
            if tap in forwarder.taps:
                forwarder.taps.remove(tap)

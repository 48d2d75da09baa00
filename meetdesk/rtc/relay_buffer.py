"""A buffered reader of an aiortc :class:`~aiortc.contrib.media.MediaRelay` whose buffer is bounded.

``MediaRelay.subscribe(track, buffered=True)`` queues every frame of the source for its reader, without limit.
Audio needs the buffer (a reader a little late must not skip frames), but a reader that stops reading for a while
while another keeps the relay running (a publisher connection being rebuilt after a server restart or a network
cut, with the level meter still reading the microphone) then holds every frame since: tens of thousands of
frames after hours of reconnections (memory that never comes back), and audio sent seconds late once reading
resumes. :func:`subscribe_bounded` keeps the newest ``max_frames`` and drops older ones.

The queue is the relay track's ``_queue`` (aiortc internals, guarded: :class:`AiortcHookError` when missing).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from .errors import AiortcHookError

#: the relay track's frame queue (aiortc.contrib.media.RelayStreamTrack)
RELAY_QUEUE = "_queue"


class NewestFrames(asyncio.Queue[Any]):
    """A queue that keeps its newest ``maxsize`` items: a put on a full queue drops the oldest (never blocks,
    never raises QueueFull; the relay's end-of-stream ``None``, put last, is always kept)."""

    def __init__(self, maxsize: int) -> None:
        if maxsize <= 0:
            raise ValueError("a bounded queue needs a size")
        super().__init__(maxsize)
        self.dropped = 0

    def put_nowait(self, item: Any) -> None:
        while self.full():
            self.get_nowait()
            self.dropped += 1
        super().put_nowait(item)


def subscribe_bounded(relay: MediaRelay, track: MediaStreamTrack, max_frames: int) -> MediaStreamTrack:
    """A buffered reader of ``track`` through ``relay`` that holds at most ``max_frames`` unread frames."""
    proxy = relay.subscribe(track, buffered=True)
    if not isinstance(getattr(proxy, RELAY_QUEUE, None), asyncio.Queue):
        raise AiortcHookError(f"aiortc's relay track has no {RELAY_QUEUE} queue to bound")
    setattr(proxy, RELAY_QUEUE, NewestFrames(max_frames))
    return proxy

"""Leaner decoding on the subscriber's receivers, and no bandwidth estimate nobody reads.

aiortc gives each ``RTCRtpReceiver`` a decoder thread fed through a ``queue.Queue`` (a Python-level
``Condition`` per put and get) that hands every decoded frame back to the event loop with
``asyncio.run_coroutine_threadsafe(queue.put(frame))``: a coroutine, a concurrent future and a task per
frame. With nine cameras and nine microphones that is some 700 frames a second, and it cost the meeting
window more than decoding itself. Video receivers also run a remote bitrate estimator on every packet to
send REMB feedback, which only an encoder at the other end would use: ours is the SFU, which forwards.

:func:`lean_receiver` changes one receiver (before its ``receive()``, which the ``track`` event precedes):

- its decoder queue becomes a :class:`DecodeQueue`. aiortc's decoder thread still starts, and asks the
  queue for its first job (``get()``); the queue does the work itself there, in that thread: it takes
  encoded frames from a ``queue.SimpleQueue`` (C), decodes them with aiortc's decoder for the codec and
  puts each frame on the track's queue with one ``call_soon_threadsafe``. aiortc's ``put(None)`` (stop,
  BYE, disconnect) ends it: ``get()`` returns None and aiortc's thread ends the track after the frames
  already delivered, as before. A frame that fails to decode sets the receiver's decoder-error flag, which
  makes it ask the sender for a keyframe (PLI), as aiortc does.
- a video receiver's remote bitrate estimator is removed (no REMB is sent).

:func:`check_receiver` raises :class:`AiortcHookError` when the installed aiortc lacks these internals;
``tests/unit/client/test_receiving.py`` checks them and the behaviour on real receivers.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any, Final

import aiortc
import av
from aiortc import RTCRtpReceiver
from aiortc.codecs import get_decoder

logger = logging.getLogger(__name__)

RECEIVER_DECODER_QUEUE: Final = "_RTCRtpReceiver__decoder_queue"
RECEIVER_DECODER_THREAD: Final = "_RTCRtpReceiver__decoder_thread"
RECEIVER_DECODER_ERROR: Final = "_RTCRtpReceiver__decoder_error"
RECEIVER_BITRATE_ESTIMATOR: Final = "_RTCRtpReceiver__remote_bitrate_estimator"
RECEIVER_KIND: Final = "_RTCRtpReceiver__kind"


class AiortcHookError(RuntimeError):
    """The installed aiortc lacks the receiver internals :func:`lean_receiver` changes."""


def check_receiver(receiver: RTCRtpReceiver) -> None:
    names = (RECEIVER_DECODER_QUEUE, RECEIVER_DECODER_THREAD, RECEIVER_DECODER_ERROR, RECEIVER_BITRATE_ESTIMATOR)
    missing = [name for name in (*names, RECEIVER_KIND) if not hasattr(receiver, name)]
    if receiver.track is None or not isinstance(getattr(receiver.track, "_queue", None), asyncio.Queue):
        missing.append("track._queue")
    if missing:
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {', '.join(missing)}")


class DecodeQueue:
    """Takes the place of a receiver's decoder queue; aiortc's decoder thread runs :meth:`get` (module docstring)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, track_queue: asyncio.Queue[Any], error: threading.Event
    ) -> None:
        self._loop = loop
        self._deliver = track_queue.put_nowait
        self._error = error
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.frames_decoded = 0

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """From the event loop: ``(codec, encoded frame)`` to decode, or None: the stream ended."""
        self._jobs.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> None:
        """aiortc's decoder thread asking for work: decode every job until the stream ends, then None."""
        decoder, codec_name = None, None
        while (job := self._jobs.get()) is not None:
            codec, encoded_frame = job
            if codec.name != codec_name:
                decoder, codec_name = get_decoder(codec), codec.name
            try:
                frames = decoder.decode(encoded_frame)  # type: ignore[union-attr]
            except av.FFmpegError as exc:
                # keep the decoder's state: a new one could not decode anything until the next keyframe
                logger.warning("receiver failed to decode a %s frame: %s", codec_name, exc)
                self._error.set()
                continue
            for frame in frames:
                self.frames_decoded += 1
                try:
                    self._loop.call_soon_threadsafe(self._deliver, frame)
                except RuntimeError:  # the loop closed under a session that was not left
                    return None
        return None


def lean_receiver(receiver: RTCRtpReceiver) -> bool:
    """Apply the module's two changes to ``receiver``; False (and nothing changed) when its decoder thread
    runs already, i.e. ``receive()`` came first."""
    check_receiver(receiver)
    if getattr(receiver, RECEIVER_DECODER_THREAD) is not None:
        return False
    track = receiver.track
    assert track is not None
    setattr(
        receiver,
        RECEIVER_DECODER_QUEUE,
        DecodeQueue(asyncio.get_running_loop(), track._queue, getattr(receiver, RECEIVER_DECODER_ERROR)),  # type: ignore[attr-defined]
    )
    setattr(receiver, RECEIVER_BITRATE_ESTIMATOR, None)
    return True

"""Decoding on the subscriber's receivers without thread hand-offs.

aiortc gives each ``RTCRtpReceiver`` a decoder thread fed through a ``queue.Queue`` (a Python-level
``Condition`` per put and get) that hands every decoded frame back to the event loop with
``asyncio.run_coroutine_threadsafe(queue.put(frame))``: a coroutine, a concurrent future and a task per
frame, and two thread wake-ups. With nine cameras and nine microphones that is some 700 frames a second,
and it cost the meeting window more than decoding them (``bench/render_bench.py``: waking a thread on the
other core is a system call and an inter-processor interrupt, dearer still in a virtual machine). Video
receivers keep aiortc's remote bitrate estimator: its REMB feedback is how the SFU learns what this
subscriber's downlink carries (:mod:`meetdesk.server.sfu.estimate`). While its delay detector sees packets queue
(on a loaded computer, often) aiortc sends a REMB with every video packet, each an RTCP packet encrypted and sent
on its own, nearly all the same figure: :class:`SparseRemb` passes on only a REMB that fell by
:data:`REMB_FALL` or more since the last one sent, or came :data:`REMB_INTERVAL_MS` after it (aiortc's own cadence
when nothing queues), which is all the SFU reads of them.

:func:`lean_receiver` changes one receiver (before its ``receive()``, which the ``track`` event precedes):

- its decoder queue becomes an :class:`InlineDecoder`: the receiver's ``put((codec, encoded frame))``, on
  the event loop, decodes the frame there and then, with aiortc's decoder for the codec, and hands the
  decoded frames to a callback (the subscriber's) or to the track's queue. A 640x360 VP8 frame takes about
  0.5 ms to decode and an Opus packet 0.1 ms: the loop stays responsive, and nine cameras plus nine
  microphones cost less than they did in eighteen threads. A frame that fails to decode sets the receiver's
  decoder-error flag, which makes it ask the sender for a keyframe (PLI), as aiortc does.

  aiortc's decoder thread still starts and asks the queue for work (``get()``); it gets none, and waits
  until the receiver stops (aiortc's ``put(None)``: stop, BYE, disconnect), then ends the track, as before.
- a video receiver's REMB is sent when it says something new (:class:`SparseRemb`);
- a video receiver gets the retransmissions (RTX) of its stream whatever else the connection carries
  (:mod:`meetdesk.rtc.rtx`), and asks for a keyframe as soon as a frame cannot be completed (:mod:`.gaps`), and its
  decoder skips frames until that keyframe comes (unless :mod:`meetdesk.rtc.adaptations` are off);
- an audio receiver hands each packet on at once and, at a hole, asks for the lost packets again (RTCP NACK
  through the receiver's ``_send_rtcp_nack``: the SFU resends them from its history) and holds what follows for
  a few tens of milliseconds; what does not come back is recovered from the next packet's in-band FEC, or
  concealed (:mod:`meetdesk.client.media.opus_fec`; unless the adaptations are off).

:func:`check_receiver` raises :class:`AiortcHookError` when the installed aiortc lacks these internals;
``tests/unit/client/test_receiving.py`` checks them and the behaviour on real receivers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Final

import aiortc
from aiortc import RTCRtpReceiver
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Decoder
from av.frame import Frame

from meetdesk.client.gaps import watch_gaps
from meetdesk.client.media.opus_fec import FecOpusDecoder, LossAwareJitter, fec_decoder_available
from meetdesk.client.prompt_reports import PromptReports
from meetdesk.rtc import adaptations
from meetdesk.rtc.errors import AiortcHookError
from meetdesk.rtc.internals import (
    RECEIVER_DECODER_QUEUE,
    RECEIVER_DECODER_THREAD,
    RECEIVER_JITTER_BUFFER,
    RECEIVER_KIND,
    RECEIVER_NACK,
)
from meetdesk.rtc.peer import BITRATE_ESTIMATOR
from meetdesk.rtc.rtx import route_rtx

logger = logging.getLogger(__name__)

RECEIVER_DECODER_ERROR: Final = "_RTCRtpReceiver__decoder_error"
RECEIVER_BITRATE_ESTIMATOR: Final = BITRATE_ESTIMATOR  # the name rtc/peer.py drops at the close
#: while waiting for a keyframe, asked for again this often
KEYFRAME_REPEAT_S: Final = 0.5
#: a REMB is sent at once when it is this fraction of the last one sent or less (the SFU takes a fall of 5% for
#: packets queueing), else at most this often (aiortc's feedback interval when nothing queues)
REMB_FALL: Final = 0.95
REMB_INTERVAL_MS: Final = 500


def check_receiver(receiver: RTCRtpReceiver) -> None:
    names = (RECEIVER_DECODER_QUEUE, RECEIVER_DECODER_THREAD, RECEIVER_DECODER_ERROR, RECEIVER_BITRATE_ESTIMATOR)
    missing = [name for name in (*names, RECEIVER_KIND, RECEIVER_NACK) if not hasattr(receiver, name)]
    if receiver.track is None or not callable(getattr(getattr(receiver.track, "_queue", None), "put_nowait", None)):
        missing.append("track._queue")
    if missing:
        raise AiortcHookError(f"aiortc {aiortc.__version__} RTCRtpReceiver lacks {', '.join(missing)}")


#: how often an idle decoder thread looks whether the interpreter is exiting
SHUTDOWN_POLL_S = 0.5


class InlineDecoder:
    """Takes the place of a receiver's decoder queue: decodes in ``put`` (module docstring)."""

    def __init__(self, deliver: Callable[[Frame], object], error: threading.Event, opus_fec: bool = False) -> None:
        self._deliver = deliver
        self._error = error
        self._opus_fec = opus_fec
        self._decoder: Decoder | FecOpusDecoder | None = None
        self._codec_name: str | None = None
        self._ended = threading.Event()
        self.frames_decoded = 0
        self.frames_skipped = 0
        self._keyframe_wanted = False
        self._asked_at = -float("inf")

    def wait_for_keyframe(self) -> None:
        """Skip the frames to come until a keyframe: frames were lost, and what refers to them would decode
        to a smeared picture, or fail."""
        self._keyframe_wanted = True
        self._asked_at = time.monotonic()  # the gap watch asks now

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """From the receiver, on the event loop: ``(codec, encoded frame)`` to decode, or None: it stopped."""
        if item is None:
            self._ended.set()
            return
        codec, encoded_frame = item
        if self._keyframe_wanted:
            if codec.name == "VP8" and not _vp8_keyframe(encoded_frame.data):
                self.frames_skipped += 1
                now = time.monotonic()
                if now - self._asked_at >= KEYFRAME_REPEAT_S:
                    # the keyframe asked for did not come (or came cut in two): the error flag makes the
                    # receiver send another PLI
                    self._asked_at = now
                    self._error.set()
                return
            self._keyframe_wanted = False
        try:
            if self._decoder is None or codec.name != self._codec_name:
                fec = self._opus_fec and codec.name.lower() == "opus"
                self._decoder = FecOpusDecoder() if fec else get_decoder(codec)
                self._codec_name = codec.name
            frames = self._decoder.decode(encoded_frame)
        except Exception as exc:  # keep the decoder: a new one could not decode anything until the next keyframe
            logger.warning("receiver failed to decode a %s frame: %s", codec.name, exc)
            self._error.set()
            return
        for frame in frames:
            self.frames_decoded += 1
            try:
                self._deliver(frame)
            except Exception:  # the receiver's packet handling must go on
                logger.exception("receiver: the frame consumer failed")

    def get(self, block: bool = True, timeout: float | None = None) -> None:
        """aiortc's decoder thread asking for work: there is none; None (its end) once the receiver stops.

        aiortc's decoder thread is not a daemon: a receiver never stopped (its connection dropped with its
        loop) would hold the interpreter's exit forever. Once the main thread has ended, the idle thread
        ends too (SystemExit ends a thread silently)."""
        while not self._ended.wait(SHUTDOWN_POLL_S):
            if not threading.main_thread().is_alive():
                raise SystemExit
        return None


class SparseRemb:
    """Wraps a video receiver's ``RemoteBitrateEstimator``: every packet feeds it, and ``add`` returns a REMB
    (bits per second, SSRCs) only when it fell to :data:`REMB_FALL` of the last one returned or less, names other
    streams, or the last one is :data:`REMB_INTERVAL_MS` old (module docstring)."""

    def __init__(self, estimator: Any) -> None:
        self._estimator = estimator
        self._sent: tuple[int, list[int]] | None = None
        self._sent_ms = 0
        self.suppressed = 0  #: REMBs aiortc would have sent and this did not

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int) -> Any:
        remb = self._estimator.add(
            arrival_time_ms=arrival_time_ms, abs_send_time=abs_send_time, payload_size=payload_size, ssrc=ssrc
        )
        if remb is None:
            return None
        sent = self._sent
        if (
            sent is None
            or remb[0] <= REMB_FALL * sent[0]
            or remb[1] != sent[1]
            or arrival_time_ms - self._sent_ms >= REMB_INTERVAL_MS
        ):
            self._sent, self._sent_ms = remb, arrival_time_ms
            return remb
        self.suppressed += 1
        return None


def _vp8_keyframe(data: bytes) -> bool:
    """Whether a VP8 frame is a keyframe: the P bit of its frame tag is 0 and the keyframe start code follows
    the tag (RFC 6386 sections 9.1, 19.1), so that the tail of a frame cut short is not taken for one."""
    return len(data) >= 6 and not data[0] & 0x01 and data[3:6] == b"\x9d\x01\x2a"


def _nacker(receiver: RTCRtpReceiver) -> Callable[[int, list[int]], None]:
    """Ask the sender behind ``receiver`` for packets again (RTCP NACK), from the jitter buffer's synchronous call."""
    ref = weakref.ref(receiver)  # the jitter buffer is the receiver's own attribute: no cycle through it
    pending: set[asyncio.Task[None]] = set()

    def on_missing(ssrc: int, sequence_numbers: list[int]) -> None:
        owner = ref()
        if owner is None:
            return
        task = asyncio.ensure_future(getattr(owner, RECEIVER_NACK)(ssrc, sequence_numbers))
        pending.add(task)
        task.add_done_callback(_nack_sent(pending))

    return on_missing


def _nack_sent(pending: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:  # the connection closed meanwhile
            logger.debug("NACK not sent: %s", task.exception())

    return done


def lean_receiver(receiver: RTCRtpReceiver, deliver: Callable[[Frame], object] | None = None) -> bool:
    """Apply the module's changes to ``receiver``; False (and nothing changed) when its decoder thread
    runs already, i.e. ``receive()`` came first.

    ``deliver``: called on the event loop with each decoded frame instead of putting it on the track's
    queue (which then gets only the end of the stream: ``recv()`` raises ``MediaStreamError`` when it ends).
    """
    check_receiver(receiver)
    if getattr(receiver, RECEIVER_DECODER_THREAD) is not None:
        return False
    track = receiver.track
    assert track is not None
    sink = deliver if deliver is not None else track._queue.put_nowait  # type: ignore[attr-defined]
    kind = getattr(receiver, RECEIVER_KIND)
    opus_fec = kind == "audio" and adaptations.enabled() and fec_decoder_available()
    decoder = InlineDecoder(sink, getattr(receiver, RECEIVER_DECODER_ERROR), opus_fec=opus_fec)
    setattr(receiver, RECEIVER_DECODER_QUEUE, decoder)
    if opus_fec:
        setattr(receiver, RECEIVER_JITTER_BUFFER, LossAwareJitter(on_missing=_nacker(receiver)))
    estimator = getattr(receiver, RECEIVER_BITRATE_ESTIMATOR)
    if estimator is not None and not isinstance(estimator, SparseRemb):
        setattr(receiver, RECEIVER_BITRATE_ESTIMATOR, SparseRemb(estimator))
    if kind == "video" and adaptations.enabled():
        route_rtx(receiver)  # with two or more video streams, aiortc dropped every retransmission
        watch_gaps(receiver, decoder.wait_for_keyframe, PromptReports(receiver))
    return True

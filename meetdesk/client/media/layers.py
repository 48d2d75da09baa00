"""The camera's two simulcast layers on one publisher connection: the full picture and a low layer.

aiortc has no RFC simulcast, so the publisher sends its camera on two transceivers (sources
``camera`` and ``camera_low``, see :mod:`meetdesk.core.simulcast`). The camera is read once: the
full layer's sender reads it through a :class:`FullLayerView`, which hands each frame on to the
:class:`LowLayerView`; that one scales it down (newest frame only: a low layer that falls behind
skips frames rather than queue them). Both are :class:`SourceView` of the camera, so muting the
camera mutes both, and both stop with their connection while the camera runs on.

The low layer's sender encodes with a :class:`LowLayerEncoder` (aiortc's VP8 encoder aimed at
:data:`~meetdesk.core.simulcast.LOW_BITRATE`, under aiortc's own 250 kbit/s floor), put in place by
:func:`use_low_layer_encoder` before the sender starts. That reaches into aiortc:
tests/unit/client/test_layers.py fails if the pinned aiortc changes what it relies on.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from aiortc import RTCRtpSender
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame
from av.frame import Frame
from av.packet import Packet

from meetdesk.client.media.source_view import SourceView
from meetdesk.core.simulcast import LOW_BITRATE, low_layer_size
from meetdesk.rtc.internals import SENDER_ENCODER
from meetdesk.rtc.wakeup import Wakeup

#: aiortc's VP8 encoder sizes its rate-control buffer from this private copy of the target bitrate
ENCODER_TARGET: Final = "_Vp8Encoder__target_bitrate"
#: the least a low layer is given when its subscribers' estimates (REMB) ask for less
LOW_LAYER_MIN_BPS: Final = 60_000


class LowLayerEncoder(Vp8Encoder):
    """aiortc's VP8 encoder, aimed at :data:`LOW_BITRATE`: REMB from the server can lower it (to
    :data:`LOW_LAYER_MIN_BPS`), never raise it past that. Once the publisher's uplink control :meth:`aim` s it
    (:mod:`meetdesk.client.media.uplink`), REMB is only noted (:attr:`remb_bps`)."""

    def __init__(self, ceiling: int = LOW_BITRATE) -> None:
        super().__init__()
        self.ceiling = ceiling
        self.remb_bps: int | None = None
        self.controlled = False
        self.target_bitrate = ceiling

    @property
    def target_bitrate(self) -> int:
        value: int = getattr(self, ENCODER_TARGET)
        return value

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        if self.controlled:  # aiortc's sender, on REMB
            self.remb_bps = bitrate
        else:
            setattr(self, ENCODER_TARGET, max(LOW_LAYER_MIN_BPS, min(bitrate, self.ceiling)))

    def aim(self, bitrate: int) -> None:
        """The bit rate to aim at from now on (within :data:`LOW_LAYER_MIN_BPS` and the ceiling)."""
        self.controlled = True
        setattr(self, ENCODER_TARGET, max(LOW_LAYER_MIN_BPS, min(bitrate, self.ceiling)))


def use_low_layer_encoder(sender: RTCRtpSender) -> LowLayerEncoder:
    """Make ``sender`` (not started yet) encode with a :class:`LowLayerEncoder`."""
    if not hasattr(sender, SENDER_ENCODER) or getattr(sender, SENDER_ENCODER) is not None:
        raise RuntimeError(
            f"aiortc's RTCRtpSender has no unset {SENDER_ENCODER}: the low layer's encoder needs updating"
        )
    encoder = LowLayerEncoder()
    setattr(sender, SENDER_ENCODER, encoder)
    return encoder


#: the pixel formats :func:`shrink` scales (the synthetic camera's, OpenCV's and the background effects')
PLANAR = "yuv420p"
PACKED = ("bgr24", "rgb24")


def shrink(frame: VideoFrame, width: int, height: int) -> VideoFrame | None:
    """``frame`` made ``width`` x ``height`` (a whole fraction of its size) by averaging blocks of pixels, in its
    own pixel format; None for a format it does not know.

    Not with swscale (``VideoFrame.reformat``): called on the event loop's thread while the encoders' and the
    effects' threads convert frames (the same ones, too), it deadlocked and crashed the process.
    """
    factor = frame.width // width
    if factor < 1 or frame.height // factor < height:
        return None
    sizes: tuple[tuple[int, int, int], ...]
    if frame.format.name == PLANAR:
        sizes = ((width, height, 1), (width // 2, height // 2, 1), (width // 2, height // 2, 1))
    elif frame.format.name in PACKED:
        sizes = ((width, height, 3),)
    else:
        return None
    planes = []
    for plane, (w, h, channels) in zip(frame.planes, sizes, strict=True):
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
        pixels = rows[:, : plane.width * channels].reshape(plane.height, plane.width, channels)
        total = np.zeros((h, w, channels), np.uint16)
        for i in range(factor):  # the sum of each block, as factor² strided views (no per-pixel Python)
            for j in range(factor):
                total += pixels[i : h * factor : factor, j : w * factor : factor]
        planes.append((total // (factor * factor)).astype(np.uint8))
    if frame.format.name in PACKED:
        return VideoFrame.from_ndarray(planes[0], format=frame.format.name)
    yuv = np.concatenate([p.ravel() for p in planes]).reshape(height * 3 // 2, width)
    return VideoFrame.from_ndarray(yuv, format=PLANAR)


class LowLayerView(SourceView):
    """The camera's low layer: each frame the full layer reads, scaled down."""

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__(source)
        self._frame: VideoFrame | None = None
        self._arrived = Wakeup()

    def push(self, frame: VideoFrame) -> None:
        """A frame the full layer read (kept until the next one)."""
        self._frame = frame
        self._arrived.set()

    async def recv(self) -> Frame | Packet[Any]:
        while self._frame is None:
            if self.readyState != "live":
                raise MediaStreamError
            self._arrived.clear()
            await self._arrived.wait()
        if self.readyState != "live":
            raise MediaStreamError
        frame, self._frame = self._frame, None
        width, height = low_layer_size(frame.width, frame.height)
        if (width, height) == (frame.width, frame.height):
            return frame
        small = shrink(frame, width, height)
        if small is None:  # a pixel format it cannot scale: the low layer carries the picture as it is
            return frame
        small.pts, small.time_base = frame.pts, frame.time_base
        return small

    def stop(self) -> None:
        super().stop()
        self._arrived.set()  # a recv() waiting ends


class FullLayerView(SourceView):
    """The camera as it is; hands each frame on to its :attr:`low` layer. With :attr:`half_rate` (a thin uplink,
    :mod:`meetdesk.client.media.uplink`) it gives its sender every other frame only; the low layer gets them all."""

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__(source)
        self.low = LowLayerView(source)
        self.half_rate = False

    async def recv(self) -> Frame | Packet[Any]:
        frame = await self._next()
        if self.half_rate:
            frame = await self._next()
        return frame

    async def _next(self) -> Frame | Packet[Any]:
        frame = await super().recv()
        if isinstance(frame, VideoFrame) and self.low.readyState == "live":
            self.low.push(frame)
        return frame

    def stop(self) -> None:
        super().stop()
        self.low.stop()

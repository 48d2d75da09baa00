"""Two-layer simulcast: which layer of a publisher's camera the SFU forwards to one subscriber.

A publisher sends its camera twice (aiortc has no RFC simulcast, so as two tracks tied together in
the publish offer: sources ``camera`` and ``camera_low``): the full picture and a low layer of at
most :data:`LOW_WIDTH` pixels across. The SFU forwards one of them to each subscriber, chosen here
from what the subscriber reports: the size of the tile it shows that camera in (a small tile gets
the low layer, which also spares the subscriber decoding full pictures it shrinks anyway) and, when
known, its bandwidth estimate. Pure: no network, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeVar

K = TypeVar("K", bound=Hashable)

#: the low layer's widest picture; taller than wide cameras keep their aspect ratio
LOW_WIDTH: Final = 320
LOW_HEIGHT: Final = 240
#: what the low layer aims to use, in bits per second
LOW_BITRATE: Final = 150_000
#: a tile up to this many pixels high (or wide, :data:`SMALL_TILE_WIDTH`) shows the low layer without loss:
#: its pictures are drawn at most ~1.25 times their size
SMALL_TILE_HEIGHT: Final = 300
SMALL_TILE_WIDTH: Final = 400
#: the estimate (a subscriber's video budget for one camera) the full layer needs, and needs to come back from
#: the low one (the hysteresis keeps the choice from flapping), while the full layer's rate is not measured yet
FULL_LAYER_MIN_BPS: Final = 600_000
FULL_LAYER_RESUME_BPS: Final = 800_000
#: ... and the low layer, below which the video pauses and above which it comes back
LOW_LAYER_MIN_BPS: Final = 180_000
LOW_LAYER_RESUME_BPS: Final = 250_000
#: once a layer's rate as it arrives is measured, it needs this many times that (headers, keyframes, headroom) ...
LAYER_MARGIN: Final = 1.25
#: ... and this many times more to come back
RESUME_MARGIN: Final = 1.4
#: the low layer is the last before a paused video, worse than a few lost packets: it goes on until the estimate
#: is clearly below its rate (an estimate after a first overload is on the low side: a probe soon corrects it), and
#: comes back with headroom (this many times its keep-going need: 1.2 times its rate)
LOW_LAYER_MARGIN: Final = 0.8
LOW_RESUME_MARGIN: Final = 1.5
#: ... and never less than this
LAYER_FLOOR_BPS: Final = 30_000


class Layer(StrEnum):
    FULL = "full"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class TileSize:
    """The size a subscriber shows a participant's camera at, in device pixels."""

    width: int
    height: int

    @property
    def small(self) -> bool:
        return self.height <= SMALL_TILE_HEIGHT or self.width <= SMALL_TILE_WIDTH


def low_layer_size(width: int, height: int) -> tuple[int, int]:
    """The low layer's picture size for a camera of ``width`` x ``height``: a whole fraction of it (cheap to
    scale: each pixel averages a block) at most :data:`LOW_WIDTH` across, even sizes (VP8 wants 4:2:0 chroma)."""
    factor = max(1, -(-width // LOW_WIDTH))
    low_width, low_height = width // factor, max(2, height // factor)
    return low_width - low_width % 2, low_height - low_height % 2


def layer_needs(layer: Layer, measured_bps: float | None) -> tuple[int, int]:
    """The estimates (bits per second) that carry ``layer``, and that bring it back, for a layer that arrives at
    ``measured_bps`` (None: not measured yet; the defaults assume 640x480 at 30 fps and the 150 kbit/s low layer)."""
    if measured_bps is None:
        if layer is Layer.FULL:
            return FULL_LAYER_MIN_BPS, FULL_LAYER_RESUME_BPS
        return LOW_LAYER_MIN_BPS, LOW_LAYER_RESUME_BPS
    full = layer is Layer.FULL
    need = max(LAYER_FLOOR_BPS, int(measured_bps * (LAYER_MARGIN if full else LOW_LAYER_MARGIN)))
    return need, int(need * (RESUME_MARGIN if full else LOW_RESUME_MARGIN))


def choose_layer(
    *,
    has_low: bool,
    tile: TileSize | None,
    estimate_bps: int | None,
    current: Layer = Layer.FULL,
    full_bps: float | None = None,
) -> Layer:
    """The layer to forward of one camera to one subscriber.

    ``tile``: where the subscriber shows the camera (None: not reported, e.g. a headless participant or
    an older client; it gets the full layer). ``estimate_bps``: the subscriber's bandwidth estimate, its
    share for this camera (None: unknown). ``current``: the layer forwarded now, for the hysteresis of the
    estimate. ``full_bps``: the full layer's bit rate as it arrives (None: not measured yet; the publisher's
    encoder follows its own uplink), see :func:`layer_needs`.
    """
    if not has_low:
        return Layer.FULL
    if tile is not None and tile.small:
        return Layer.LOW
    if estimate_bps is not None:
        minimum, resume = layer_needs(Layer.FULL, full_bps)
        if estimate_bps < (resume if current is Layer.LOW else minimum):
            return Layer.LOW
    return Layer.FULL


def video_fits(estimate_bps: int | None, *, paused: bool, layer: Layer, layer_bps: float | None) -> bool:
    """Whether a subscriber's estimate (its share for one camera) carries that camera's video at all: ``layer``,
    the least it can get (the low layer, or the full one of a camera without), arriving at ``layer_bps``. Below
    that layer's need the video pauses; it comes back above its need to come back (:func:`layer_needs`)."""
    if estimate_bps is None:
        return True
    minimum, resume = layer_needs(layer, layer_bps)
    return estimate_bps >= (resume if paused else minimum)


@dataclass(frozen=True, slots=True)
class CameraNeeds:
    """What one camera needs of a subscriber's estimate (:func:`layer_needs`, with the hysteresis of its state):
    ``least`` to be shown at all (its least layer: to go on, or to come back when paused), ``full`` to be shown at
    the full layer (to stay on it, or to come back to it; None: the least layer is all it gets, e.g. a small tile
    or a camera without a low layer)."""

    least: int
    full: int | None = None

    @property
    def most(self) -> int:
        """What the camera needs to be held back in nothing."""
        return self.full if self.full is not None else self.least


def share_estimate(estimate_bps: int, needs: Mapping[K, CameraNeeds]) -> dict[K, int]:
    """Each camera's share of a subscriber's estimate, by need rather than equally (an equal split can leave a
    camera whose full layer costs more than the others' on its low layer with the estimate enough for all).

    Every camera gets its least need while the estimate lasts, the cheapest first (one that does not fit gets 0:
    it pauses, the others go on); what is left then brings cameras to their full layer, the cheapest step first.
    A share is exactly the need granted, so :func:`choose_layer` and :func:`video_fits` given it choose what
    was granted.
    """
    shares: dict[K, int] = {}
    left = estimate_bps
    for key, need in sorted(needs.items(), key=lambda item: item[1].least):
        granted = need.least if need.least <= left else 0
        shares[key] = granted
        left -= granted
    steps = sorted(
        ((max(0, need.full - need.least), key) for key, need in needs.items() if need.full is not None and shares[key]),
        key=lambda step: step[0],
    )
    for step, key in steps:
        if step <= left:
            shares[key] = needs[key].most
            left -= step
    return shares

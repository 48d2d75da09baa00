"""Two-layer simulcast: which layer of a publisher's camera the SFU forwards to one subscriber.

A publisher sends its camera twice (aiortc has no RFC simulcast, so as two tracks tied together in
the publish offer: sources ``camera`` and ``camera_low``): the full picture and a low layer of at
most :data:`LOW_WIDTH` pixels across. The SFU forwards one of them to each subscriber, chosen here
from what the subscriber reports: the size of the tile it shows that camera in (a small tile gets
the low layer, which also spares the subscriber decoding full pictures it shrinks anyway) and, when
known, its bandwidth estimate. Pure: no network, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

#: the low layer's widest picture; taller than wide cameras keep their aspect ratio
LOW_WIDTH: Final = 320
LOW_HEIGHT: Final = 240
#: what the low layer aims to use, in bits per second
LOW_BITRATE: Final = 150_000
#: a tile up to this many pixels high (or wide, :data:`SMALL_TILE_WIDTH`) shows the low layer without loss:
#: its pictures are drawn at most ~1.25 times their size
SMALL_TILE_HEIGHT: Final = 300
SMALL_TILE_WIDTH: Final = 400
#: an estimate below this does not carry the full layer (640x480 VP8 at 30 fps plus audio and some headroom)
FULL_LAYER_MIN_BPS: Final = 600_000
#: ... and once on the low layer, the full one comes back only above this (so the choice does not flap)
FULL_LAYER_RESUME_BPS: Final = 800_000


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


def choose_layer(
    *, has_low: bool, tile: TileSize | None, estimate_bps: int | None, current: Layer = Layer.FULL
) -> Layer:
    """The layer to forward of one camera to one subscriber.

    ``tile``: where the subscriber shows the camera (None: not reported, e.g. a headless participant or
    an older client; it gets the full layer). ``estimate_bps``: the subscriber's bandwidth estimate
    (None: unknown). ``current``: the layer forwarded now, for the hysteresis of the estimate.
    """
    if not has_low:
        return Layer.FULL
    if tile is not None and tile.small:
        return Layer.LOW
    if estimate_bps is not None:
        needed = FULL_LAYER_RESUME_BPS if current is Layer.LOW else FULL_LAYER_MIN_BPS
        if estimate_bps < needed:
            return Layer.LOW
    return Layer.FULL

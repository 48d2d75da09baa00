"""The simulcast layer choice, one row per case (a reviewer can check the table line by line)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from meetdesk.core.signalling import CLIENT_MESSAGE, PublishOffer, TileSize, VideoTiles
from meetdesk.core.simulcast import (
    FULL_LAYER_MIN_BPS,
    FULL_LAYER_RESUME_BPS,
    LOW_LAYER_MIN_BPS,
    LOW_LAYER_RESUME_BPS,
    CameraNeeds,
    Layer,
    choose_layer,
    layer_needs,
    low_layer_size,
    share_estimate,
    video_fits,
)
from meetdesk.core.simulcast import TileSize as Tile

FULL, LOW = Layer.FULL, Layer.LOW

# has_low, tile (w, h) or None, estimate (bit/s) or None, current layer -> layer
CASES = [
    (False, (160, 120), None, FULL, FULL),  # no low layer published: the full one, whatever the tile
    (False, None, 100_000, FULL, FULL),  # ... whatever the estimate
    (True, None, None, FULL, FULL),  # nothing reported: full
    (True, (1280, 720), None, FULL, FULL),  # a large tile: full
    (True, (640, 480), None, LOW, FULL),  # ... back from low
    (True, (320, 240), None, FULL, LOW),  # a small tile: low
    (True, (400, 300), None, FULL, LOW),  # at the bound of small: low
    (True, (401, 301), None, FULL, FULL),  # past it: full
    (True, (1200, 200), None, FULL, LOW),  # a wide strip, low in height: low
    (True, (200, 1200), None, FULL, LOW),  # a tall narrow tile: low
    (True, (1280, 720), 2_000_000, FULL, FULL),  # a large tile and bandwidth to spare: full
    (True, (1280, 720), 500_000, FULL, LOW),  # a large tile but a thin link: low
    (True, None, 500_000, FULL, LOW),  # no tile, thin link: low
    (True, (1280, 720), 700_000, FULL, FULL),  # enough to stay on full
    (True, (1280, 720), 700_000, LOW, LOW),  # not enough to come back to full (hysteresis)
    (True, (1280, 720), 900_000, LOW, FULL),  # enough to come back
    (True, (320, 240), 5_000_000, FULL, LOW),  # a small tile stays low however fast the link
]


@pytest.mark.parametrize(("has_low", "tile", "estimate", "current", "expected"), CASES)
def test_choose_layer(
    has_low: bool, tile: tuple[int, int] | None, estimate: int | None, current: Layer, expected: Layer
) -> None:
    size = Tile(*tile) if tile is not None else None
    assert choose_layer(has_low=has_low, tile=size, estimate_bps=estimate, current=current) is expected


# has_low, estimate, current, the full layer's measured rate -> layer (a large tile)
MEASURED = [
    (True, 400_000, FULL, 250_000, FULL),  # a light full layer fits a link under the default 600 kbit/s
    (True, 300_000, FULL, 250_000, LOW),  # ... needs 1.25 times its rate
    (True, 400_000, LOW, 250_000, LOW),  # ... and 1.4 times that to come back
    (True, 450_000, LOW, 250_000, FULL),
    (True, 1_000_000, FULL, 1_200_000, LOW),  # a heavy one needs more than the default
]


@pytest.mark.parametrize(("has_low", "estimate", "current", "full_bps", "expected"), MEASURED)
def test_choose_layer_by_the_full_layers_measured_rate(
    has_low: bool, estimate: int, current: Layer, full_bps: float, expected: Layer
) -> None:
    tile = Tile(1280, 720)
    assert choose_layer(has_low=has_low, tile=tile, estimate_bps=estimate, current=current, full_bps=full_bps) is (
        expected
    )


# estimate, paused now, least layer, its measured rate -> the video fits
FITS = [
    (None, False, LOW, None, True),  # no estimate: never paused
    (LOW_LAYER_MIN_BPS, False, LOW, None, True),  # the default need of a low layer not measured yet
    (LOW_LAYER_MIN_BPS - 1, False, LOW, None, False),
    (LOW_LAYER_RESUME_BPS - 1, True, LOW, None, False),  # paused: comes back only above the resume bound
    (LOW_LAYER_RESUME_BPS, True, LOW, None, True),
    (48_000, False, LOW, 60_000, True),  # a measured 60 kbit/s low layer goes on down to 48 (the last before a pause)
    (47_000, False, LOW, 60_000, False),
    (71_000, True, LOW, 60_000, False),  # ... and needs 72 to come back
    (72_000, True, LOW, 60_000, True),
    (75_000, False, FULL, 60_000, True),  # a full layer measured at 60 needs 75 (headroom for its keyframes)
    (74_000, False, FULL, 60_000, False),
    (FULL_LAYER_MIN_BPS - 1, False, FULL, None, False),  # a camera without a low layer needs the full one's
]


@pytest.mark.parametrize(("estimate", "paused", "layer", "layer_bps", "expected"), FITS)
def test_video_fits(estimate: int | None, paused: bool, layer: Layer, layer_bps: float | None, expected: bool) -> None:
    assert video_fits(estimate, paused=paused, layer=layer, layer_bps=layer_bps) is expected


def test_layer_needs_defaults_and_floor() -> None:
    assert layer_needs(FULL, None) == (FULL_LAYER_MIN_BPS, FULL_LAYER_RESUME_BPS)
    assert layer_needs(LOW, None) == (LOW_LAYER_MIN_BPS, LOW_LAYER_RESUME_BPS)
    assert layer_needs(LOW, 0.0) == (30_000, 45_000)  # a still picture still needs a little


@pytest.mark.parametrize(
    ("camera", "low"),
    [
        ((640, 480), (320, 240)),
        ((1280, 720), (320, 180)),
        ((640, 360), (320, 180)),
        ((1920, 1080), (320, 180)),
        ((480, 640), (240, 320)),  # portrait: a whole fraction of it, at most 320 across
        ((800, 600), (266, 200)),  # a third, even sizes
        ((320, 240), (320, 240)),  # already small: as it is
        ((250, 187), (250, 186)),
    ],
)
def test_low_layer_size(camera: tuple[int, int], low: tuple[int, int]) -> None:
    assert low_layer_size(*camera) == low


def test_video_tiles_round_trip() -> None:
    message = VideoTiles(tiles={"bo": TileSize(width=320, height=240)})
    assert CLIENT_MESSAGE.validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "video_tiles", "v": 1, "tiles": {"bo": {"width": -1, "height": 240}}}',
        '{"type": "video_tiles", "v": 1, "tiles": {"bo": {"width": "320", "height": 240}}}',
        '{"type": "video_tiles", "v": 1, "tiles": {"": {"width": 320, "height": 240}}}',
        '{"type": "video_tiles", "v": 1, "tiles": [1, 2]}',
    ],
)
def test_bad_video_tiles_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        CLIENT_MESSAGE.validate_json(raw)


def test_a_publish_offer_may_carry_a_low_camera_layer() -> None:
    offer = PublishOffer(sdp="v=0", sources={"0": "camera", "1": "camera_low", "2": "microphone"})
    assert CLIENT_MESSAGE.validate_json(offer.model_dump_json()) == offer
    with pytest.raises(ValidationError):
        CLIENT_MESSAGE.validate_json('{"type": "publish_offer", "v": 1, "sdp": "v=0", "sources": {"0": "camera_hd"}}')


def test_the_estimate_is_shared_by_need_so_that_what_fits_in_total_fits() -> None:
    # two cameras whose full layers cost differently: 1.8 Mbit/s carries both (an equal split, 900 each, would
    # have left the dearer one on its low layer with nothing left to probe for)
    needs = {"a": CameraNeeds(190_000, 950_000), "b": CameraNeeds(190_000, 850_000)}
    shares = share_estimate(1_800_000, needs)
    assert shares == {"a": 950_000, "b": 850_000}
    for share in shares.values():
        assert choose_layer(has_low=True, tile=None, estimate_bps=share, current=LOW, full_bps=share / 1.75) is FULL


def test_what_is_left_after_every_least_layer_goes_to_the_cheapest_steps_up() -> None:
    needs = {"a": CameraNeeds(190_000, 950_000), "b": CameraNeeds(190_000, 850_000), "small": CameraNeeds(190_000)}
    assert share_estimate(1_300_000, needs) == {"a": 190_000, "b": 850_000, "small": 190_000}
    assert share_estimate(600_000, needs) == {"a": 190_000, "b": 190_000, "small": 190_000}


def test_cameras_whose_least_layer_does_not_fit_get_nothing_and_the_others_go_on() -> None:
    needs = {"paused": CameraNeeds(250_000, 1_100_000), "a": CameraNeeds(190_000, 850_000), "b": CameraNeeds(190_000)}
    shares = share_estimate(500_000, needs)
    assert shares == {"a": 190_000, "b": 190_000, "paused": 0}
    assert not video_fits(shares["paused"], paused=True, layer=LOW, layer_bps=None)
    assert share_estimate(100_000, needs) == {"a": 0, "b": 0, "paused": 0}

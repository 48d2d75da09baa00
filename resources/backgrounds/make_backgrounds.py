"""Draw the bundled virtual-background pictures (``resources/backgrounds/*.jpg``, 1280x720).

    .venv/bin/python resources/backgrounds/make_backgrounds.py

The pictures are made here from shapes and gradients (no photographs, so no licence to track), from
fixed seeds: the same OpenCV gives the same files. Each is kept soft, as a background behind a person
should be, which also keeps the JPEGs small. After changing them, run ``make forms`` to rebuild
``meetdesk/_rc.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

WIDTH, HEIGHT = 1280, 720
QUALITY = 85
MAX_BYTES = 150_000
HERE = Path(__file__).resolve().parent

Image = npt.NDArray[np.float32]  # HxWx3 BGR, 0..255


def _bgr(colour: tuple[int, int, int]) -> Image:
    return np.array(colour, np.float32)


def _vertical(top: tuple[int, int, int], bottom: tuple[int, int, int], height: int = HEIGHT) -> Image:
    """A top-to-bottom gradient between two BGR colours, the full width."""
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = (1 - t) * _bgr(top) + t * _bgr(bottom)
    return np.repeat(column, WIDTH, axis=1).astype(np.float32)


def _glow(image: Image, centre: tuple[int, int], radius: float, colour: tuple[int, int, int], strength: float) -> None:
    """Add a soft round light (Gaussian falloff) in place."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    falloff = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * radius**2))[..., None]
    image += strength * falloff * (_bgr(colour) - image)


def _defocus(image: Image, sigma: float) -> Image:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.float32)


def office() -> Image:
    """A bright, defocused room: window light, a desk, shelves and plants."""
    rng = np.random.default_rng(11)
    img = _vertical((214, 226, 236), (178, 196, 212))  # warm wall (BGR)
    img[560:] = _vertical((120, 150, 180), (96, 124, 152), HEIGHT - 560)[: HEIGHT - 560]  # wooden floor
    cv2.rectangle(img, (80, 90), (520, 470), (250, 246, 236), -1)  # window
    for x in (226, 373):
        cv2.rectangle(img, (x, 90), (x + 10, 470), (200, 200, 196), -1)  # window bars
    cv2.rectangle(img, (80, 276), (520, 286), (200, 200, 196), -1)
    _glow(img, (300, 280), 260, (255, 252, 245), 0.5)  # daylight
    cv2.rectangle(img, (700, 150), (1220, 166), (90, 120, 150), -1)  # shelf
    cv2.rectangle(img, (700, 300), (1220, 316), (90, 120, 150), -1)
    for shelf_y in (150, 300):
        x = 720
        while x < 1190:
            w, h = int(rng.integers(18, 40)), int(rng.integers(60, 110))
            colour = tuple(int(c) for c in rng.integers(60, 200, 3))
            cv2.rectangle(img, (x, shelf_y - h), (x + w, shelf_y), colour, -1)
            x += w + int(rng.integers(2, 30))
    cv2.rectangle(img, (600, 470), (1280, 500), (70, 96, 128), -1)  # desk top
    cv2.rectangle(img, (600, 500), (1280, 720), (84, 112, 146), -1)
    for cx, cy, size in ((60, 520, 70), (1180, 420, 60)):  # plants: a pot and leaves
        cv2.rectangle(img, (cx - 30, cy), (cx + 30, cy + 70), (70, 90, 170), -1)
        for _ in range(14):
            angle = rng.uniform(-2.6, -0.5)
            tip = (int(cx + size * 1.6 * np.cos(angle)), int(cy + size * 1.6 * np.sin(angle)))
            green = (int(rng.integers(60, 90)), int(rng.integers(130, 170)), int(rng.integers(60, 90)))
            cv2.line(img, (cx, cy), tip, green, 18)
    _glow(img, (960, 430), 70, (170, 230, 255), 0.6)  # desk lamp
    return _defocus(img, 9)


def bookshelf() -> Image:
    """A wall of wooden shelves full of books, slightly out of focus."""
    rng = np.random.default_rng(23)
    wood = (52, 84, 120)
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    img[:] = _bgr((40, 62, 92))  # the back of the bookcase
    palette = [(40, 40, 120), (110, 70, 40), (60, 110, 60), (150, 140, 120), (40, 100, 170), (90, 50, 90)]
    rows = [(30, 220), (250, 450), (480, 690)]
    for top, bottom in rows:
        x = 30
        while x < WIDTH - 60:
            w = int(rng.integers(16, 46))
            h = int(rng.integers(int(0.65 * (bottom - top)), bottom - top - 8))
            base = _bgr(palette[int(rng.integers(len(palette)))])
            colour = tuple(int(c) for c in np.clip(base * rng.uniform(0.7, 1.3), 0, 255))
            if rng.random() < 0.08:  # now and then a book leaning on its neighbour
                pts = np.array([[x, bottom], [x + w, bottom], [x + w + 30, bottom - h], [x + 30, bottom - h]])
                cv2.fillConvexPoly(img, pts.astype(np.int32), colour)
                x += w + 30
            else:
                cv2.rectangle(img, (x, bottom - h), (x + w, bottom), colour, -1)
                stripe = tuple(int(c * 0.6) for c in colour)
                cv2.rectangle(img, (x + 2, bottom - h + 14), (x + w - 2, bottom - h + 20), stripe, -1)
                x += w + 1
            if rng.random() < 0.05:
                x += int(rng.integers(40, 90))  # a gap on the shelf
        cv2.rectangle(img, (0, bottom), (WIDTH, bottom + 30), wood, -1)  # the shelf board
    cv2.rectangle(img, (0, 0), (WIDTH, 30), wood, -1)
    for x in (0, WIDTH - 30):
        cv2.rectangle(img, (x, 0), (x + 30, HEIGHT), wood, -1)  # the sides
    _glow(img, (WIDTH // 2, 0), 520, (200, 230, 255), 0.25)  # light from above
    img *= np.linspace(1.0, 0.8, HEIGHT, dtype=np.float32)[:, None, None]  # darker towards the floor
    return _defocus(img, 3.5)


def beach() -> Image:
    """Sky, sea and sand under a low sun."""
    rng = np.random.default_rng(37)
    horizon, shore = 400, 520
    img = _vertical((200, 120, 40), (235, 215, 190))  # sky: deep blue to pale at the horizon
    _glow(img, (900, 360), 170, (215, 240, 255), 0.8)  # the sun's haze
    cv2.circle(img, (900, 360), 34, (235, 250, 255), -1)
    for _ in range(7):  # soft clouds
        cx, cy = int(rng.integers(0, WIDTH)), int(rng.integers(60, 260))
        cloud = np.zeros_like(img)
        for _ in range(5):
            axes = (int(rng.integers(60, 140)), int(rng.integers(18, 34)))
            centre = (cx + int(rng.integers(-90, 90)), cy + int(rng.integers(-12, 12)))
            cv2.ellipse(cloud, centre, axes, 0, 0, 360, (1.0, 1.0, 1.0), -1)
        alpha = _defocus(cloud, 18) * 0.7
        img = img * (1 - alpha) + _bgr((250, 248, 245)) * alpha
    sea = _vertical((150, 120, 40), (170, 160, 90), shore - horizon)
    img[horizon:shore] = sea[: shore - horizon]
    glints = np.zeros_like(img)
    for _ in range(40):  # glints on the water under the sun
        y = int(rng.integers(horizon + 3, shore - 3))
        half = int(rng.integers(10, 50))
        x = int(900 + rng.normal(0, 30 + (y - horizon) / 2))
        cv2.line(glints, (x - half, y), (x + half, y), (1.0, 1.0, 1.0), 2)
    alpha = _defocus(glints, 3) * 0.8
    img = img * (1 - alpha) + _bgr((225, 245, 255)) * alpha
    img[shore:] = _vertical((170, 210, 230), (130, 180, 215), HEIGHT - shore)[: HEIGHT - shore]  # sand
    cv2.ellipse(img, (640, shore), (760, 14), 0, 0, 180, (235, 240, 240), -1)  # surf on the shore
    img[: horizon + 2] = _defocus(img[: horizon + 2], 2)
    return _defocus(img, 2.5)


def abstract() -> Image:
    """Large soft colour fields: teal, violet, coral and gold on deep blue."""
    img = _vertical((110, 40, 50), (100, 70, 20))
    fields = [  # centre, radius, BGR colour
        ((150, 120), 300, (200, 190, 40)),
        ((1100, 140), 260, (210, 100, 150)),
        ((980, 620), 320, (120, 130, 250)),
        ((260, 640), 240, (90, 200, 250)),
        ((640, 360), 200, (200, 150, 120)),
    ]
    for centre, radius, colour in fields:
        _glow(img, centre, radius, colour, 0.85)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    waves = 0.5 + 0.5 * np.sin(xs / 140.0 + 2.0 * np.sin(ys / 210.0))  # a gentle sheen across the fields
    img *= (0.9 + 0.12 * waves)[..., None]
    return img


BACKGROUNDS: dict[str, Callable[[], Image]] = {
    "office": office,
    "bookshelf": bookshelf,
    "beach": beach,
    "abstract": abstract,
}


def encode(image: Image, seed: int) -> bytes:
    # A faint fixed dither keeps the smooth gradients from banding in 8 bits and in the JPEG.
    dither = np.random.default_rng(seed).uniform(-0.5, 0.5, image.shape).astype(np.float32)
    pixels = np.clip(image + dither, 0, 255).round().astype(np.uint8)
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, QUALITY, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return bytes(data)


def main() -> int:
    for seed, (name, draw) in enumerate(BACKGROUNDS.items()):
        image = draw()
        assert image.shape == (HEIGHT, WIDTH, 3), (name, image.shape)
        data = encode(image, seed)
        if len(data) > MAX_BYTES:
            raise SystemExit(f"{name}.jpg is {len(data)} bytes, over {MAX_BYTES}: make it softer")
        (HERE / f"{name}.jpg").write_bytes(data)
        print(f"{name}.jpg  {len(data) // 1000} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Virtual background on one core: segmentation + compositing at 640x480, frames per second.

The process is pinned to one CPU (``os.sched_setaffinity``) and OpenCV to one thread
(``cv2.setNumThreads(1)``). Each figure runs over the same frames (a drawn head and shoulders on a
noisy wall, moving left and right, so the mask changes), after a short warm-up. The full-pipeline rows
include everything the app does per frame: segmentation (resize, model, smoothing, edge refinement,
upscale of the mask), the background (blur at 1/4 size, or the covered image) and the blend. The peer
rows, measured in the same run, split the cost: segmentation alone, compositing alone, and the blur the
quarter-size trick avoids (a full-resolution Gaussian of the same strength).

Target (virtual-background issue): blur and image replacement ≥ 60 frames/s at 640x480 on one core.

    .venv/bin/python bench/vbg_bench.py [--frames 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
from table import print_table  # bench/table.py: the script's own directory is on sys.path

from meetdesk.client.effects.background import (
    BLUR_DOWNSCALE,
    BLUR_SIGMA,
    BackgroundEffect,
    BackgroundMode,
    composite,
)
from meetdesk.client.effects.model import ModelUnavailable, ensure_model
from meetdesk.client.effects.segmenter import Segmenter

WIDTH, HEIGHT = 640, 480
TARGET_FPS = 60.0
ROUNDS = 3
Frame = npt.NDArray[np.uint8]


def drawn_person(shift: int) -> Frame:
    rng = np.random.default_rng(shift + 1000)
    wall = np.full((HEIGHT, WIDTH, 3), (200, 180, 150), np.float64) + rng.normal(0, 6, (HEIGHT, WIDTH, 3))
    img = np.clip(wall, 0, 255).astype(np.uint8)
    cx = WIDTH // 2 + shift
    cv2.ellipse(img, (cx, HEIGHT - 10), (200, 150), 0, 180, 360, (60, 60, 140), -1)
    cv2.rectangle(img, (cx - 30, 270), (cx + 30, 340), (120, 150, 200), -1)
    cv2.ellipse(img, (cx, 200), (75, 95), 0, 0, 360, (130, 160, 210), -1)
    cv2.ellipse(img, (cx, 140), (80, 55), 0, 180, 360, (30, 30, 40), -1)
    for x in (cx - 30, cx + 30):
        cv2.circle(img, (x, 190), 8, (40, 30, 30), -1)
    return img


def fps(step: Callable[[Frame], object], frames: list[Frame], count: int) -> float:
    for frame in frames[:10]:
        step(frame)  # warm-up: first inference allocates
    start = time.perf_counter()
    for i in range(count):
        step(frames[i % len(frames)])
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    try:
        model = ensure_model()
    except ModelUnavailable as exc:
        print(exc.reason, file=sys.stderr)
        return 1

    frames = [drawn_person(shift) for shift in range(-60, 61, 8)]
    segmenter = Segmenter(model, num_threads=1)
    scenery = np.random.default_rng(7).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    light = BackgroundEffect(segmenter.mask, BackgroundMode.BLUR_LIGHT)
    strong = BackgroundEffect(segmenter.mask, BackgroundMode.BLUR_STRONG)
    image = BackgroundEffect(segmenter.mask, BackgroundMode.IMAGE, scenery)

    mask = segmenter.mask(frames[0])
    background = strong.background(frames[0])
    full_sigma = BLUR_SIGMA["blur_strong"] * BLUR_DOWNSCALE

    steps: dict[str, tuple[Callable[[Frame], object], int]] = {
        "blur light, full pipeline": (light.apply, args.frames),
        "blur strong, full pipeline": (strong.apply, args.frames),
        "image replacement, full pipeline": (image.apply, args.frames),
        "peer: segmentation alone (mask at 640x480)": (segmenter.mask, args.frames),
        "peer: compositing alone (blend, given mask)": (lambda f: composite(f, background, mask), args.frames),
        "peer: blur strong at 1/4 size (background only)": (strong.background, args.frames),
        "peer: same blur at full size, no downscale": (
            lambda f: cv2.GaussianBlur(f, (0, 0), full_sigma),
            max(30, args.frames // 10),
        ),
    }
    # The cores are shared: every figure runs in ROUNDS interleaved rounds and the median round counts.
    runs: dict[str, list[float]] = {figure: [] for figure in steps}
    for _ in range(ROUNDS):
        for figure, (step, count) in steps.items():
            runs[figure].append(fps(step, frames, max(1, count // ROUNDS)))
    measured = {figure: statistics.median(values) for figure, values in runs.items()}
    rows = []
    for figure, value in measured.items():
        if figure.startswith("peer"):
            rows.append((figure, f"{value:.0f} fps", "-", f"{1000 / value:.2f} ms/frame"))
        else:
            verdict = "meets" if value >= TARGET_FPS else "misses"
            rows.append(
                (figure, f"{value:.0f} fps", f"≥ {TARGET_FPS:.0f} fps", f"{value / TARGET_FPS:.2f}x, {verdict}")
            )
    print(
        f"640x480, one core (affinity {sorted(os.sched_getaffinity(0))}), cv2 {cv2.__version__}, {args.frames} frames "
        f"per figure, median of {ROUNDS} interleaved rounds"
    )
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

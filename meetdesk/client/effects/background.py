"""Virtual backgrounds: the person (from the segmentation mask) over a blurred or replaced background."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.float32]
# Frame (BGR uint8 HxWx3) -> person mask (float32 HxW in [0, 1]); a Segmenter's ``mask`` method.
MaskFunction = Callable[[Frame], Mask]

BLUR_DOWNSCALE = 4  # blur at a quarter of the size, then scale back up
# Gaussian sigma at the reduced size (x BLUR_DOWNSCALE at full size).
BLUR_SIGMA = {"blur_light": 2.0, "blur_strong": 6.0}


class BackgroundMode(enum.StrEnum):
    NONE = "none"
    BLUR_LIGHT = "blur_light"
    BLUR_STRONG = "blur_strong"
    IMAGE = "image"


def blur_background(frame: Frame, sigma: float, downscale: int = BLUR_DOWNSCALE) -> Frame:
    """``frame`` blurred with a Gaussian of ``sigma`` (at the reduced size), computed at 1/``downscale`` size."""
    height, width = frame.shape[:2]
    small_size = (max(1, width // downscale), max(1, height // downscale))
    small = cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    return np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def cover(image: Frame, width: int, height: int) -> Frame:
    """``image`` scaled to cover ``width`` x ``height`` (keeping its aspect ratio) and centre-cropped."""
    image_height, image_width = image.shape[:2]
    scale = max(width / image_width, height / image_height)
    scaled_width = max(width, round(image_width * scale))
    scaled_height = max(height, round(image_height * scale))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, (scaled_width, scaled_height), interpolation=interpolation)
    top = (scaled_height - height) // 2
    left = (scaled_width - width) // 2
    return np.ascontiguousarray(scaled[top : top + height, left : left + width])


def composite(frame: Frame, background: Frame, mask: Mask) -> Frame:
    """``frame`` where ``mask`` is 1, ``background`` where it is 0, blended linearly in between."""
    if frame.shape != background.shape or frame.shape[:2] != mask.shape:
        raise ValueError(f"shapes differ: frame {frame.shape}, background {background.shape}, mask {mask.shape}")
    # Per-pixel weights on uint8 images in one optimised pass; rounding keeps exact 0/1 weights exact.
    weights = np.asarray(mask, dtype=np.float32)
    return np.asarray(cv2.blendLinear(frame, background, weights, 1.0 - weights), dtype=np.uint8)


def load_image(path: Path | str) -> Frame:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read the background image {path}; use a PNG or JPEG file")
    return np.asarray(image, dtype=np.uint8)


class BackgroundEffect:
    """Applies one background mode to BGR frames; ``mask`` is usually ``Segmenter(...).mask``."""

    def __init__(
        self,
        mask: MaskFunction,
        mode: BackgroundMode | str = BackgroundMode.NONE,
        image: Path | str | Frame | None = None,
    ) -> None:
        self._mask = mask
        self._image: Frame | None = None
        self._covered: Frame | None = None
        self.mode = BackgroundMode.NONE
        self.set_mode(mode, image)

    def set_mode(self, mode: BackgroundMode | str, image: Path | str | Frame | None = None) -> None:
        mode = BackgroundMode(mode)
        if mode is BackgroundMode.IMAGE:
            if image is None:
                raise ValueError("the image mode needs an image (a path or a BGR array)")
            loaded = load_image(image) if isinstance(image, Path | str) else np.asarray(image, dtype=np.uint8)
            if loaded.ndim != 3 or loaded.shape[2] != 3 or loaded.size == 0:
                raise ValueError(f"the background image must be BGR HxWx3, not {loaded.shape}")
            self._image = loaded
            self._covered = None
        self.mode = mode

    def background(self, frame: Frame) -> Frame:
        """The background that replaces what is not the person, for ``frame``'s mode and size."""
        height, width = frame.shape[:2]
        if self.mode is BackgroundMode.IMAGE:
            assert self._image is not None
            if self._covered is None or self._covered.shape[:2] != (height, width):
                self._covered = cover(self._image, width, height)
            return self._covered
        if self.mode is BackgroundMode.NONE:
            return frame
        return blur_background(frame, BLUR_SIGMA[self.mode.value])

    def apply(self, frame_bgr: Frame) -> Frame:
        """The frame with its background replaced (the frame itself when the mode is ``none``)."""
        if self.mode is BackgroundMode.NONE:
            return frame_bgr
        return composite(frame_bgr, self.background(frame_bgr), self._mask(frame_bgr))

"""Painting the composite's pictures in YUV 4:2:0, the encoder's own format: no colour conversion per frame.

A tile shows a participant's picture scaled to cover it (cropped, not letterboxed, as the meeting window's
tiles), or, when there is no recent picture (camera off, nothing received), a placeholder with their
initials: never a frozen picture. The name goes at the tile's bottom left on a darkened band. Text is drawn
with OpenCV's Hershey font, which has ASCII letters only: other letters are written without their accents,
and a name with no Latin letter at all shows as "Participant".
"""

from __future__ import annotations

import unicodedata
from typing import Final

import av
import cv2
import numpy as np
import numpy.typing as npt

from meetdesk.core.layout import Cell

Plane = npt.NDArray[np.uint8]

BACKGROUND_Y: Final = 24
PLACEHOLDER_Y: Final = 56
TEXT_Y: Final = 235
_FONT: Final = cv2.FONT_HERSHEY_SIMPLEX


_LATIN_END: Final = 0x0180  # Basic Latin, Latin-1 Supplement and Latin Extended-A: what the font draws


def drawable_name(name: str) -> str:
    """``name`` in the letters the font has; "Participant" when none is left."""
    kept = []
    for char in unicodedata.normalize("NFC", name):
        if ord(char) < _LATIN_END:
            kept.append(char if char.isprintable() else " ")
        else:
            kept.append("".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < _LATIN_END))
    return " ".join("".join(kept).split()) or "Participant"


def initials(name: str) -> str:
    words = drawable_name(name).split()
    return "".join(word[0] for word in words[:2]).upper()


class Canvas:
    """One composite picture (``width`` x ``height``, both even), reused from frame to frame."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.y: Plane = np.empty((height, width), dtype=np.uint8)
        self.u: Plane = np.empty((height // 2, width // 2), dtype=np.uint8)
        self.v: Plane = np.empty((height // 2, width // 2), dtype=np.uint8)

    def clear(self) -> None:
        self.y[:] = BACKGROUND_Y
        self.u[:] = 128
        self.v[:] = 128

    def frame(self) -> av.VideoFrame:
        """The picture as a new frame (the encoder may keep it while this canvas is painted again)."""
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        for plane, data in zip(frame.planes, (self.y, self.u, self.v), strict=True):
            _view(plane, data.shape[1], data.shape[0])[:] = data
        return frame

    def picture(self, cell: Cell, planes: tuple[Plane, Plane, Plane]) -> None:
        """Paste ``planes`` (a picture already scaled to ``cell``, see :func:`cover`) into ``cell``."""
        x, y, w, h = cell
        self.y[y : y + h, x : x + w] = planes[0]
        self.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = planes[1]
        self.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = planes[2]

    def placeholder(self, cell: Cell, name: str) -> None:
        """The tile of someone without a picture: a plain tile with their initials in the middle."""
        x, y, w, h = cell
        self.y[y : y + h, x : x + w] = PLACEHOLDER_Y
        self.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = 128
        self.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = 128
        text = initials(name)
        scale = max(0.6, h / 160)
        thickness = max(1, round(scale * 2))
        (tw, th), _ = cv2.getTextSize(text, _FONT, scale, thickness)
        origin = (x + (w - tw) // 2, y + (h + th) // 2)
        cv2.putText(self.y, text, origin, _FONT, scale, TEXT_Y, thickness, cv2.LINE_AA)

    def label(self, cell: Cell, name: str) -> None:
        """``name`` on a darkened band at the bottom left of ``cell`` (cut to the tile's width)."""
        x, y, w, h = cell
        scale = max(0.4, min(0.9, h / 400))
        thickness = 1 if scale < 0.7 else 2
        pad = 6
        full = text = drawable_name(name)
        (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
        while tw > w - 2 * pad and len(text) > 1:
            text = text[:-1]
            (tw, th), base = cv2.getTextSize(text.rstrip() + "...", _FONT, scale, thickness)
        if text != full:
            text = text.rstrip() + "..."
        band_h = (th + base + 2 * pad + 1) & ~1
        band_w = min(w, (tw + 2 * pad + 1) & ~1)
        top = y + h - band_h
        self.y[top : y + h, x : x + band_w] //= 4
        self.u[top // 2 : (y + h) // 2, x // 2 : (x + band_w) // 2] = 128
        self.v[top // 2 : (y + h) // 2, x // 2 : (x + band_w) // 2] = 128
        cv2.putText(self.y, text, (x + pad, y + h - pad - base), _FONT, scale, TEXT_Y, thickness, cv2.LINE_AA)


def cover(frame: av.VideoFrame, width: int, height: int) -> tuple[Plane, Plane, Plane]:
    """``frame`` scaled to cover ``width`` x ``height`` (the middle kept, the overflow cut), as Y, U, V planes."""
    scale = max(width / frame.width, height / frame.height)
    scaled_w = max(width, (round(frame.width * scale) + 1) & ~1)
    scaled_h = max(height, (round(frame.height * scale) + 1) & ~1)
    scaled = frame.reformat(width=scaled_w, height=scaled_h, format="yuv420p", interpolation="FAST_BILINEAR")
    luma = _view(scaled.planes[0], scaled_w, scaled_h)
    u = _view(scaled.planes[1], scaled_w // 2, scaled_h // 2)
    v = _view(scaled.planes[2], scaled_w // 2, scaled_h // 2)
    left, top = ((scaled_w - width) // 2) & ~1, ((scaled_h - height) // 2) & ~1
    return (
        luma[top : top + height, left : left + width],
        u[top // 2 : (top + height) // 2, left // 2 : (left + width) // 2],
        v[top // 2 : (top + height) // 2, left // 2 : (left + width) // 2],
    )


def _view(plane: av.video.plane.VideoPlane, width: int, height: int) -> Plane:
    """The pixels of a frame's plane as an array (rows are ``line_size`` apart in memory)."""
    pixels: Plane = np.frombuffer(memoryview(plane), dtype=np.uint8)
    return pixels.reshape(-1, plane.line_size)[:height, :width]

"""Screen sharing: a video track of one of the computer's screens, grabbed by Qt.

``QScreen.grabWindow(0)`` must run on the GUI thread, which with qasync is the event loop's thread:
:class:`ScreenTrack` grabs in ``recv()`` at a modest rate (a shared screen is mostly still; 5 fps keeps
the grab, ~10-20 ms for a full-HD screen, well under a tenth of the GUI thread) and scales the picture
down to at most 1920 pixels wide.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Final

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage

FPS: Final = 5.0
MAX_WIDTH: Final = 1920
CLOCK_RATE: Final = 90_000
TIME_BASE: Final = fractions.Fraction(1, CLOCK_RATE)


def screens() -> list[str]:
    """The screens one can share, by name (with their size, so two alike can be told apart)."""
    return [
        f"{screen.name() or 'Screen'} ({screen.size().width()}×{screen.size().height()})"
        for screen in QGuiApplication.screens()
    ]


class ScreenTrack(MediaStreamTrack):
    """Frames of screen ``index`` (of :func:`screens`) at ``fps``."""

    kind = "video"

    def __init__(self, index: int = 0, fps: float = FPS) -> None:
        super().__init__()
        self.index = index
        self.interval = 1.0 / fps
        self._start: float | None = None
        self._count = 0

    def grab(self) -> av.VideoFrame:
        available = QGuiApplication.screens()
        if not available:
            raise MediaStreamError
        screen = available[min(self.index, len(available) - 1)]
        image = screen.grabWindow(0).toImage()
        if image.isNull() or image.width() < 2 or image.height() < 2:  # nothing to grab (offscreen platform)
            image = QImage(screen.size(), QImage.Format.Format_RGB888)
            image.fill(Qt.GlobalColor.darkGray)
        if image.width() > MAX_WIDTH:
            image = image.scaledToWidth(MAX_WIDTH, Qt.TransformationMode.SmoothTransformation)
        image = image.convertToFormat(QImage.Format.Format_RGB888)
        width, height = image.width() & ~1, image.height() & ~1
        pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        rgb = np.ascontiguousarray(pixels[:height, : width * 3].reshape(height, width, 3))
        return av.VideoFrame.from_ndarray(rgb, format="rgb24")

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            due = self._start + self._count * self.interval
            if due > now:
                await asyncio.sleep(due - now)
        if self.readyState != "live":
            raise MediaStreamError
        frame = self.grab()
        frame.pts = round((time.monotonic() - self._start) * CLOCK_RATE)
        frame.time_base = TIME_BASE
        self._count += 1
        return frame

"""A widget that shows a live video track: the latest frame, converted only when it is painted.

Frames arrive on the event loop (the GUI thread, with qasync) as ``av.VideoFrame`` in whatever format
the decoder or camera gives. :meth:`VideoView.show_frame` only keeps a reference and asks for a
repaint; the paint converts that one frame to RGB *at the size it is drawn* (swscale does the colour
conversion and the scaling in one pass), so a frame that is replaced before the next paint costs
nothing, and a small tile never pays for a full-size conversion. Without frames the view shows the
participant's initials.
"""

from __future__ import annotations

import time

import av
from av.video.reformatter import Interpolation, VideoReformatter
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPalette, QRegion
from PySide6.QtWidgets import QSizePolicy, QWidget

from meetdesk.core.names import initials

#: behind video and initials: dark in every theme, as video surfaces are (pictures read best on dark)
VIDEO_BACKDROP = QColor(28, 30, 34)


def fit(source: QSize, target: QRect, *, cover: bool) -> QRect:
    """``source`` scaled to fit inside (or, with ``cover``, to cover) ``target``, centred, aspect kept."""
    if source.isEmpty() or target.isEmpty():
        return QRect(target)
    scale_w, scale_h = target.width() / source.width(), target.height() / source.height()
    scale = max(scale_w, scale_h) if cover else min(scale_w, scale_h)
    width, height = max(1, round(source.width() * scale)), max(1, round(source.height() * scale))
    return QRect(
        target.x() + (target.width() - width) // 2, target.y() + (target.height() - height) // 2, width, height
    )


class VideoView(QWidget):
    """The latest frame of a video, letterboxed (or cropped to fill, ``cover``), optionally mirrored (self view).

    ``frames_shown`` / ``frames_received``: counts for tests and the render bench (a frame replaced before
    it was painted is received but not shown).
    """

    def __init__(self, name: str = "", parent: QWidget | None = None, *, cover: bool = False) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(64, 48)
        self.name = name
        self.cover = cover
        self.mirrored = False
        self._frame: av.VideoFrame | None = None
        self._painted_frame: av.VideoFrame | None = None
        self._image: QImage | None = None
        self._rgb: av.VideoFrame | None = None  # what self._image points into
        self._reformatter = VideoReformatter()
        self.frames_received = 0
        self.frames_shown = 0
        self.last_frame_at = 0.0

    # frames ----------------------------------------------------------------------------------------

    def show_frame(self, frame: av.VideoFrame) -> None:
        self._frame = frame
        self.frames_received += 1
        self.last_frame_at = time.monotonic()
        if self.isVisible():
            self.update()

    def clear(self) -> None:
        """Back to the initials (the camera was turned off, the track went away)."""
        self._frame = self._painted_frame = None
        self._image = self._rgb = None
        self.update()

    @property
    def has_video(self) -> bool:
        return self._frame is not None

    @property
    def frame_size(self) -> QSize:
        frame = self._frame
        return QSize(frame.width, frame.height) if frame is not None else QSize()

    @property
    def initials(self) -> str:
        """What the view shows without video: the initials of :attr:`name`."""
        return initials(self.name)

    def set_name(self, name: str) -> None:
        if name != self.name:
            self.name = name
            self.update()

    def _image_for(self, frame: av.VideoFrame, size: QSize) -> QImage:
        if frame is self._painted_frame and self._image is not None and self._image.size() == size:
            return self._image
        width, height = max(2, size.width() & ~1), max(2, size.height() & ~1)
        # one swscale pass does colour and size, with a converter kept per view and no helper threads (PyAV would
        # otherwise build a converter and start threads per frame); 32-bit pixels are Qt's native painting format.
        # Shrinking averages the pixels each one covers (sharper than bilinear there, and a third cheaper).
        shrink = width < frame.width and height < frame.height
        rgb = self._reformatter.reformat(
            frame,
            width=width,
            height=height,
            format="bgra",
            interpolation=Interpolation.AREA if shrink else Interpolation.BILINEAR,
            threads=1,
        )
        plane = rgb.planes[0]
        self._rgb = rgb  # the image below points into its plane
        self._image = QImage(plane, width, height, plane.line_size, QImage.Format.Format_RGB32)
        if frame is not self._painted_frame:
            self._painted_frame = frame
            self.frames_shown += 1
        return self._image

    # painting --------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.rect()
        frame = self._frame
        if frame is not None:
            target = fit(QSize(frame.width, frame.height), rect, cover=self.cover)
            ratio = self.devicePixelRatioF()
            image = self._image_for(frame, QSize(round(target.width() * ratio), round(target.height() * ratio)))
            # drawn at its own size (pixel for pixel: the fastest blit), centred where it was to go
            drawn = QRect(0, 0, round(image.width() / ratio), round(image.height() / ratio))
            drawn.moveCenter(target.center())
            target = drawn
            # the letterbox only: the picture covers the rest (opaque: no fill under it)
            for band in QRegion(rect).subtracted(QRegion(target)):
                painter.fillRect(band, VIDEO_BACKDROP)
            if self.mirrored:  # a self view reads like a mirror
                painter.translate(rect.width(), 0)
                painter.scale(-1, 1)
                target.moveLeft(rect.width() - target.right() - 1)
            painter.drawImage(QRectF(target), image)
            painter.resetTransform()
        else:
            painter.fillRect(rect, VIDEO_BACKDROP)
            self._paint_initials(painter, rect)
        self.paint_overlay(painter)
        painter.end()

    def paint_overlay(self, painter: QPainter) -> None:
        """What a subclass draws over the picture (one painter per paint)."""

    def _paint_initials(self, painter: QPainter, rect: QRect) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        diameter = max(24, min(rect.width(), rect.height()) * 2 // 5)
        circle = QRect(0, 0, diameter, diameter)
        circle.moveCenter(rect.center())
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setBrush(accent)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(circle)
        font = QFont(self.font())
        font.setPixelSize(max(10, diameter * 2 // 5))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.HighlightedText) or QColor("white"))
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, self.initials)

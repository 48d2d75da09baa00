"""Synthetic camera and microphone: media that says where it came from, for machines without devices.

:class:`SyntheticCamera` draws a moving test pattern (scrolling gradient and a sweeping bar) tinted
with a colour per source, and a marker band across the top: two rows of 16 big black/white blocks
holding the frame number (16 bits), the source id (8 bits) and a check byte. The blocks survive VP8
at aiortc's bitrates, so a receiver that decodes a frame can tell with :func:`decode_marker` which
source sent it and which frame it is, and so check order, gaps and mix-ups end to end.

:class:`SyntheticMicrophone` sends a sine tone whose frequency (:func:`tone_frequency`) names the
source; :func:`dominant_frequency` reads it back from decoded audio.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import math
import time
from typing import Final

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from meetdesk.rtc.clock import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE

logger = logging.getLogger(__name__)

MARKER_COLUMNS: Final = 16
MARKER_ROWS: Final = 2
_WHITE: Final = 235  # video-range luma: what encoders and decoders expect
_BLACK: Final = 16
_CHECK_SALT: Final = 0x5A


class MarkerError(ValueError):
    """A frame without a readable marker (not from a synthetic camera, or damaged beyond reading)."""


def _check_byte(source_id: int, frame_number: int) -> int:
    return (frame_number & 0xFF) ^ (frame_number >> 8) ^ source_id ^ _CHECK_SALT


def _source_chroma(source_id: int) -> tuple[int, int]:
    """The (U, V) tint of a source: eight well-separated hues, then repeating."""
    angle = 2 * math.pi * (source_id % 8) / 8
    return 128 + round(60 * math.cos(angle)), 128 + round(60 * math.sin(angle))


def marker_block_size(width: int) -> int:
    return width // MARKER_COLUMNS


def draw_marker(luma: npt.NDArray[np.uint8], source_id: int, frame_number: int) -> None:
    """Draw the marker band (frame number, source id, check byte) at the top of a luma plane."""
    if not 0 <= source_id <= 0xFF:
        raise ValueError("source_id must fit in a byte")
    frame_number &= 0xFFFF
    size = marker_block_size(luma.shape[1])
    low_row = (source_id << 8) | _check_byte(source_id, frame_number)
    for row, value in enumerate((frame_number, low_row)):
        for column in range(MARKER_COLUMNS):
            bit = (value >> (MARKER_COLUMNS - 1 - column)) & 1
            y, x = row * size, column * size
            luma[y : y + size, x : x + size] = _WHITE if bit else _BLACK


def decode_marker(frame: av.VideoFrame) -> tuple[int, int]:
    """Read ``(source_id, frame_number)`` from a (decoded) synthetic camera frame.

    ``frame_number`` is modulo 65536. Raises :class:`MarkerError` if the check byte does not match.
    """
    luma = frame.to_ndarray(format="gray")
    size = marker_block_size(luma.shape[1])
    if size < 4 or luma.shape[0] < MARKER_ROWS * size:
        raise MarkerError(f"a {frame.width}x{frame.height} frame is too small for a marker")
    rows = []
    for row in range(MARKER_ROWS):
        value = 0
        for column in range(MARKER_COLUMNS):
            # the middle half of the block: edges blur into the neighbours under compression
            y, x, q = row * size, column * size, size // 4
            level = float(luma[y + q : y + size - q, x + q : x + size - q].mean())
            value = (value << 1) | (level > (_WHITE + _BLACK) / 2)
        rows.append(value)
    frame_number, low_row = rows
    source_id, check = low_row >> 8, low_row & 0xFF
    if check != _check_byte(source_id, frame_number):
        raise MarkerError("marker check byte does not match")
    return source_id, frame_number


async def _pace(clock_start: float | None, due_s: float) -> float:
    """Real-time pacing of a synthetic device: wait until ``due_s`` after the first frame; returns the start."""
    now = time.monotonic()
    if clock_start is None:
        return now
    wait = clock_start + due_s - now
    if wait > 0:
        await asyncio.sleep(wait)
    return clock_start


class SyntheticCamera(VideoStreamTrack):
    """A camera that films a moving test pattern marked with ``source_id`` and the frame number."""

    def __init__(self, source_id: int = 0, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        super().__init__()
        if not 0 <= source_id <= 0xFF:
            raise ValueError("source_id must fit in a byte")
        if width % 2 or height % 4 or width < 64 or height < 4 * marker_block_size(width):
            raise ValueError(f"unsupported synthetic camera size {width}x{height}")
        self.source_id = source_id
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_sent = 0
        self._band = MARKER_ROWS * marker_block_size(width)
        ramp = (np.arange(2 * width) * 200 // (2 * width) + 28).astype(np.uint8)
        self._gradient = np.concatenate([ramp[::2], ramp[::-2]])  # one period over 2 * width
        u, v = _source_chroma(source_id)
        self._chroma = np.empty((height // 2, width), dtype=np.uint8)  # U rows then V rows, yuv420p layout
        self._chroma[: height // 4] = u
        self._chroma[height // 4 :] = v
        self._clock_start: float | None = None

    def make_frame(self, frame_number: int) -> av.VideoFrame:
        """Frame ``frame_number`` of this camera (pts set for the nominal frame rate)."""
        w, h = self.width, self.height
        image = np.empty((h * 3 // 2, w), dtype=np.uint8)
        luma = image[:h]
        shift = (frame_number * 8) % (2 * w)
        luma[self._band :] = np.roll(self._gradient, shift)[:w]
        bar = (frame_number * 12) % w
        luma[self._band :, bar : bar + w // 20] = _WHITE
        luma[: self._band] = _BLACK
        draw_marker(luma, self.source_id, frame_number)
        image[h:] = self._chroma.reshape(h // 2, w)
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = round(frame_number * VIDEO_CLOCK_RATE / self.fps)
        frame.time_base = VIDEO_TIME_BASE
        return frame

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        self._clock_start = await _pace(self._clock_start, self.frames_sent / self.fps)
        frame = self.make_frame(self.frames_sent)
        self.frames_sent += 1
        return frame


def tone_frequency(source_id: int) -> float:
    """The tone of a source: 440 Hz plus 110 Hz per source id, 16 ids before repeating."""
    return 440.0 + 110.0 * (source_id % 16)


def dominant_frequency(samples: npt.NDArray[np.float64] | npt.NDArray[np.int16], sample_rate: int = 48_000) -> float:
    """The strongest frequency in a mono signal (zero-padded FFT, Hann window)."""
    signal = np.asarray(samples, dtype=np.float64)
    signal = (signal - signal.mean()) * np.hanning(len(signal))
    size = max(8192, 1 << (len(signal) - 1).bit_length())
    spectrum = np.abs(np.fft.rfft(signal, size))
    return float(np.argmax(spectrum) * sample_rate / size)


def audio_frame_mono(frame: av.AudioFrame) -> npt.NDArray[np.int16]:
    """The first channel of an s16 audio frame (packed or planar) as a 1-D array."""
    if frame.format.name not in ("s16", "s16p"):
        raise ValueError(f"expected s16 audio, got {frame.format.name}")
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        return np.asarray(data[0], dtype=np.int16)
    return np.asarray(data.reshape(-1)[::channels], dtype=np.int16)


class SyntheticMicrophone(AudioStreamTrack):
    """A microphone that hears a steady tone of :func:`tone_frequency` (``source_id``): 48 kHz mono, 20 ms frames.

    ``syllables``: the tone's loudness rises and falls four times a second, as speech does. A steady tone is
    soon taken for background noise by Opus's voice activity detection, and Opus carries in-band FEC for
    voice only: tests and benches of FEC use this."""

    def __init__(
        self,
        source_id: int = 0,
        sample_rate: int = 48_000,
        frame_ms: int = 20,
        level: float = 0.3,
        syllables: bool = False,
    ) -> None:
        super().__init__()
        self.source_id = source_id
        self.syllables = syllables
        self.frequency = tone_frequency(source_id)
        self.sample_rate = sample_rate
        self.samples_per_frame = sample_rate * frame_ms // 1000
        self.frames_sent = 0
        self._amplitude = level * 32767
        self._clock_start: float | None = None

    def make_frame(self, frame_number: int) -> av.AudioFrame:
        first = frame_number * self.samples_per_frame
        t = np.arange(first, first + self.samples_per_frame) / self.sample_rate
        wave = self._amplitude * np.sin(2 * np.pi * self.frequency * t)
        if self.syllables:
            wave *= 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t)
        samples = wave.astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = first
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        return frame

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        self._clock_start = await _pace(self._clock_start, self.frames_sent * self.samples_per_frame / self.sample_rate)
        frame = self.make_frame(self.frames_sent)
        self.frames_sent += 1
        return frame

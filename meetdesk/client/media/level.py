"""A microphone level meter that sits between a source track and its sender."""

from __future__ import annotations

import math

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack


class LevelMeter(MediaStreamTrack):
    """Passes audio frames through unchanged and keeps ``level``: the RMS of the last frame, 0..1."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self._source = source
        self.level = 0.0

    async def recv(self) -> av.AudioFrame:
        frame = await self._source.recv()
        samples = frame.to_ndarray().astype(np.float64)  # type: ignore[union-attr]
        rms = math.sqrt(float(np.mean(samples * samples))) / 32768.0 if samples.size else 0.0
        self.level = min(1.0, rms * math.sqrt(2))  # a full-scale sine reads 1.0
        return frame  # type: ignore[return-value]

    def stop(self) -> None:
        self._source.stop()
        super().stop()

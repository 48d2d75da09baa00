"""RTP clocks: VP8 video at 90 kHz, Opus audio at 48 kHz, and the time bases of frames and packets on them."""

from __future__ import annotations

import fractions
from typing import Final

VIDEO_CLOCK_RATE: Final = 90_000
AUDIO_CLOCK_RATE: Final = 48_000
VIDEO_TIME_BASE: Final = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_TIME_BASE: Final = fractions.Fraction(1, AUDIO_CLOCK_RATE)

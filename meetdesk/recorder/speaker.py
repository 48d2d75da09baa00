"""Who is speaking, from the loudness of each participant's sound in the mix (for the speaker layouts).

Levels are smoothed (a syllable is not a turn); the active speaker changes when someone else is clearly
louder (:data:`SWITCH_RATIO`) for :data:`HOLD_S` seconds, so the large tile does not flicker between two
people talking at once. Before anyone has spoken, the first participant has the large tile.
"""

from __future__ import annotations

from typing import Final

SMOOTHING: Final = 0.2  # weight of each new 1/fps measurement
SPEAKING: Final = 0.01  # RMS (full scale 1.0) above which someone is speaking
SWITCH_RATIO: Final = 1.5
HOLD_S: Final = 1.0


class SpeakerTracker:
    def __init__(self) -> None:
        self._levels: dict[str, float] = {}
        self._active: str | None = None
        self._candidate: tuple[str, float] | None = None  # who might take over, since when

    @property
    def levels(self) -> dict[str, float]:
        return dict(self._levels)

    def update(self, levels: dict[str, float], t: float) -> None:
        """The RMS of each participant's sound over the moment ending at ``t`` (absent: silent)."""
        for identity in set(self._levels) | set(levels):
            previous = self._levels.get(identity, 0.0)
            self._levels[identity] = previous + SMOOTHING * (levels.get(identity, 0.0) - previous)
        loudest = max(self._levels, key=lambda i: self._levels[i], default=None)
        if loudest is None or self._levels[loudest] < SPEAKING or loudest == self._active:
            self._candidate = None
            return
        if self._active is None or self._levels[loudest] > SWITCH_RATIO * self._levels.get(self._active, 0.0):
            if self._active is None:
                self._active = loudest
            elif self._candidate is None or self._candidate[0] != loudest:
                self._candidate = (loudest, t)
            elif t - self._candidate[1] >= HOLD_S:
                self._active, self._candidate = loudest, None
        else:
            self._candidate = None

    def active(self, present: list[str]) -> str | None:
        """The active speaker if still present, else None (the layout then picks the first participant)."""
        return self._active if self._active in present else None

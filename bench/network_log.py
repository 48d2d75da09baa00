"""What every participant of bench/network_bench.py logs: the arrival of each decoded frame, and rates from it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from av.frame import Frame

from meetdesk.client.subscriber import RemoteTrack


@dataclass
class FrameLog:
    """Arrival times (``time.monotonic()``: one clock for every process of this machine) of the decoded frames
    of each (receiver, sender, kind), the video frames' sizes, and the audio frames' timestamps."""

    times: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    sizes: dict[tuple[str, str], list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    audio_pts: dict[tuple[str, str], list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, str] = field(default_factory=dict)  # identity -> name
    concealed: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def callback(self, receiver: str) -> Callable[[RemoteTrack, Frame], None]:
        def on_frame(track: RemoteTrack, frame: Frame) -> None:
            if track.source not in ("camera", "microphone"):
                return
            now = time.monotonic()
            if track.kind == "audio" and frame.opaque == "concealed":  # made up by the decoder, not received
                self.concealed[(receiver, track.identity)] += 1
                return
            self.times[(receiver, track.identity, track.kind)].append(now)
            if track.kind == "video":
                sizes = self.sizes[(receiver, track.identity)]
                width = frame.width  # type: ignore[attr-defined]
                if not sizes or sizes[-1][1] != width:
                    sizes.append((now, width))
            elif frame.pts is not None:
                self.audio_pts[(receiver, track.identity)].append((now, frame.pts))

        return on_frame

    def export(self) -> dict[str, Any]:
        return {
            "times": dict(self.times),
            "sizes": dict(self.sizes),
            "audio_pts": dict(self.audio_pts),
            "concealed": dict(self.concealed),
        }

    def merge(self, exported: dict[str, Any]) -> None:
        for name in ("times", "sizes", "audio_pts", "concealed"):
            target = getattr(self, name)
            for key, values in exported[name].items():
                target[key] = values


def frames_between(times: list[float], start: float, end: float) -> int:
    return sum(1 for t in times if start <= t < end)


def per_second(times: list[float], start: float, end: float) -> list[int]:
    """Frames in each whole second of [start, end)."""
    return [frames_between(times, start + i, start + i + 1) for i in range(int(end - start))]


def first_after(times: Iterable[float], moment: float) -> float | None:
    return next((t - moment for t in times if t >= moment), None)

"""FullLayerWatch: when a camera's full layer is taken for gone (every subscriber gets the low layer), and back.

The watch reads two forwarders' frame taps and their keyframe wait; these stand-ins have just that (the
forwarders themselves are exercised end to end in tests/integration/test_meeting_uplink.py)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from meetdesk.server.meeting.layer_watch import BACK_S, CHECK_S, KEYFRAME_WAIT_S, FullLayerWatch


@dataclass
class Layer:
    name: str
    taps: list[Any] = field(default_factory=list)
    keyframe_wanted_since: float | None = None
    closed: bool = False
    ended: bool = False

    def frame(self) -> None:
        for tap in self.taps:
            tap(None)


async def flow(layers: list[Layer], seconds: float, fps: float = 30.0) -> None:
    """Frames of ``layers`` for ``seconds`` at ``fps``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for layer in layers:
            layer.frame()
        await asyncio.sleep(1 / fps)


async def test_a_full_layer_whose_keyframe_does_not_come_is_taken_for_gone_while_a_few_frames_still_come() -> None:
    full, low = Layer("full"), Layer("low")
    changes: list[bool] = []
    watch = FullLayerWatch(full, low, lambda: changes.append(watch.idle))  # type: ignore[arg-type]
    try:
        await flow([full, low], 0.5)
        assert changes == []
        # the link overflows: its subscribers wait for a keyframe of the full layer; a frame of it now and then
        full.keyframe_wanted_since = time.monotonic()
        end = time.monotonic() + KEYFRAME_WAIT_S + 2 * CHECK_S + 0.1
        while time.monotonic() < end:
            await flow([low], 0.2)
            full.frame()
        assert changes == [True]
        # its frames come again, but its keyframe is still awaited: not back
        await flow([full, low], BACK_S + 2 * CHECK_S)
        assert changes == [True]
        # the keyframe came: back once its frames flowed BACK_S
        full.keyframe_wanted_since = None
        await flow([full, low], BACK_S + 2 * CHECK_S)
        assert changes == [True, False]
    finally:
        watch.close()


async def test_a_keyframe_awaited_briefly_or_of_both_layers_changes_nothing() -> None:
    full, low = Layer("full"), Layer("low")
    changes: list[bool] = []
    watch = FullLayerWatch(full, low, lambda: changes.append(watch.idle))  # type: ignore[arg-type]
    try:
        full.keyframe_wanted_since = time.monotonic()  # a new subscriber's keyframe: it comes within a round trip
        await flow([full, low], KEYFRAME_WAIT_S / 2)
        full.keyframe_wanted_since = None
        await flow([full, low], 0.5)
        # both layers wait (a cut upstream, the publisher's camera restarting): nothing to choose between
        full.keyframe_wanted_since = low.keyframe_wanted_since = time.monotonic()
        await flow([full, low], KEYFRAME_WAIT_S + 3 * CHECK_S)
        assert changes == [] and not watch.idle
    finally:
        watch.close()

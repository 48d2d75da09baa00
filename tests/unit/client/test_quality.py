"""Connection quality: the grade of a connection from its losses and round trip, held to what the bandwidth
estimates say, row by row."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection

from meetdesk.client.media.layers import FullLayerView
from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.client.media.uplink import follow_uplink
from meetdesk.client.media.uplink_estimate import FULL_MIN_BPS, FullLayerPlan
from meetdesk.client.quality import Estimates, estimates_now, grade, held_to_downlink, held_to_estimates
from meetdesk.core.signalling import Quality


@pytest.mark.parametrize(
    ("loss", "rtt", "connected", "expected"),
    [
        (None, None, True, "good"),  # nothing measured yet: no news is not bad news
        (0.0, 0.002, True, "excellent"),  # loopback
        (0.01, 0.15, True, "excellent"),
        (0.02, 0.05, True, "good"),  # 2 % lost
        (0.0, 0.2, True, "good"),  # 200 ms round trip
        (0.09, 0.49, True, "good"),
        (0.10, 0.01, True, "poor"),  # 10 % lost
        (0.0, 0.5, True, "poor"),  # half a second round trip
        (None, 0.8, True, "poor"),
        (0.0, 0.001, False, "lost"),  # media not connected, whatever the last figures
    ],
)
def test_grade(loss: float | None, rtt: float | None, connected: bool, expected: str) -> None:
    assert grade(loss, rtt, connected=connected) == expected


@pytest.mark.parametrize(
    ("measured", "paused", "limited", "expected"),
    [
        ("excellent", False, False, "excellent"),  # nothing held back: as measured
        ("excellent", False, True, "good"),  # the server sends a low layer for a large tile
        ("excellent", True, True, "poor"),  # videos paused for this downlink
        ("good", False, True, "good"),
        ("lost", True, True, "lost"),  # never better than measured
        ("poor", False, True, "poor"),
    ],
)
def test_the_grade_is_held_to_what_the_downlink_estimate_made_the_server_do(
    measured: Quality, paused: bool, limited: bool, expected: str
) -> None:
    assert held_to_downlink(measured, paused=paused, limited=limited) == expected


@pytest.mark.parametrize(
    ("measured", "estimates", "expected"),
    [
        ("excellent", Estimates(), "excellent"),  # nothing held back: as measured
        ("excellent", Estimates(uplink_thinned=True), "good"),  # the camera at half its frame rate
        ("excellent", Estimates(uplink_stopped=True), "poor"),  # the others get the low layer
        ("good", Estimates(limited=True), "good"),
        ("excellent", Estimates(limited=True, uplink_stopped=True), "poor"),
        ("excellent", Estimates(paused=True, limited=True), "poor"),  # the downlink's word, as before
        ("lost", Estimates(uplink_thinned=True), "lost"),  # never better than measured
    ],
)
def test_the_grade_is_held_to_what_the_estimates_made_the_media_do(
    measured: Quality, estimates: Estimates, expected: str
) -> None:
    assert held_to_estimates(measured, estimates) == expected


async def test_a_sessions_estimates_come_from_its_uplink_control() -> None:
    pc = RTCPeerConnection()
    full = FullLayerView(SyntheticCamera(1))
    sender = pc.addTransceiver(full, direction="sendonly").sender
    try:
        control = follow_uplink(pc, sender, full, None, lambda _on: None)
        assert estimates_now(paused=False, limited=False, uplink=control) == Estimates()
        control.apply(FullLayerPlan(on=True, target_bps=300_000), now=0.0)  # a lower bit rate only: as it was
        assert estimates_now(paused=False, limited=False, uplink=control) == Estimates()
        control.apply(FullLayerPlan(on=False, target_bps=FULL_MIN_BPS, half_rate=True), now=1.0)
        now = estimates_now(paused=False, limited=True, uplink=control)
        assert now == Estimates(False, True, uplink_stopped=True)
        assert held_to_estimates("excellent", now) == "poor"
        control.apply(FullLayerPlan(on=True, target_bps=150_000, half_rate=True), now=10.0)
        assert estimates_now(paused=False, limited=False, uplink=control) == Estimates(uplink_thinned=True)
    finally:
        await pc.close()
        full.source.stop()
    assert estimates_now(paused=True, limited=True, uplink=None) == Estimates(True, True)

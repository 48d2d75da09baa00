"""The camera's full layer follows the publisher's uplink: its bit rate, then its frame rate, then whether it is sent.

:func:`follow_uplink` puts a :class:`FullLayerEncoder` on the full layer's sender (before it starts) and returns
an :class:`UplinkController` for the publisher connection. Once a second the controller reads every sender's
statistics (what it sent; what the server's receivers reported of it: packets lost, and the round trip),
updates the :class:`~meetdesk.client.media.uplink_estimate.UplinkEstimate` and applies
:func:`~meetdesk.client.media.uplink_estimate.plan_full_layer`: the low layer's target (up to its 150 kbit/s), the
full layer's target bit rate (below aiortc's own
250 kbit/s floor when need be), half the frame rate (:attr:`FullLayerView.half_rate
<meetdesk.client.media.layers.FullLayerView.half_rate>`), or the full layer off: its sender drops the frames
(aiortc's ``_enabled`` switch, as for a muted camera) while the low layer goes on, and the server gives everyone
the low layer until the full one flows again (:mod:`meetdesk.server.meeting.layer_watch`). Back on, the full
layer starts with a keyframe (aiortc's ``_send_keyframe``).

The encoders' REMB (aiortc's sender sets ``target_bitrate`` from the REMB the server's receiver sends for that
stream) is noted, not followed: see :mod:`meetdesk.client.media.uplink_estimate`.

Reaches into aiortc (``_RTCRtpSender__encoder``, ``_Vp8Encoder__target_bitrate``, ``_send_keyframe``):
tests/unit/client/test_uplink.py fails if the pinned aiortc changes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.stats import RTCOutboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

from meetdesk.client.media.layers import ENCODER_TARGET, FullLayerView, LowLayerEncoder, LowLayerView
from meetdesk.client.media.uplink_estimate import (
    PACKET_OVERHEAD_BYTES,
    FullLayerPlan,
    Reading,
    UplinkEstimate,
    plan_full_layer,
)
from meetdesk.rtc.internals import SENDER_ENCODER

logger = logging.getLogger(__name__)

#: how often the senders' statistics are read
INTERVAL_S: Final = 1.0
#: aiortc's sender: a keyframe at the next frame
SENDER_KEYFRAME: Final = "_send_keyframe"
#: a full layer stopped waits this long before it tries again, twice as long after each try that failed
#: (stopped again within RESUME_FAILED_S), up to RESUME_WAIT_MAX_S
RESUME_WAIT_S: Final = 4.0
RESUME_WAIT_MAX_S: Final = 10.0
RESUME_FAILED_S: Final = 6.0
#: a new target is given to the encoder only when it is this much lower, or RETARGET_UP higher, than its current
#: one (aiortc's VP8 encoder starts afresh, with a keyframe, on every change of more than 10%)
RETARGET: Final = 0.15
RETARGET_UP: Final = 0.3


class FullLayerEncoder(Vp8Encoder):
    """aiortc's VP8 encoder, its target set by the :class:`UplinkController` (REMB only noted)."""

    def __init__(self) -> None:
        super().__init__()
        self.remb_bps: int | None = None
        self.controlled = False

    @property
    def target_bitrate(self) -> int:
        value: int = getattr(self, ENCODER_TARGET)
        return value

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        if self.controlled:  # aiortc's sender, on REMB
            self.remb_bps = bitrate
        else:  # Vp8Encoder's own __init__
            setattr(self, ENCODER_TARGET, bitrate)

    def aim(self, bitrate: int) -> None:
        """The bit rate to aim at, from now on (no floor but the caller's)."""
        self.controlled = True
        setattr(self, ENCODER_TARGET, bitrate)


@dataclass
class _Counts:
    bytes: int = 0
    packets: int = 0
    lost: int = 0
    reported: int = 0  #: packets the server's last report covers (lost + received)
    report_id: object = None


class UplinkController:
    """Reads the publisher's senders once a second and has the full layer follow the estimate (module docstring).

    ``set_full(on)`` is called when the full layer is to be sent or not (the publisher combines it with the
    camera's mute)."""

    def __init__(
        self,
        pc: RTCPeerConnection,
        full: RTCRtpSender,
        encoder: FullLayerEncoder,
        view: FullLayerView,
        low: LowLayerEncoder | None,
        set_full: Callable[[bool], None],
        name: str = "",
    ) -> None:
        self.estimate = UplinkEstimate()
        self.plan = FullLayerPlan()
        self._pc, self._full, self._encoder, self._view, self._low = pc, full, encoder, view, low
        self._set_full = set_full
        self._name = name
        self._counts: dict[int, _Counts] = {}
        self._at: float | None = None
        self._task: asyncio.Task[None] | None = None
        #: how often the full layer was stopped, and started again, for benches and tests
        self.stops = 0
        self.resumes = 0
        self._stopped_at = self._resumed_at = -float("inf")
        self._resume_wait = RESUME_WAIT_S

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"uplink-{self._name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def release_encoders(self) -> None:
        """Close the layers' VP8 encoders, once their connection is closed (nothing encodes with them any more).
        aiortc drops a sender's encoder when the sender stops, but this controller keeps its layers' encoders, and a
        closed connection is often kept a while (by a task's frame, by a reference cycle until the garbage collector
        finds it): each full layer's encoder kept ~20 MB of buffers alive with it."""
        for encoder in (self._encoder, self._low):
            if encoder is not None:
                encoder.codec = None

    async def _run(self) -> None:
        while self._pc.connectionState not in ("closed", "failed"):
            await asyncio.sleep(INTERVAL_S)
            if self._pc.connectionState != "connected":
                continue
            reading, first_bps, low_bps = await self._read()
            if reading is None:
                continue
            self.estimate.remb_bps = self._encoder.remb_bps
            self.estimate.update(reading)
            logger.debug(
                "Session(%s) uplink reading: sent %d kbit/s, lost %s: estimate %d kbit/s%s",
                self._name,
                reading.sent_bps // 1000,
                "-" if reading.loss is None else f"{reading.loss:.0%}",
                self.estimate.bps // 1000,
                " (congested)" if self.estimate.congested else "",
            )
            may_resume = reading.at - self._stopped_at >= self._resume_wait
            plan = plan_full_layer(
                self.estimate.bps, first_bps=first_bps, low_bps=low_bps, current=self.plan, may_resume=may_resume
            )
            self.apply(plan, reading.at)

    def apply(self, plan: FullLayerPlan, now: float) -> None:
        """Put ``plan`` in place (the encoder's target, the frame rate, the full layer on or off)."""
        old, self.plan = self.plan, plan
        if plan != old:
            logger.info(
                "Session(%s) uplink %d kbit/s: low layer %d kbit/s, full layer %s",
                self._name,
                self.estimate.bps // 1000,
                plan.low_bps // 1000,
                f"{plan.target_bps // 1000} kbit/s{', half frame rate' if plan.half_rate else ''}"
                if plan.on
                else "off",
            )
        current = self._encoder.target_bitrate
        if (
            _retarget(plan.target_bps, current)
            or not self._encoder.controlled
            or (plan.target_bps != current and not old.on)
        ):
            self._encoder.aim(plan.target_bps)
        if self._low is not None and (_retarget(plan.low_bps, self._low.target_bitrate) or not self._low.controlled):
            self._low.aim(plan.low_bps)
        self._view.half_rate = plan.half_rate
        if plan.on != old.on:
            if plan.on:
                self.resumes += 1
                self._resumed_at = now
                getattr(self._full, SENDER_KEYFRAME)()
            else:
                self.stops += 1
                failed = now - self._resumed_at < RESUME_FAILED_S
                self._resume_wait = min(RESUME_WAIT_MAX_S, self._resume_wait * 2) if failed else RESUME_WAIT_S
                self._stopped_at = now
            self._set_full(plan.on)

    async def _read(self) -> tuple[Reading | None, float, float]:
        """What every sender did since the last reading: the :class:`Reading`, what the senders other than the
        layers' sent and what the low layer's sent (bits per second, headers included)."""
        now = time.monotonic()
        sent = first = low = 0.0
        lost = reported = 0
        rtts: list[float] = []
        new_report = False
        counts: dict[int, _Counts] = {}
        for transceiver in self._pc.getTransceivers():
            sender = transceiver.sender
            if sender.track is None or transceiver.direction != "sendonly":
                continue
            before = self._counts.get(id(sender), _Counts())
            now_counts = _Counts(lost=before.lost, reported=before.reported, report_id=before.report_id)
            for stats in (await sender.getStats()).values():
                if isinstance(stats, RTCOutboundRtpStreamStats):
                    now_counts.bytes, now_counts.packets = stats.bytesSent, stats.packetsSent
                elif isinstance(stats, RTCRemoteInboundRtpStreamStats):
                    if stats.roundTripTime:
                        rtts.append(stats.roundTripTime)
                    if stats.timestamp != before.report_id:
                        now_counts.report_id = stats.timestamp
                        # the loss so far never falls: the SFU's own RR for the microphone (its subscribers' loss,
                        # for the Opus FEC) says 0 between the cumulative counts of aiortc's RR, and taking those
                        # as new losses read a call's whole loss in one reading (the estimate fell to its floor)
                        now_counts.lost = max(before.lost, stats.packetsLost)
                        now_counts.reported = stats.packetsReceived + max(0, stats.packetsLost)
            counts[id(sender)] = now_counts
            packets = now_counts.packets - before.packets
            bits = (now_counts.bytes - before.bytes + packets * PACKET_OVERHEAD_BYTES) * 8
            sent += bits
            if isinstance(sender.track, LowLayerView):
                low += bits
            elif sender is not self._full:
                first += bits
            if now_counts.report_id != before.report_id and before.report_id is not None:
                new_report = True
                lost += max(0, now_counts.lost - before.lost)
                reported += max(0, now_counts.reported - before.reported)
        previous, self._at, self._counts = self._at, now, counts
        if previous is None:
            return None, 0.0, 0.0
        elapsed = max(1e-3, now - previous)
        loss = lost / reported if new_report and reported > 0 else None
        return Reading(now, sent / elapsed, loss, max(rtts) if rtts else None), first / elapsed, low / elapsed


def follow_uplink(
    pc: RTCPeerConnection,
    full: RTCRtpSender,
    view: FullLayerView,
    low: LowLayerEncoder | None,
    set_full: Callable[[bool], None],
    name: str = "",
) -> UplinkController:
    """Make the full layer's ``full`` sender (not started yet) encode with a :class:`FullLayerEncoder` and return
    the controller that has it, and the low layer's encoder ``low``, follow the uplink (call its ``start()`` once
    the connection is negotiated)."""
    if not hasattr(full, SENDER_ENCODER) or getattr(full, SENDER_ENCODER) is not None:
        raise RuntimeError(f"aiortc's RTCRtpSender has no unset {SENDER_ENCODER}: the full layer's encoder is stale")
    if not callable(getattr(full, SENDER_KEYFRAME, None)):
        raise RuntimeError(f"aiortc's RTCRtpSender has no {SENDER_KEYFRAME}(): the full layer's control is stale")
    encoder = FullLayerEncoder()
    setattr(full, SENDER_ENCODER, encoder)
    return UplinkController(pc, full, encoder, view, low, set_full, name)


def _retarget(wanted: int, current: int) -> bool:
    return wanted < (1 - RETARGET) * current or wanted > (1 + RETARGET_UP) * current

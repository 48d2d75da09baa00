"""A subscriber's downlink estimate at work: REMB read on its video senders, probes sent, changes told.

The media router gives each subscriber connection one :class:`Downlink` and has it :meth:`~Downlink.watch`
every video sender. Each loss report and REMB the subscriber's receivers send goes to its
:class:`~meetdesk.server.sfu.estimate.DownlinkEstimate` with what that sender sent so far; a fall of the
estimate calls ``on_change`` (the router chooses layers again, pauses videos that do not fit). While
``wanted()`` says the subscriber gets less than it would want (a number of bits per second), a probe
loop runs: every :data:`TICK_S` it starts a probe when the estimate allows one, sends its packets on
the video sender that forwarded last, and settles it, calling ``on_change`` when the estimate rose.

Retransmissions count too: once the link was seen overused, the SFU's retransmission history of each of
the subscriber's video senders (:mod:`meetdesk.server.sfu.history`) may resend only
:data:`LIMITED_RETRANSMIT_SHARE` of what the sender sent, so that what is offered stays near what the link
carries.

What the SFU sends the subscriber of video is paced at the estimate from its first overuse on
(:mod:`meetdesk.server.sfu.pacer`): media and probe packets wait for their turn, retransmissions go only if they
fit; during a probe the pace is what the probe aims at as it ramps up, back to the estimate as soon as it fails.

Cheap when nothing is held back: a report costs a few additions; no task runs until the first overuse.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from aiortc import RTCRtpSender

from meetdesk.server.sfu import hooks
from meetdesk.server.sfu.estimate import PACKET_OVERHEAD_BYTES, DownlinkEstimate
from meetdesk.server.sfu.pacer import Paced, Pacer, probing

logger = logging.getLogger(__name__)

#: how often the probe loop looks at the estimate, and sends a probe's packets
TICK_S: Final = 0.05
#: on a link seen overused, retransmissions may add this share of what a sender sent (and this many bytes)
LIMITED_RETRANSMIT_SHARE: Final = 0.1
LIMITED_RETRANSMIT_FLOOR: Final = 5_000


class Downlink:
    """One subscriber's estimate and probes (module docstring)."""

    def __init__(self, name: str, on_change: Callable[[], None], wanted: Callable[[], int | None]) -> None:
        self.name = name
        self.estimate = DownlinkEstimate()
        self._on_change = on_change
        self._wanted = wanted
        self._senders: dict[int, RTCRtpSender] = {}
        self._probe_bytes: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._probe_sent_at = 0.0
        self._closed = False
        #: the pacer of the subscriber's connection, from its first overuse on (None: not paced)
        self.pacer: Pacer | None = None

    @property
    def bps(self) -> int | None:
        return self.estimate.bps

    def watch(self, sender: RTCRtpSender) -> None:
        """Read the REMB about ``sender``'s stream (once per sender, whatever tracks it carries in turn)."""
        key = id(sender)
        if key in self._senders:
            return
        self._senders[key] = sender
        self._probe_bytes[key] = 0
        if self.estimate.bps is not None:
            _limit_retransmissions(sender)
        if self.pacer is not None:
            self._pace(sender)
        hooks.observe_feedback(
            sender,
            lambda bps: self._on_remb(key, bps),  # by key: the sender's own hook must not hold it
            lambda fraction: self._on_loss(key, fraction),
        )

    def _sent_bytes(self, sender: RTCRtpSender) -> int:
        octets, packets = hooks.sent_counts(sender)
        return octets + packets * PACKET_OVERHEAD_BYTES + self._probe_bytes.get(id(sender), 0)

    def _on_remb(self, key: int, bps: int) -> None:
        sender = self._senders.get(key)
        if not self._closed and sender is not None:
            self.estimate.remb(key, bps, self._sent_bytes(sender), time.monotonic())

    def _on_loss(self, key: int, fraction: float) -> None:
        sender = self._senders.get(key)
        if self._closed or sender is None:
            return
        if self.estimate.loss(key, fraction, self._sent_bytes(sender), time.monotonic()):
            logger.info("Downlink(%s) estimate down to %d kbit/s", self.name, (self.estimate.bps or 0) // 1000)
            self._on_change()
        if self.pacer is not None:
            self._set_pace(time.monotonic())
        if self._task is None and self.estimate.bps is not None:
            self.pacer = Pacer(self.estimate.bps)
            for other in self._senders.values():
                _limit_retransmissions(other)
                self._pace(other)
            self._task = asyncio.create_task(self._probe_loop(), name=f"downlink-{self.name}")

    async def _probe_loop(self) -> None:
        estimate = self.estimate
        while not self._closed:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            probe = estimate.probe
            if probe is None:
                probe = estimate.start_probe(now, self._wanted())
                self._probe_sent_at = now
                if probe is not None:
                    logger.debug("Downlink(%s) probes %d kbit/s", self.name, probe.target_bps // 1000)
            self._set_pace(now)
            if probe is None:
                continue
            if probe.sending(now) and not estimate.probe_failed:
                await self._send_probe(probe.extra_now(now), now)
            elif estimate.end_probe(now):
                logger.info("Downlink(%s) estimate up to %d kbit/s", self.name, (estimate.bps or 0) // 1000)
                self._on_change()

    async def _send_probe(self, extra_bps: float, now: float) -> None:
        """The probe's packets since the last tick, on the sender that sends most."""
        elapsed = min(now - self._probe_sent_at, 4 * TICK_S)
        self._probe_sent_at = now
        for key, sender in self._senders.items():  # keep every stream's rate fresh (a paused one sends nothing)
            self.estimate.sent(key, self._sent_bytes(sender), now)
        if extra_bps <= 0 or not self._senders:
            return
        key, sender = max(self._senders.items(), key=lambda item: self.estimate.rate(item[0]))
        token = probing.set(True)  # the probe's packets wait for their turn in the pacer, not dropped
        try:
            _packets, sent = await hooks.send_probe(sender, int(extra_bps * elapsed / 8))
        except ConnectionError:
            return
        finally:
            probing.reset(token)
        self._probe_bytes[key] = self._probe_bytes.get(key, 0) + sent

    def _pace(self, sender: RTCRtpSender) -> None:
        """Pace ``sender``'s media and RTX streams on its transport (the subscriber connection's, shared by its
        senders)."""
        pacer = self.pacer
        transport = sender.transport
        if pacer is None or transport is None:
            return
        pacer.streams[sender._ssrc] = Paced.MEDIA
        pacer.streams[sender._rtx_ssrc] = Paced.OPTIONAL
        hooks.pace_transport(transport, pacer)  # (again for each sender: it replaces, never stacks)

    def _set_pace(self, now: float) -> None:
        """The pace: the probe's target while it sends (until it fails), else the estimate."""
        estimate, pacer = self.estimate, self.pacer
        if pacer is None or estimate.bps is None:
            return
        probe = estimate.probe
        ramping = probe is not None and probe.sending(now) and not estimate.probe_failed
        pacer.rate_bps = probe.rate_now(now) if ramping and probe is not None else estimate.bps

    def forget(self, sender: RTCRtpSender) -> None:
        self._senders.pop(id(sender), None)
        if self.pacer is not None:
            self.pacer.streams.pop(sender._ssrc, None)
            self.pacer.streams.pop(sender._rtx_ssrc, None)

    def close(self) -> None:
        self._closed = True
        self._senders.clear()
        if self._task is not None:
            self._task.cancel()


def _limit_retransmissions(sender: RTCRtpSender) -> None:
    history = hooks.history_of(sender)
    if history is not None:
        history.budget_share, history.budget_floor = LIMITED_RETRANSMIT_SHARE, LIMITED_RETRANSMIT_FLOOR

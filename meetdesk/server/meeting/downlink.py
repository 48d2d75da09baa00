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
        if self._task is None and self.estimate.bps is not None:
            for other in self._senders.values():
                _limit_retransmissions(other)
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
            if probe is None:
                continue
            if probe.sending(now) and not estimate.probe_failed:
                await self._send_probe(probe.extra_bps, now)
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
        try:
            _packets, sent = await hooks.send_probe(sender, int(extra_bps * elapsed / 8))
        except ConnectionError:
            return
        self._probe_bytes[key] = self._probe_bytes.get(key, 0) + sent

    def forget(self, sender: RTCRtpSender) -> None:
        self._senders.pop(id(sender), None)

    def close(self) -> None:
        self._closed = True
        self._senders.clear()
        if self._task is not None:
            self._task.cancel()


def _limit_retransmissions(sender: RTCRtpSender) -> None:
    history = hooks.history_of(sender)
    if history is not None:
        history.budget_share, history.budget_floor = LIMITED_RETRANSMIT_SHARE, LIMITED_RETRANSMIT_FLOOR

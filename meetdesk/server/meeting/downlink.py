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
from aiortc.utils import uint16_add

from meetdesk.server.sfu import hooks
from meetdesk.server.sfu.estimate import (
    LOSSY,
    PACKET_OVERHEAD_BYTES,
    PROBE_PROOF_S,
    DownlinkEstimate,
    Probe,
    RtxReport,
    probe_losses,
    seq_at_or_after,
)

logger = logging.getLogger(__name__)

#: how often the probe loop looks at the estimate, and sends a probe's packets
TICK_S: Final = 0.05
#: on a link seen overused, retransmissions may add this share of what a sender sent (and this many bytes)
LIMITED_RETRANSMIT_SHARE: Final = 0.1
LIMITED_RETRANSMIT_FLOOR: Final = 5_000


class Downlink:
    """One subscriber's estimate and probes (module docstring)."""

    def __init__(
        self,
        name: str,
        on_change: Callable[[], None],
        wanted: Callable[[], int | None],
        least: Callable[[], int | None],
    ) -> None:
        self.name = name
        self.estimate = DownlinkEstimate()
        self._on_change = on_change
        self._wanted = wanted
        self._least = least
        self._senders: dict[int, RTCRtpSender] = {}
        self._task: asyncio.Task[None] | None = None
        self._probe_sent_at = 0.0
        #: bytes the probe under way may still send (a tick sends whole packets: what it sent over goes off the next)
        self._probe_credit = 0.0
        #: the RTX sequence numbers of the probe under way: its first packet's, its last one's so far
        self._probe_sequences: tuple[int, int] | None = None
        #: each sender's RTX stream as the receiver last reported it, and that report when the probe started
        self._rtx_reports: dict[int, RtxReport] = {}
        self._probe_baseline: RtxReport | None = None
        #: the probe's packet whose report proves it (the last sent by PROBE_PROOF_S into it)
        self._probe_proof: int | None = None
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
        if self.estimate.bps is not None:
            _limit_retransmissions(sender)
        hooks.observe_feedback(
            sender,
            lambda bps: self._on_remb(key, bps),  # by key: the sender's own hook must not hold it
            lambda fraction: self._on_loss(key, fraction),
            lambda highest, lost: self._on_rtx_report(key, highest, lost),
        )

    def _sent_bytes(self, sender: RTCRtpSender) -> int:
        octets, packets = hooks.sent_counts(sender)
        return octets + packets * PACKET_OVERHEAD_BYTES  # media only: what a probe adds is on top of it

    def _on_remb(self, key: int, bps: int) -> None:
        sender = self._senders.get(key)
        if not self._closed and sender is not None:
            self.estimate.remb(key, bps, self._sent_bytes(sender), time.monotonic())

    def _on_loss(self, key: int, fraction: float) -> None:
        sender = self._senders.get(key)
        if self._closed or sender is None:
            return
        floor = self._least() if fraction >= LOSSY else None  # only a lossy report can lower the estimate
        if self.estimate.loss(key, fraction, self._sent_bytes(sender), time.monotonic(), floor):
            logger.info("Downlink(%s) estimate down to %d kbit/s", self.name, (self.estimate.bps or 0) // 1000)
            self._on_change()
        if self._task is None and self.estimate.bps is not None:
            for other in self._senders.values():
                _limit_retransmissions(other)
            self._task = asyncio.create_task(self._probe_loop(), name=f"downlink-{self.name}")

    def _on_rtx_report(self, key: int, highest: int, lost: int) -> None:
        """The receiver's report on a sender's RTX stream: told the estimate when it covers packets of the probe."""
        report = RtxReport(highest, lost)
        probe, sequences = self.estimate.probe, self._probe_sequences
        if not self._closed and probe is not None and probe.stream == key and sequences is not None:
            first, last = sequences
            losses = probe_losses(self._probe_baseline, report, first)
            if losses is None:
                self._probe_baseline = report  # it speaks of what came before the probe
            else:
                now = time.monotonic()
                # proof: the report reaches the probe's PROBE_PROOF_S mark, or all it sent once it is over
                if self._probe_proof is not None:
                    proof = seq_at_or_after(highest, self._probe_proof)
                else:
                    proof = not probe.sending(now) and seq_at_or_after(highest, last)
                self.estimate.probe_report(key, losses, proof, now)
        self._rtx_reports[key] = report

    async def _probe_loop(self) -> None:
        estimate = self.estimate
        while not self._closed:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            probe = estimate.probe
            if probe is None:
                probe = self._start_probe(now)
            if probe is None:
                continue
            if probe.sending(now) and not estimate.probe_failed and not probe.carried:
                await self._send_probe(probe, now)
            elif estimate.end_probe(now):
                logger.info("Downlink(%s) estimate up to %d kbit/s", self.name, (estimate.bps or 0) // 1000)
                self._on_change()
            elif estimate.probe is None:
                logger.debug("Downlink(%s) probe %d kbit/s failed", self.name, probe.target_bps // 1000)

    def _start_probe(self, now: float) -> Probe | None:
        """A probe if it is time for one, on the sender that sends most (its RTX stream carries the probe, and the
        receiver's report on that stream says whether it got through)."""
        wanted = self._wanted()
        if wanted is None or not self._senders:
            return None
        self._refresh_rates(now)
        key, sender = max(self._senders.items(), key=lambda item: self.estimate.rate(item[0]))
        probe = self.estimate.start_probe(now, wanted, key)
        if probe is not None:
            self._probe_sent_at = now
            self._probe_credit = 0.0
            first = hooks.next_rtx_sequence(sender)
            self._probe_sequences = (first, uint16_add(first, -1))
            self._probe_baseline = self._rtx_reports.get(key)
            self._probe_proof = None
            logger.debug("Downlink(%s) probes %d kbit/s", self.name, probe.target_bps // 1000)
        return probe

    def _refresh_rates(self, now: float) -> None:
        """Every stream's send rate measured now (a paused one sends nothing, and no REMB would measure it)."""
        for key, sender in self._senders.items():
            self.estimate.sent(key, self._sent_bytes(sender), now)

    async def _send_probe(self, probe: Probe, now: float) -> None:
        """The probe's packets since the last tick."""
        elapsed = min(now - self._probe_sent_at, 4 * TICK_S)
        self._probe_sent_at = now
        self._refresh_rates(now)
        carrier = self._senders.get(probe.stream) if probe.stream is not None else None
        if probe.extra_bps <= 0 or carrier is None or self._probe_sequences is None:
            return
        self._probe_credit += probe.extra_bps * elapsed / 8
        if self._probe_credit <= 0:
            return
        try:
            _packets, sent = await hooks.send_probe(carrier, int(self._probe_credit))
        except ConnectionError:
            return
        self._probe_credit -= sent
        self._probe_sequences = (self._probe_sequences[0], uint16_add(hooks.next_rtx_sequence(carrier), -1))
        if self._probe_proof is None and (now - probe.started >= PROBE_PROOF_S or not probe.sending(now + TICK_S)):
            self._probe_proof = self._probe_sequences[1]  # the receiver's report up to here proves the probe

    def forget(self, sender: RTCRtpSender) -> None:
        self._senders.pop(id(sender), None)
        self._rtx_reports.pop(id(sender), None)

    def close(self) -> None:
        self._closed = True
        self._senders.clear()
        if self._task is not None:
            self._task.cancel()


def _limit_retransmissions(sender: RTCRtpSender) -> None:
    history = hooks.history_of(sender)
    if history is not None:
        history.budget_share, history.budget_floor = LIMITED_RETRANSMIT_SHARE, LIMITED_RETRANSMIT_FLOOR

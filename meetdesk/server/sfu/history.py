"""Retransmissions towards one subscriber: the SFU's own history of what a sender sent, and a budget.

aiortc's ``RTCRtpSender`` keeps the last 128 packets it sent (by sequence number modulo 128) and answers
every NACK from them, as often as it is asked. For a forwarded camera that is about a second of video at
best (a keyframe alone can be 30 packets), and a receiver that keeps NACKing what is gone, or the same
packets again, gets each of them every time. :func:`keep_history` gives a subscriber's sender a
:class:`RetransmissionHistory` instead (:mod:`.hooks` puts it in place of aiortc's dict and shadows the
sender's ``_retransmit``):

- it keeps what the sender sent in the last :data:`HISTORY_S` seconds, by full sequence number, bounded
  by :data:`MAX_PACKETS`;
- a NACKed packet is sent again (as RTX when the subscriber negotiated it, else the original packet) at
  most once per :data:`REPEAT_S`: a receiver repeating its NACK list does not multiply the traffic;
- retransmissions are paid from a budget of :data:`BUDGET_SHARE` of the bytes the sender sent over the
  history's window (plus :data:`BUDGET_FLOOR_BYTES`): on a link that loses most of what it gets, the
  SFU does not add a storm of retransmissions to it; what the budget refuses is counted.

The counters (:class:`HistoryStats`) are the subscription's stats (``ForwarderStats.subscribers``).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Final

from aiortc.rtp import RtpPacket

#: how long a sent packet stays retransmittable
HISTORY_S: Final = 1.0
#: the most packets kept, whatever the rate (a 3 Mbit/s camera sends about 300 a second)
MAX_PACKETS: Final = 1024
#: the same packet is sent again at most this often (a retransmission needs a round trip to be missed)
REPEAT_S: Final = 0.05
#: retransmissions may add this share of what the sender sent over the window
BUDGET_SHARE: Final = 0.5
#: and this many bytes besides (a keyframe lost at the start of a quiet stream)
BUDGET_FLOOR_BYTES: Final = 30_000


@dataclass(frozen=True, slots=True)
class HistoryStats:
    """Counters of one sender's retransmissions."""

    nacked: int  #: packets asked for again (NACK), repeats included
    retransmitted: int  #: packets sent again
    retransmitted_bytes: int  #: their payload bytes
    unavailable: int  #: asked for, but older than the history (or never sent)
    repeats: int  #: asked for again within REPEAT_S of being sent again: not sent
    over_budget: int  #: asked for, in the history, refused by the budget


class RetransmissionHistory:
    """What one sender sent lately (module docstring). aiortc's sender stores every packet it sends with
    ``history[seq % 128] = packet``: :meth:`__setitem__` keeps it by its own sequence number instead."""

    def __init__(
        self,
        window: float = HISTORY_S,
        max_packets: int = MAX_PACKETS,
        repeat: float = REPEAT_S,
        budget_share: float = BUDGET_SHARE,
        budget_floor: int = BUDGET_FLOOR_BYTES,
    ) -> None:
        self.window = window
        self.max_packets = max_packets
        self.repeat = repeat
        self.budget_share = budget_share
        self.budget_floor = budget_floor
        # sequence number -> (sent at, packet), oldest first
        self._packets: OrderedDict[int, tuple[float, RtpPacket]] = OrderedDict()
        self._resent_at: dict[int, float] = {}
        self._sent_bytes = 0  # payload bytes of the packets in the history
        self._resent: deque[tuple[float, int]] = deque()  # (when, bytes) of retransmissions within the window
        self._resent_bytes = 0
        self.nacked = 0
        self.retransmitted = 0
        self.retransmitted_bytes = 0
        self.unavailable = 0
        self.repeats = 0
        self.over_budget = 0

    def __setitem__(self, _key: int, packet: RtpPacket) -> None:
        now = time.monotonic()
        seq = packet.sequence_number
        if seq in self._packets:  # the sequence numbers wrapped round within the window: the old one goes
            self._forget(seq)
        self._packets[seq] = (now, packet)
        self._sent_bytes += len(packet.payload)
        self._expire(now)

    def __len__(self) -> int:
        return len(self._packets)

    def take(self, sequence_number: int, now: float | None = None) -> RtpPacket | None:
        """The packet to send again for a NACK of ``sequence_number``, or None (counted: why not)."""
        now = time.monotonic() if now is None else now
        self.nacked += 1
        self._expire(now)
        entry = self._packets.get(sequence_number)
        if entry is None:
            self.unavailable += 1
            return None
        resent_at = self._resent_at.get(sequence_number)
        if resent_at is not None and now - resent_at < self.repeat:
            self.repeats += 1
            return None
        packet = entry[1]
        size = len(packet.payload)
        if self._resent_bytes + size > self.budget_share * self._sent_bytes + self.budget_floor:
            self.over_budget += 1
            return None
        self._resent_at[sequence_number] = now
        self._resent.append((now, size))
        self._resent_bytes += size
        self.retransmitted += 1
        self.retransmitted_bytes += size
        return packet

    def stats(self) -> HistoryStats:
        return HistoryStats(
            nacked=self.nacked,
            retransmitted=self.retransmitted,
            retransmitted_bytes=self.retransmitted_bytes,
            unavailable=self.unavailable,
            repeats=self.repeats,
            over_budget=self.over_budget,
        )

    def _expire(self, now: float) -> None:
        horizon = now - self.window
        while self._packets:
            seq, (sent_at, _) = next(iter(self._packets.items()))
            if sent_at >= horizon and len(self._packets) <= self.max_packets:
                break
            self._forget(seq)
        while self._resent and self._resent[0][0] < horizon:
            self._resent_bytes -= self._resent.popleft()[1]

    def _forget(self, seq: int) -> None:
        _, packet = self._packets.pop(seq)
        self._sent_bytes -= len(packet.payload)
        self._resent_at.pop(seq, None)

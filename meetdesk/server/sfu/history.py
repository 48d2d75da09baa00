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
- retransmissions are paid from a budget of :data:`BUDGET_SHARE` of the bytes the sender sends (a bucket
  holding about a window's worth, at least :data:`BUDGET_FLOOR_BYTES`): on a link that loses most of what
  it gets, the SFU does not add a storm of retransmissions to it; what the budget refuses is counted.

The counters (:class:`HistoryStats`) are the subscription's stats (``ForwarderStats.subscribers``).
"""

from __future__ import annotations

import time
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


#: the fewest packets kept whatever the rate (a keyframe of a quiet stream, after a second of nothing)
MIN_KEPT: Final = 128

#: what a slot keeps of a packet: sequence number, timestamp, marker, payload type, SSRC, payload, audio level
_Entry = tuple[int, int, int, int, int, bytes, "tuple[bool, int] | None"]


class RetransmissionHistory:
    """What one sender sent lately (module docstring). aiortc's sender stores every packet it sends with
    ``history[seq % 128] = packet``: :meth:`__setitem__` keeps it by its own sequence number instead, in a ring
    of ``max_packets`` slots (a power of two) with the time each was sent: a few operations per packet, on the
    SFU's hottest path. The budget is a bucket that each packet sent fills by ``budget_share`` of its size (up
    to what a window's worth would give, and at least ``budget_floor``) and each retransmission empties by its
    own size.

    A slot keeps the packet's fields in a tuple of plain values, not the ``RtpPacket`` (an object, its dict, its
    header extensions: objects the garbage collector walks on every full pass): with hundreds of subscribers the
    SFU holds hundreds of thousands of kept packets, and walking them cost it a fifth of its core
    (``bench/sfu_bench.py``). :meth:`take` and :meth:`newest` build the packets they give back. And only about
    two windows' worth of packets stay (at least :data:`MIN_KEPT`): writing a slot frees the one that many
    places behind it, so a slow stream does not keep ``max_packets`` of them for ten seconds or more."""

    def __init__(
        self,
        window: float = HISTORY_S,
        max_packets: int = MAX_PACKETS,
        repeat: float = REPEAT_S,
        budget_share: float = BUDGET_SHARE,
        budget_floor: int = BUDGET_FLOOR_BYTES,
    ) -> None:
        if max_packets < 1 or max_packets & (max_packets - 1):
            raise ValueError("max_packets must be a power of two")
        self.window = window
        self.repeat = repeat
        self.budget_share = budget_share
        self.budget_floor = budget_floor
        self._mask = max_packets - 1
        self._entries: list[_Entry | None] = [None] * max_packets
        self._kept = min(MIN_KEPT, max_packets)  # how many places behind the newest a slot is freed
        self._sent_at = [0.0] * max_packets
        self._resent_at = [-float("inf")] * max_packets
        self._tokens = float(budget_floor)
        self._window_bytes = 0.0  # an estimate of the payload bytes sent over a window (for the bucket's size)
        self._window_started = time.monotonic()
        self._bytes_this_window = 0
        self._packets_this_window = 0
        self.nacked = 0
        self.retransmitted = 0
        self.retransmitted_bytes = 0
        self.unavailable = 0
        self.repeats = 0
        self.over_budget = 0

    def __setitem__(self, _key: int, packet: RtpPacket) -> None:
        now = time.monotonic()
        seq = packet.sequence_number
        slot = seq & self._mask
        payload = packet.payload
        self._entries[(seq - self._kept) & self._mask] = None  # before the write: kept may be the whole ring
        self._entries[slot] = (
            seq,
            packet.timestamp,
            packet.marker,
            packet.payload_type,
            packet.ssrc,
            payload,
            packet.extensions.audio_level,
        )
        self._sent_at[slot] = now
        self._resent_at[slot] = -float("inf")
        size = len(payload)
        self._bytes_this_window += size
        self._packets_this_window += 1
        if self._packets_this_window * 2 > self._kept:  # the rate went up: keep more, at once
            self._kept = min(self._mask + 1, self._kept * 2)
        if now - self._window_started >= self.window:
            self._kept = min(self._mask + 1, max(MIN_KEPT, 2 * self._packets_this_window))
            self._window_bytes, self._bytes_this_window, self._window_started = self._bytes_this_window, 0, now
            self._packets_this_window = 0
        ceiling = max(self.budget_floor, self.budget_share * max(self._window_bytes, self._bytes_this_window))
        self._tokens = min(ceiling, self._tokens + self.budget_share * size)

    def __len__(self) -> int:
        """Packets sent within the window and still kept."""
        horizon = time.monotonic() - self.window
        return sum(1 for e, at in zip(self._entries, self._sent_at, strict=True) if e is not None and at >= horizon)

    @staticmethod
    def _packet(entry: _Entry) -> RtpPacket:
        seq, timestamp, marker, payload_type, ssrc, payload, audio_level = entry
        packet = RtpPacket(
            payload_type=payload_type, marker=marker, sequence_number=seq, timestamp=timestamp, ssrc=ssrc
        )
        packet.payload = payload
        packet.extensions.audio_level = audio_level
        return packet

    def take(self, sequence_number: int, now: float | None = None) -> RtpPacket | None:
        """The packet to send again for a NACK of ``sequence_number``, or None (counted: why not)."""
        now = time.monotonic() if now is None else now
        self.nacked += 1
        slot = sequence_number & self._mask
        entry = self._entries[slot]
        if entry is None or entry[0] != sequence_number or now - self._sent_at[slot] > self.window:
            self.unavailable += 1
            return None
        if now - self._resent_at[slot] < self.repeat:
            self.repeats += 1
            return None
        size = len(entry[5])
        if size > self._tokens:
            self.over_budget += 1
            return None
        self._tokens -= size
        self._resent_at[slot] = now
        self.retransmitted += 1
        self.retransmitted_bytes += size
        return self._packet(entry)

    def newest(self, count: int) -> list[RtpPacket]:
        """The ``count`` packets sent last (fewer if the history holds fewer), newest first: what a bandwidth
        probe sends again (:func:`meetdesk.server.sfu.hooks.send_probe`). Not on the hot path: a scan of the ring."""
        last = max(range(len(self._sent_at)), key=self._sent_at.__getitem__)
        entry = self._entries[last]
        packets: list[RtpPacket] = []
        while entry is not None and len(packets) < count:
            packets.append(self._packet(entry))
            seq = (entry[0] - 1) & 0xFFFF
            entry = self._entries[seq & self._mask]
            if entry is not None and entry[0] != seq:
                entry = None
        return packets

    def stats(self) -> HistoryStats:
        return HistoryStats(
            nacked=self.nacked,
            retransmitted=self.retransmitted,
            retransmitted_bytes=self.retransmitted_bytes,
            unavailable=self.unavailable,
            repeats=self.repeats,
            over_budget=self.over_budget,
        )

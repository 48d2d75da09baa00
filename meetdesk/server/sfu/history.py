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

#: what a slot keeps of a packet: sequence number, timestamp, marker, payload type, SSRC, payload, and of its header
#: extensions the send time and the audio level (the media id is the sender's)
_Entry = tuple[int, int, int, int, int, bytes, "int | None", "tuple[bool, int] | None"]


class RetransmissionHistory:
    """What one sender sent lately (module docstring). aiortc's sender stores every packet it sends with
    ``history[seq % 128] = packet``: :meth:`__setitem__` keeps it by its own sequence number instead, in a ring
    of ``max_packets`` slots (a power of two) with the time each was sent: a few operations per packet, on the
    SFU's hottest path. The budget is a bucket that each packet sent fills by ``budget_share`` of its size (up
    to what a window's worth would give, and at least ``budget_floor``; credited when a retransmission is asked for,
    not on the hot path) and each retransmission empties by its own size.

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
        self._sent_at = [0.0] * max_packets
        self._kept = min(MIN_KEPT, max_packets)  # how many places behind the newest a slot is freed
        self._resent_at: dict[int, float] = {}  # sequence number -> when it was sent again, lately
        # what was sent: payload bytes and packets in all, and at the start of the current window
        self._bytes = self._count = 0
        self._window_started = time.monotonic()
        self._window_start_bytes = self._window_start_count = 0
        self._window_bytes = 0  # the payload bytes sent over the last whole window (for the bucket's size)
        self._tokens = float(budget_floor)
        self._credited = 0  # the bytes sent that filled the bucket already
        self.nacked = 0
        self.retransmitted = 0
        self.retransmitted_bytes = 0
        self.unavailable = 0
        self.repeats = 0
        self.over_budget = 0

    def __setitem__(self, _key: int, packet: RtpPacket) -> None:
        # the sender's hot path: the slot, its time and two counters; the rest once per window (_roll) or per
        # retransmission (take)
        now = time.monotonic()
        seq = packet.sequence_number
        mask = self._mask
        payload = packet.payload
        entries = self._entries
        entries[(seq - self._kept) & mask] = None  # before the write: kept may be the whole ring
        entries[seq & mask] = (
            seq,
            packet.timestamp,
            packet.marker,
            packet.payload_type,
            packet.ssrc,
            payload,
            packet.extensions.abs_send_time,
            packet.extensions.audio_level,
        )
        self._sent_at[seq & mask] = now
        self._bytes += len(payload)
        self._count += 1
        if now - self._window_started >= self.window or (self._count - self._window_start_count) * 2 > self._kept:
            self._roll(now)

    def _roll(self, now: float) -> None:
        """A window ended (keep about two windows' worth of packets from now on, and size the bucket by it), or the
        packets sent in this one outgrew what is kept (keep twice as many)."""
        packets = self._count - self._window_start_count
        if now - self._window_started < self.window:
            self._kept = min(self._mask + 1, self._kept * 2)
            return
        self._kept = min(self._mask + 1, max(MIN_KEPT, 2 * packets))
        self._refill()
        self._window_bytes = self._bytes - self._window_start_bytes
        self._window_started, self._window_start_bytes, self._window_start_count = now, self._bytes, self._count
        if len(self._resent_at) > MIN_KEPT:  # those sent again a window ago can be sent again anyway
            self._resent_at = {seq: at for seq, at in self._resent_at.items() if now - at < self.repeat}

    def _refill(self) -> None:
        """Fill the bucket by ``budget_share`` of what was sent since the last refill, up to its size."""
        ceiling = max(
            self.budget_floor, self.budget_share * max(self._window_bytes, self._bytes - self._window_start_bytes)
        )
        self._tokens = min(ceiling, self._tokens + self.budget_share * (self._bytes - self._credited))
        self._credited = self._bytes

    def __len__(self) -> int:
        """Packets sent within the window and still kept."""
        horizon = time.monotonic() - self.window
        return sum(1 for e, at in zip(self._entries, self._sent_at, strict=True) if e is not None and at >= horizon)

    @staticmethod
    def _packet(entry: _Entry) -> RtpPacket:
        seq, timestamp, marker, payload_type, ssrc, payload, abs_send_time, audio_level = entry
        packet = RtpPacket(
            payload_type=payload_type, marker=marker, sequence_number=seq, timestamp=timestamp, ssrc=ssrc
        )
        packet.payload = payload
        packet.extensions.abs_send_time = abs_send_time
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
        if now - self._resent_at.get(sequence_number, -float("inf")) < self.repeat:
            self.repeats += 1
            return None
        size = len(entry[5])
        self._refill()
        if size > self._tokens:
            self.over_budget += 1
            return None
        self._tokens -= size
        self._resent_at[sequence_number] = now
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

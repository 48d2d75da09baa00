"""One switch for what MeetDesk does about bad networks, so that a bench can measure it on and off.

``MEETDESK_NETWORK_ADAPTATIONS=off`` (or ``0``, ``false``, ``no``) in the environment of a server or a
participant turns off, there, what issue 13 adds on top of aiortc; each part checks :func:`enabled` where it
sets itself up. Today: the receivers' prompt keyframe request at a gap (:mod:`meetdesk.client.gaps`), the
SFU's own retransmission history for each subscriber's senders (:mod:`meetdesk.server.sfu.history`), Opus
in-band FEC on loss and its use by the receivers (:mod:`meetdesk.client.media.opus_fec`), and the SFU telling
audio publishers the loss their subscribers report (:mod:`meetdesk.server.sfu.hooks`, item 5), retransmissions
routed to their stream's receiver (:mod:`meetdesk.rtc.rtx`), the SFU's NACKs upstream limited to recent
losses (:mod:`meetdesk.server.sfu.hooks`, item 1b), the publisher's camera layers following its uplink estimate
(:mod:`meetdesk.client.media.uplink`; off, aiortc's encoders follow the server's REMB) and the SFU giving
everyone the low layer while a full layer does not arrive (:mod:`meetdesk.server.meeting.layer_watch`). What
aiortc does by itself (its senders' 128-packet history, its receivers' NACKs) stays. Anything else, or
nothing, is on. ``bench/network_bench.py`` runs every phase both ways; nothing else should turn it off.

Read at each use (a new receiver, a new subscription), not once at import: a process that changes its
environment gets the new setting for the connections it makes next.
"""

from __future__ import annotations

import os
from typing import Final

ENV: Final = "MEETDESK_NETWORK_ADAPTATIONS"
_OFF: Final = frozenset({"off", "0", "false", "no"})


def enabled() -> bool:
    """Whether the network adaptations are on in this process (module docstring)."""
    return os.environ.get(ENV, "on").strip().lower() not in _OFF

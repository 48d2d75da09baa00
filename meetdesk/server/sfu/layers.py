"""Moving a subscriber from one simulcast layer to another without a renegotiation.

A subscriber gets one camera track whatever the layer: its ``RTCRtpSender`` keeps its transceiver,
SSRC and m-line; only the forwarded track it reads changes. The other layer's subscription starts
at a keyframe (asked of the publisher's layer at once); until it has one the old layer goes on, so
the picture never stalls for the switch. The new track continues the old one's timestamps (see
:meth:`.forwarder.Subscription.bind_sender`), so the receiver's jitter buffer takes it as one stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .forwarder import Subscription, TrackForwarder

logger = logging.getLogger(__name__)


async def switch_layer(
    old: Subscription, target: TrackForwarder, *, still_current: Callable[[], bool], timeout: float
) -> Subscription | None:
    """Move ``old``'s sender to a new subscription of ``target`` once that has a keyframe.

    Returns the new subscription, or None when nothing changed: ``target`` sent no keyframe within
    ``timeout`` s, or ``still_current()`` says ``old`` is no longer the subscriber's (a renegotiation
    or the publisher's departure replaced it meanwhile), or ``old`` has no sender.
    """
    if old.closed or old.sender is None or target.closed or target.ended:
        return None
    new = target.subscribe(old.subscriber_id)
    try:
        await asyncio.wait_for(new.started(), timeout)
    except asyncio.CancelledError:
        new.close()
        raise
    except TimeoutError:
        new.close()
        logger.info("Forwarder(%s) sent no keyframe for %s in %g s: no switch", target.name, old.subscriber_id, timeout)
        return None
    sender = old.sender
    if not still_current() or old.closed or sender is None or sender.track is not old.track:
        new.close()
        return None
    new.bind_sender(sender)  # while the sender still carries the old layer: its timestamps go on
    sender.replaceTrack(new.track)
    old.close()  # not on the sender any more: its pending read ends with a packet of nothing
    return new

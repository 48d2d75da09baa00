"""The SFU's media core: forwards encoded VP8 and Opus between aiortc peer connections, never decoding.

Per published track, a :class:`TrackForwarder` taps the publisher connection's ``RTCRtpReceiver``
(frames are assembled, not decoded) and fans the encoded frames out to one :class:`Subscription`
per subscriber, whose track an ``RTCRtpSender`` on the subscriber connection packetizes as is.
See :mod:`.forwarder` for the calls the meeting engine makes and :mod:`.hooks` for what this
relies on inside aiortc.
"""

from meetdesk.rtc.errors import AiortcHookError

from .forwarder import ForwarderStats, Subscription, SubscriptionError, TrackForwarder, forwarded_codecs
from .track import SubscriberStats

__all__ = [
    "AiortcHookError",
    "ForwarderStats",
    "SubscriberStats",
    "Subscription",
    "SubscriptionError",
    "TrackForwarder",
    "forwarded_codecs",
]

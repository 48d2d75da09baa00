"""The names of aiortc's private attributes and methods that MeetDesk reaches (name-mangled ones spelled out), in
one place for the server, the recorder and the client. Each use is guarded by a check that raises
:class:`~meetdesk.rtc.errors.AiortcHookError` and by tests/unit/rtc/test_aiortc_hooks.py and
tests/unit/sfu/test_aiortc_hooks.py, which fail when the pinned aiortc changes them."""

from __future__ import annotations

from typing import Final

#: RTCRtpReceiver: the negotiated codecs by payload type, the jitter buffer, the decoder's queue and thread, its kind
RECEIVER_CODECS: Final = "_RTCRtpReceiver__codecs"
RECEIVER_JITTER_BUFFER: Final = "_RTCRtpReceiver__jitter_buffer"
RECEIVER_DECODER_QUEUE: Final = "_RTCRtpReceiver__decoder_queue"
RECEIVER_DECODER_THREAD: Final = "_RTCRtpReceiver__decoder_thread"
RECEIVER_KIND: Final = "_RTCRtpReceiver__kind"
#: RTCRtpReceiver: the SSRC its RTCP goes out with, and its RTCP senders (a packet; a NACK; a PLI)
RECEIVER_RTCP_SSRC: Final = "_RTCRtpReceiver__rtcp_ssrc"
RECEIVER_SEND_RTCP: Final = "_send_rtcp"
RECEIVER_NACK: Final = "_send_rtcp_nack"
RECEIVER_PLI: Final = "_send_rtcp_pli"
#: RTCRtpSender: its encoder, made by ``get_encoder`` only while it is None (and dropped when the sender stops): one
#: set before the sender starts is the one it uses
SENDER_ENCODER: Final = "_RTCRtpSender__encoder"
#: RTCDtlsTransport: its RTP/RTCP router (an RTCP receiver report goes to the senders of the SSRCs it reports on)
TRANSPORT_ROUTER: Final = "_rtp_router"

"""Encoded media frames as the SFU sees them, and the codec facts it needs (VP8 keyframes).

The SFU never decodes: it only needs to know where a frame starts and ends (RTP marker bit, VP8
payload descriptor) and whether a VP8 frame is a keyframe (a subscriber can start there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# VP8 payload descriptor (RFC 7741 section 4.2), first octet: X R N S R PID(3)
_VP8_S_BIT: Final = 0x10
_VP8_PID_MASK: Final = 0x07
# VP8 keyframe start code (RFC 6386 section 9.1), after the 3-byte frame tag
_VP8_START_CODE: Final = b"\x9d\x01\x2a"


@dataclass(slots=True)
class EncodedFrame:
    """One complete encoded frame from a publisher.

    ``timestamp`` is the RTP timestamp unwrapped to 64 bits (clock of ``kind``); ``received_at`` is
    ``time.monotonic()`` when its last packet arrived; ``after_loss`` says packets before this frame
    were given up on, so a decoder fed this frame without a keyframe first would show corruption.
    """

    kind: str
    data: bytes
    timestamp: int
    keyframe: bool
    ssrc: int
    received_at: float
    after_loss: bool = False


def is_vp8_partition_start(payload: bytes) -> bool:
    """Whether an RTP VP8 payload (descriptor included) starts a frame: S bit set, partition 0."""
    return len(payload) > 0 and bool(payload[0] & _VP8_S_BIT) and payload[0] & _VP8_PID_MASK == 0


def is_vp8_keyframe(frame: bytes) -> bool:
    """Whether a VP8 frame (descriptor removed) is a keyframe: frame tag bit 0 (P) is 0.

    The start code is checked as well so that a truncated or foreign buffer is not taken for a
    keyframe that a subscriber would then start on.
    """
    return len(frame) >= 6 and frame[0] & 0x01 == 0 and frame[3:6] == _VP8_START_CODE

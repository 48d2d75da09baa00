"""What one sender reads of a local source that outlives its peer connection.

aiortc stops a sender's track when the sender ends, that is when its peer connection closes. The
camera, microphone and screen share of a session outlive the publisher connections that rebuilds
and rejoins replace, so each connection's senders read a :class:`SourceView` of them: the view is
stopped with the connection, the source keeps running for the next one.
"""

from __future__ import annotations

from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet


class SourceView(MediaStreamTrack):
    """Passes on the frames of ``source``; stopping the view leaves the source alone."""

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source

    async def recv(self) -> Frame | Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        return await self.source.recv()

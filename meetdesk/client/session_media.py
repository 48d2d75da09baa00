"""A meeting session's media connections: publishing, rebuilding a failed publisher or subscriber connection,
and the microphone level and connection quality reported to the server while connected.

:class:`SessionMedia` is mixed into :class:`~meetdesk.client.session.MeetingSession`, which owns what is named
below; a connection being rebuilt puts the session in the reconnecting state (``_media_lost`` / ``_media_ok``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aiortc import RTCPeerConnection

from meetdesk.client.publisher import Publisher, PublishError
from meetdesk.client.quality import QualityMeter, estimates_now, held_to_estimates
from meetdesk.client.session_state import SessionState
from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.client.subscriber import Subscriber
from meetdesk.core.signalling import AudioLevel, ConnectionQualityReport, Joined, Quality, Resubscribe

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from pydantic import BaseModel

logger = logging.getLogger("meetdesk.client.session")

LEVEL_INTERVAL_S = 0.25
#: how often the connection's quality is graded (it is reported to the server when it changes)
QUALITY_INTERVAL_S = 2.0
SPEAKING_LEVEL = 0.05
REPUBLISH_DELAYS_S = (0.0, 0.5, 1.0, 2.0)


class SessionMedia:
    """The media connections of a session (mixed into the session, which owns what is named below)."""

    name: str
    state: SessionState
    joined: Joined | None
    quality: Quality | None
    paused_video: frozenset[str]
    downlink_limited: bool
    _publisher: Publisher
    _subscriber: Subscriber
    _signalling: SignallingClient | None
    _republisher: asyncio.Task[None] | None
    _level_task: asyncio.Task[None] | None
    _quality_task: asyncio.Task[None] | None
    _trouble: set[str]
    _recovering: bool
    _finished: bool

    if TYPE_CHECKING:  # given by the session

        async def send(self, message: BaseModel) -> None: ...
        async def _send_media_state(self, screen: bool | None = None) -> None: ...
        def _refresh_state(self) -> None: ...
        def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    async def publish(self) -> None:
        """Rebuild the publisher connection with every local track, and offer it."""
        await self._publish()

    async def _publish(self) -> None:
        await self._publisher.publish()
        await self._send_media_state()
        if self._level_task is None or self._level_task.done():
            self._level_task = asyncio.create_task(self._report_levels(), name=f"levels-{self.name}")
        if self._quality_task is None or self._quality_task.done():
            self._quality_task = asyncio.create_task(self._report_quality(), name=f"quality-{self.name}")

    def _on_publisher_state(self, pc: RTCPeerConnection, state: str) -> None:
        if pc is not self._publisher.pc or self._finished:
            return
        if state == "connected":
            self._media_ok("publisher")
        elif state in ("failed", "closed"):
            then = "rebuilding it" if self._signalling_up() else "to be rebuilt once the signalling is back"
            logger.info("Session(%s) publisher connection %s: %s", self.name, state, then)
            self._media_lost("publisher")
            self._republish_soon()

    def _on_subscriber_state(self, pc: RTCPeerConnection, state: str) -> None:
        if pc is not self._subscriber.pc or self._finished:
            return
        if state == "connected":
            self._media_ok("subscriber")
        elif state in ("failed", "closed"):
            # the server's side may not know (a failure on this side only): ask it for a new connection
            then = "asking for a new one" if self._signalling_up() else "to be asked for once the signalling is back"
            logger.info("Session(%s) subscriber connection %s: %s", self.name, state, then)
            if self._subscriber.receiving:  # with nothing to receive, the server offers nothing: no trouble
                self._media_lost("subscriber")
            self._spawn(self._resubscribe(pc))

    async def _resubscribe(self, failed: RTCPeerConnection | None = None) -> None:
        """Drop the ``failed`` subscriber connection and ask the server for a new one."""
        if failed is not None and not await self._subscriber.reset(failed=failed):
            return  # replaced already
        if not self._subscriber.lost or not self._signalling_up():
            return  # a new offer came meanwhile; or the signalling recovery asks once it is back
        with contextlib.suppress(SignallingError):  # a drop is handled by the reader's recovery
            await self.send(Resubscribe())

    def _media_lost(self, which: str) -> None:
        self._trouble.add(which)
        self._refresh_state()

    def _media_ok(self, which: str) -> None:
        self._trouble.discard(which)
        self._refresh_state()

    def _signalling_up(self) -> bool:
        signalling = self._signalling
        return signalling is not None and not signalling.closed and not self._recovering and not self._finished

    def _republish_soon(self) -> None:
        """Rebuild the publisher connection, unless a rebuild is under way or the signalling is down (the
        signalling recovery republishes once it is back)."""
        if self._signalling_up() and (self._republisher is None or self._republisher.done()):
            self._republisher = asyncio.create_task(self._republish(), name=f"republish-{self.name}")

    async def _republish(self) -> None:
        for attempt, delay in enumerate(REPUBLISH_DELAYS_S):
            await asyncio.sleep(delay)
            if not self._signalling_up():
                return
            try:
                await self._publish()
                return
            except (PublishError, SignallingError) as exc:
                logger.info("Session(%s) republishing failed (attempt %d): %s", self.name, attempt + 1, exc)
            except Exception:
                if self._finished:
                    return  # closed under our feet
                logger.warning("Session(%s) republishing failed (attempt %d)", self.name, attempt + 1, exc_info=True)
        logger.warning("Session(%s) could not republish its camera and microphone", self.name)

    async def _report_levels(self) -> None:
        """Tell the server how loud this microphone is, a few times a second (it picks the active speaker)."""
        last = -1.0
        while not self._finished:
            await asyncio.sleep(LEVEL_INTERVAL_S)
            meter = self._publisher.microphone
            if meter is None or self.state is not SessionState.CONNECTED:
                continue
            level = round(meter.level, 2)
            if abs(level - last) >= 0.02 or level >= SPEAKING_LEVEL:
                with contextlib.suppress(SignallingError):  # a drop is handled by the reader's recovery
                    await self.send(AudioLevel(level=level))
                last = level

    async def _report_quality(self) -> None:
        """Grade the media connections every few seconds; tell the server when the grade changes."""
        meter, reported_for = QualityMeter(), None
        while not self._finished:
            await asyncio.sleep(QUALITY_INTERVAL_S)
            joined = self.joined
            if joined is None or not self._signalling_up():
                continue
            if joined.you.identity != reported_for:  # a rejoin: the server knows nothing of this identity yet
                self.quality, reported_for = None, joined.you.identity
            quality = await meter.measure(self._publisher.pc, self._subscriber.pc, connected=not self._trouble)
            paused, limited, uplink = bool(self.paused_video), self.downlink_limited, self._publisher.uplink
            quality = held_to_estimates(quality, estimates_now(paused=paused, limited=limited, uplink=uplink))
            if quality != self.quality:
                with contextlib.suppress(SignallingError):  # a drop is handled by the reader's recovery
                    await self.send(ConnectionQualityReport(quality=quality))
                    self.quality = quality

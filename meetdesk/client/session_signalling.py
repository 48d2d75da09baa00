"""A meeting session's signalling: reading the server's messages and acting on them, and recovering when the
socket is lost (resuming under the same identity, or rejoining from scratch: :mod:`.recovery`).

:class:`SessionSignalling` is mixed into :class:`~meetdesk.client.session.MeetingSession`, which owns what is
named below.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from meetdesk.client.api import RoomLink
from meetdesk.client.publisher import Publisher, PublishError
from meetdesk.client.recovery import GiveUp, RetryPolicy, TokenSource, reconnect
from meetdesk.client.session_state import SessionEvent, SessionState
from meetdesk.client.signalling import LinkFailure, SignallingClient, SignallingError
from meetdesk.client.subscriber import Subscriber
from meetdesk.core.errors import ErrorCode
from meetdesk.core.signalling import (
    ChatHistoryPage,
    DownlinkState,
    ErrorMessage,
    Joined,
    Left,
    LeftReason,
    MeetingLocked,
    Muted,
    PublishAnswer,
    RecordingChanged,
    RecordingState,
    Resubscribe,
    RoleChanged,
    ServerMessage,
    SubscribeOffer,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from pydantic import BaseModel

    from meetdesk.core.permissions import Permissions

logger = logging.getLogger("meetdesk.client.session")

#: the server ended the meeting for everyone by going away: come back when it is back
RECOVERABLE_LEFT = frozenset({LeftReason.SERVER_SHUTDOWN, LeftReason.NETWORK_DISCONNECT})


class SessionSignalling:
    """The signalling of a session (mixed into the session, which owns what is named below)."""

    link: RoomLink
    name: str
    token: str | None
    token_source: TokenSource | None
    retry: RetryPolicy
    joined: Joined | None
    older_chat_kept: bool
    paused_video: frozenset[str]
    downlink_bps: int | None
    downlink_limited: bool
    _publisher: Publisher
    _subscriber: Subscriber
    _signalling: SignallingClient | None
    _events: asyncio.Queue[SessionEvent]
    _oldest_chat: str | None
    _locked: bool
    _recording: RecordingState | None
    _leaving: bool
    _finished: bool
    _recovering: bool

    if TYPE_CHECKING:  # given by the session

        async def send(self, message: BaseModel) -> None: ...
        async def _attach(self, signalling: SignallingClient) -> None: ...
        async def _finish(self, reason: LeftReason, detail: str | None = None) -> None: ...
        async def _permissions_changed(self, granted: Permissions) -> None: ...
        async def _send_media_state(self, screen: bool | None = None) -> None: ...
        def _set_state(
            self, state: SessionState, reason: LeftReason | None = None, detail: str | None = None
        ) -> None: ...
        def _media_lost(self, which: str) -> None: ...
        def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    async def _read(self, signalling: SignallingClient) -> None:
        resume = True
        async for message in signalling.messages():
            await self._events.put(message)
            if isinstance(message, Left):
                if message.reason in RECOVERABLE_LEFT and not self._leaving:
                    logger.info("Session(%s) the server let us go (%s): rejoining", self.name, message.reason.value)
                    resume = False  # the server ended our session: only a rejoin brings us back
                    continue
                await self._finish(message.reason)
                return
            try:
                await self._handle(message)
            except SignallingError as exc:
                # the socket closed while answering (the meeting ended, the network dropped): the end of this
                # loop handles that, and the next connection gets a fresh offer
                logger.info("Session(%s) could not answer %s: %s", self.name, message.type, exc)
            except Exception:
                if self._leaving or self._finished:  # an offer racing our own leave: nothing left to answer it
                    logger.debug("Session(%s) leaving: dropped %s", self.name, message.type, exc_info=True)
                else:
                    logger.exception("Session(%s) could not handle %s", self.name, message.type)
        if signalling is self._signalling and not self._leaving and not self._finished:
            self._publisher.refuse(PublishError("The signalling connection was lost", LinkFailure.NETWORK))
            self._spawn(self._recover(resume=resume))

    async def _handle(self, message: ServerMessage) -> None:
        if isinstance(message, SubscribeOffer):
            if await self._subscriber.on_offer(message):
                self._media_lost("subscriber")  # a new connection replaced ours: until it connects
        elif isinstance(message, PublishAnswer):
            self._publisher.take_answer(message.sdp)
        elif isinstance(message, ErrorMessage) and message.ref == "publish_offer":
            self._publisher.refuse(PublishError(message.message, message.code))
        elif (
            isinstance(message, ErrorMessage) and message.code is ErrorCode.TIMEOUT and message.ref == "subscribe_offer"
        ):
            # the server gave up an offer this side was too slow to answer: ask for a new one
            logger.info("Session(%s) subscribe offer withdrawn: asking for a new one", self.name)
            await self.send(Resubscribe())
        elif isinstance(message, RoleChanged):
            self.token = message.token
            await self._permissions_changed(message.permissions.openvidu.permissions)
        elif isinstance(message, ChatHistoryPage):
            if message.before == self._oldest_chat:
                self.older_chat_kept = message.more
                self._oldest_chat = message.messages[0].id if message.messages else self._oldest_chat
        elif isinstance(message, MeetingLocked):
            self._locked = message.locked
        elif isinstance(message, RecordingChanged):
            self._recording = message.recording if message.recording.recording else None
        elif isinstance(message, DownlinkState):
            self.paused_video, self.downlink_bps = frozenset(message.paused), message.estimateBps
            self.downlink_limited = message.limited
        elif isinstance(message, Muted):
            # the server holds the microphone already; the mic goes off here too, so that what this side
            # shows and sends agrees, and unmuting (set_media) is what lifts the mute
            logger.info("Session(%s) muted by %s", self.name, message.by)
            self._publisher.set_enabled(audio=False, video=self._publisher.video_enabled)
            await self._send_media_state()

    async def _recover(self, *, resume: bool) -> None:
        """The socket is gone: resume, or rejoin from scratch, within the retry policy's bounds."""
        self._recovering = True
        self._set_state(SessionState.RECONNECTING)
        assert self.joined is not None and self.token is not None
        try:
            back = await reconnect(
                self.link,
                self.name,
                self.token,
                session_id=self.joined.sessionId if resume else None,
                grace=self.joined.reconnectGrace,
                policy=self.retry,
                announce=self._events.put_nowait,
                new_token=self.token_source,
            )
        except GiveUp as exc:
            logger.warning("Session(%s) gave up reconnecting: %s", self.name, exc)
            self._recovering = False
            await self._finish(LeftReason.NETWORK_DISCONNECT, str(exc))
            return
        self._recovering = False
        self.token = back.token
        joined = back.signalling.joined
        assert joined is not None
        if not joined.resumed:
            logger.info("Session(%s) rejoined as %s (%s)", self.name, joined.you.identity, joined.you.name)
        await self._attach(back.signalling)

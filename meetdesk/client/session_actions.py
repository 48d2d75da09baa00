"""What a participant asks of its meeting: chat, hand, reactions, microphone and camera on or off, the screen
share, and the moderators' actions (role, remove, mute, mute everyone, lock, end).

:class:`SessionActions` is mixed into :class:`~meetdesk.client.session.MeetingSession`, which gives it the
signalling (:meth:`send`) and the publisher; each action is a message to the server, whose refusals come back as
``ErrorMessage`` events.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from aiortc.mediastreams import MediaStreamTrack

from meetdesk.client.publisher import Publisher, PublishError
from meetdesk.client.signalling import SignallingError
from meetdesk.core.errors import ErrorCode
from meetdesk.core.permissions import Permissions, refusal
from meetdesk.core.signalling import (
    AudioLevel,
    EndMeeting,
    Kick,
    LockMeeting,
    MediaState,
    MuteEveryone,
    MuteParticipant,
    RaiseHand,
    SendChat,
    SendReaction,
    SetRole,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from pydantic import BaseModel

logger = logging.getLogger(__name__)


class SessionActions:
    """A participant's actions (mixed into the session, which owns what is named below)."""

    name: str
    _publisher: Publisher
    _permissions: Permissions
    #: the camera and microphone opened, and those given to the publisher (what the permissions allow)
    _sources: tuple[MediaStreamTrack | None, MediaStreamTrack | None]
    _sent_sources: tuple[MediaStreamTrack | None, MediaStreamTrack | None]

    if TYPE_CHECKING:  # given by the session

        async def send(self, message: BaseModel) -> None: ...
        def _media_lost(self, which: str) -> None: ...
        def _republish_soon(self) -> None: ...
        def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    # permissions -----------------------------------------------------------------------------------

    def _use_permitted_sources(self) -> bool:
        """Give the publisher the sources the permissions allow; True when that changed what it sends."""
        video, audio = self._sources
        video = video if self._permissions.canPublishVideo else None
        audio = audio if self._permissions.canPublishAudio else None
        if (video, audio) == self._sent_sources:
            return False
        self._sent_sources = (video, audio)
        self._publisher.use_sources(video, audio)
        return True

    async def _permissions_changed(self, granted: Permissions) -> None:
        """New permissions (the room's roles or this participant's role changed): stop what they no longer
        allow (the server has stopped forwarding it already) and send what they now allow."""
        self._permissions = granted
        logger.info("Session(%s) new permissions", self.name)
        if self._publisher.sharing and not granted.canShareScreen:
            with contextlib.suppress(PublishError, SignallingError):
                await self.stop_screen_share()
        if self._use_permitted_sources() and self._publisher.pc is not None:
            self._media_lost("publisher")
            self._republish_soon()

    # actions ---------------------------------------------------------------------------------------

    async def chat(self, text: str) -> None:
        await self.send(SendChat(text=text))

    async def raise_hand(self, raised: bool = True) -> None:
        await self.send(RaiseHand(raised=raised))

    async def react(self, emoji: str) -> None:
        await self.send(SendReaction(emoji=emoji))

    async def set_media(self, *, audio: bool, video: bool, screen: bool | None = None) -> None:
        """Mute or unmute the microphone and camera (``screen``: announce this instead of the actual share)."""
        self._publisher.set_enabled(audio=audio, video=video)
        await self._send_media_state(screen)

    async def share_screen(self, source: MediaStreamTrack) -> None:
        """Share ``source`` (any video track) as the screen: the others get it as a separate track with the
        source "screen". Sharing again swaps the source. Raises :class:`PublishError` if the server does not
        take it, or the role may not share a screen here (the session carries on without the share)."""
        if not self._permissions.canShareScreen:
            raise PublishError(refusal("canShareScreen"), ErrorCode.FORBIDDEN)
        try:
            previous = await self._publisher.start_screen(source)
        except PublishError:
            self._renegotiation_failed()
            raise
        if previous is not None and previous is not source:
            previous.stop()
        await self._send_media_state()

    async def stop_screen_share(self) -> None:
        """Stop sharing: the others' screen track goes away; the source track is stopped. Raises
        :class:`PublishError` if the server does not take the change (the connection is then rebuilt)."""
        source = self._publisher.screen.source
        try:
            await self._publisher.stop_screen()
        except PublishError:
            self._renegotiation_failed()
            raise
        finally:
            if source is not None:
                source.stop()
        with contextlib.suppress(SignallingError):  # over already, or back soon with the state resent
            await self._send_media_state()

    def _renegotiation_failed(self) -> None:
        """The server did not answer a change of tracks: where the connection stands is unknown, rebuild it."""
        logger.info("Session(%s) the publisher renegotiation failed: rebuilding the connection", self.name)
        self._media_lost("publisher")
        self._republish_soon()

    def _on_screen_ended(self, source: MediaStreamTrack) -> None:
        logger.info("Session(%s) the shared screen ended", self.name)
        self._spawn(self.stop_screen_share())

    async def _send_media_state(self, screen: bool | None = None) -> None:
        publisher = self._publisher
        await self.send(
            MediaState(
                audio=publisher.microphone is not None and publisher.audio_enabled,
                video=publisher.camera is not None and publisher.video_enabled,
                screen=publisher.sharing if screen is None else screen,
            )
        )

    async def audio_level(self, level: float) -> None:
        await self.send(AudioLevel(level=level))

    async def kick(self, identity: str) -> None:
        await self.send(Kick(identity=identity))

    async def set_role(self, identity: str, role: str) -> None:
        await self.send(SetRole(identity=identity, role=role))  # type: ignore[arg-type]

    async def end_meeting(self) -> None:
        await self.send(EndMeeting())

    async def mute(self, identity: str) -> None:
        """Mute someone (moderators): the server stops forwarding their microphone until they unmute."""
        await self.send(MuteParticipant(identity=identity))

    async def mute_everyone(self) -> None:
        """Mute everyone else (moderators)."""
        await self.send(MuteEveryone())

    async def lock(self, locked: bool) -> None:
        """Lock the meeting so that nobody new joins, or unlock it (moderators)."""
        await self.send(LockMeeting(locked=locked))

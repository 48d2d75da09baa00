"""The signalling WebSocket: ``/internal-api/v1/signalling``.

One socket per participant. The first message must be ``join`` with a participant token; after
that each message is validated against the protocol, checked against the sender's current role and
the room's config, and dispatched. A bad message gets an ``error`` answer and the socket lives on;
messages are size- and rate-limited per connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from meetdesk.core.errors import MeetDeskError, NotFound, RoomClosed
from meetdesk.core.permissions import Role
from meetdesk.core.signalling import (
    CLIENT_MESSAGE,
    MAX_MESSAGE_BYTES,
    AudioLevel,
    ConnectionQualityReport,
    EndMeeting,
    ErrorMessage,
    Join,
    Kick,
    Leave,
    LeftReason,
    LockMeeting,
    MediaState,
    MuteEveryone,
    MuteParticipant,
    Ping,
    Pong,
    PublishOffer,
    RaiseHand,
    Resubscribe,
    SendChat,
    SendReaction,
    SetRole,
    SubscribeAnswer,
)
from meetdesk.server.context import ServerContext
from meetdesk.server.meeting import moderation
from meetdesk.server.meeting.connection import WebSocketConnection
from meetdesk.server.meeting.engine import Participant

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/internal-api/v1")
JOIN_TIMEOUT_S = 10.0
RATE_PER_S = 30.0
RATE_BURST = 120.0


class _Bucket:
    """Token bucket: ``RATE_PER_S`` messages a second on average, bursts up to ``RATE_BURST``."""

    def __init__(self) -> None:
        self.tokens = RATE_BURST
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.at) * RATE_PER_S)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _error(code: str, message: str, ref: str | None = None) -> ErrorMessage:
    return ErrorMessage.model_validate({"code": code, "message": message, "ref": ref})


def _ref_type(text: str) -> str | None:
    try:
        import json

        data = json.loads(text)
    except ValueError:
        return None
    kind = data.get("type") if isinstance(data, dict) else None
    return kind[:40] if isinstance(kind, str) else None


@router.websocket("/signalling")
async def signalling(websocket: WebSocket) -> None:
    ctx: ServerContext = websocket.app.state.ctx
    await websocket.accept()
    connection = WebSocketConnection(websocket, label=f"ws-{id(websocket):x}")
    participant: Participant | None = None
    try:
        participant = await _admit(ctx, websocket, connection)
        if participant is None:
            return
        bucket = _Bucket()
        while True:
            text = await websocket.receive_text()
            if len(text) > MAX_MESSAGE_BYTES:
                connection.send(_error("too_large", f"Messages are limited to {MAX_MESSAGE_BYTES // 1024} KiB"))
                continue
            if not bucket.take():
                connection.send(_error("rate_limited", "Too many messages: slow down", _ref_type(text)))
                continue
            if not await _dispatch(ctx, participant, text):
                return
    except WebSocketDisconnect:
        pass
    finally:
        if participant is not None:
            ctx.meetings.connection_lost(participant, connection)
        await connection.close()


async def _admit(ctx: ServerContext, websocket: WebSocket, connection: WebSocketConnection) -> Participant | None:
    """Wait for ``join``; answer ``joined`` or an error (and close)."""
    while True:
        try:
            text = await asyncio.wait_for(websocket.receive_text(), timeout=JOIN_TIMEOUT_S)
        except TimeoutError:
            connection.send(_error("not_joined", "Send 'join' with a participant token first"))
            return None
        try:
            message = CLIENT_MESSAGE.validate_json(text)
        except ValidationError:
            connection.send(_error("malformed", "Send 'join' with a participant token first", _ref_type(text)))
            continue
        if not isinstance(message, Join):
            connection.send(_error("not_joined", "Send 'join' with a participant token first", message.type))
            continue
        try:
            claims = ctx.tokens.decode(message.token, "participant")
            participant, joined = await ctx.meetings.join(claims, connection, message.resume)
        except MeetDeskError as exc:
            if isinstance(exc, RoomClosed):
                code = "room_closed"
            else:
                code = "unauthorized" if exc.error == "Authentication Error" else "forbidden"
            connection.send(_error(code, exc.message, "join"))
            return None
        connection.send(joined)
        await ctx.meetings.catch_up_role(participant, claims)
        return participant


async def _dispatch(ctx: ServerContext, participant: Participant, text: str) -> bool:
    """Handle one message; False when the participant is out and the socket should close."""
    engine = ctx.meetings
    try:
        message = CLIENT_MESSAGE.validate_json(text)
    except ValidationError as exc:
        code = "unknown_type" if any(e["type"] == "union_tag_invalid" for e in exc.errors()) else "malformed"
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'message'}: {e['msg']}" for e in exc.errors()[:5])
        participant.send(_error(code, f"Invalid message: {problems}", _ref_type(text)))
        return True
    meeting = engine.live(participant.room_id)
    if meeting is None or meeting.participants.get(participant.identity) is not participant:
        return False  # out of the meeting (its Left is on the way): nothing it sends counts any more
    if participant.connection is None:
        return False
    try:
        return await _handle(ctx, participant, message)
    except MeetDeskError as exc:
        if exc.error == "invalid_sdp":
            code = "invalid_sdp"
        elif isinstance(exc, NotFound):
            code = "not_found"
        else:
            code = "bad_state"
        participant.send(_error(code, exc.message, message.type))
        return True


def _require_moderator(participant: Participant, kind: str) -> bool:
    if participant.role is Role.MODERATOR:
        return True
    participant.send(_error("forbidden", "Only moderators can do this", kind))
    return False


async def _handle(ctx: ServerContext, participant: Participant, message: Any) -> bool:
    engine = ctx.meetings
    if isinstance(message, Ping):
        participant.send(Pong())
    elif isinstance(message, Join):
        participant.send(_error("bad_state", "Already joined", "join"))
    elif isinstance(message, Leave):
        await engine.remove(participant, LeftReason.VOLUNTARY_LEAVE)
        return False
    elif isinstance(message, MediaState):
        engine.set_media(participant, audio=message.audio, video=message.video, screen=message.screen)
    elif isinstance(message, AudioLevel):
        engine.audio_level(participant, message.level)
    elif isinstance(message, ConnectionQualityReport):
        engine.update(participant, quality=message.quality)
    elif isinstance(message, RaiseHand):
        engine.update(participant, hand_raised=message.raised)
    elif isinstance(message, SendReaction):
        engine.react(participant, message.emoji)
    elif isinstance(message, SendChat):
        room = await ctx.rooms.rooms.get(participant.room_id)
        if room is None or not room.config.chat.enabled:
            participant.send(_error("chat_disabled", "Chat is disabled in this room", "chat"))
        else:
            engine.chat(participant, message.text)
    elif isinstance(message, Kick):
        if _require_moderator(participant, "kick"):
            await engine.kick(participant.room_id, message.identity)
    elif isinstance(message, SetRole):
        if _require_moderator(participant, "set_role"):
            await engine.set_role(participant.room_id, message.identity, Role(message.role))
    elif isinstance(message, EndMeeting):
        if _require_moderator(participant, "end_meeting"):
            await engine.end(participant.room_id, "meeting_ended", by=participant.identity)
            return False
    elif isinstance(message, MuteParticipant | MuteEveryone | LockMeeting):
        if _require_moderator(participant, message.type):
            await _moderate(ctx, participant, message)
    elif isinstance(message, PublishOffer | SubscribeAnswer | Resubscribe):
        await engine.media_message(participant, message)
    return True


async def _moderate(
    ctx: ServerContext, participant: Participant, message: MuteParticipant | MuteEveryone | LockMeeting
) -> None:
    by = moderation.Moderator(participant.identity, participant.name)
    if isinstance(message, MuteParticipant):
        moderation.mute(ctx.meetings, participant.room_id, message.identity, by)
    elif isinstance(message, MuteEveryone):
        moderation.mute_everyone(ctx.meetings, participant.room_id, by)
    else:
        await moderation.lock(ctx.meetings, ctx.rooms, participant.room_id, message.locked, by)

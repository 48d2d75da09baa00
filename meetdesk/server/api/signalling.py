"""The signalling WebSocket: ``/internal-api/v1/signalling``.

One socket per participant. The first message must be ``join`` with a participant token; after
that each message is validated against the protocol, checked against the sender's current permissions
(its role's in the room, ``permits.py``) and the room's config, and dispatched. A bad message gets an
``error`` answer and the socket lives on; messages are size- and rate-limited per connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pydantic_core
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from meetdesk.core.errors import ErrorCode, MeetDeskError, socket_code
from meetdesk.core.permissions import Role, refusal
from meetdesk.core.signalling import (
    CLIENT_MESSAGE,
    MAX_MESSAGE_BYTES,
    AudioLevel,
    ChatHistory,
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
    VideoTiles,
)
from meetdesk.server.context import ServerContext
from meetdesk.server.meeting import moderation, permits
from meetdesk.server.meeting.connection import WebSocketConnection
from meetdesk.server.meeting.engine import Participant

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/internal-api/v1")
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


def _error(code: ErrorCode, message: str, ref: str | None = None) -> ErrorMessage:
    """An error message with the code the socket sends for ``code`` (core's table: a permission refused is
    ``forbidden`` here, a conflict ``bad_state``)."""
    return ErrorMessage(code=socket_code(code), message=message, ref=ref)


def _ref_type(text: str) -> str | None:
    try:
        data = pydantic_core.from_json(text)  # bounded nesting: deeper is a ValueError, never a RecursionError
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
    joining = ctx.joining_sockets
    address = ctx.limits.address(websocket)
    try:
        if joining[address] >= ctx.settings.max_joining_sockets_per_address:
            connection.send(
                _error(ErrorCode.TOO_MANY_REQUESTS, "Too many sockets from this address are waiting to join")
            )
            return
        joining[address] += 1
        try:
            participant = await _admit(ctx, websocket, connection)
        finally:
            joining[address] -= 1
            if joining[address] <= 0:
                del joining[address]
        if participant is None:
            return
        bucket = _Bucket()
        while True:
            text = await _receive(websocket, connection)
            if text is None:
                continue
            if len(text) > MAX_MESSAGE_BYTES:
                connection.send(
                    _error(ErrorCode.PAYLOAD_TOO_LARGE, f"Messages are limited to {MAX_MESSAGE_BYTES // 1024} KiB")
                )
                continue
            if not bucket.take():
                connection.send(_error(ErrorCode.TOO_MANY_REQUESTS, "Too many messages: slow down", _ref_type(text)))
                continue
            if not await _dispatch(ctx, participant, text):
                return
    except WebSocketDisconnect:
        pass
    finally:
        if participant is not None:
            ctx.meetings.connection_lost(participant, connection)
        await connection.close()


async def _receive(websocket: WebSocket, connection: WebSocketConnection) -> str | None:
    """The next text frame; None for a binary frame (answered with an error: the socket lives on)."""
    frame = await websocket.receive()
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000), frame.get("reason"))
    text = frame.get("text")
    if text is None:
        connection.send(_error(ErrorCode.MALFORMED, "Messages are JSON in text frames: a binary frame is not read"))
        return None
    return str(text)


async def _admit(ctx: ServerContext, websocket: WebSocket, connection: WebSocketConnection) -> Participant | None:
    """Wait for ``join``; answer ``joined`` or an error (and close).

    ``join`` must come within the ``join_timeout`` setting of the socket's opening, whatever else is sent before it:
    a socket that only pings is not held open for free."""
    timeout = ctx.settings.join_timeout
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                text = await _receive(websocket, connection)
        except TimeoutError:
            connection.send(_error(ErrorCode.NOT_JOINED, f"Send 'join' with a participant token within {timeout:g} s"))
            return None
        if text is None:
            continue
        try:
            message = CLIENT_MESSAGE.validate_json(text)
        except ValidationError:
            connection.send(_error(ErrorCode.MALFORMED, "Send 'join' with a participant token first", _ref_type(text)))
            continue
        if not isinstance(message, Join):
            connection.send(_error(ErrorCode.NOT_JOINED, "Send 'join' with a participant token first", message.type))
            continue
        try:
            claims = ctx.tokens.participant(message.token)
            participant, joined = await ctx.meetings.join(claims, connection, message.resume)
        except MeetDeskError as exc:
            connection.send(_error(exc.code, exc.message, "join"))  # its code, never its words
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
        unknown = any(e["type"] == "union_tag_invalid" for e in exc.errors())
        code = ErrorCode.UNKNOWN_TYPE if unknown else ErrorCode.MALFORMED
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
        participant.send(_error(exc.code, exc.message, message.type))
        return True


def _require_moderator(participant: Participant, kind: str) -> bool:
    if participant.role is Role.MODERATOR:
        return True
    participant.send(_error(ErrorCode.FORBIDDEN, "Only moderators can do this", kind))
    return False


async def _chat_enabled(ctx: ServerContext, participant: Participant) -> bool:
    room = await ctx.rooms.rooms.get(participant.room_id)
    return room is not None and room.config.chat.enabled


async def _handle(ctx: ServerContext, participant: Participant, message: Any) -> bool:
    engine = ctx.meetings
    lacking = permits.missing(participant.permissions, message)
    if lacking is not None:  # the sender's role may not do this in this room (core/permissions.py)
        if lacking in ("canWriteChat", "canReadChat") and not await _chat_enabled(ctx, participant):
            participant.send(_error(ErrorCode.CHAT_DISABLED, "Chat is disabled in this room", "chat"))
        else:
            participant.send(_error(ErrorCode.FORBIDDEN, refusal(lacking), message.type))
        return True
    if isinstance(message, Ping):
        participant.send(Pong())
    elif isinstance(message, Join):
        participant.send(_error(ErrorCode.BAD_STATE, "Already joined", "join"))
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
        if not await _chat_enabled(ctx, participant):
            participant.send(_error(ErrorCode.CHAT_DISABLED, "Chat is disabled in this room", "chat"))
        else:
            engine.chat(participant, message.text)
    elif isinstance(message, ChatHistory):
        participant.send(engine.chat_history(participant, message.before))
    elif isinstance(message, Kick):  # permits: canKickParticipants
        await engine.kick(participant.room_id, message.identity)
    elif isinstance(message, SetRole):  # permits: canMakeModerator
        await engine.set_role(participant.room_id, message.identity, Role(message.role))
    elif isinstance(message, EndMeeting):  # permits: canEndMeeting
        await engine.end(participant.room_id, "meeting_ended", by=participant.identity)
        return False
    elif isinstance(message, MuteParticipant | MuteEveryone | LockMeeting):
        if _require_moderator(participant, message.type):
            await _moderate(ctx, participant, message)
    elif isinstance(message, PublishOffer | SubscribeAnswer | Resubscribe | VideoTiles):
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

"""A meeting session's state and the events it reports (``MeetingSession.events()``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from meetdesk.client.recovery import ReconnectAttempt
from meetdesk.core.signalling import LeftReason, ServerMessage

__all__ = ["SessionEvent", "SessionState", "StateChanged"]


class SessionState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class StateChanged:
    state: SessionState
    reason: LeftReason | None = None
    #: a sentence for the person when there is more to say than the reason (why reconnecting gave up)
    detail: str | None = None


SessionEvent = StateChanged | ReconnectAttempt | ServerMessage

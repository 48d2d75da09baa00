"""Registered webhooks (OpenVidu Meet 3.9's ``/api/v1/webhooks``): each a URL with an optional filter of event
types and an optional room scope, next to the single webhook of the global config.

:func:`wants` is the one rule of who gets an event: an enabled webhook whose ``events`` (all when absent)
include it and whose ``roomId`` (every room when absent) is the event's room.
"""

from __future__ import annotations

import secrets
import string
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from meetdesk.core.models import check_http_url

MAX_WEBHOOKS = 20
#: upstream's ids look like ``wh-a1b2c3d4e5f6g7h``
WEBHOOK_ID_PREFIX = "wh-"
_ID_ALPHABET = string.ascii_lowercase + string.digits


class WebhookEvent(StrEnum):
    MEETING_STARTED = "meetingStarted"
    MEETING_ENDED = "meetingEnded"
    PARTICIPANT_JOINED = "participantJoined"
    PARTICIPANT_LEFT = "participantLeft"
    RECORDING_STARTED = "recordingStarted"
    RECORDING_UPDATED = "recordingUpdated"
    RECORDING_ENDED = "recordingEnded"


def new_webhook_id() -> str:
    return WEBHOOK_ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(15))


class WebhookOptions(BaseModel):
    """Body of create and update. An update replaces the whole definition: an omitted field is cleared."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    url: Annotated[str, Field(max_length=2000)]
    events: Annotated[list[WebhookEvent] | None, Field(min_length=1, max_length=len(WebhookEvent))] = None
    roomId: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        return check_http_url(value)

    @field_validator("events", mode="before")
    @classmethod
    def _events(cls, value: object) -> object:
        # a list of strings arrives as JSON: the enum accepts its values (strict mode would want members)
        if not isinstance(value, list):
            return value
        known = [event.value for event in WebhookEvent]
        for item in value:
            if item not in known:
                raise PydanticCustomError(
                    "unknown_event",
                    "Unknown event type {event}: one of {known}",
                    {"event": repr(item), "known": ", ".join(known)},
                )
        return [WebhookEvent(item) for item in value]

    @field_validator("events")
    @classmethod
    def _no_repeats(cls, value: list[WebhookEvent] | None) -> list[WebhookEvent] | None:
        return None if value is None else list(dict.fromkeys(value))


class MeetWebhook(BaseModel):
    """A registered webhook as the API shows it (``events`` and ``roomId`` absent when not set)."""

    webhookId: str
    url: str
    events: list[WebhookEvent] | None = None
    roomId: str | None = None
    enabled: bool
    creationDate: int

    def view(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


def wants(webhook: MeetWebhook, event: str, room_id: str | None) -> bool:
    """Whether ``webhook`` receives ``event`` of ``room_id`` (None: an event of no room, such as a test)."""
    if not webhook.enabled:
        return False
    if webhook.events is not None and event not in webhook.events:
        return False
    return webhook.roomId is None or webhook.roomId == room_id

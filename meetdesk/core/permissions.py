"""Participant roles and what each may do in a meeting (OpenVidu Meet's two roles, plus our extras)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from meetdesk.core.models import RoomConfig


class Role(StrEnum):
    MODERATOR = "moderator"
    SPEAKER = "speaker"


def permissions(role: Role, config: RoomConfig) -> dict[str, Any]:
    """The permissions a participant token carries, shaped like OpenVidu Meet's ``{livekit, openvidu}``.

    The room's config applies on top of the role: a disabled feature is off for everyone.
    """
    moderator = role is Role.MODERATOR
    access = config.recording.allowAccessTo
    can_retrieve = config.recording.enabled and (
        access == "admin_moderator_speaker" or (moderator and access == "admin_moderator")
    )
    return {
        "livekit": {
            "roomJoin": True,
            "canPublish": True,
            "canSubscribe": True,
            "canPublishData": True,
            "canUpdateOwnMetadata": True,
        },
        "openvidu": {
            "canRecord": moderator and config.recording.enabled,
            "canChat": config.chat.enabled,
            "canChangeVirtualBackground": config.virtualBackground.enabled,
            "canRetrieveRecordings": can_retrieve,
            "canDeleteRecordings": can_retrieve and moderator,
            "canEndMeeting": moderator,
            "canKickParticipants": moderator,
            "canMakeModerator": moderator,
            "canShareAccessLinks": moderator,
        },
    }

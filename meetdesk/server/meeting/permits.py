"""Which permission each signalling message needs (OpenVidu Meet 3.8's roles, checked on every message).

The table is the whole rule: a message is refused, with the permission's own sentence, when the sender's
current permissions (``Participant.permissions``: its role's in the room, kept current) lack one it
needs. A ``publish_offer`` needs the permission of every source it sends, read from the offer itself
(an m-line the client did not label is a camera or a microphone, as the media router takes it), so a
track cannot be slipped in under another label than the router would forward it as.
"""

from __future__ import annotations

from typing import Any

from meetdesk.core.permissions import PermissionKey, Permissions
from meetdesk.core.signalling import ChatHistory, EndMeeting, Kick, MediaState, PublishOffer, SendChat, SetRole

#: what each published source needs
SOURCE_PERMISSION: dict[str, PermissionKey] = {
    "camera": "canPublishVideo",
    "camera_low": "canPublishVideo",
    "microphone": "canPublishAudio",
    "screen": "canShareScreen",
}

#: messages that need one permission whatever they carry
_MESSAGE_PERMISSION: dict[type[Any], PermissionKey] = {
    SendChat: "canWriteChat",
    ChatHistory: "canReadChat",
    Kick: "canKickParticipants",
    SetRole: "canMakeModerator",
    EndMeeting: "canEndMeeting",
}


def sent_sources(offer: PublishOffer) -> list[str]:
    """The sources an offer sends: one per m-line that sends (not ``recvonly``/``inactive``, not rejected)."""
    sources: list[str] = []
    section: dict[str, str] | None = None

    def close(done: dict[str, str] | None) -> None:
        if done is None or done.get("port") == "0" or done.get("direction") in ("recvonly", "inactive"):
            return
        fallback = "microphone" if done["kind"] == "audio" else "camera"
        sources.append(offer.sources.get(done.get("mid", ""), fallback))

    for line in offer.sdp.splitlines():
        if line.startswith("m="):
            close(section)
            kind, _, rest = line[2:].partition(" ")
            section = {"kind": kind, "port": rest.split(" ", 1)[0]}
        elif section is not None and line.startswith("a=mid:"):
            section["mid"] = line[len("a=mid:") :].strip()
        elif section is not None and line[2:].strip() in ("sendrecv", "sendonly", "recvonly", "inactive"):
            section["direction"] = line[2:].strip()
    close(section)
    return sources


def missing(permissions: Permissions, message: Any) -> PermissionKey | None:
    """The permission ``message`` needs and ``permissions`` lack, if any."""
    needed: list[PermissionKey] = []
    if (key := _MESSAGE_PERMISSION.get(type(message))) is not None:
        needed.append(key)
    elif isinstance(message, MediaState):
        if message.audio:
            needed.append("canPublishAudio")
        if message.video:
            needed.append("canPublishVideo")
        if message.screen:
            needed.append("canShareScreen")
    elif isinstance(message, PublishOffer):
        needed += [SOURCE_PERMISSION[source] for source in sent_sources(message)]
    return next((key for key in needed if not permissions.allows(key)), None)

"""The roles' permissions with the room's config on top (``core.permissions.effective``), one row per case,
and which sources a publish offer sends (``server.meeting.permits``)."""

from __future__ import annotations

import pytest

from meetdesk.core.models import RoomConfig
from meetdesk.core.permissions import DEFAULT_ROLES, PermissionsPatch, Role, RolesPatch, effective
from meetdesk.core.signalling import PublishOffer
from meetdesk.server.meeting.permits import sent_sources

OFF_CHAT = {"chat": {"enabled": False}}
OFF_REC = {"recording": {"enabled": False}}
MOD_ONLY = {"recording": {"allowAccessTo": "admin_moderator"}}
ADMIN_ONLY = {"recording": {"allowAccessTo": "admin"}}
OFF_VB = {"virtualBackground": {"enabled": False}}


@pytest.mark.parametrize(
    ("role", "config", "key", "allowed"),
    [
        # role     config     permission                   allowed
        (Role.MODERATOR, {}, "canRecord", True),
        (Role.SPEAKER, {}, "canRecord", False),
        (Role.MODERATOR, OFF_REC, "canRecord", False),
        (Role.SPEAKER, {}, "canRetrieveRecordings", True),
        (Role.SPEAKER, MOD_ONLY, "canRetrieveRecordings", False),
        (Role.MODERATOR, MOD_ONLY, "canRetrieveRecordings", True),
        (Role.MODERATOR, ADMIN_ONLY, "canRetrieveRecordings", False),
        (Role.MODERATOR, ADMIN_ONLY, "canDeleteRecordings", False),
        (Role.SPEAKER, {}, "canDeleteRecordings", False),
        (Role.SPEAKER, OFF_CHAT, "canWriteChat", False),
        (Role.SPEAKER, OFF_CHAT, "canReadChat", False),
        (Role.MODERATOR, {}, "canWriteChat", True),
        (Role.SPEAKER, OFF_VB, "canChangeVirtualBackground", False),
        (Role.SPEAKER, OFF_REC, "canShareScreen", True),
        (Role.SPEAKER, {}, "canKickParticipants", False),
        (Role.MODERATOR, {}, "canEndMeeting", True),
    ],
)
def test_effective_permissions(role: Role, config: dict[str, object], key: str, allowed: bool) -> None:
    got = effective(role, DEFAULT_ROLES, RoomConfig.model_validate(config))
    assert got.allows(key) is allowed  # type: ignore[arg-type]


def test_a_patch_changes_only_its_keys_and_refuses_unknown_ones() -> None:
    patch = RolesPatch.model_validate({"speaker": {"permissions": {"canShareScreen": False}}})
    roles = DEFAULT_ROLES.patched(patch)
    assert roles.speaker.permissions.canShareScreen is False
    assert roles.moderator == DEFAULT_ROLES.moderator
    assert DEFAULT_ROLES.speaker.permissions.withdrawn(roles.speaker.permissions) == {"canShareScreen"}
    with pytest.raises(ValueError, match="canFly"):
        PermissionsPatch.model_validate({"canFly": True})


SDP = "\r\n".join(
    [
        "v=0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=mid:0",
        "a=sendonly",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:1",
        "a=sendonly",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:2",
        "a=inactive",
        "m=video 0 UDP/TLS/RTP/SAVPF 96",
        "a=mid:3",
        "",
    ]
)


@pytest.mark.parametrize(
    ("labels", "sent"),
    [
        ({}, ["microphone", "camera"]),  # unlabelled: what the media router takes them for
        ({"1": "screen"}, ["microphone", "screen"]),
        ({"2": "screen"}, ["microphone", "camera"]),  # an inactive m-line sends nothing
    ],
)
def test_sources_an_offer_sends(labels: dict[str, str], sent: list[str]) -> None:
    assert sent_sources(PublishOffer.model_validate({"sdp": SDP, "sources": labels})) == sent

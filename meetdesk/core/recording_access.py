"""Who may do what with a room's recordings (OpenVidu Meet 3.4-3.8), as one pure function and its table.

Admins and the API key reach every recording. A room member (a participant or recording token) reaches only
its own room's recordings, as its permissions say: ``canRetrieveRecordings`` lists, plays, downloads and
shares them, ``canDeleteRecordings`` deletes them, ``canRecord`` starts and stops them (3.4's
``allowAccessTo`` and 3.8's permissions agree: :func:`meetdesk.core.permissions.permissions` derives one from
the other). A share link's secret plays and downloads one recording and nothing else: the public secret
anonymously while the room's anonymous recording access is on, the private one only for a signed-in admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RecordingAction(StrEnum):
    #: list a room's recordings, read one, play it, download it, ask for its share link
    RETRIEVE = "retrieve"
    #: play or download one recording (what a share link's secret allows)
    PLAY = "play"
    DELETE = "delete"
    #: start and stop a room's recording
    CONTROL = "control"


class Holder(StrEnum):
    """What the caller holds."""

    ADMIN = "admin"
    API_KEY = "api_key"
    MEMBER = "member"  # a participant / room member / recording token of one room
    PUBLIC_SECRET = "public_secret"  # noqa: S105 - a recording's public share secret, nothing else
    PRIVATE_SECRET = "private_secret"  # noqa: S105 - a recording's private share secret, nothing else
    NOBODY = "nobody"


class Verdict(StrEnum):
    ALLOW = "allow"
    UNAUTHORIZED = "unauthorized"  # 401: another credential is needed
    FORBIDDEN = "forbidden"  # 403: known, but not allowed
    NOT_FOUND = "not_found"  # 404: another room's recording, answered as one that does not exist


@dataclass(frozen=True)
class MemberPermissions:
    """The recording permissions of a room member (``openvidu`` part of its token's permissions)."""

    can_record: bool = False
    can_retrieve: bool = False
    can_delete: bool = False


NO_PERMISSIONS = MemberPermissions()


def decide(
    holder: Holder,
    action: RecordingAction,
    *,
    same_room: bool = True,
    permissions: MemberPermissions = NO_PERMISSIONS,
    anonymous_access: bool = True,
) -> Verdict:
    """Whether ``holder`` may do ``action`` to a recording (or the recordings) of a room.

    ``same_room``: the member's token is for the recording's room; a secret is always for the recording it
    came with. ``anonymous_access``: the room lets anyone with a public link play its recordings.
    """
    if holder in (Holder.ADMIN, Holder.API_KEY):
        return Verdict.ALLOW
    if holder is Holder.NOBODY:
        return Verdict.UNAUTHORIZED
    if holder is Holder.MEMBER:
        if not same_room:
            return Verdict.NOT_FOUND
        allowed = {
            RecordingAction.RETRIEVE: permissions.can_retrieve,
            RecordingAction.PLAY: permissions.can_retrieve,
            RecordingAction.DELETE: permissions.can_delete,
            RecordingAction.CONTROL: permissions.can_record,
        }[action]
        return Verdict.ALLOW if allowed else Verdict.FORBIDDEN
    # a share secret: it plays or downloads its recording, never more
    if action is not RecordingAction.PLAY:
        return Verdict.UNAUTHORIZED
    if holder is Holder.PRIVATE_SECRET:
        return Verdict.UNAUTHORIZED  # a private link needs a signed-in admin (who is then an ADMIN holder)
    return Verdict.ALLOW if anonymous_access else Verdict.FORBIDDEN

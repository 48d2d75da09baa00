"""The recording access rules, one row per case: who holds what, what they ask, what the rules answer."""

from __future__ import annotations

import pytest

from meetdesk.core.recording_access import Holder, MemberPermissions, RecordingAction, Verdict, decide

A, F, U, N = Verdict.ALLOW, Verdict.FORBIDDEN, Verdict.UNAUTHORIZED, Verdict.NOT_FOUND
R, P, D, C = RecordingAction.RETRIEVE, RecordingAction.PLAY, RecordingAction.DELETE, RecordingAction.CONTROL
MODERATOR = MemberPermissions(can_record=True, can_retrieve=True, can_delete=True)
SPEAKER = MemberPermissions(can_retrieve=True)  # allowAccessTo admin_moderator_speaker
SPEAKER_ADMIN_MODERATOR = MemberPermissions()  # allowAccessTo admin_moderator
NOTHING = MemberPermissions()

# holder, member permissions, same room, anonymous access on -> verdict for retrieve, play, delete, control
ROWS = [
    (Holder.ADMIN, NOTHING, False, False, (A, A, A, A)),
    (Holder.API_KEY, NOTHING, False, False, (A, A, A, A)),
    (Holder.MEMBER, MODERATOR, True, True, (A, A, A, A)),
    (Holder.MEMBER, SPEAKER, True, True, (A, A, F, F)),
    (Holder.MEMBER, SPEAKER_ADMIN_MODERATOR, True, True, (F, F, F, F)),
    (Holder.MEMBER, MODERATOR, False, True, (N, N, N, N)),  # another room's: as if it did not exist
    (Holder.PUBLIC_SECRET, NOTHING, True, True, (U, A, U, U)),  # a link plays, never deletes
    (Holder.PUBLIC_SECRET, NOTHING, True, False, (U, F, U, U)),  # the room's anonymous access is off
    (Holder.PRIVATE_SECRET, NOTHING, True, True, (U, U, U, U)),  # without a signed-in admin
    (Holder.NOBODY, MODERATOR, True, True, (U, U, U, U)),
]  # fmt: skip


@pytest.mark.parametrize(("holder", "perms", "same_room", "anonymous", "verdicts"), ROWS)
def test_recording_access_table(
    holder: Holder, perms: MemberPermissions, same_room: bool, anonymous: bool, verdicts: tuple[Verdict, ...]
) -> None:
    found = tuple(
        decide(holder, action, same_room=same_room, permissions=perms, anonymous_access=anonymous)
        for action in (R, P, D, C)
    )
    assert found == verdicts

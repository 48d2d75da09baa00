"""Who receives an event (core/webhooks.wants), one row per case."""

from __future__ import annotations

import pytest

from meetdesk.core.webhooks import MeetWebhook, WebhookEvent, wants


def hook(events: list[WebhookEvent] | None = None, room_id: str | None = None, enabled: bool = True) -> MeetWebhook:
    return MeetWebhook(
        webhookId="wh-1", url="http://x.test", events=events, roomId=room_id, enabled=enabled, creationDate=1
    )


JOINED, STARTED = WebhookEvent.PARTICIPANT_JOINED, WebhookEvent.MEETING_STARTED


@pytest.mark.parametrize(
    ("webhook", "event", "room_id", "expected"),
    [
        (hook(), "meetingStarted", "r1", True),  # no filter, no scope: everything
        (hook(), "testEvent", None, True),
        (hook(enabled=False), "meetingStarted", "r1", False),  # disabled: nothing
        (hook(events=[JOINED]), "participantJoined", "r1", True),
        (hook(events=[JOINED]), "meetingStarted", "r1", False),  # filtered out
        (hook(room_id="r1"), "meetingStarted", "r1", True),
        (hook(room_id="r1"), "meetingStarted", "r2", False),  # another room
        (hook(room_id="r1"), "testEvent", None, False),  # scoped: an event of no room is not its room's
        (hook(events=[STARTED], room_id="r1"), "meetingStarted", "r1", True),
        (hook(events=[STARTED], room_id="r1"), "participantJoined", "r1", False),
    ],
)
def test_wants(webhook: MeetWebhook, event: str, room_id: str | None, expected: bool) -> None:
    assert wants(webhook, event, room_id) is expected

"""The deletion matrix's meeting rows with real meetings: participants on real sockets, ends they are told of."""

from __future__ import annotations

import pytest

from meetdesk.core.signalling import Leave
from tests.conftest import API_KEY, LiveServer
from tests.integration.meeting_helpers import create_room, join

# withMeeting, withRecordings, has recordings -> status, code, what the participant hears now, room after it leaves
ROWS = [
    ("force", "fail", False, 200, "room_with_active_meeting_deleted", "room_deleted", None),
    ("when_meeting_ends", "fail", False, 202, "room_with_active_meeting_scheduled_to_be_deleted", None, None),
    ("fail", "force", False, 409, "room_has_active_meeting", None, "open"),
    ("force", "force", True, 200, "room_with_active_meeting_and_recordings_deleted", "room_deleted", None),
    ("force", "close", True, 200, "room_with_active_meeting_closed", "meeting_ended", "closed"),
    ("force", "fail", True, 409, "room_with_active_meeting_has_recordings", None, "open"),
    ("when_meeting_ends", "force", True, 202, "room_with_active_meeting_and_recordings_scheduled_to_be_deleted", None,
     None),
    ("when_meeting_ends", "close", True, 202, "room_with_active_meeting_scheduled_to_be_closed", None, "closed"),
    ("when_meeting_ends", "fail", True, 409, "room_with_active_meeting_has_recordings_cannot_schedule_deletion", None,
     "open"),
    ("fail", "close", True, 409, "room_with_recordings_has_active_meeting", None, "open"),
]  # fmt: skip


@pytest.mark.parametrize(("wm", "wr", "recorded", "status", "code", "told", "after"), ROWS)
async def test_delete_during_a_live_meeting(
    live_server: LiveServer,
    wm: str,
    wr: str,
    recorded: bool,
    status: int,
    code: str,
    told: str | None,
    after: str | None,
) -> None:
    room = await create_room(live_server)
    room_id = room["roomId"]
    ana = await join(live_server, room, "moderator", "Ana")
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        recording_id = None
        if recorded:  # a real recording of this meeting, still recording when the room is deleted
            started = await api.post("/api/v1/recordings", json={"roomId": room_id})
            assert started.status_code == 201, started.text
            recording_id = started.json()["recordingId"]
        response = await api.delete(f"/api/v1/rooms/{room_id}", params={"withMeeting": wm, "withRecordings": wr})
        assert response.status_code == status
        body = response.json()
        assert body.get("successCode", body.get("error")) == code
        if told is not None:
            assert (await ana.expect("left")).reason == told  # type: ignore[union-attr]
        else:
            await ana.client.send(Leave())
            assert (await ana.expect("left")).reason == "voluntary_leave"  # type: ignore[union-attr]
        await ana.closed()
        final = await api.get(f"/api/v1/rooms/{room_id}")
        if after is None:
            assert final.status_code == 404
        else:
            assert (final.json()["status"], final.json()["meetingEndAction"]) == (after, "none")
        if recording_id is not None:
            kept = await api.get(f"/api/v1/recordings/{recording_id}")
            folder = live_server.ctx.settings.data_dir / "recordings" / recording_id
            if after is None:  # deleted with its room, files and all
                assert kept.status_code == 404 and not folder.exists()
            else:  # kept, and stopped with the meeting
                assert kept.status_code == 200 and kept.json()["status"] not in ("starting", "active", "ending")
                assert kept.json()["details"] == "End reason: Meeting ended"

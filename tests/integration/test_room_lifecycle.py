"""The deletion matrix and the meeting-end actions on rooms with meetings and recordings.

Meetings begin through the meeting registry (the seam the signalling engine plugs into) and
recordings are rows in the store, so each row below runs the server's real code paths end to end.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from meetdesk.core.models import now_ms
from meetdesk.server.config import ServerSettings
from meetdesk.server.store.recordings import RecordingRecord
from tests.conftest import API_KEY, InProcess

HOUR_MS = 3600 * 1000


async def new_room(
    api: httpx.AsyncClient, *, meeting: bool, recordings: bool, server: InProcess, **body: object
) -> str:
    room_id: str = (await api.post("/api/v1/rooms", json={"roomName": "Life", **body})).json()["roomId"]
    if recordings:
        await server.ctx.rooms.recordings.add(
            RecordingRecord(f"{room_id}--EG_test--abc", room_id, "Life", "complete", now_ms(), now_ms(), "a.mp4", 10)
        )
    if meeting:
        await server.ctx.meetings.start(room_id)
    return room_id


async def room_state(api: httpx.AsyncClient, room_id: str) -> tuple[str, str] | None:
    response = await api.get(f"/api/v1/rooms/{room_id}")
    if response.status_code == 404:
        return None
    body = response.json()
    return body["status"], body["meetingEndAction"]


# meeting, recordings, withMeeting, withRecordings -> status, code, state right after, state after meeting end
ROWS = [
    (True, False, "force", "fail", 200, "room_with_active_meeting_deleted", None, None),
    (True, False, "when_meeting_ends", "fail", 202, "room_with_active_meeting_scheduled_to_be_deleted",
     ("active_meeting", "delete"), None),
    (True, False, "fail", "force", 409, "room_has_active_meeting", ("active_meeting", "none"), ("open", "none")),
    (False, True, "fail", "force", 200, "room_and_recordings_deleted", None, None),
    (False, True, "fail", "close", 200, "room_closed", ("closed", "none"), ("closed", "none")),
    (False, True, "force", "fail", 409, "room_has_recordings", ("open", "none"), ("open", "none")),
    (True, True, "force", "force", 200, "room_with_active_meeting_and_recordings_deleted", None, None),
    (True, True, "force", "close", 200, "room_with_active_meeting_closed", ("closed", "none"), ("closed", "none")),
    (True, True, "force", "fail", 409, "room_with_active_meeting_has_recordings",
     ("active_meeting", "none"), ("open", "none")),
    (True, True, "when_meeting_ends", "force", 202, "room_with_active_meeting_and_recordings_scheduled_to_be_deleted",
     ("active_meeting", "delete"), None),
    (True, True, "when_meeting_ends", "close", 202, "room_with_active_meeting_scheduled_to_be_closed",
     ("active_meeting", "close"), ("closed", "none")),
    (True, True, "when_meeting_ends", "fail", 409, "room_with_active_meeting_has_recordings_cannot_schedule_deletion",
     ("active_meeting", "none"), ("open", "none")),
    (True, True, "fail", "close", 409, "room_with_recordings_has_active_meeting",
     ("active_meeting", "none"), ("open", "none")),
]  # fmt: skip


@pytest.mark.parametrize(("meeting", "recordings", "wm", "wr", "status", "code", "after", "after_end"), ROWS)
async def test_delete_matrix_end_to_end(
    server: InProcess,
    api: httpx.AsyncClient,
    meeting: bool,
    recordings: bool,
    wm: str,
    wr: str,
    status: int,
    code: str,
    after: tuple[str, str] | None,
    after_end: tuple[str, str] | None,
) -> None:
    room_id = await new_room(api, meeting=meeting, recordings=recordings, server=server)
    response = await api.delete(f"/api/v1/rooms/{room_id}", params={"withMeeting": wm, "withRecordings": wr})
    assert response.status_code == status
    body = response.json()
    if status == 409:
        assert body["error"] == code and room_id in body["message"]
    else:
        assert body["successCode"] == code
        if after is None:  # deleted: the room is gone, so the answer carries none
            assert "room" not in body
        else:
            assert body["room"]["roomId"] == room_id
    assert await room_state(api, room_id) == after
    await server.ctx.meetings.end(room_id)
    assert await room_state(api, room_id) == after_end
    kept = await server.ctx.rooms.recordings.count_for_room(room_id)
    assert kept == (1 if recordings and after_end is not None else 0)


async def test_bulk_delete_mixed_outcomes(server: InProcess, api: httpx.AsyncClient) -> None:
    plain = await new_room(api, meeting=False, recordings=False, server=server)
    live = await new_room(api, meeting=True, recordings=False, server=server)
    recorded = await new_room(api, meeting=False, recordings=True, server=server)
    response = await api.delete(
        "/api/v1/rooms", params={"roomIds": f"{plain},{live},{recorded}", "withMeeting": "when_meeting_ends"}
    )
    assert response.status_code == 400
    body = response.json()
    assert {s["roomId"]: s["successCode"] for s in body["successful"]} == {
        plain: "room_deleted",
        live: "room_with_active_meeting_scheduled_to_be_deleted",
    }
    assert [(f["roomId"], f["error"]) for f in body["failed"]] == [(recorded, "room_has_recordings")]
    assert body["message"].startswith("1 room(s) failed")


async def test_closing_during_meeting_is_scheduled(server: InProcess, api: httpx.AsyncClient) -> None:
    room_id = await new_room(api, meeting=True, recordings=False, server=server)
    assert await room_state(api, room_id) == ("active_meeting", "none")
    response = await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "closed"})
    assert response.status_code == 202
    assert response.json()["room"]["meetingEndAction"] == "close"
    await server.ctx.meetings.end(room_id)
    assert await room_state(api, room_id) == ("closed", "none")


async def test_reopening_cancels_a_scheduled_close(server: InProcess, api: httpx.AsyncClient) -> None:
    room_id = await new_room(api, meeting=True, recordings=False, server=server)
    await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "closed"})
    response = await api.put(f"/api/v1/rooms/{room_id}/status", json={"status": "open"})
    assert response.status_code == 200 and response.json()["room"]["meetingEndAction"] == "none"
    await server.ctx.meetings.end(room_id)
    assert await room_state(api, room_id) == ("open", "none")


async def test_config_cannot_change_during_a_meeting(server: InProcess, api: httpx.AsyncClient) -> None:
    room_id = await new_room(api, meeting=True, recordings=False, server=server)
    response = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"chat": {"enabled": False}}})
    assert response.status_code == 409 and "active meeting" in response.json()["message"]


async def test_recordings_made_during_a_scheduled_deletion_are_kept(server: InProcess, api: httpx.AsyncClient) -> None:
    """Scheduled with withRecordings=fail on a room without recordings; one appears: close, keep it."""
    room_id = await new_room(api, meeting=True, recordings=False, server=server)
    response = await api.delete(f"/api/v1/rooms/{room_id}", params={"withMeeting": "when_meeting_ends"})
    assert response.status_code == 202
    await server.ctx.rooms.recordings.add(
        RecordingRecord(f"{room_id}--EG_late--x", room_id, "Life", "complete", now_ms(), now_ms(), "b.mp4", 5)
    )
    await server.ctx.meetings.end(room_id)
    assert await room_state(api, room_id) == ("closed", "none")
    assert await server.ctx.rooms.recordings.count_for_room(room_id) == 1


async def test_auto_deletion_applies_each_policy(server: InProcess, api: httpx.AsyncClient) -> None:
    policies = {
        "gone": ({"withMeeting": "force", "withRecordings": "force"}, False, True),
        "closed": ({"withMeeting": "when_meeting_ends", "withRecordings": "close"}, False, True),
        "scheduled": ({"withMeeting": "when_meeting_ends", "withRecordings": "close"}, True, False),
        "forced": ({"withMeeting": "force", "withRecordings": "close"}, True, False),
    }
    ids = {}
    for name, (policy, meeting, recordings) in policies.items():
        ids[name] = await new_room(
            api,
            meeting=meeting,
            recordings=recordings,
            server=server,
            autoDeletionDate=now_ms() + 2 * HOUR_MS,
            autoDeletionPolicy=policy,
        )
    keeper = await new_room(
        api, meeting=False, recordings=False, server=server, autoDeletionDate=now_ms() + 3 * HOUR_MS
    )
    no_date = await new_room(api, meeting=False, recordings=False, server=server)
    # Travel: the rooms' dates pass (a direct store write; the API refuses past dates, as it should).
    from sqlalchemy import update

    from meetdesk.server.store.schema import rooms

    async with server.ctx.db.engine.begin() as conn:
        await conn.execute(update(rooms).where(rooms.c.room_id.in_(list(ids.values()))).values(auto_deletion_date=1))
    assert await server.ctx.rooms.delete_expired() == 4
    assert await room_state(api, ids["gone"]) is None
    assert await room_state(api, ids["closed"]) == ("closed", "none")
    assert await room_state(api, ids["scheduled"]) == ("active_meeting", "delete")
    assert await room_state(api, ids["forced"]) is None
    assert await room_state(api, keeper) == ("open", "none")
    assert await room_state(api, no_date) == ("open", "none")
    # A second run finds nothing new to do.
    assert await server.ctx.rooms.delete_expired() == 0
    await server.ctx.meetings.end(ids["scheduled"])
    assert await room_state(api, ids["scheduled"]) is None


async def test_auto_deletion_job_runs_on_its_interval(settings: ServerSettings) -> None:
    """The scheduler itself, not just the sweep: with a short interval a past-due room disappears."""
    from dataclasses import replace as with_values

    from sqlalchemy import update

    from meetdesk.server.app import create_app
    from meetdesk.server.store.schema import rooms

    app = create_app(with_values(settings, auto_deletion_interval=0.05))
    async with app.router.lifespan_context(app):
        ctx, job = app.state.ctx, app.state.auto_deletion
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"X-API-KEY": API_KEY}) as api:
            body = {"roomName": "Expiring", "autoDeletionDate": now_ms() + 2 * HOUR_MS}
            room_id = (await api.post("/api/v1/rooms", json=body)).json()["roomId"]
            async with ctx.db.engine.begin() as conn:
                await conn.execute(update(rooms).where(rooms.c.room_id == room_id).values(auto_deletion_date=1))
            await job.next_run()  # might have started before the date was moved
            await asyncio.wait_for(job.next_run(), timeout=10)
            assert (await api.get(f"/api/v1/rooms/{room_id}")).status_code == 404

"""Everyone in the meeting is told when recording starts and stops, late joiners find it in their join
state, and the webhooks recordingStarted / recordingUpdated / recordingEnded are delivered signed, with the
MeetRecording as data: against a real ``meetdesk server`` process with headless participants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from meetdesk.client.session import MeetingSession
from meetdesk.core.signalling import RecordingChanged
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess
from tests.integration.webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
async def http(server_process: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}, timeout=30) as client:
        yield client


async def _recording_told(session: MeetingSession, status: str) -> RecordingChanged:
    async def find() -> RecordingChanged:
        async for event in session.events():
            if isinstance(event, RecordingChanged) and event.recording.status == status:
                return event
        raise AssertionError(f"the session ended before it was told the recording is {status}")

    return await asyncio.wait_for(find(), 60)  # a generous bound on a shared machine, not a speed


async def test_participants_and_webhooks_are_told(
    server_process: ServerProcess, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    login = await http.post("/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    enabled = await http.put(
        "/internal-api/v1/config/webhooks", json={"enabled": True, "url": receiver.url}, headers=bearer
    )
    assert enabled.status_code == 200
    room = (await http.post("/api/v1/rooms", json={"roomName": "Told"})).json()
    # a registered webhook (3.9) that wants only the end of this room's recordings
    only_ended = Receiver()
    registered = await http.post(
        "/api/v1/webhooks", json={"url": only_ended.url, "events": ["recordingEnded"], "roomId": room["roomId"]}
    )
    assert registered.status_code == 201, registered.text
    ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1, publish_audio=False)
    await ana.join()
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2, publish_audio=False)
    try:
        assert ana.recording is None and ana.joined is not None and ana.joined.recording is None
        started = await http.post("/api/v1/recordings", json={"roomId": room["roomId"]})
        assert started.status_code == 201, started.text
        recording_id = started.json()["recordingId"]
        told = await _recording_told(ana, "active")
        assert told.recording.recordingId == recording_id and told.recording.startDate == started.json()["startDate"]
        assert ana.recording == told.recording

        await bo.join()  # a late joiner finds it in its join state
        assert bo.joined is not None and bo.joined.recording is not None
        assert (bo.joined.recording.recordingId, bo.joined.recording.status) == (recording_id, "active")
        assert bo.recording is not None and bo.recording.recordingId == recording_id

        stopped = await http.post(f"/api/v1/recordings/{recording_id}/stop")
        assert stopped.status_code == 202
        for session in (ana, bo):
            assert (await _recording_told(session, "ending")).recording.recordingId == recording_id
        final = (await http.get(f"/api/v1/recordings/{recording_id}")).json()["status"]
        for session in (ana, bo):
            await _recording_told(session, final)
            assert session.recording is None
    finally:
        await bo.leave()
        await ana.leave()

    # meetingStarted, recordingStarted, recordingUpdated, recordingEnded, meetingEnded, in order, and the two
    # participants' participantJoined and participantLeft: nine
    assert await asyncio.to_thread(receiver.wait, 9, 60)
    events = [e for e in receiver.events(API_KEY) if e["event"].startswith("recording")]  # signatures checked
    assert [e["event"] for e in events] == ["recordingStarted", "recordingUpdated", "recordingEnded"]
    assert [e["data"]["status"] for e in events] == ["active", "ending", final]
    assert all(e["data"]["recordingId"] == recording_id and e["data"]["roomId"] == room["roomId"] for e in events)
    ended = events[-1]["data"]
    assert ended["endDate"] >= ended["startDate"] and ended["details"] == "End reason: StopEgress API"
    assert ended["filename"] == started.json()["filename"]
    try:
        assert await asyncio.to_thread(only_ended.wait, 1, 60)
        # unfiltered, recordingStarted would have come first: the first and only one is recordingEnded
        assert [(e["event"], e["data"]["recordingId"]) for e in only_ended.events(API_KEY)] == [
            ("recordingEnded", recording_id)
        ]
    finally:
        only_ended.close()

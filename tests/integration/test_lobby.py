"""Checking a room link before joining (client/lobby.py) against a real server: each reason, in sentences a
person can act on, naming the room by its name when the link's secret allows it, never by its id."""

from __future__ import annotations

import pytest

from meetdesk.client.lobby import ErrorReason, LinkProblem, inspect_link
from meetdesk.core.signalling import LockMeeting
from tests.conftest import API_KEY, LiveServer, free_port
from tests.integration.meeting_helpers import create_room, join


async def problem_of(link: str) -> LinkProblem:
    with pytest.raises(LinkProblem) as caught:
        await inspect_link(link, timeout=5)
    return caught.value


async def test_each_bad_link_gets_its_reason_and_a_sentence(live_server: LiveServer) -> None:
    room = await create_room(live_server, roomName="Quarterly planning")
    room_id, base = room["roomId"], live_server.url
    host = base.split("://")[1]
    cases = [
        ("not a link at all", ErrorReason.INVALID_LINK, False),
        (f"{base}/room/{room_id}", ErrorReason.MISSING_ROOM_SECRET, False),
        (room["moderatorUrl"].replace(room_id, "no-such-room"), ErrorReason.INVALID_ROOM, False),
        (room["moderatorUrl"].split("?")[0] + "?secret=wrong", ErrorReason.INVALID_ROOM_SECRET, False),
        (f"http://127.0.0.1:{free_port()}/room/{room_id}?secret=x", ErrorReason.UNREACHABLE, True),
    ]
    for link, reason, retryable in cases:
        problem = await problem_of(link)
        assert problem.reason is reason, link
        assert problem.can_retry is retryable, link
        text = problem.message
        assert text.endswith("."), text
        assert room_id not in text and "wrong" not in text and "secret=x" not in text, text
        assert "All connection attempts failed" not in text and "Cannot reach" not in text, text
    assert host in (await problem_of(cases[2][0])).message  # which server has no such room


async def test_a_closed_or_locked_room_is_named_by_its_name(live_server: LiveServer) -> None:
    room = await create_room(live_server, roomName="Quarterly planning")
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        await api.put(f"/api/v1/rooms/{room['roomId']}/status", json={"status": "closed"})
    problem = await problem_of(room["speakerUrl"])
    assert (problem.reason, problem.room_name, problem.can_retry) == (
        ErrorReason.CLOSED_ROOM,
        "Quarterly planning",
        True,
    )
    assert problem.message.startswith("“Quarterly planning” is closed") and room["roomId"] not in problem.message
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        await api.put(f"/api/v1/rooms/{room['roomId']}/status", json={"status": "open"})

    # a locked meeting is a closed room to someone new
    ana = await join(live_server, room, "moderator", "Ana")
    await ana.client.send(LockMeeting(locked=True))
    await ana.expect("meeting_locked")
    problem = await problem_of(room["speakerUrl"])
    assert (problem.reason, problem.room_name) == (ErrorReason.CLOSED_ROOM, "Quarterly planning")

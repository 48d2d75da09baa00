"""Issue 14, item 2: webhooks that OpenVidu Meet's own receivers verify, against a real server on loopback.

Upstream's webhook tutorial checks ``X-Signature`` against ``HMAC(key, timestamp + "." + JSON.stringify(
req.body))``: the body it re-serialises is JavaScript's compact, unescaped UTF-8. The receiver below does the
same (Python's equivalent of ``JSON.stringify`` of the parsed body), not a check of the raw bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest

from tests.conftest import API_KEY, LiveServer
from tests.integration.meeting_helpers import create_room, join
from tests.integration.test_meeting_webhooks import enable_webhooks
from tests.integration.webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def json_stringify(value: object) -> bytes:
    """JavaScript's ``JSON.stringify`` of a parsed body, as upstream's receivers compute it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def verified_as_upstream(receiver: Receiver) -> list[dict[str, object]]:
    """Each body received, checked the way OpenVidu's webhook tutorial checks it."""
    found = []
    for headers, raw in receiver.received:
        body = json.loads(raw)
        signed = f"{headers['X-Timestamp']}.".encode() + json_stringify(body)
        expected = hmac.new(API_KEY.encode(), signed, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Signature"], expected), "upstream's receiver refuses this signature"
        assert raw == json_stringify(body)  # the signature is over exactly the bytes sent
        found.append(body)
    return found


async def test_a_room_with_accents_is_verifiable_by_upstreams_receiver(
    live_server: LiveServer, receiver: Receiver
) -> None:
    await enable_webhooks(live_server, receiver.url)
    room = await create_room(live_server, roomName="Reunión de equipo")
    await join(live_server, room, "moderator", "Ana")
    assert await asyncio.to_thread(receiver.wait, 2)  # meetingStarted, then Ana's participantJoined
    started, joined = verified_as_upstream(receiver)[:2]
    assert (started["event"], joined["event"]) == ("meetingStarted", "participantJoined")
    assert started["data"]["roomName"] == "Reunión de equipo"  # type: ignore[index]
    assert "Reunión de equipo".encode() in receiver.received[0][1]  # UTF-8, no \\u escapes


async def test_force_deleting_a_room_with_a_live_meeting_sends_meeting_ended(
    live_server: LiveServer, receiver: Receiver
) -> None:
    await enable_webhooks(live_server, receiver.url)
    room = await create_room(live_server, roomName="Ending")
    await join(live_server, room, "moderator", "Ana")
    assert await asyncio.to_thread(receiver.wait, 1)
    async with live_server.http(**{"X-API-KEY": API_KEY}) as http:
        deleted = await http.delete(f"/api/v1/rooms/{room['roomId']}", params={"withMeeting": "force"})
        assert deleted.status_code == 200 and deleted.json()["successCode"] == "room_with_active_meeting_deleted"
        assert (await http.get(f"/api/v1/rooms/{room['roomId']}")).status_code == 404
    assert await asyncio.to_thread(receiver.wait, 4)  # with Ana's participantJoined and participantLeft
    events = verified_as_upstream(receiver)
    assert [e["event"] for e in events] == ["meetingStarted", "participantJoined", "participantLeft", "meetingEnded"]
    ended = events[3]
    assert ended["data"]["roomId"] == room["roomId"]  # type: ignore[index]
    assert ended["data"]["roomName"] == "Ending"  # type: ignore[index]

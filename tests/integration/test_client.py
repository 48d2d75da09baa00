"""End-to-end tests of the REST client (``meetdesk.client.api``) against a real ``meetdesk server`` process.

Every client method is driven at least once over loopback HTTP; the few states no endpoint can create
yet (an active meeting) use the in-process app through the client's ``transport`` parameter.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from meetdesk.client.api import (
    ApiError,
    BadRequest,
    Conflict,
    ConnectionFailed,
    FieldError,
    Forbidden,
    MeetDeskClient,
    NotFound,
    PayloadTooLarge,
    RoomLink,
    ServerError,
    TooManyRequests,
    Unauthorized,
    UnexpectedResponse,
    ValidationError,
    parse_room_link,
)
from meetdesk.core.models import (
    AutoDeletionPolicy,
    ChatPatch,
    MeetRoomTheme,
    RoomConfig,
    RoomConfigPatch,
    RoomOptions,
    RoomStatus,
    now_ms,
)
from meetdesk.core.permissions import Role
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, InProcess, ServerProcess, free_port


def api_client(server: ServerProcess, api_key: str | None = API_KEY, **kwargs: Any) -> MeetDeskClient:
    return MeetDeskClient(server.url, api_key=api_key, **kwargs)


# --- rooms ---------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_room_lifecycle(server_process: ServerProcess) -> None:
    async with api_client(server_process) as client:
        in_two_hours = now_ms() + 2 * 3600 * 1000
        options = RoomOptions(
            roomName="  Daily Stand-up ",
            autoDeletionDate=in_two_hours,
            autoDeletionPolicy=AutoDeletionPolicy(withMeeting="force", withRecordings="force"),
            config=RoomConfig.model_validate({"chat": {"enabled": False}}),
        )
        room = await client.create_room(options)
        assert room.roomId.startswith("daily_stand_up-")
        assert room.roomName == "Daily Stand-up"
        assert room.autoDeletionDate == in_two_hours
        assert room.status is RoomStatus.OPEN
        assert room.config is not None and room.config.chat.enabled is False
        assert room.moderatorUrl and room.speakerUrl

        fetched = await client.get_room(room.roomId)
        assert fetched == room
        projected = await client.get_room(room.roomId, fields=["roomName", "status"])
        assert (projected.roomId, projected.roomName, projected.status) == (room.roomId, "Daily Stand-up", "open")
        assert projected.config is None and projected.moderatorUrl is None

        plain = await client.create_room()  # no body: every default
        assert plain.roomName == "Room" and plain.roomId.startswith("room-")
        named = await client.create_room({"roomName": "Retro"})
        assert named.roomName == "Retro"

        # config: partial updates are merged
        assert (await client.get_room_config(room.roomId)).chat.enabled is False
        updated = await client.update_room_config(room.roomId, {"recording": {"allowAccessTo": "admin"}})
        assert updated.config is not None and updated.config.recording.allowAccessTo == "admin"
        assert updated.config.chat.enabled is False
        updated = await client.update_room_config(room.roomId, RoomConfigPatch(chat=ChatPatch(enabled=True)))
        config = await client.get_room_config(room.roomId)
        assert config.chat.enabled is True and config.recording.allowAccessTo == "admin"

        # status
        closed = await client.set_room_status(room.roomId, "closed")
        assert closed.status == 200 and closed.room.status is RoomStatus.CLOSED
        assert closed.message == f"Room '{room.roomId}' has been closed"
        assert (await client.get_room(room.roomId)).status is RoomStatus.CLOSED
        reopened = await client.set_room_status(room.roomId, "open")
        assert reopened.status == 200 and reopened.room.status is RoomStatus.OPEN

        # list filters and sorting
        listed = await client.list_rooms(room_name="stand", fields="roomName")
        assert [r.roomId for r in listed.rooms] == [room.roomId]
        assert listed.rooms[0].roomName == "Daily Stand-up" and listed.rooms[0].status is None
        await client.set_room_status(named.roomId, "closed")
        closed_rooms = await client.list_rooms(status=RoomStatus.CLOSED)
        assert [r.roomId for r in closed_rooms.rooms] == [named.roomId]
        by_name = await client.list_rooms(sort_field="roomName", sort_order="asc")
        assert [r.roomName for r in by_name.rooms] == ["Daily Stand-up", "Retro", "Room"]
        assert by_name.pagination.isTruncated is False and by_name.pagination.nextPageToken is None

        # delete one
        deleted = await client.delete_room(room.roomId)
        assert (deleted.status, deleted.successCode) == (200, "room_deleted")
        assert deleted.message == f"Room '{room.roomId}' deleted successfully"
        assert deleted.room is None  # gone: the answer carries no room
        with pytest.raises(NotFound) as not_found:
            await client.get_room(room.roomId)
        assert not_found.value.status == 404
        assert not_found.value.error == "Room Error"
        assert str(not_found.value) == f"Room '{room.roomId}' does not exist"

        # bulk delete: a partial failure is a result, not an exception
        partial = await client.bulk_delete_rooms([plain.roomId, "no_such_room-123"])
        assert not partial.ok
        assert [(s.roomId, s.successCode) for s in partial.successful] == [(plain.roomId, "room_deleted")]
        assert [(f.roomId, f.error) for f in partial.failed] == [("no_such_room-123", "Room Error")]
        done = await client.bulk_delete_rooms([named.roomId], with_meeting="force", with_recordings="force")
        assert done.ok and done.message == "All rooms successfully processed for deletion"
        assert [s.roomId for s in done.successful] == [named.roomId]
        assert (await client.list_rooms()).rooms == []
        with pytest.raises(ValidationError) as invalid:
            await client.bulk_delete_rooms([" ", "!!"])
        assert invalid.value.details == [
            FieldError("roomIds", "At least one valid roomId is required after sanitization")
        ]


@pytest.mark.slow
async def test_iter_rooms_follows_pages(server_process: ServerProcess) -> None:
    async with api_client(server_process) as client:
        created = await asyncio.gather(*(client.create_room({"roomName": f"Room {i:02d}"}) for i in range(25)))
        ids = {room.roomId for room in created}

        first = await client.list_rooms(max_items=10, sort_field="roomName", sort_order="asc")
        assert [r.roomName for r in first.rooms] == [f"Room {i:02d}" for i in range(10)]
        assert first.pagination.isTruncated and first.pagination.nextPageToken
        assert first.pagination.maxItems == 10
        second = await client.list_rooms(
            max_items=10, next_page_token=first.pagination.nextPageToken, sort_field="roomName", sort_order="asc"
        )
        assert [r.roomName for r in second.rooms] == [f"Room {i:02d}" for i in range(10, 20)]

        seen = [room.roomId async for room in client.iter_rooms(max_items=10)]
        assert len(seen) == 25 and set(seen) == ids
        names = [room.roomName async for room in client.iter_rooms(max_items=7, sort_field="roomName")]
        assert names == [f"Room {i:02d}" for i in reversed(range(25))]  # descending is the default order
        only = [room async for room in client.iter_rooms(max_items=10, room_name="Room 1", fields="roomName")]
        assert sorted(r.roomName or "" for r in only) == [f"Room {i}" for i in range(10, 20)]
        assert all(r.speakerUrl is None for r in only)

        with pytest.raises(ValidationError, match="Invalid request") as forged:
            await client.list_rooms(next_page_token="forged.token")
        assert [d.field for d in forged.value.details] == ["nextPageToken"]
        with pytest.raises(ValidationError) as invalid:
            await client.list_rooms(max_items=0)
        assert [d.field for d in invalid.value.details] == ["maxItems"]


# --- admin session and API keys ------------------------------------------------------------------


@pytest.mark.slow
async def test_admin_session(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url) as admin:
        await admin.login(ADMIN_USER, ADMIN_PASSWORD)
        assert admin.credentials.access_token and admin.credentials.refresh_token
        assert "set" in repr(admin.credentials) and admin.credentials.access_token not in repr(admin)
        profile = await admin.profile()
        assert profile.username == ADMIN_USER and "admin" in profile.roles

        first_access = admin.credentials.access_token
        await admin.refresh()
        assert admin.credentials.access_token != first_access
        assert (await admin.profile()).username == ADMIN_USER

        # a rejected access token is refreshed once, transparently
        admin.credentials.access_token = "not-a-valid-token"
        assert (await admin.profile()).username == ADMIN_USER
        assert admin.credentials.access_token != "not-a-valid-token"

        # an admin may use the rooms API too
        room = await admin.create_room({"roomName": "Admin room"})
        assert (await admin.get_room(room.roomId)).roomName == "Admin room"

        # API keys
        # API keys: stored as a hash, so the key is shown only by the answer that creates it
        keys = await admin.get_api_keys()
        assert [(k.apiKey, k.apiKeyHint) for k in keys] == [(None, API_KEY[-4:])]
        new_key = await admin.create_api_key()
        assert new_key.apiKey is not None and new_key.apiKey != API_KEY
        assert new_key.creationDate >= keys[0].creationDate and new_key.apiKey not in repr(new_key)
        assert [(k.apiKey, k.apiKeyHint) for k in await admin.get_api_keys()] == [(None, new_key.apiKey[-4:])]
        async with api_client(server_process) as old, api_client(server_process, new_key.apiKey) as new:
            with pytest.raises(Unauthorized, match="Invalid API key"):
                await old.list_rooms()
            assert [r.roomId for r in (await new.list_rooms()).rooms] == [room.roomId]
            await admin.delete_api_keys()
            assert await admin.get_api_keys() == []
            with pytest.raises(Unauthorized):
                await new.list_rooms()
            with pytest.raises(Unauthorized):  # an API key is not an admin
                await new.get_api_keys()

        # password
        with pytest.raises(BadRequest, match="Invalid current password"):
            await admin.change_password("wrong-password", "new-password-123")
        await admin.change_password(ADMIN_PASSWORD, "new-password-123")
        async with MeetDeskClient(server_process.url) as other:
            with pytest.raises(Unauthorized) as failed:
                await other.login(ADMIN_USER, ADMIN_PASSWORD)
            assert failed.value.error == "Login Error" and str(failed.value) == "Invalid username or password"
            assert other.credentials.access_token is None
            await other.login(ADMIN_USER, "new-password-123")
            assert (await other.profile()).username == ADMIN_USER

        # logout revokes both tokens on the server and forgets them here
        access, refresh = admin.credentials.access_token, admin.credentials.refresh_token
        await admin.logout()
        assert admin.credentials.access_token is None and admin.credentials.refresh_token is None
        with pytest.raises(Unauthorized):
            await admin.profile()
        async with MeetDeskClient(server_process.url, access_token=access) as stale:
            stale.credentials.refresh_token = refresh
            with pytest.raises(Unauthorized, match="Invalid token"):  # refresh fails too: the 401 stands
                await stale.profile()
            assert stale.credentials.access_token is None and stale.credentials.refresh_token is None
            stale.credentials.refresh_token = refresh
            with pytest.raises(BadRequest, match="Invalid refresh token"):
                await stale.refresh()


# --- participants, roles, security ---------------------------------------------------------------


@pytest.mark.slow
async def test_participants_and_roles(server_process: ServerProcess, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx logs each request's URL at INFO: secrets must not show
    async with api_client(server_process) as client, MeetDeskClient(server_process.url) as anonymous:
        room = await client.create_room({"roomName": "Team", "config": {"chat": {"enabled": False}}})
        other = await client.create_room({"roomName": "Other"})
        assert room.moderatorUrl and room.speakerUrl
        moderator_link = parse_room_link(room.moderatorUrl)
        speaker_link = parse_room_link(room.speakerUrl)
        assert moderator_link.base_url == server_process.url and moderator_link.room_id == room.roomId
        assert moderator_link.secret != speaker_link.secret
        assert moderator_link.url == room.moderatorUrl

        roles = await anonymous.room_roles(room.roomId)
        assert [r.role for r in roles] == [Role.MODERATOR, Role.SPEAKER]
        assert all(r.permissions.openvidu.canChat is False for r in roles)
        assert (await anonymous.room_role(room.roomId, moderator_link.secret)).role is Role.MODERATOR
        speaker_role = await anonymous.room_role(room.roomId, speaker_link.secret)
        assert speaker_role.role is Role.SPEAKER and speaker_role.permissions.openvidu.canEndMeeting is False
        with pytest.raises(BadRequest) as wrong:
            await anonymous.room_role(room.roomId, "not-the-secret")
        assert wrong.value.error == "Room Error" and "not recognized" in str(wrong.value)
        with pytest.raises(NotFound):
            await anonymous.room_roles("missing-room")

        token = await anonymous.participant_token(room.roomId, speaker_link.secret, "Alice")
        async with MeetDeskClient(server_process.url, participant_token=token) as speaker:
            seen = await speaker.get_room(room.roomId)
            # a speaker may not share the room's links (canShareAccessLinks): it is shown none
            assert seen.roomName == "Team" and seen.moderatorUrl is None and seen.speakerUrl is None
            assert (await speaker.get_room_config(room.roomId)).chat.enabled is False
            assert await speaker.get_appearance() is None  # participants may read the theme
            with pytest.raises(Forbidden) as forbidden:
                await speaker.get_room(other.roomId)
            assert forbidden.value.status == 403
            with pytest.raises(Unauthorized):  # not a credential of the API-key routes (as OpenVidu Meet)
                await speaker.create_room()
        moderator_token = await anonymous.participant_token(room.roomId, moderator_link.secret)
        anonymous.credentials.participant_token = moderator_token
        assert (await anonymous.get_room(room.roomId)).moderatorUrl == room.moderatorUrl
        anonymous.credentials.participant_token = None

        with pytest.raises(ValidationError) as invalid:
            await anonymous.participant_token(room.roomId, speaker_link.secret, "   ")
        assert invalid.value.details == [FieldError("participantName", "participantName cannot be empty")]

        # a closed room cannot be joined
        await client.set_room_status(room.roomId, "closed")
        with pytest.raises(Conflict) as closed:
            await anonymous.participant_token(room.roomId, speaker_link.secret, "Bob")
        assert closed.value.status == 409 and "is closed" in str(closed.value)
        await client.set_room_status(room.roomId, "open")

        # security: who must log in to join
        assert (await anonymous.get_security()).authentication.authModeToAccessRoom == "none"
        async with MeetDeskClient(server_process.url) as admin:
            await admin.login(ADMIN_USER, ADMIN_PASSWORD)
            await admin.set_security("all_users")
            assert (await anonymous.get_security()).authentication.authModeToAccessRoom == "all_users"
            with pytest.raises(Unauthorized, match="Log in to join"):
                await anonymous.participant_token(room.roomId, speaker_link.secret, "Carol")
            assert await admin.participant_token(room.roomId, speaker_link.secret, "Carol")
            with pytest.raises(ValidationError) as bad_mode:
                await admin.set_security("everyone")  # type: ignore[arg-type]
            assert [d.field for d in bad_mode.value.details] == ["authentication.authModeToAccessRoom"]
            with pytest.raises(Unauthorized):  # an API key cannot change it
                await client.set_security("none")
            admin_token = admin.credentials.access_token

    assert "/roles/***" in caplog.text
    for secret in (moderator_link.secret, speaker_link.secret, token, moderator_token, admin_token, API_KEY):
        assert secret and secret not in caplog.text


# --- global configuration ------------------------------------------------------------------------


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A loopback HTTP server that records what is POSTed to it and answers 200 (or 500 on /fail)."""
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((dict(self.headers.items()), body))
            self.send_response(500 if self.path == "/fail" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.mark.slow
async def test_global_config(
    server_process: ServerProcess, webhook_receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    receiver_url, received = webhook_receiver
    async with MeetDeskClient(server_process.url) as admin:
        await admin.login(ADMIN_USER, ADMIN_PASSWORD)

        assert await admin.get_appearance() is None
        theme = MeetRoomTheme(name="corporate", enabled=True, baseTheme="dark", primaryColor="#336699")
        await admin.set_appearance(theme)
        assert await admin.get_appearance() == theme
        await admin.set_appearance({"name": "light-one", "enabled": False, "baseTheme": "light"})
        stored = await admin.get_appearance()
        assert stored is not None and (stored.name, stored.baseTheme, stored.primaryColor) == (
            "light-one",
            "light",
            "#336699",  # a colour not sent keeps its stored value (merged, as upstream)
        )
        await admin.set_appearance(MeetRoomTheme(name="light-one", enabled=False, baseTheme="light"))
        stored = await admin.get_appearance()
        assert stored is not None and stored.primaryColor is None  # a model sends every colour: unset clears
        with pytest.raises(ValidationError) as bad_colour:
            await admin.set_appearance({"name": "x", "enabled": True, "baseTheme": "dark", "accentColor": "red"})
        assert [d.field for d in bad_colour.value.details] == ["appearance.themes.0.accentColor"]

        webhooks = await admin.get_webhooks()
        assert webhooks.enabled is False and webhooks.url is None
        await admin.set_webhooks(True, f"{receiver_url}/events")
        webhooks = await admin.get_webhooks()
        assert webhooks.enabled is True and webhooks.url == f"{receiver_url}/events"
        await admin.set_webhooks(False)
        assert (await admin.get_webhooks()).enabled is False
        with pytest.raises(ValidationError, match="Invalid request") as no_url:
            await admin.set_webhooks(True)
        assert no_url.value.details == [FieldError("url", "URL is required when webhooks are enabled")]

        await admin.test_webhook(f"{receiver_url}/hook")
        assert len(received) == 1
        headers, body = received[0]
        assert json.loads(body)["event"] == "testEvent"
        expected = hmac.new(API_KEY.encode(), f"{headers['X-Timestamp']}.".encode() + body, hashlib.sha256)
        assert headers["X-Signature"] == expected.hexdigest()
        with pytest.raises(BadRequest, match="answered with status 500") as refused:
            await admin.test_webhook(f"{receiver_url}/fail")
        assert refused.value.error == "Webhook Error"
        with pytest.raises(BadRequest, match="unreachable"):
            await admin.test_webhook(f"http://127.0.0.1:{free_port()}/")
        await admin.delete_api_keys()
        with pytest.raises(Conflict, match="create an API key first"):
            await admin.test_webhook(f"{receiver_url}/hook")

    async with api_client(server_process, api_key=None) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.get_webhooks()


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_error_classes(server_process: ServerProcess) -> None:
    async with api_client(server_process, api_key="wrong-key") as wrong, api_client(server_process) as client:
        with pytest.raises(Unauthorized) as bad_key:
            await wrong.list_rooms()
        assert (bad_key.value.status, bad_key.value.error, str(bad_key.value)) == (
            401,
            "Authentication Error",
            "Invalid API key",
        )
        client.credentials.api_key = None
        with pytest.raises(Unauthorized, match="Unauthorized"):
            await client.create_room()
        client.credentials.api_key = API_KEY

        with pytest.raises(NotFound, match="Room 'nope-123' does not exist"):
            await client.get_room("nope-123")
        with pytest.raises(NotFound):
            await client.delete_room("nope-123")
        with pytest.raises(ValueError, match="room_id cannot be empty"):
            await client.get_room("")

        with pytest.raises(ValidationError) as invalid:
            await client.create_room({"roomName": 5, "autoDeletionDate": 1})
        assert invalid.value.status == 422 and str(invalid.value) == "Invalid request"
        assert {d.field for d in invalid.value.details} == {"roomName", "autoDeletionDate"}
        with pytest.raises(ValidationError) as bad_status:
            await client.set_room_status("any-room", "paused")  # type: ignore[arg-type]
        assert [d.field for d in bad_status.value.details] == ["status"]

        with pytest.raises(PayloadTooLarge, match="Request body exceeds 1024 KiB"):
            await client.create_room({"roomName": "x" * (1024 * 1024 + 1)})

        # failed logins are limited: five failures in five minutes per address, then 429 with Retry-After
        async with MeetDeskClient(server_process.url) as guesser:
            for _ in range(5):
                with pytest.raises(Unauthorized):
                    await guesser.login(ADMIN_USER, "wrong-password")
            with pytest.raises(TooManyRequests) as throttled:
                await guesser.login(ADMIN_USER, "wrong-password")
        assert throttled.value.status == 429 and 1 <= throttled.value.retry_after <= 300
        assert "Too many failed login attempts" in str(throttled.value)


async def test_connection_failed() -> None:
    port = free_port()
    async with MeetDeskClient(f"http://127.0.0.1:{port}", api_key=API_KEY) as client:
        with pytest.raises(ConnectionFailed) as failed:
            await client.list_rooms()
    assert failed.value.status is None and isinstance(failed.value, ApiError)
    assert str(failed.value).startswith(f"Cannot reach the MeetDesk server at http://127.0.0.1:{port}: ")

    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        async with MeetDeskClient(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3) as client:
            with pytest.raises(ConnectionFailed, match=r"no answer within 0\.3 s"):
                await client.get_security()


async def test_responses_that_are_not_meetdesk_json() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/security"):
            return httpx.Response(200, text="<html>hello</html>")
        if request.url.path.endswith("/profile"):
            return httpx.Response(200, json={"user": "?"})
        if request.url.path.endswith("/api-keys"):
            return httpx.Response(405, json={"detail": "nope"})
        return httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})

    async with MeetDeskClient("http://proxy.test", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ServerError) as gateway:
            await client.list_rooms()
        assert gateway.value.status == 502 and gateway.value.error == "Bad Gateway"
        assert str(gateway.value) == "The server answered with HTTP 502 Bad Gateway"
        with pytest.raises(ApiError) as other:
            await client.get_api_keys()
        assert type(other.value) is ApiError and other.value.status == 405
        with pytest.raises(UnexpectedResponse, match="not JSON"):
            await client.get_security()
        with pytest.raises(UnexpectedResponse, match="does not match"):
            await client.profile()


# --- states no endpoint can create yet: an active meeting ----------------------------------------


async def test_deletion_with_an_active_meeting(server: InProcess) -> None:
    async with MeetDeskClient("http://testserver", api_key=API_KEY, transport=server.transport) as client:
        busy = await client.create_room({"roomName": "Busy"})
        idle = await client.create_room({"roomName": "Idle"})
        await server.ctx.meetings.start(busy.roomId)

        with pytest.raises(Conflict) as refused:
            await client.delete_room(busy.roomId)
        assert refused.value.error == "room_has_active_meeting"
        assert str(refused.value).startswith(f"Room '{busy.roomId}' has an active meeting")

        closing = await client.set_room_status(busy.roomId, "closed")
        assert closing.status == 202 and closing.room.meetingEndAction == "close"
        await client.set_room_status(busy.roomId, "open")

        bulk = await client.bulk_delete_rooms([busy.roomId, idle.roomId])
        assert [s.roomId for s in bulk.successful] == [idle.roomId]
        assert [(f.roomId, f.error) for f in bulk.failed] == [(busy.roomId, "room_has_active_meeting")]

        scheduled = await client.delete_room(busy.roomId, with_meeting="when_meeting_ends")
        assert (scheduled.status, scheduled.successCode) == (202, "room_with_active_meeting_scheduled_to_be_deleted")
        assert (await client.get_room(busy.roomId)).meetingEndAction == "delete"
        await server.ctx.meetings.end(busy.roomId)
        with pytest.raises(NotFound):
            await client.get_room(busy.roomId)


# --- room links ----------------------------------------------------------------------------------


def test_parse_room_link() -> None:
    link = parse_room_link("https://meet.example.com/room/daily-AbC123?secret=s3cr3t_-x")
    assert link == RoomLink("https://meet.example.com", "daily-AbC123", "s3cr3t_-x")
    assert "s3cr3t" not in repr(link)
    prefixed = parse_room_link(" http://10.0.0.5:6080/meet/room/r_1/?secret=abc&lang=en ")
    assert (prefixed.base_url, prefixed.room_id, prefixed.secret) == ("http://10.0.0.5:6080/meet", "r_1", "abc")
    for bad, reason in [
        ("ftp://host/room/r?secret=a", "http:// or https://"),
        ("meet.example.com/room/r?secret=a", "http:// or https://"),
        ("https://host/rooms/r?secret=a", "/room/<room id>"),
        ("https://host/room/r/extra?secret=a", "/room/<room id>"),
        ("https://host/room/r%20x?secret=a", "/room/<room id>"),
        ("https://host/room/r", "exactly one non-empty secret"),
        ("https://host/room/r?secret=", "exactly one non-empty secret"),
        ("https://host/room/r?secret=a&secret=b", "exactly one non-empty secret"),
    ]:
        with pytest.raises(ValueError, match=reason) as error:
            parse_room_link(bad)
        assert "secret=a" not in str(error.value)
    with pytest.raises(ValueError, match="base_url"):
        MeetDeskClient("localhost:6080")

"""The anonymous recording link a room shows (``access.anonymous.recording.url``, OpenVidu Meet 3.8) is served
by a real ``meetdesk server`` process: the room's recordings, newest first, each playable and downloadable by
whoever holds the link, while the room's anonymous recording access is on; refusals are pages saying why."""

from __future__ import annotations

import re
from html import unescape

import httpx

from tests.conftest import ServerProcess
from tests.integration.contract_helpers import anonymous, api, contract_server
from tests.integration.recording_helpers import seed_recording, small_mp4

__all__ = ["anonymous", "api", "contract_server"]  # fixtures


def recording_url(api: httpx.Client, room_id: str) -> str:
    """The room's recording link, as its JSON gives it."""
    room = api.get(f"/api/v1/rooms/{room_id}", params={"extraFields": "access"}).json()
    url: str = room["access"]["anonymous"]["recording"]["url"]
    return url


def path_of(url: str, server: ServerProcess) -> str:
    assert url.startswith(server.url)
    return url.removeprefix(server.url)


def hrefs(page: str, kind: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a class="{kind}" href="([^"]+)"', page)]


def test_the_recording_link_lists_the_rooms_recordings(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = api.post("/api/v1/rooms", json={"roomName": "Board <meeting>"}).json()
    link = path_of(recording_url(api, room["roomId"]), contract_server)
    empty = anonymous.get(link)
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("text/html")
    assert "This room has no recordings yet." in empty.text
    assert "Recordings of Board &lt;meeting&gt;" in empty.text  # the name is escaped, never markup

    older = seed_recording(contract_server, room["roomId"], room["roomName"], start_date=1_700_000_000_000)
    newer = seed_recording(contract_server, room["roomId"], room["roomName"], start_date=1_700_000_600_000)
    live = seed_recording(contract_server, room["roomId"], room["roomName"], status="active", media=None)
    other_room = api.post("/api/v1/rooms", json={"roomName": "Other"}).json()
    elsewhere = seed_recording(contract_server, other_room["roomId"], "Other")

    page = anonymous.get(link)
    assert page.status_code == 200
    assert "Being recorded now" in page.text  # the one in progress is listed, not playable
    plays = hrefs(page.text, "play")
    assert [p.split("?")[0] for p in plays] == [f"/recording/{newer.recording_id}", f"/recording/{older.recording_id}"]
    assert str(live.recording_id) not in page.text and str(elsewhere.recording_id) not in page.text
    # each link plays for anyone holding it: the recording's own page, its media, its download
    played = anonymous.get(plays[0])
    assert played.status_code == 200 and "<video" in played.text
    media = re.search(r'<video[^>]* src="([^"]+)"', played.text)
    assert media is not None and anonymous.get(unescape(media.group(1))).content == small_mp4()
    download = anonymous.get(hrefs(page.text, "download")[1])
    assert download.status_code == 200 and download.content == small_mp4()


def test_the_recording_link_honours_its_secret_and_the_rooms_access(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = api.post("/api/v1/rooms", json={"roomName": "Shared"}).json()
    seeded = seed_recording(contract_server, room["roomId"], "Shared")
    link = path_of(recording_url(api, room["roomId"]), contract_server)
    base, _, secret = link.partition("?secret=")

    for wrong in (f"{base}?secret={secret[:-1]}x", f"{base}?secret={room['speakerUrl'].split('secret=')[1]}"):
        refused = anonymous.get(wrong)
        assert refused.status_code == 400 and "This link is not valid" in refused.text
        assert str(seeded.recording_id) not in refused.text
    assert anonymous.get(base).status_code == 400
    missing = anonymous.get(f"/room/no-such-room/recordings?secret={secret}")
    assert missing.status_code == 404 and "This room does not exist" in missing.text

    off = {"access": {"anonymous": {"recording": {"enabled": False}}}}
    assert api.put(f"/api/v1/rooms/{room['roomId']}/access", json=off).status_code == 200
    closed = anonymous.get(link)
    assert closed.status_code == 403 and "no longer shared by link" in closed.text
    assert str(seeded.recording_id) not in closed.text

    on = {"access": {"anonymous": {"recording": {"enabled": True}}}}
    assert api.put(f"/api/v1/rooms/{room['roomId']}/access", json=on).status_code == 200
    assert hrefs(anonymous.get(link).text, "play")

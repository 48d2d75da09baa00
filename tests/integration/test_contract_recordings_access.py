"""Who reaches which recording, against a real ``meetdesk server`` process: admins and the API key reach every
recording; room members (participant, room member and 3.4 recording tokens) only their room's, as the room's
recording access says, and another room's recording is answered as one that does not exist; a share link's
public secret plays anonymously and a private one only with a signed-in admin; a secret never deletes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, ServerProcess
from tests.integration.contract_helpers import anonymous, api, contract_server
from tests.integration.recording_helpers import Seeded, seed_recording, small_mp4

__all__ = ["anonymous", "api", "contract_server"]  # fixtures

RECORDINGS = "/api/v1/recordings"


def link_secret(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


def create_room(api: httpx.Client, access: str = "admin_moderator_speaker") -> dict[str, str]:
    config = {"recording": {"enabled": True, "allowAccessTo": access}}
    created = api.post("/api/v1/rooms", json={"roomName": f"Access {access}", "config": config})
    assert created.status_code == 201, created.text
    return dict(created.json())


def member(anonymous: httpx.Client, room: dict[str, str], role: str) -> dict[str, str]:
    answer = anonymous.post(
        f"/internal-api/v1/rooms/{room['roomId']}/members/token", json={"secret": link_secret(room[f"{role}Url"])}
    )
    assert answer.status_code == 200, answer.text
    return {"X-Room-Member-Token": f"Bearer {answer.json()['token']}"}


def admin(anonymous: httpx.Client) -> dict[str, str]:
    login = anonymous.post("/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert login.status_code == 200
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


def statuses(anonymous: httpx.Client, seeded: Seeded, headers: dict[str, str]) -> dict[str, int]:
    """What a caller gets from each reading operation on one recording (deletion is tested on its own)."""
    one = f"{RECORDINGS}/{seeded.recording_id}"
    return {
        "get": anonymous.get(one, headers=headers).status_code,
        "media": anonymous.get(f"{one}/media", headers=headers).status_code,
        "download": anonymous.get(f"{one}/download", headers=headers).status_code,
        "url": anonymous.get(f"{one}/url", headers=headers).status_code,
    }


ALL = {"get": 200, "media": 200, "download": 200, "url": 200}
NONE_403 = dict.fromkeys(ALL, 403)
NONE_404 = dict.fromkeys(ALL, 404)


@pytest.mark.parametrize(
    ("access", "role", "reads", "lists", "deletes"),
    [
        ("admin_moderator_speaker", "moderator", ALL, 200, 200),
        ("admin_moderator_speaker", "speaker", ALL, 200, 403),
        ("admin_moderator", "moderator", ALL, 200, 200),
        ("admin_moderator", "speaker", NONE_403, 403, 403),
        ("admin", "moderator", NONE_403, 403, 403),
    ],
)
def test_room_members_follow_the_rooms_recording_access(
    contract_server: ServerProcess,
    api: httpx.Client,
    anonymous: httpx.Client,
    access: str,
    role: str,
    reads: dict[str, int],
    lists: int,
    deletes: int,
) -> None:
    room = create_room(api, access)
    other = create_room(api)
    mine = seed_recording(contract_server, room["roomId"], "Mine")
    elsewhere = seed_recording(contract_server, other["roomId"], "Elsewhere")
    headers = member(anonymous, room, role)

    assert statuses(anonymous, mine, headers) == reads
    # another room's recording: the same answer as a recording that does not exist
    assert statuses(anonymous, elsewhere, headers) == NONE_404
    missing = Seeded(f"{other['roomId']}--EG_missing--m1", "x.mp4", None)
    assert statuses(anonymous, missing, headers) == NONE_404
    listed = anonymous.get(RECORDINGS, params={"roomId": other["roomId"]}, headers=headers)
    assert listed.status_code == lists
    if lists == 200:  # the roomId filter is ignored: only the token's room
        assert [r["recordingId"] for r in listed.json()["recordings"]] == [mine.recording_id]
    assert anonymous.delete(f"{RECORDINGS}/{elsewhere.recording_id}", headers=headers).status_code == 404
    assert anonymous.delete(f"{RECORDINGS}/{mine.recording_id}", headers=headers).status_code == deletes
    bulk = anonymous.delete(RECORDINGS, params={"recordingIds": elsewhere.recording_id}, headers=headers)
    assert bulk.status_code == (400 if deletes == 200 else 403)
    zipped = anonymous.get(f"{RECORDINGS}/download", params={"recordingIds": elsewhere.recording_id}, headers=headers)
    assert zipped.status_code == (400 if lists == 200 else 403)
    # the other room's recording is still there for the admin
    assert api.get(f"{RECORDINGS}/{elsewhere.recording_id}").status_code == 200


def test_admins_and_the_api_key_reach_every_recording(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = create_room(api, "admin")
    seeded = seed_recording(contract_server, room["roomId"], "Admin only")
    assert statuses(anonymous, seeded, admin(anonymous)) == ALL
    assert statuses(anonymous, seeded, {"X-API-KEY": api.headers["X-API-KEY"]}) == ALL
    assert statuses(anonymous, seeded, {}) == dict.fromkeys(ALL, 401)
    assert statuses(anonymous, seeded, {"X-API-KEY": "wrong"}) == dict.fromkeys(ALL, 401)
    assert anonymous.delete(f"{RECORDINGS}/{seeded.recording_id}", headers=admin(anonymous)).status_code == 200


def test_a_permission_change_counts_at_once(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = create_room(api)
    seeded = seed_recording(contract_server, room["roomId"], "Changing")
    speaker = member(anonymous, room, "speaker")
    assert anonymous.get(f"{RECORDINGS}/{seeded.recording_id}", headers=speaker).status_code == 200
    changed = api.put(
        f"/api/v1/rooms/{room['roomId']}/config", json={"config": {"recording": {"allowAccessTo": "admin_moderator"}}}
    )
    assert changed.status_code == 200, changed.text
    assert anonymous.get(f"{RECORDINGS}/{seeded.recording_id}", headers=speaker).status_code == 403


def test_the_34_recording_token(contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client) -> None:
    room = create_room(api)
    path = f"/internal-api/v1/rooms/{room['roomId']}/recording-token"
    speaker_secret = link_secret(room["speakerUrl"])
    empty = anonymous.post(path, json={"secret": speaker_secret})
    assert empty.status_code == 404 and empty.json()["message"] == f"Room '{room['roomId']}' has no recordings"
    seeded = seed_recording(contract_server, room["roomId"], "Tokens")
    assert anonymous.post(path, json={"secret": "wrong"}).status_code == 400
    assert anonymous.post(path, json={}).status_code == 422
    assert anonymous.post("/internal-api/v1/rooms/nowhere/recording-token", json={"secret": "x"}).status_code == 404

    token = anonymous.post(path, json={"secret": speaker_secret})
    assert token.status_code == 200, token.text
    headers = {"X-Recording-Token": token.json()["token"]}
    assert statuses(anonymous, seeded, headers) == ALL
    assert anonymous.delete(f"{RECORDINGS}/{seeded.recording_id}", headers=headers).status_code == 403
    assert anonymous.get(RECORDINGS, headers={"X-Recording-Token": "forged"}).status_code == 401
    # it browses recordings; it joins no meeting and manages no room
    assert anonymous.post(RECORDINGS, json={"roomId": room["roomId"]}, headers=headers).status_code == 403

    admin_only = create_room(api, "admin")
    seed_recording(contract_server, admin_only["roomId"], "Admin only")
    refused = anonymous.post(
        f"/internal-api/v1/rooms/{admin_only['roomId']}/recording-token",
        json={"secret": link_secret(admin_only["moderatorUrl"])},
    )
    assert refused.status_code == 403


def test_share_links_public_and_private(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = create_room(api)
    seeded = seed_recording(contract_server, room["roomId"], "Shared")
    other = seed_recording(contract_server, room["roomId"], "Shared")
    public = api.get(f"{RECORDINGS}/{seeded.recording_id}/url")
    assert public.status_code == 200
    url = public.json()["url"]
    assert url.startswith(f"{contract_server.url}/recording/{seeded.recording_id}?secret=")
    secret = link_secret(url)
    assert api.get(f"{RECORDINGS}/{seeded.recording_id}/url").json()["url"] == url  # the same link each time
    private = link_secret(
        api.get(f"{RECORDINGS}/{seeded.recording_id}/url", params={"privateAccess": "true"}).json()["url"]
    )
    assert private != secret and len(secret) >= 22

    one = f"{RECORDINGS}/{seeded.recording_id}"
    for name in ("secret", "recordingSecret"):  # 3.4-3.7 and 3.8+
        assert anonymous.get(one, params={name: secret}).json()["recordingId"] == seeded.recording_id
        assert anonymous.get(f"{one}/media", params={name: secret}).content == small_mp4()
        assert anonymous.get(f"{one}/download", params={name: secret}).status_code == 200
    # a secret only plays: no deleting, no listing, no other recording, no links
    assert anonymous.delete(one, params={"secret": secret}).status_code == 401
    assert anonymous.get(RECORDINGS, params={"secret": secret}).status_code == 401
    assert anonymous.get(f"{one}/url", params={"secret": secret}).status_code == 401
    assert anonymous.get(f"{RECORDINGS}/{other.recording_id}/media", params={"secret": secret}).status_code == 400
    wrong = anonymous.get(f"{one}/media", params={"secret": secret[:-1] + "x"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "Recording Error"

    # the private secret plays only for a signed-in admin
    assert anonymous.get(f"{one}/media", params={"secret": private}).status_code == 401
    speaker = member(anonymous, room, "speaker")
    assert anonymous.get(f"{one}/media", params={"secret": private}, headers=speaker).status_code == 401
    assert anonymous.get(f"{one}/media", params={"secret": private}, headers=admin(anonymous)).status_code == 200
    assert api.get(one).status_code == 200  # a secret never deleted it


def test_the_link_in_a_browser_plays_the_recording(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = create_room(api)
    seeded = seed_recording(contract_server, room["roomId"], "Town <hall> & co")
    url = api.get(f"{RECORDINGS}/{seeded.recording_id}/url").json()["url"]
    page = anonymous.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Recording of Town &lt;hall&gt; &amp; co" in text  # the room's name, escaped
    secret = link_secret(url)
    media = f"/api/v1/recordings/{seeded.recording_id}/media?secret={secret}"
    assert f'<video controls preload="metadata" src="{media}">' in text
    assert f'href="/api/v1/recordings/{seeded.recording_id}/download?secret={secret}" download' in text
    assert anonymous.get(media).content == small_mp4()  # what the page's video plays

    refused = anonymous.get(f"/recording/{seeded.recording_id}", params={"secret": "nope"})
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
    assert "This link is not valid: check that you copied all of it." in refused.text
    incomplete = anonymous.get(f"/recording/{seeded.recording_id}")
    assert incomplete.status_code == 401 and "open the whole link you were given." in incomplete.text
    failed = seed_recording(contract_server, room["roomId"], "Failed", status="failed", media=None)
    failed_url = api.get(f"{RECORDINGS}/{failed.recording_id}/url").json()["url"]
    no_video = anonymous.get(failed_url)
    assert no_video.status_code == 404 and "This recording has no video to play." in no_video.text
    assert "<video" not in no_video.text


def test_public_links_follow_the_rooms_anonymous_recording_access(
    contract_server: ServerProcess, api: httpx.Client, anonymous: httpx.Client
) -> None:
    room = create_room(api)
    seeded = seed_recording(contract_server, room["roomId"], "Shared")
    one = f"{RECORDINGS}/{seeded.recording_id}"
    secret = link_secret(api.get(f"{one}/url").json()["url"])
    assert anonymous.get(f"{one}/media", params={"secret": secret}).status_code == 200

    off = {"access": {"anonymous": {"recording": {"enabled": False}}}}
    assert api.put(f"/api/v1/rooms/{room['roomId']}/access", json=off).status_code == 200
    refused = api.get(f"{one}/url")
    assert refused.status_code == 403
    assert refused.json()["message"] == f"Anonymous access in room '{room['roomId']}' is disabled for recordings"
    # a public link given out before stops playing; a private one still does, for an admin
    assert anonymous.get(f"{one}/media", params={"secret": secret}).status_code == 403
    assert anonymous.get(f"/recording/{seeded.recording_id}", params={"secret": secret}).status_code == 403
    private = link_secret(api.get(f"{one}/url", params={"privateAccess": "true"}).json()["url"])
    assert anonymous.get(f"{one}/media", params={"secret": private}, headers=admin(anonymous)).status_code == 200

    on = {"access": {"anonymous": {"recording": {"enabled": True}}}}
    assert api.put(f"/api/v1/rooms/{room['roomId']}/access", json=on).status_code == 200
    assert anonymous.get(f"{one}/media", params={"secret": secret}).status_code == 200

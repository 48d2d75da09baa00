"""``canShareAccessLinks`` (OpenVidu Meet 3.8) enforced by a real ``meetdesk server`` process: a room member
whose role lacks it gets the room without any link's URL (no secret anywhere in the body), with it the links
its role may hand on (the moderator link to moderators only); a change of the room's roles counts at once."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import API_KEY, ServerProcess

KEY = {"X-API-KEY": API_KEY}
URL_FIELDS = ("moderatorUrl", "speakerUrl")


def secret_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secret"][0]


def as_member(http: httpx.Client, room: dict[str, Any], role: str) -> dict[str, str]:
    """The headers of a room member token for ``role`` (one that reads the room, as the participant window's)."""
    answer = http.post(
        "/internal-api/v1/participants/token", json={"roomId": room["roomId"], "secret": secret_of(room[f"{role}Url"])}
    )
    assert answer.status_code == 200, answer.text
    return {"X-Room-Member-Token": f"Bearer {answer.json()['token']}"}


def links_seen(http: httpx.Client, room: dict[str, Any], headers: dict[str, str]) -> dict[str, object]:
    """What the caller sees of the room's links: the 3.4 fields and 3.8's ``access`` URLs, by name."""
    answer = http.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "access"}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    secrets = [secret_of(room["moderatorUrl"]), secret_of(room["speakerUrl"]), secret_of(room["recordingUrl"])]
    shown = {name: body[name] for name in URL_FIELDS if name in body}
    for kind, link in body["access"]["anonymous"].items():
        assert "enabled" in link  # the state of every link is told, the URL only to who may share it
        if "url" in link:
            shown[f"access.{kind}"] = link["url"]
    leaked = [s for s in secrets if s in answer.text and s not in str(shown)]
    assert not leaked, "a secret outside the links shown"
    return shown


@pytest.fixture
def setup(server_process: ServerProcess) -> Any:
    with httpx.Client(base_url=server_process.url, headers=KEY, timeout=10) as api:
        room = api.post("/api/v1/rooms", json={"roomName": "Team"}).json()
        full = api.get(f"/api/v1/rooms/{room['roomId']}", params={"extraFields": "access"}).json()
        room["recordingUrl"] = full["access"]["anonymous"]["recording"]["url"]
        yield api, room


def test_a_speaker_without_the_permission_gets_no_link(setup: Any) -> None:
    api, room = setup
    with httpx.Client(base_url=str(api.base_url), timeout=10) as http:
        assert links_seen(http, room, as_member(http, room, "speaker")) == {}  # the default roles: speakers may not


def test_a_moderator_with_it_gets_every_link(setup: Any) -> None:
    api, room = setup
    with httpx.Client(base_url=str(api.base_url), timeout=10) as http:
        seen = links_seen(http, room, as_member(http, room, "moderator"))
    assert seen == {
        "moderatorUrl": room["moderatorUrl"],
        "speakerUrl": room["speakerUrl"],
        "access.moderator": room["moderatorUrl"],
        "access.speaker": room["speakerUrl"],
        "access.recording": room["recordingUrl"],
    }


def test_the_roles_decide_and_a_change_counts_at_once(setup: Any) -> None:
    api, room = setup
    with httpx.Client(base_url=str(api.base_url), timeout=10) as http:
        speaker, moderator = as_member(http, room, "speaker"), as_member(http, room, "moderator")
        roles = {
            "speaker": {"permissions": {"canShareAccessLinks": True}},
            "moderator": {"permissions": {"canShareAccessLinks": False}},
        }
        assert api.put(f"/api/v1/rooms/{room['roomId']}/roles", json={"roles": roles}).status_code == 200
        # the same tokens: the room's roles now, not what the tokens say
        assert links_seen(http, room, speaker) == {
            "speakerUrl": room["speakerUrl"],
            "access.speaker": room["speakerUrl"],
            "access.recording": room["recordingUrl"],
        }  # never the moderator link: a speaker could make itself a moderator with it
        assert links_seen(http, room, moderator) == {}
        # admins and the API key always see every link
        assert set(links_seen(api, room, {})) == {*URL_FIELDS, "access.moderator", "access.speaker", "access.recording"}

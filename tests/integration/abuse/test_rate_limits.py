"""Rate limits after OpenVidu Meet 3.8's table, per client address: 429 with ``Retry-After`` beyond them.

The server trusts this test process as a reverse proxy (``MEETDESK_TRUSTED_PROXIES=127.0.0.1``), so each
case speaks for clients at addresses of its own through ``X-Forwarded-For`` (documentation addresses,
203.0.113.0/24); ``test_forwarded_for.py`` checks that the header counts for nothing from anyone else.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from meetdesk.client.lobby import ErrorReason, LinkProblem, inspect_link
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY
from tests.integration.abuse.conftest import AbuseServer

SERVER_ENV = {"MEETDESK_TRUSTED_PROXIES": "127.0.0.1"}
LOGIN = "/internal-api/v1/auth/login"
TOKEN = "/internal-api/v1/participants/token"


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_a_burst_of_wrong_passwords_checks_five_and_locks_out_only_that_address(
    abuse_server: AbuseServer,
) -> None:
    async with httpx.AsyncClient(base_url=abuse_server.url, headers=_from("203.0.113.1"), timeout=60) as http:
        burst = await asyncio.gather(
            *(http.post(LOGIN, json={"username": ADMIN_USER, "password": f"guess-{i}"}) for i in range(60))
        )
        statuses = [response.status_code for response in burst]
        assert statuses.count(401) == 5, statuses  # counted before checking: the other 55 never reach scrypt
        assert statuses.count(429) == 55, statuses
        refused = next(response for response in burst if response.status_code == 429)
        assert 1 <= int(refused.headers["Retry-After"]) <= 300
        assert refused.json()["error"] == "Too Many Requests"
        assert "Try again in" in refused.json()["message"]
        # Even the right password waits, from that address...
        right = await http.post(LOGIN, json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        assert right.status_code == 429
    # ...but the rightful admin elsewhere is not locked out.
    async with httpx.AsyncClient(base_url=abuse_server.url, headers=_from("203.0.113.2"), timeout=60) as http:
        elsewhere = await http.post(LOGIN, json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert elsewhere.status_code == 200
    abuse_server.keep_secret(elsewhere.json()["accessToken"], elsewhere.json()["refreshToken"])


def test_successful_logins_do_not_count(abuse_server: AbuseServer) -> None:
    with abuse_server.http(**_from("203.0.113.3")) as http:
        for _ in range(8):
            response = http.post(LOGIN, json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
            assert response.status_code == 200
            abuse_server.keep_secret(response.json()["accessToken"], response.json()["refreshToken"])


def test_token_generation_is_limited_to_200_a_minute_per_address(abuse_server: AbuseServer) -> None:
    room = abuse_server.create_room("Tokens")
    # No participant name: tokens to browse recordings, which reserve no display name.
    body = {"roomId": room["roomId"], "secret": room["speaker"]}
    with abuse_server.http(**_from("203.0.113.4")) as http:
        statuses = [http.post(TOKEN, json=body).status_code for _ in range(201)]
        assert statuses[:200] == [200] * 200
        assert statuses[200] == 429
        assert int(http.post(TOKEN, json=body).headers["Retry-After"]) <= 60
    with abuse_server.http(**_from("203.0.113.5")) as http:
        assert http.post(TOKEN, json=body).status_code == 200
    with abuse_server.http(**_from("203.0.113.4"), **{"X-API-KEY": API_KEY}) as http:
        assert http.post(TOKEN, json=body).status_code == 200  # API-key callers are not limited


def test_room_secret_guessing_is_limited_per_address_and_room(abuse_server: AbuseServer) -> None:
    room, other = abuse_server.create_room("Guess"), abuse_server.create_room("Other")
    roles = f"/internal-api/v1/rooms/{room['roomId']}/roles"
    with abuse_server.http(**_from("203.0.113.6")) as http:
        guesses = [
            http.post(TOKEN, json={"roomId": room["roomId"], "secret": f"guess{i}"}).status_code for i in range(5)
        ] + [http.get(f"{roles}/guess{i}").status_code for i in range(5)]
        assert guesses == [400] * 10
        over = http.get(f"{roles}/guess-more")
        assert over.status_code == 429 and int(over.headers["Retry-After"]) <= 60
        # Over the limit, the right secret is refused too: the answer must not single out a right guess.
        assert http.get(f"{roles}/{room['speaker']}").status_code == 429
        assert http.post(TOKEN, json={"roomId": room["roomId"], "secret": room["moderator"]}).status_code == 429
        # Another room, from the same address, is another count.
        assert http.get(f"/internal-api/v1/rooms/{other['roomId']}/roles/{other['speaker']}").status_code == 200
    with abuse_server.http(**_from("203.0.113.7")) as http:
        assert http.get(f"{roles}/{room['speaker']}").status_code == 200
    with abuse_server.http(**_from("203.0.113.6"), **{"X-API-KEY": API_KEY}) as http:
        exempt = http.post(TOKEN, json={"roomId": room["roomId"], "secret": room["moderator"]})
        assert exempt.status_code == 200
        abuse_server.keep_secret(exempt.json()["token"])


def test_right_secrets_do_not_count_as_guesses(abuse_server: AbuseServer) -> None:
    room = abuse_server.create_room("Right")
    with abuse_server.http(**_from("203.0.113.8")) as http:
        for _ in range(15):
            assert http.get(f"/internal-api/v1/rooms/{room['roomId']}/roles/{room['speaker']}").status_code == 200


def test_expensive_routes_are_limited_to_500_a_minute_and_the_api_key_is_exempt(abuse_server: AbuseServer) -> None:
    with abuse_server.http(**_from("203.0.113.9"), **abuse_server.admin) as http:
        statuses = [http.get("/api/v1/rooms", params={"maxItems": 1}).status_code for _ in range(501)]
        assert statuses[:500] == [200] * 500
        assert statuses[500] == 429
        # a cheap route is not counted
        assert http.get("/internal-api/v1/users/profile").status_code == 200
    with abuse_server.http(**_from("203.0.113.9"), **abuse_server.key) as http:
        assert http.get("/api/v1/rooms", params={"maxItems": 1}).status_code == 200


async def test_a_link_check_over_the_limit_says_to_wait(abuse_server: AbuseServer) -> None:
    """The participant window's link check: past the limit on wrong secrets, a sentence saying to try again
    later (and when), not "something went wrong on the server"."""
    room = abuse_server.create_room("Link check")
    link = f"{abuse_server.url}/room/{room['roomId']}?secret=wrong-secret"
    for _ in range(10):
        with pytest.raises(LinkProblem) as wrong:
            await inspect_link(link)
        assert wrong.value.reason is ErrorReason.INVALID_ROOM_SECRET
    with pytest.raises(LinkProblem) as limited:
        await inspect_link(link)
    assert limited.value.reason is ErrorReason.TOO_MANY_ATTEMPTS and limited.value.can_retry
    assert limited.value.title == "Too many attempts"
    assert re.search(r"Try again in \d+ s\.$", limited.value.message), limited.value.message

"""Malformed ``nextPageToken`` values: every one is a 422 naming the field, never a 500.

A signature with a non-ASCII character used to reach ``hmac.compare_digest`` as text and raise a
TypeError (a 500 and a traceback in the log).
"""

from __future__ import annotations

import pytest

from tests.integration.abuse.conftest import AbuseServer


@pytest.fixture(scope="module")
def real_token(abuse_server: AbuseServer) -> str:
    with abuse_server.http(**abuse_server.key) as http:
        for i in range(3):
            assert http.post("/api/v1/rooms", json={"roomName": f"Page {i}"}).status_code == 201
        token: str = http.get("/api/v1/rooms", params={"maxItems": 1}).json()["pagination"]["nextPageToken"]
    return token


MALFORMED = {
    "non-ASCII signature": lambda t: t.split(".")[0] + ".sïgnature",
    "non-ASCII body": lambda t: "bödy." + t.split(".")[1],
    "emoji": lambda t: "\N{PILE OF POO}.\N{PILE OF POO}",
    "control characters": lambda t: "\x01\x02.\x03",
    "no dot": lambda t: t.replace(".", ""),
    "two dots": lambda t: t + ".x",
    "only a dot": lambda t: ".",
    "empty signature": lambda t: t.split(".")[0] + ".",
    "truncated signature": lambda t: t[:-3],
    "bad base64 body": lambda t: "!!!!." + t.split(".")[1],
    "other body, same signature": lambda t: "WzFd." + t.split(".")[1],
    "long": lambda t: "A" * 1900 + "." + "B" * 90,
}


@pytest.mark.parametrize("make", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_page_token_is_422(abuse_server: AbuseServer, real_token: str, make: object) -> None:
    assert callable(make)
    forged = make(real_token)
    with abuse_server.http(**abuse_server.key) as http:
        response = http.get("/api/v1/rooms", params={"maxItems": 1, "nextPageToken": forged})
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["details"]] == ["nextPageToken"]


def test_the_real_token_still_pages(abuse_server: AbuseServer, real_token: str) -> None:
    with abuse_server.http(**abuse_server.key) as http:
        response = http.get("/api/v1/rooms", params={"maxItems": 1, "nextPageToken": real_token})
    assert response.status_code == 200 and len(response.json()["rooms"]) == 1

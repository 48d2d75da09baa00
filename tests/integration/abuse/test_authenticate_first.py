"""Authentication comes first on every route: a caller without valid credentials gets 401 before the
route reads its body or query, and learns nothing of its input rules (no 422 with field details, no
400 for a body that does not parse).

Every operation of the API (from the OpenAPI description of the app, so a new route is in the table
the day it is added) is called with each bad body below, bad query values and a missing required
query parameter; the public operations, listed here, are the only ones allowed to answer otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest

from meetdesk.server.app import create_app
from meetdesk.server.config import ServerSettings
from tests.integration.abuse.conftest import AbuseServer

#: Operations anyone may call: logging in, the security settings the join view reads, the theme, a room
#: link's roles, the token exchange (which takes credentials, but none is needed) and a kiosk's enrolment.
PUBLIC = {
    ("POST", "/internal-api/v1/auth/login"),
    ("POST", "/internal-api/v1/auth/refresh"),
    ("POST", "/internal-api/v1/auth/logout"),
    ("GET", "/internal-api/v1/config/security"),
    ("GET", "/internal-api/v1/config/rooms/appearance"),  # a participant's window is painted with it
    ("GET", "/internal-api/v1/rooms/{roomId}/roles"),
    ("GET", "/internal-api/v1/rooms/{roomId}/roles/{secret}"),
    ("POST", "/internal-api/v1/participants/token"),
    ("POST", "/internal-api/v1/rooms/{roomId}/members/token"),
    ("POST", "/internal-api/v1/rooms/{roomId}/recording-token"),
    ("POST", "/internal-api/v1/kiosks/enrol"),  # a kiosk's one-time code is its credential
}
#: Public, but a credential that is present is checked (and a wrong one refused) before the body is read.
CHECKS_CREDENTIALS = {
    ("POST", "/internal-api/v1/participants/token"),
    ("POST", "/internal-api/v1/rooms/{roomId}/members/token"),
    ("POST", "/internal-api/v1/rooms/{roomId}/recording-token"),
    ("POST", "/internal-api/v1/kiosks/enrol"),
}

BAD_BODIES = {
    "wrong types": '{"roomName": 123, "config": 5, "role": 7, "password": [], "url": 1, "locked": "x"}',
    "not json": '{"roomName": ',
    "not an object": '"just a string"',
}

WRONG_CREDENTIALS = {
    "api key": {"X-API-KEY": "not-the-api-key"},
    "bearer": {"Authorization": "Bearer not.a.token"},
    "participant": {"X-Participant-Token": "not.a.token"},
    "room member": {"X-Room-Member-Token": "Bearer not.a.token"},
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    spec = create_app(ServerSettings()).openapi()
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


OPERATIONS = _operations()


def _request(method: str, path: str, operation: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The path with its parameters filled in, and query parameters that cannot be valid: every optional
    one set to a value no enum or number accepts, every required one left out."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", "some-" + parameter["name"].lower())
    query = {p["name"]: "~bogus~" for p in operation.get("parameters", []) if p["in"] == "query" and not p["required"]}
    return path, query


def _id(operation: tuple[str, str, dict[str, Any]]) -> str:
    return f"{operation[0]} {operation[1]}"


PROTECTED = [op for op in OPERATIONS if (op[0], op[1]) not in PUBLIC]


def test_the_public_operations_exist() -> None:
    """A renamed public route must not leave a stale entry here that hides nothing."""
    assert PUBLIC.issubset((method, path) for method, path, _ in OPERATIONS)
    assert len(PROTECTED) >= 20


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
@pytest.mark.parametrize("operation", PROTECTED, ids=_id)
def test_no_credentials_is_401_before_any_validation(
    abuse_server: AbuseServer, operation: tuple[str, str, dict[str, Any]], body: str
) -> None:
    method, template, spec = operation
    path, query = _request(method, template, spec)
    with abuse_server.http() as http:
        response = http.request(method, path, params=query, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401, response.text
    answer = response.json()
    assert answer["error"] == "Authentication Error"
    assert "details" not in answer


@pytest.mark.parametrize("credentials", list(WRONG_CREDENTIALS.values()), ids=list(WRONG_CREDENTIALS))
@pytest.mark.parametrize(
    "operation", [op for op in OPERATIONS if (op[0], op[1]) not in PUBLIC - CHECKS_CREDENTIALS], ids=_id
)
def test_wrong_credentials_are_401_before_any_validation(
    abuse_server: AbuseServer, operation: tuple[str, str, dict[str, Any]], credentials: dict[str, str]
) -> None:
    method, template, spec = operation
    path, query = _request(method, template, spec)
    with abuse_server.http(**credentials) as http:
        response = http.request(
            method, path, params=query, content=BAD_BODIES["not json"], headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 401, response.text
    assert "details" not in response.json()


def test_a_participant_on_an_admin_route_is_401_before_any_validation(abuse_server: AbuseServer) -> None:
    """A participant token is not a credential of an admin route: 401 (as OpenVidu Meet answers, issue 14)
    before its input is looked at."""
    room = abuse_server.create_room()
    token = abuse_server.participant_token(room["roomId"], room["speaker"], "Sam")
    with abuse_server.http(**{"X-Participant-Token": token}) as http:
        created = http.post("/api/v1/rooms", json={"roomName": 123})
        listed = http.get("/api/v1/rooms", params={"status": "~bogus~"})
    assert created.status_code == 401 and "details" not in created.json()
    assert listed.status_code == 401 and "details" not in listed.json()


def test_the_same_requests_with_credentials_are_validated(abuse_server: AbuseServer) -> None:
    """The 401s above are not a route that refuses everything: with the API key, the bad input is a 422."""
    with abuse_server.http(**abuse_server.key) as http:
        created = http.post("/api/v1/rooms", json={"roomName": 123})
        listed = http.get("/api/v1/rooms", params={"status": "~bogus~"})
    assert created.status_code == 422 and created.json()["details"][0]["field"] == "roomName"
    assert listed.status_code == 422 and listed.json()["details"][0]["field"] == "status"


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_moderator_routes_refuse_non_moderators_before_reading_the_body(abuse_server: AbuseServer, body: str) -> None:
    """A speaker of the room, or a moderator of another room, is told 403 before its input is looked at."""
    room, other = abuse_server.create_room("Here"), abuse_server.create_room("Elsewhere")
    speaker = abuse_server.participant_token(room["roomId"], room["speaker"], "Sam")
    foreign = abuse_server.participant_token(other["roomId"], other["moderator"], "Mo")
    for token in (speaker, foreign):
        with abuse_server.http(**{"X-Participant-Token": token, "Content-Type": "application/json"}) as http:
            for method, path in (
                ("PUT", f"/internal-api/v1/meetings/{room['roomId']}/participants/p-someone/role"),
                ("PUT", f"/internal-api/v1/meetings/{room['roomId']}/lock"),
            ):
                response = http.request(method, path, content=body)
                assert response.status_code == 403, (path, response.text)
                assert "details" not in response.json()

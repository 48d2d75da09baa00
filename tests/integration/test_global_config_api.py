"""Appearance, security and webhook settings; the webhook test event reaches a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, InProcess, free_port
from tests.integration.webhook_receiver import Receiver

APPEARANCE = "/internal-api/v1/config/rooms/appearance"
THEME = {
    "name": "brand",
    "enabled": True,
    "baseTheme": "dark",
    "backgroundColor": "#101010",
    "primaryColor": "#0af",
    "secondaryColor": "#cccccc80",
    "accentColor": "#ff8800",
    "surfaceColor": "#222",
}


@pytest.fixture
async def admin(server: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with server.http() as http:
        login = await http.post(
            "/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        http.headers["Authorization"] = f"Bearer {login.json()['accessToken']}"
        yield http


async def test_appearance_round_trip(admin: httpx.AsyncClient) -> None:
    assert (await admin.get(APPEARANCE)).json() == {"appearance": {"themes": []}}
    assert (await admin.put(APPEARANCE, json={"appearance": {"themes": [THEME]}})).status_code == 200
    assert (await admin.get(APPEARANCE)).json() == {"appearance": {"themes": [THEME]}}


@pytest.mark.parametrize(
    "themes",
    [
        [],
        [THEME, THEME],
        [{**THEME, "primaryColor": "blue"}],
        [{**THEME, "name": "has space"}],
        [{**THEME, "baseTheme": "sepia"}],
        [{k: v for k, v in THEME.items() if k != "enabled"}],
    ],
)
async def test_appearance_validation(admin: httpx.AsyncClient, themes: list[dict[str, object]]) -> None:
    response = await admin.put(APPEARANCE, json={"appearance": {"themes": themes}})
    assert response.status_code == 422 and response.json()["details"]


async def test_appearance_is_changed_by_the_admin_only(server: InProcess, api: httpx.AsyncClient) -> None:
    assert (await api.put(APPEARANCE, json={"appearance": {"themes": [THEME]}})).status_code == 401
    async with server.http() as anonymous:
        assert (await anonymous.get(APPEARANCE)).status_code == 200  # public, as upstream's
        assert (await anonymous.put(APPEARANCE, json={"appearance": {"themes": [THEME]}})).status_code == 401


async def test_participants_read_the_theme(server: InProcess, api: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await admin.put(APPEARANCE, json={"appearance": {"themes": [THEME]}})
    room = (await api.post("/api/v1/rooms", json={})).json()
    secret = room["speakerUrl"].split("secret=")[1]
    async with server.http() as http:
        token = (
            await http.post(
                "/internal-api/v1/participants/token",
                json={"roomId": room["roomId"], "secret": secret, "participantName": "P"},
            )
        ).json()["token"]
        participant = {"X-Participant-Token": token}
        assert (await http.get(APPEARANCE, headers=participant)).json()["appearance"]["themes"] == [THEME]
        assert (
            await http.put(APPEARANCE, json={"appearance": {"themes": [THEME]}}, headers=participant)
        ).status_code == 401


async def test_security_config(server: InProcess, admin: httpx.AsyncClient) -> None:
    async with server.http() as anonymous:
        default = await anonymous.get("/internal-api/v1/config/security")
        assert default.json() == {
            "authentication": {"authMethod": {"type": "single_user"}, "authModeToAccessRoom": "none"}
        }
        refused = await anonymous.put("/internal-api/v1/config/security", json={"authentication": {}})
        assert refused.status_code == 401
    bad = await admin.put("/internal-api/v1/config/security", json={"authentication": {"authModeToAccessRoom": "some"}})
    assert bad.status_code == 422
    assert "authentication.authModeToAccessRoom" in [d["field"] for d in bad.json()["details"]]


async def test_webhook_config(admin: httpx.AsyncClient) -> None:
    url = "/internal-api/v1/config/webhooks"
    assert (await admin.get(url)).json() == {"enabled": False}
    assert (await admin.put(url, json={"enabled": True})).status_code == 422
    assert (await admin.put(url, json={"enabled": True, "url": "ftp://x.test/hook"})).status_code == 422
    assert (await admin.put(url, json={"enabled": True, "url": "https://hooks.test/in"})).status_code == 200
    assert (await admin.get(url)).json() == {"enabled": True, "url": "https://hooks.test/in"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


async def test_webhook_test_event_is_signed(admin: httpx.AsyncClient, receiver: Receiver) -> None:
    response = await admin.post("/internal-api/v1/config/webhooks/test", json={"url": receiver.url})
    assert response.status_code == 200, response.text
    [(headers, body)] = receiver.received
    event = json.loads(body)
    assert event["event"] == "testEvent" and event["data"]["message"]
    assert headers["X-Timestamp"] == str(event["creationDate"])
    expected = hmac.new(API_KEY.encode(), f"{headers['X-Timestamp']}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Signature"], expected)


async def test_webhook_test_errors(admin: httpx.AsyncClient) -> None:
    url = "/internal-api/v1/config/webhooks/test"
    unreachable = await admin.post(url, json={"url": f"http://127.0.0.1:{free_port()}/nothing"})
    assert unreachable.status_code == 400 and "unreachable" in unreachable.json()["message"]
    assert (await admin.post(url, json={"url": "not a url"})).status_code == 422
    failing = Receiver(status=500)
    try:
        answered = await admin.post(url, json={"url": failing.url})
        assert answered.status_code == 400 and "500" in answered.json()["message"]
    finally:
        failing.close()
    await admin.delete("/internal-api/v1/auth/api-keys")
    no_key = await admin.post(url, json={"url": "http://127.0.0.1:9/x"})
    assert no_key.status_code == 409 and "API key" in no_key.json()["message"]

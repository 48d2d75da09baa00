"""Issue 14, item 7: the global config as OpenVidu Meet's — against a real server process.

The theme is public (a participant's window needs it before anything else), switching webhooks off keeps
where they go, a security PUT missing its fields is refused rather than resetting room access, and an
appearance PUT merges the colours sent into the stored theme.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
from tests.integration.contract_helpers import anonymous, contract_server

__all__ = ["anonymous", "contract_server"]  # fixtures

CONFIG = "/internal-api/v1/config"


@pytest.fixture
def admin(anonymous: httpx.Client) -> Iterator[httpx.Client]:
    login = anonymous.post("/internal-api/v1/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert login.status_code == 200
    with httpx.Client(
        base_url=str(anonymous.base_url), headers={"Authorization": f"Bearer {login.json()['accessToken']}"}
    ) as client:
        yield client


def test_appearance_is_readable_without_credentials(admin: httpx.Client, anonymous: httpx.Client) -> None:
    theme = {"name": "brand", "enabled": True, "baseTheme": "dark", "primaryColor": "#112233"}
    assert admin.put(f"{CONFIG}/rooms/appearance", json={"appearance": {"themes": [theme]}}).status_code == 200
    public = anonymous.get(f"{CONFIG}/rooms/appearance")
    assert public.status_code == 200 and public.json()["appearance"]["themes"][0]["primaryColor"] == "#112233"
    assert anonymous.put(f"{CONFIG}/rooms/appearance", json={"appearance": {"themes": [theme]}}).status_code == 401


def test_an_appearance_put_merges_the_colours_sent(admin: httpx.Client) -> None:
    first = {
        "name": "merge",
        "enabled": True,
        "baseTheme": "light",
        "primaryColor": "#aa0000",
        "accentColor": "#00aa00",
    }
    assert admin.put(f"{CONFIG}/rooms/appearance", json={"appearance": {"themes": [first]}}).status_code == 200
    second = {"name": "merge", "enabled": True, "baseTheme": "light", "backgroundColor": "#ffffff"}
    assert admin.put(f"{CONFIG}/rooms/appearance", json={"appearance": {"themes": [second]}}).status_code == 200
    (theme,) = admin.get(f"{CONFIG}/rooms/appearance").json()["appearance"]["themes"]
    assert theme == {**first, "backgroundColor": "#ffffff"}
    cleared = {**second, "accentColor": None}  # null clears a colour (the desktop editor sends every colour)
    assert admin.put(f"{CONFIG}/rooms/appearance", json={"appearance": {"themes": [cleared]}}).status_code == 200
    (theme,) = admin.get(f"{CONFIG}/rooms/appearance").json()["appearance"]["themes"]
    assert theme == {"name": "merge", "enabled": True, "baseTheme": "light", "primaryColor": "#aa0000",
                     "backgroundColor": "#ffffff"}  # fmt: skip


def test_turning_webhooks_off_keeps_the_url(admin: httpx.Client) -> None:
    url = "https://hooks.example.test/in"
    assert admin.put(f"{CONFIG}/webhooks", json={"enabled": True, "url": url}).status_code == 200
    assert admin.put(f"{CONFIG}/webhooks", json={"enabled": False}).status_code == 200
    assert admin.get(f"{CONFIG}/webhooks").json() == {"enabled": False, "url": url}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"authentication": {}},
        {"authentication": {"authMethod": {"type": "single_user"}}},
        {"authentification": {"authMethod": {"type": "single_user"}, "authModeToAccessRoom": "all_users"}},
    ],
)
def test_a_security_put_without_its_fields_is_422_and_changes_nothing(
    admin: httpx.Client, anonymous: httpx.Client, body: dict[str, object]
) -> None:
    strict = {"authentication": {"authMethod": {"type": "single_user"}, "authModeToAccessRoom": "all_users"}}
    assert admin.put(f"{CONFIG}/security", json=strict).status_code == 200
    refused = admin.put(f"{CONFIG}/security", json=body)
    assert refused.status_code == 422 and refused.json()["details"]
    assert anonymous.get(f"{CONFIG}/security").json() == strict  # not reset to "none"

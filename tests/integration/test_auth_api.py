"""Admin login, tokens, API keys, profile and password."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, InProcess

LOGIN = "/internal-api/v1/auth/login"


async def login(http: httpx.AsyncClient, password: str = ADMIN_PASSWORD) -> httpx.Response:
    return await http.post(LOGIN, json={"username": ADMIN_USER, "password": password})


async def test_login_refresh_logout(server: InProcess) -> None:
    async with server.http() as http:
        response = await login(http)
        assert response.status_code == 200
        tokens = response.json()
        bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
        profile = await http.get("/internal-api/v1/users/profile", headers=bearer)
        assert profile.json() == {"username": ADMIN_USER, "roles": ["admin"]}

        refreshed = await http.post(
            "/internal-api/v1/auth/refresh", headers={"X-Refresh-Token": tokens["refreshToken"]}
        )
        assert refreshed.status_code == 200
        new_bearer = {"Authorization": f"Bearer {refreshed.json()['accessToken']}"}
        assert (await http.get("/internal-api/v1/users/profile", headers=new_bearer)).status_code == 200

        # An access token is not a refresh token, nor the other way round.
        wrong_kind = await http.post(
            "/internal-api/v1/auth/refresh", headers={"X-Refresh-Token": tokens["accessToken"]}
        )
        assert wrong_kind.status_code == 400
        as_access = {"Authorization": f"Bearer {tokens['refreshToken']}"}
        assert (await http.get("/internal-api/v1/users/profile", headers=as_access)).status_code == 401

        out = await http.post(
            "/internal-api/v1/auth/logout", headers={**bearer, "X-Refresh-Token": tokens["refreshToken"]}
        )
        assert out.status_code == 200
        assert (await http.get("/internal-api/v1/users/profile", headers=bearer)).status_code == 401
        again = await http.post("/internal-api/v1/auth/refresh", headers={"X-Refresh-Token": tokens["refreshToken"]})
        assert again.status_code == 400 and again.json()["message"] == "Invalid refresh token"
        missing = await http.post("/internal-api/v1/auth/refresh")
        assert missing.status_code == 400 and missing.json()["message"] == "No refresh token provided"


async def test_login_errors(server: InProcess) -> None:
    async with server.http() as http:
        bad = await login(http, "wrong-password")
        assert bad.status_code == 401
        assert bad.json() == {"error": "Login Error", "message": "Invalid username or password"}
        unknown = await http.post(LOGIN, json={"username": "nobody", "password": "whatever"})
        assert unknown.status_code == 401
        missing = await http.post(LOGIN, json={"username": ADMIN_USER})
        assert missing.status_code == 422 and missing.json()["details"][0]["field"] == "password"


async def test_repeated_failures_slow_down(server: InProcess) -> None:
    async with server.http() as http:
        statuses = [(await login(http, f"guess-{i}")).status_code for i in range(7)]
        assert statuses == [401] * 5 + [429] * 2  # five failures in five minutes per address
        blocked = await login(http)  # even the right password waits out the lock
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert "Try again" in blocked.json()["message"]


async def test_api_keys_one_at_a_time(server: InProcess) -> None:
    async with server.http() as http:
        bearer = {"Authorization": f"Bearer {(await login(http)).json()['accessToken']}"}
        # the key is stored as a hash: listed by its last characters, shown whole only when created
        listed = (await http.get("/internal-api/v1/auth/api-keys", headers=bearer)).json()
        assert [set(k) for k in listed] == [{"apiKeyHint", "creationDate"}] and listed[0]["apiKeyHint"] == API_KEY[-4:]
        created = await http.post("/internal-api/v1/auth/api-keys", headers=bearer)
        assert created.status_code == 201
        new_key = created.json()["apiKey"]
        assert len(new_key) >= 40 and new_key != API_KEY
        listed = (await http.get("/internal-api/v1/auth/api-keys", headers=bearer)).json()
        assert [k["apiKeyHint"] for k in listed] == [new_key[-4:]] and new_key not in str(listed)
        assert (await http.get("/api/v1/rooms", headers={"X-API-KEY": API_KEY})).status_code == 401
        assert (await http.get("/api/v1/rooms", headers={"X-API-KEY": new_key})).status_code == 200
        assert (await http.delete("/internal-api/v1/auth/api-keys", headers=bearer)).status_code == 200
        assert (await http.get("/internal-api/v1/auth/api-keys", headers=bearer)).json() == []
        assert (await http.get("/api/v1/rooms", headers={"X-API-KEY": new_key})).status_code == 401


async def test_api_key_cannot_manage_admin_things(server: InProcess) -> None:
    async with server.http(**{"X-API-KEY": API_KEY}) as http:
        assert (await http.post("/internal-api/v1/auth/api-keys")).status_code == 401
        assert (await http.get("/internal-api/v1/users/profile")).status_code == 401


async def test_change_password(server: InProcess) -> None:
    async with server.http() as http:
        bearer = {"Authorization": f"Bearer {(await login(http)).json()['accessToken']}"}
        url = "/internal-api/v1/users/change-password"
        wrong = await http.post(url, json={"currentPassword": "nope", "newPassword": "brand-new"}, headers=bearer)
        assert wrong.status_code == 400 and wrong.json()["message"] == "Invalid current password"
        short = await http.post(url, json={"currentPassword": ADMIN_PASSWORD, "newPassword": "123"}, headers=bearer)
        assert short.status_code == 422 and short.json()["details"][0]["field"] == "newPassword"
        ok = await http.post(url, json={"currentPassword": ADMIN_PASSWORD, "newPassword": "brand-new"}, headers=bearer)
        assert ok.status_code == 200
        # every session from before the change is over
        assert (await http.get("/internal-api/v1/users/profile", headers=bearer)).status_code == 401
        assert (await login(http)).status_code == 401
        assert (await login(http, "brand-new")).status_code == 200

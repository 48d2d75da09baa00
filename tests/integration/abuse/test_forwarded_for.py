"""``X-Forwarded-For`` counts only from configured proxies: a client that sends it to a server with none
configured is still counted at its own address (and uvicorn's own proxy-header handling, which trusts
any local peer, is off).
"""

from __future__ import annotations

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
from tests.integration.abuse.conftest import AbuseServer

LOGIN = "/internal-api/v1/auth/login"


def test_a_forged_forwarded_for_does_not_escape_the_login_limit(abuse_server: AbuseServer) -> None:
    with abuse_server.http() as http:
        statuses = [
            http.post(
                LOGIN,
                json={"username": ADMIN_USER, "password": f"guess-{i}"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(7)
        ]
        assert statuses == [401] * 5 + [429] * 2
        right = http.post(
            LOGIN, json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}, headers={"X-Forwarded-For": "192.0.2.1"}
        )
        assert right.status_code == 429

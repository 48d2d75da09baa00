"""Rate-limit windows and the client address behind trusted proxies (``server/ratelimit.py``)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from meetdesk.core.errors import TooManyRequests
from meetdesk.server.config import ServerSettings, SettingsError
from meetdesk.server.ratelimit import RateLimits, SlidingWindow, parse_networks


def test_a_window_refuses_past_its_limit_with_retry_after() -> None:
    window = SlidingWindow(3, 60, "Slow down, try again in {seconds} s")
    for _ in range(3):
        window.hit("a")
    with pytest.raises(TooManyRequests) as refused:
        window.hit("a")
    assert 1 <= refused.value.retry_after <= 60
    assert refused.value.message == f"Slow down, try again in {refused.value.retry_after} s"
    window.hit("b")  # another key has its own count


def test_a_forgiven_hit_does_not_count() -> None:
    window = SlidingWindow(2, 60, "{seconds}")
    for _ in range(10):
        window.forgive("a", window.hit("a"))
    window.hit("a")
    window.hit("a")
    with pytest.raises(TooManyRequests):
        window.hit("a")


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 40000), "headers": headers})


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "address"),
    [
        ((), "203.0.113.9", ("198.51.100.1",), "203.0.113.9"),  # no proxy configured: the header is ignored
        (("10.0.0.0/8",), "203.0.113.9", ("198.51.100.1",), "203.0.113.9"),  # not from a trusted proxy
        (("10.0.0.0/8",), "10.0.0.1", ("198.51.100.1",), "198.51.100.1"),
        (("10.0.0.0/8",), "10.0.0.1", ("6.6.6.6, 198.51.100.1, 10.0.0.2",), "198.51.100.1"),  # right to left
        (("10.0.0.0/8",), "10.0.0.1", ("6.6.6.6", "198.51.100.1"), "198.51.100.1"),  # several header lines
        (("10.0.0.0/8",), "10.0.0.1", ("not-an-address",), "10.0.0.1"),
        (("10.0.0.0/8",), "10.0.0.1", ("10.0.0.3",), "10.0.0.1"),  # only proxies: the peer
        (("10.0.0.0/8",), "10.0.0.1", (), "10.0.0.1"),
        (("::1",), "::1", ("2001:db8::7",), "2001:db8::7"),
    ],
)
def test_the_client_address(trusted: tuple[str, ...], peer: str, forwarded: tuple[str, ...], address: str) -> None:
    limits = RateLimits(trusted_proxies=parse_networks(trusted))
    assert limits.address(_request(peer, *forwarded)) == address


def test_trusted_proxies_are_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETDESK_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16")
    assert ServerSettings.from_env().trusted_proxies == ("10.0.0.1", "10.1.0.0/16")
    ServerSettings.from_env().check()
    with pytest.raises(SettingsError, match=r"MEETDESK_TRUSTED_PROXIES: 'proxy\.lan' is not an IP address"):
        ServerSettings(trusted_proxies=("10.0.0.1", "proxy.lan")).check()

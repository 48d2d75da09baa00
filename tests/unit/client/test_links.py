"""Room links and recordings links told apart: what each parses to, what neither is, and secrets kept out of
their ``repr``."""

from __future__ import annotations

import pytest

from meetdesk.client.links import (
    NotARoomLink,
    RecordingsLink,
    RoomLink,
    parse_any_link,
    parse_recordings_link,
    parse_room_link,
    redact,
)

PIN = "sha256:" + "A" * 43


@pytest.mark.parametrize(
    ("url", "kind", "base", "room", "secret"),
    [
        ("http://h:8080/room/r-1?secret=s1", RoomLink, "http://h:8080", "r-1", "s1"),
        ("http://h:8080/room/r-1/?secret=s1", RoomLink, "http://h:8080", "r-1", "s1"),
        ("http://h:8080/room/r-1/recordings?secret=s2", RecordingsLink, "http://h:8080", "r-1", "s2"),
        ("http://h:8080/room/r-1/recordings/?secret=s2", RecordingsLink, "http://h:8080", "r-1", "s2"),
        ("https://h/meet/room/r_2/recordings?secret=a%2Bb", RecordingsLink, "https://h/meet", "r_2", "a+b"),
        # a room whose id is "recordings" is a room link, not a recordings link
        ("http://h/room/recordings?secret=s3", RoomLink, "http://h", "recordings", "s3"),
    ],
)
def test_each_link_parses_to_its_kind(url: str, kind: type, base: str, room: str, secret: str) -> None:
    link = parse_any_link(url)
    assert type(link) is kind
    assert (link.base_url, link.room_id, link.secret, link.pin) == (base, room, secret, None)
    assert parse_any_link(link.url) == link  # its URL reads back as the same link


def test_a_recordings_link_keeps_its_pin_and_gives_the_room_link_of_the_same_secret() -> None:
    link = parse_recordings_link(f"https://h:9443/room/r/recordings?secret=s#fp={PIN}")
    assert link.pin == PIN and link.url.endswith(f"/room/r/recordings?secret=s#fp={PIN}")
    assert link.room_link == RoomLink("https://h:9443", "r", "s", PIN)
    assert "secret" not in repr(link) and "s'" not in repr(link)
    assert "secret=***" in redact(link.url)


def test_a_recordings_link_is_not_a_room_link_and_back() -> None:
    with pytest.raises(NotARoomLink):
        parse_room_link("http://h/room/r/recordings?secret=s")  # `meetdesk join` still refuses it
    with pytest.raises(NotARoomLink):
        parse_recordings_link("http://h/room/r?secret=s")


@pytest.mark.parametrize(
    ("url", "missing_secret"),
    [
        ("ftp://h/room/r/recordings?secret=s", False),
        ("http://h/rooms/r/recordings?secret=s", False),
        ("http://h/room/r/recordings/x?secret=s", False),
        ("http://h/room/r/recordings", True),
        ("http://h/room/r/recordings?secret=", True),
        ("http://h/room/r/recordings?secret=a&secret=b", True),
        (f"http://h/room/r/recordings?secret=s#fp={PIN}", False),  # a pin needs https
        ("https://h/room/r/recordings?secret=s#fp=nonsense", False),
    ],
)
def test_what_is_neither_says_so(url: str, missing_secret: bool) -> None:
    with pytest.raises(NotARoomLink) as refused:
        parse_any_link(url)
    assert refused.value.missing_secret is missing_secret
    assert "secret=s" not in str(refused.value)

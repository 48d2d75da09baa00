import re

import pytest

from meetdesk.core.ids import ROOM_ID_SUFFIX_LENGTH, new_room_id, new_secret, room_id_prefix, sanitize_room_id


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("Habitación José", "habitacion_jose"),
        ("My Room-123", "my_room_123"),
        ("会议室", "room"),
        ("   ", "room"),
        ("Ça va? Ünïcödé!", "ca_va_unicode"),
        ("a--b  c", "a_b_c"),
        ("meeting 🎉 room", "meeting_room"),
    ],
)
def test_room_id_prefix_follows_openvidu(name: str, prefix: str) -> None:
    assert room_id_prefix(name) == prefix


def test_room_id_has_random_suffix() -> None:
    first, second = new_room_id("Habitación José"), new_room_id("Habitación José")
    assert first != second
    assert re.fullmatch(rf"habitacion_jose-[A-Za-z0-9]{{{ROOM_ID_SUFFIX_LENGTH}}}", first)


def test_secrets_carry_at_least_128_bits() -> None:
    secrets = {new_secret() for _ in range(100)}
    assert len(secrets) == 100
    # URL-safe base64: 6 bits per character
    assert all(len(s) * 6 >= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", s) for s in secrets)


def test_sanitize_room_id_keeps_only_id_characters() -> None:
    assert sanitize_room_id("  my_room-AbC12 ") == "my_room-AbC12"
    assert sanitize_room_id("../etc/passwd") == "etcpasswd"
    assert sanitize_room_id("€€") == ""

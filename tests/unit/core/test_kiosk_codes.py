"""Enrolment codes and the kiosk socket's messages (``core/kiosks.py``): codes people can type from a screen,
read however they type them; settings merged as a PATCH sends them; messages validated, never guessed."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from meetdesk.core.kiosks import (
    CODE_ALPHABET,
    KIOSK_MESSAGE,
    SERVER_MESSAGE,
    Command,
    Heartbeat,
    KioskSettings,
    LogsUpload,
    new_credential,
    new_enrolment_code,
    normalize_code,
)


def test_codes_are_groups_of_four_from_an_alphabet_nobody_misreads() -> None:
    codes = {new_enrolment_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert not set("01OIL") & set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("K7QF-2MXD-9TRP", "K7QF2MXD9TRP"),
        ("k7qf 2mxd 9trp", "K7QF2MXD9TRP"),
        (" K7QF2MXD9TRP ", "K7QF2MXD9TRP"),
    ],
)
def test_a_code_is_read_the_way_people_type_it(typed: str, read: str) -> None:
    assert normalize_code(typed) == read


def test_credentials_are_long_and_random() -> None:
    assert len(new_credential()) >= 43  # 32 bytes, URL-safe base64
    assert new_credential() != new_credential()


def test_settings_sent_in_a_patch_change_only_what_was_sent() -> None:
    current = KioskSettings(camera="Logitech MeetUp", volume=40, maintenanceHour=3)
    changes = KioskSettings.model_validate({"volume": 70, "maintenanceHour": None})
    merged = current.merged(changes)
    assert (merged.camera, merged.volume, merged.maintenanceHour) == ("Logitech MeetUp", 70, None)


def test_kiosk_messages_are_models_and_bad_ones_are_refused() -> None:
    beat = KIOSK_MESSAGE.validate_json('{"type": "heartbeat", "state": "meeting", "settingsVersion": 3}')
    assert isinstance(beat, Heartbeat) and beat.state == "meeting" and beat.settingsVersion == 3
    assert isinstance(KIOSK_MESSAGE.validate_json('{"type": "logs", "text": "x"}'), LogsUpload)
    for bad in ('{"type": "heartbeat", "state": "dancing"}', '{"type": "nope"}', "[]"):
        with pytest.raises(ValidationError):
            KIOSK_MESSAGE.validate_json(bad)
    assert SERVER_MESSAGE.validate_json('{"type": "command", "action": "sendLogs"}') == Command(action="sendLogs")

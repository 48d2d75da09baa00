"""The fleet API's models: what a server's answer parses into, and which settings an admin may not send."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from meetdesk.core.kiosks import Kiosk, KioskCreate, KioskPatch, KioskSettings, KioskState

ANSWER = {
    "kioskId": "ksk_1",
    "name": "Board room",
    "roomId": "board-abc",
    "roomName": "Board",
    "enrolled": True,
    "enrolmentCode": None,
    "enrolmentExpiresAt": None,
    "online": True,
    "state": "meeting",
    "devices": {
        "camera": {"name": "Logitech MeetUp", "found": False},
        "microphone": {"name": "Jabra Speak 710", "found": True},
        "speaker": {"name": None, "found": True},
    },
    "version": "0.9.0",
    "uptimeSeconds": 3600,
    "lastError": None,
    "lastSeenAt": 1_780_000_000_000,
    "settings": {
        "displayName": "Board room",
        "camera": "Logitech MeetUp",
        "microphone": None,
        "speaker": None,
        "joinPolicy": "one-touch",
        "leaveWhenAloneMinutes": None,
        "maintenanceHour": 3,
        "volume": 60,
    },
    "pendingSettings": True,
    "createdAt": 1_779_000_000_000,
    "somethingNewer": {"ignored": True},
}


def test_a_kiosk_answer_parses_with_its_devices_and_settings() -> None:
    kiosk = Kiosk.model_validate(ANSWER)
    assert kiosk.state is KioskState.MEETING
    assert kiosk.devices.camera.name == "Logitech MeetUp" and not kiosk.devices.camera.found
    assert kiosk.devices.speaker.name is None and kiosk.devices.speaker.found
    assert kiosk.settings.joinPolicy == "one-touch"
    assert kiosk.settings.leaveWhenAloneMinutes is None
    assert kiosk.settings.maintenanceHour == 3
    assert kiosk.pendingSettings


def test_a_new_kiosk_without_heartbeat_parses_with_defaults() -> None:
    kiosk = Kiosk.model_validate(
        {"kioskId": "k", "name": "Lobby", "roomId": "r", "enrolmentCode": "K7QF-2MXD-9TRP", "createdAt": 1}
    )
    assert not kiosk.online and not kiosk.enrolled
    assert kiosk.state is KioskState.UNKNOWN
    assert kiosk.lastSeenAt is None
    assert kiosk.enrolmentCode == "K7QF-2MXD-9TRP"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"maintenanceHour": 24}, "maintenanceHour"),
        ({"maintenanceHour": -1}, "maintenanceHour"),
        ({"volume": 101}, "volume"),
        ({"volume": -5}, "volume"),
        ({"leaveWhenAloneMinutes": 0}, "leaveWhenAloneMinutes"),
        ({"leaveWhenAloneMinutes": 24 * 60 + 1}, "leaveWhenAloneMinutes"),
        ({"joinPolicy": "sometimes"}, "joinPolicy"),
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "x" * 65}, "displayName"),
        ({"camera": "c" * 201}, "camera"),
    ],
)
def test_settings_out_of_range_are_refused_naming_the_field(settings: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        KioskSettings.model_validate(settings)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_settings_at_their_limits_are_accepted() -> None:
    settings = KioskSettings.model_validate(
        {"maintenanceHour": 0, "volume": 100, "leaveWhenAloneMinutes": 1, "displayName": " Lobby "}
    )
    assert settings.displayName == "Lobby"
    assert KioskSettings.model_validate({"maintenanceHour": 23, "volume": 0}).volume == 0


def test_create_and_patch_refuse_unknown_fields_and_blank_names() -> None:
    with pytest.raises(ValidationError):
        KioskCreate.model_validate({"name": "Lobby", "roomId": "r", "colour": "red"})
    with pytest.raises(ValidationError):
        KioskCreate.model_validate({"name": " ", "roomId": "r"})
    with pytest.raises(ValidationError):
        KioskPatch.model_validate({"name": ""})
    assert KioskPatch.model_validate({"settings": {"volume": 10}}).settings == KioskSettings(volume=10)

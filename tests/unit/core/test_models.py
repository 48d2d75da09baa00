import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from meetdesk.core.models import (
    AppearanceConfig,
    MeetRoomTheme,
    RoomConfig,
    RoomConfigPatch,
    RoomOptions,
    WebhookConfig,
    now_ms,
)

THEMES = Path(__file__).parents[3] / "themes"


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e["msg"] for e in exc.value.errors()]


def test_room_options_defaults() -> None:
    options = RoomOptions()
    assert options.roomName == "Room"
    assert options.autoDeletionDate is None
    assert options.autoDeletionPolicy.model_dump() == {"withMeeting": "when_meeting_ends", "withRecordings": "close"}
    assert options.config.model_dump() == {
        "maxParticipants": None,
        "maxDurationMinutes": None,
        "initialAudioEnabled": True,
        "initialVideoEnabled": True,
        "chat": {"enabled": True},
        "recording": {
            "enabled": True,
            "allowAccessTo": "admin_moderator_speaker",
            "layout": "grid",
            "encoding": "H264_720P_30",
        },
        "virtualBackground": {"enabled": True},
        "e2ee": {"enabled": False},
        "captions": {"enabled": False},
    }


def test_room_name_trimmed_and_unicode_kept() -> None:
    assert RoomOptions(roomName="  Habitación José  ").roomName == "Habitación José"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 51, "roomName cannot exceed 50 characters"),
        ("   ", "roomName cannot be empty"),
        ("bad\x00name", "roomName cannot contain control or invisible characters"),
        ("zero\u200bwidth", "roomName cannot contain control or invisible characters"),
    ],
)
def test_room_name_refused(name: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        RoomOptions.model_validate({"roomName": name})
    assert messages(exc) == [message]


@pytest.mark.parametrize("value", [None, -5, 0, 1.5, "123", True, now_ms() + 60_000])
def test_auto_deletion_date_refused(value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        RoomOptions.model_validate({"autoDeletionDate": value})
    assert exc.value.errors()[0]["loc"] == ("autoDeletionDate",)


def test_auto_deletion_date_one_hour_ahead_accepted() -> None:
    date = now_ms() + 61 * 60 * 1000
    assert RoomOptions.model_validate({"autoDeletionDate": date}).autoDeletionDate == date


@pytest.mark.parametrize("field", ["withMeeting", "withRecordings"])
def test_fail_policy_refused_for_auto_deletion(field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        RoomOptions.model_validate({"autoDeletionPolicy": {field: "fail"}})
    assert messages(exc) == [f"FAIL policy is not allowed for {field} auto-deletion policy"]


def test_config_is_strict() -> None:
    with pytest.raises(ValidationError):
        RoomOptions.model_validate({"config": {"chat": {"enabled": "true"}}})
    with pytest.raises(ValidationError):
        RoomOptions.model_validate({"config": {"recording": {"allowAccessTo": "everyone"}}})


def test_partial_config_merges() -> None:
    current = RoomConfig()
    patch = RoomConfigPatch.model_validate({"recording": {"allowAccessTo": "admin"}, "chat": {"enabled": False}})
    merged = patch.merged_into(current)
    assert merged.recording.enabled is True
    assert merged.recording.allowAccessTo == "admin"
    assert merged.chat.enabled is False
    assert merged.virtualBackground.enabled is True


def test_appearance_needs_exactly_one_theme() -> None:
    theme = {"name": "x", "enabled": True, "baseTheme": "light"}
    AppearanceConfig.model_validate({"appearance": {"themes": [theme]}})
    for themes in ([], [theme, theme]):
        with pytest.raises(ValidationError):
            AppearanceConfig.model_validate({"appearance": {"themes": themes}})


@pytest.mark.parametrize("colour", ["#abc", "#abcd", "#aabbcc", "#aabbccdd"])
def test_theme_colours_accepted(colour: str) -> None:
    MeetRoomTheme.model_validate({"name": "t", "enabled": True, "baseTheme": "dark", "primaryColor": colour})


@pytest.mark.parametrize("colour", ["abc", "#ab", "#abcde", "red", "#gggggg", ""])
def test_theme_colours_refused(colour: str) -> None:
    with pytest.raises(ValidationError):
        MeetRoomTheme.model_validate({"name": "t", "enabled": True, "baseTheme": "dark", "primaryColor": colour})


def test_builtin_themes_are_valid() -> None:
    files = sorted(THEMES.glob("*.json"))
    assert {f.stem for f in files} >= {"default-light", "default-dark", "high-contrast"}
    for file in files:
        MeetRoomTheme.model_validate(json.loads(file.read_text()))


def test_webhook_url_rules() -> None:
    assert WebhookConfig.model_validate({"enabled": False}).url is None
    with pytest.raises(ValidationError):
        WebhookConfig.model_validate({"enabled": True})
    with pytest.raises(ValidationError):
        WebhookConfig.model_validate({"enabled": True, "url": "ftp://example.com/hook"})
    assert WebhookConfig.model_validate({"enabled": True, "url": "https://example.com/hook"}).enabled

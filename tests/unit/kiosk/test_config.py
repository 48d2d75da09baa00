"""The kiosk's configuration: what a good file gives, and which field a bad one names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meetdesk.kiosk.config import ConfigProblem, config_from_options, load_config, parse_config
from meetdesk.kiosk.pin import hash_pin, verify_pin

LINK = "http://127.0.0.1:6080/room/board-abc?secret=s3cr3t-value"
PIN_HASH = hash_pin("2468")


def good(**changes: object) -> dict[str, object]:
    return {"room_link": LINK, "display_name": "Board room", **changes}


def test_a_toml_file_gives_every_setting(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'room_link = "{LINK}"\ndisplay_name = "Board room"\ncamera = "Logitech MeetUp"\n'
        'microphone = "Jabra Speak 710"\nspeaker = "Jabra Speak 710"\nvolume = 80\njoin_policy = "one-touch"\n'
        f'leave_when_alone_minutes = 5\nmaintenance_hour = 3\nadmin_pin_hash = "{PIN_HASH}"\n'
    )
    config = load_config(path)
    assert (config.camera, config.microphone, config.speaker) == (
        "Logitech MeetUp",
        "Jabra Speak 710",
        "Jabra Speak 710",
    )
    assert config.volume == 80
    assert config.join_policy == "one-touch"
    assert config.leave_when_alone_s == 300
    assert config.maintenance_hour == 3
    assert config.link.room_id == "board-abc"


def test_a_json_file_works_too_and_defaults_fill_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.json"
    path.write_text(json.dumps(good()))
    config = load_config(path)
    assert config.join_policy == "always"
    assert config.volume == 100
    assert config.leave_when_alone_minutes == 10
    assert config.maintenance_hour is None and config.admin_pin_hash is None


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"display_name": "Board room"}, "room_link", "required"),
        ({"room_link": LINK}, "display_name", "required"),
        ({"server": "meet.example.org", "enrolment_code": "K7QF-2MXD-9TRP"}, "server", "https://"),
        (good(room_link="http://host/rooms/x?secret=a"), "room_link", "/room/<room id>"),
        (good(display_name="  "), "display_name", "at least 1"),
        (good(join_policy="sometimes"), "join_policy", "'always' or 'one-touch'"),
        (good(leave_when_alone_minutes=-1), "leave_when_alone_minutes", "greater than or equal to 0"),
        (good(maintenance_hour=24), "maintenance_hour", "less than or equal to 23"),
        (good(maintenance_hour="3"), "maintenance_hour", "integer"),
        (good(admin_pin_hash="1234"), "admin_pin_hash", "--hash-pin"),
        (good(camra="HD"), "camra", "does not exist"),
        (good(server="http://elsewhere:6080"), "server", "not on the server"),
        (good(synthetic_devices="yes"), "synthetic_devices", "boolean"),
        (good(volume=101), "volume", "less than or equal to 100"),
        (good(volume=-5), "volume", "greater than or equal to 0"),
        (good(volume="loud"), "volume", "integer"),
    ],
)
def test_a_bad_setting_is_named_with_a_sentence(data: dict[str, object], field: str, says: str) -> None:
    with pytest.raises(ConfigProblem) as caught:
        parse_config(data, "/etc/meetdesk/kiosk.toml")
    assert caught.value.field == field
    assert says in caught.value.message
    assert caught.value.message.endswith(".") and caught.value.message[0].isupper()
    assert caught.value.source == "/etc/meetdesk/kiosk.toml"


@pytest.mark.parametrize(
    ("text", "suffix", "says"),
    [
        ("room_link = ", ".toml", "not valid TOML"),
        ("{", ".json", "not valid JSON"),
        ("[1, 2]", ".json", "not a list"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(tmp_path: Path, text: str, suffix: str, says: str) -> None:
    path = tmp_path / f"kiosk{suffix}"
    path.write_text(text)
    with pytest.raises(ConfigProblem) as caught:
        load_config(path)
    assert caught.value.field == ""
    assert says in caught.value.message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigProblem, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_the_secret_and_the_pin_hash_stay_out_of_the_config_s_text() -> None:
    config = parse_config(good(admin_pin_hash=PIN_HASH))
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in str(config)
    assert PIN_HASH not in repr(config)


def test_options_hash_the_pin_at_once() -> None:
    config = config_from_options(LINK, "Board room", pin="13579", synthetic=True, camera=None)
    assert config.admin_pin_hash is not None and "13579" not in config.admin_pin_hash
    assert verify_pin("13579", config.admin_pin_hash)
    assert config.synthetic_devices and config.camera is None


def test_a_pin_that_is_not_digits_is_refused_naming_the_option() -> None:
    with pytest.raises(ConfigProblem) as caught:
        config_from_options(LINK, "Board room", pin="abc")
    assert caught.value.field == "pin"


@pytest.mark.parametrize("key", ["enrolment_code", "enrolmentCode"])
def test_a_kiosk_of_the_fleet_needs_only_its_server_and_code(tmp_path: Path, key: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'server = "https://meet.example.org:6080"\n{key} = "K7QF-2MXD-9TRP"\n')
    config = load_config(path)
    assert config.enrolled and config.room_link is None and config.display_name is None
    assert config.server == "https://meet.example.org:6080" and config.enrolment_code == "K7QF-2MXD-9TRP"
    assert "K7QF" not in repr(config)  # a code is a secret until used


def test_the_fleet_options_of_the_command_line() -> None:
    config = config_from_options(None, None, server="http://127.0.0.1:6080", enrolment_code="AAAA-BBBB-CCCC")
    assert config.enrolled and config.enrolment_code == "AAAA-BBBB-CCCC"
    assert not config_from_options(LINK, "Board room").enrolled

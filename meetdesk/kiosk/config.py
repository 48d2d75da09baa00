"""The kiosk's configuration: a TOML or JSON file (``meetdesk kiosk --config FILE``) or the same settings as
command-line options, validated into one :class:`KioskConfig`.

A file that cannot be used raises :class:`ConfigProblem`, which names the field at fault in a sentence the kiosk
shows full screen (nobody at a kiosk reads a terminal). The admin PIN is never in the file in clear: the file
holds ``admin_pin_hash`` (``meetdesk kiosk --hash-pin`` makes one), and ``--pin`` on the command line is hashed
at once.

Example::

    room_link = "https://meet.example.org/room/board-room-abc?secret=..."
    display_name = "Board room"
    camera = "Logitech MeetUp"          # by name; absent: the first camera
    microphone = "Jabra Speak 710"
    speaker = "Jabra Speak 710"
    volume = 80                         # 0..100 (default 100); a touch on the kiosk changes it until this does
    join_policy = "always"              # or "one-touch"
    leave_when_alone_minutes = 10       # 0: never
    maintenance_hour = 3                # restart at 03:00 when idle; absent: never
    admin_pin_hash = "scrypt$16384$8$1$...$..."

Or, for a kiosk managed from the admin app's Kiosks page, no room link but the server and the one-time code the
page shows (``meetdesk kiosk --server URL --enrol CODE`` does the same)::

    server = "https://meet.example.org:6080"
    enrolment_code = "K7QF-2MXD-9TRP"     # used once; the kiosk keeps the credential it gets for it
    admin_pin_hash = "scrypt$16384$8$1$...$..."

An enrolled kiosk takes its room, display name, devices and policies from the server (the settings here are
then only the defaults until the server's arrive).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from meetdesk.client.links import RoomLink, parse_room_link
from meetdesk.kiosk.pin import hash_pin, is_pin_hash

JoinPolicy = Literal["always", "one-touch"]
DeviceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ConfigProblem(Exception):
    """The configuration cannot be used: ``field`` (may be "" for the file as a whole) and a sentence why."""

    def __init__(self, field: str, message: str, source: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.source = source


class KioskConfig(BaseModel):
    """Everything a kiosk is told. Devices are chosen by name (None: the first one found)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    room_link: str | None = Field(default=None, repr=False)  # it holds the room's secret
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    #: the server the room link must point at (optional: a guard against a link for another server); without a
    #: room link, the server the kiosk is enrolled on (its fleet)
    server: str | None = None
    #: the one-time code from the admin app's Kiosks page (``enrolmentCode`` is read too)
    enrolment_code: str | None = Field(
        default=None, repr=False, validation_alias=AliasChoices("enrolment_code", "enrolmentCode")
    )
    camera: DeviceName | None = None
    microphone: DeviceName | None = None
    speaker: DeviceName | None = None
    #: how loud the meeting plays, in percent of what is received (:mod:`meetdesk.kiosk.volume`)
    volume: Annotated[int, Field(ge=0, le=100)] = 100
    join_policy: JoinPolicy = "always"
    leave_when_alone_minutes: Annotated[float, Field(ge=0, le=24 * 60)] = 10.0
    maintenance_hour: Annotated[int, Field(ge=0, le=23)] | None = None
    admin_pin_hash: str | None = Field(default=None, repr=False)
    synthetic_devices: bool = False

    @field_validator("room_link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parse_room_link(value)  # its ValueError names no secret
        return value.strip()

    @field_validator("server")
    @classmethod
    def _server(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("give the server's address, such as https://meet.example.org:6080")
        return value.strip() if value is not None else None

    @field_validator("admin_pin_hash")
    @classmethod
    def _pin_hash(cls, value: str | None) -> str | None:
        if value is not None and not is_pin_hash(value):
            raise ValueError("not a PIN hash: make one with `meetdesk kiosk --hash-pin` and paste it here")
        return value

    @field_validator("leave_when_alone_minutes", mode="before")
    @classmethod
    def _minutes(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def enrolled(self) -> bool:
        """A kiosk of the server's fleet (no room link: its room comes from the server)."""
        return self.room_link is None

    @property
    def link(self) -> RoomLink:
        assert self.room_link is not None, "an enrolled kiosk has no room link"
        return parse_room_link(self.room_link)

    @property
    def leave_when_alone_s(self) -> float | None:
        return self.leave_when_alone_minutes * 60 if self.leave_when_alone_minutes > 0 else None


def _problem(exc: ValidationError, source: str) -> ConfigProblem:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "this setting does not exist (check its spelling)"
    elif error["type"] == "missing":
        message = "this setting is required"
    return ConfigProblem(field, message[:1].upper() + message[1:].rstrip(".") + ".", source)


def parse_config(data: object, source: str = "") -> KioskConfig:
    """Validate ``data`` (the file's contents as a mapping). Raises :class:`ConfigProblem`."""
    if not isinstance(data, dict):
        raise ConfigProblem("", "The file must hold settings (name = value), not a list or a single value.", source)
    try:
        config = KioskConfig.model_validate(data)
    except ValidationError as exc:
        raise _problem(exc, source) from None
    if config.room_link is None:
        if config.server is None:
            raise ConfigProblem(
                "room_link", "This setting is required, or server and enrolment_code to enrol the kiosk.", source
            )
        return config
    if config.display_name is None:
        raise ConfigProblem("display_name", "This setting is required with a room link.", source)
    if config.server is not None and config.server.rstrip("/") != config.link.base_url:
        raise ConfigProblem(
            "server", f"The room link is on {config.link.base_url}, not on the server {config.server}.", source
        )
    return config


def load_config(path: Path) -> KioskConfig:
    """Read a ``.toml`` or ``.json`` file (any other name: TOML, then JSON). Raises :class:`ConfigProblem`."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigProblem("", f"The file {path} does not exist.", source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigProblem("", f"The file {path} cannot be read: {exc}.", source) from None
    if path.suffix.lower() == ".json":
        try:
            data: object = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigProblem("", f"The file is not valid JSON: {exc.msg} (line {exc.lineno}).", source) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as toml_error:
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                raise ConfigProblem("", f"The file is not valid TOML: {toml_error}.", source) from None
    return parse_config(data, source)


def config_from_options(
    room_link: str | None, name: str | None, *, pin: str | None = None, synthetic: bool = False, **settings: object
) -> KioskConfig:
    """The settings given as command-line options (``--pin`` hashed here). Raises :class:`ConfigProblem`."""
    data: dict[str, object] = {"room_link": room_link, "display_name": name, "synthetic_devices": synthetic}
    data.update({key: value for key, value in settings.items() if value is not None})
    if pin is not None:
        try:
            data["admin_pin_hash"] = hash_pin(pin)
        except ValueError as exc:
            raise ConfigProblem("pin", str(exc), "command line") from None
    return parse_config(data, "command line")

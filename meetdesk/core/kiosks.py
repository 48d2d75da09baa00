"""The kiosk fleet's data: a kiosk as the admin API shows it, its settings, and the messages of the kiosks'
own socket (``/internal-api/v1/kiosks/connect``) — heartbeats and logs up, commands and settings down.

The contract is ``FLEET_API.md``; every wire shape is a model here (camelCase, as the rest of the API).
Enrolment codes are read the way people type them: case, spaces and dashes do not matter, and the alphabet
leaves out the characters people confuse (0/O, 1/I/L).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

#: Letters and digits nobody misreads: no 0/O, 1/I/L (an enrolment code is typed from a screen).
CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Characters of an enrolment code, shown in groups of four ("K7QF-2MXD-9TRP", about 59 bits).
CODE_LENGTH: Final = 12
#: Seconds an enrolment code is valid.
CODE_TTL_S: Final = 24 * 3600
#: Bytes of randomness in a kiosk credential (``secrets.token_urlsafe``).
CREDENTIAL_BYTES: Final = 32
#: How often a kiosk sends its heartbeat (the server may ask for more often, see :class:`Welcome`).
HEARTBEAT_INTERVAL_S: Final = 10.0
#: The longest log text a kiosk sends (the end of it is kept).
MAX_LOG_CHARS: Final = 256 * 1024
#: The most devices of one kind a kiosk lists in its heartbeat (the first ones are sent).
MAX_LISTED_DEVICES: Final = 32
#: The longest device name (a setting, or a name a kiosk lists).
MAX_DEVICE_NAME: Final = 200

#: The kiosk's socket was closed because the kiosk was removed (or enrolled again): its credential is void.
CLOSE_KIOSK_REMOVED: Final = 4403

KioskState = Literal["home", "meeting", "reconnecting", "starting", "unknown"]
KioskAction = Literal["join", "leave", "restart"]
#: what the server may ask a kiosk on its socket: an admin's action, or its logs
WaitingAction = Literal["join", "leave", "restart", "sendLogs"]
JoinPolicy = Literal["always", "one-touch"]
DeviceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DEVICE_NAME)]
KioskName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def new_enrolment_code() -> str:
    """A fresh one-time code, ``XXXX-XXXX-XXXX`` from :data:`CODE_ALPHABET`."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(code: str) -> str:
    """The code as compared: upper case, without spaces or dashes (``k7qf 2mxd-9trp`` is ``K7QF2MXD9TRP``)."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def new_credential() -> str:
    return secrets.token_urlsafe(CREDENTIAL_BYTES)


class KioskSettings(BaseModel):
    """What the admin sets for a kiosk; devices by name (None: the first one found)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    displayName: DisplayName | None = None  # None: the kiosk's name
    camera: DeviceName | None = None
    microphone: DeviceName | None = None
    speaker: DeviceName | None = None
    joinPolicy: JoinPolicy = "always"
    leaveWhenAloneMinutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = 10
    maintenanceHour: Annotated[int, Field(ge=0, le=23)] | None = None
    volume: Annotated[int, Field(ge=0, le=100)] = 100

    def merged(self, changes: KioskSettings) -> KioskSettings:
        """These settings with the fields ``changes`` was given (a PATCH: only what was sent changes)."""
        return self.model_copy(update={name: getattr(changes, name) for name in changes.model_fields_set})


class KioskDevice(BaseModel):
    """One kind of device on a kiosk: the one wanted or in use, whether it is there, and the names of all the
    devices of that kind the kiosk has now (what the admin may choose from)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(max_length=MAX_DEVICE_NAME)] | None = None  # None: any
    found: bool = False
    available: Annotated[tuple[DeviceName, ...], Field(max_length=MAX_LISTED_DEVICES)] = ()


def listed(names: Iterable[str]) -> tuple[str, ...]:
    """The device names a heartbeat carries: the first :data:`MAX_LISTED_DEVICES` that fit a setting (a longer
    name could not be chosen anyway), each once."""
    fitting = (name.strip() for name in names)
    kept = dict.fromkeys(name for name in fitting if 0 < len(name) <= MAX_DEVICE_NAME)
    return tuple(kept)[:MAX_LISTED_DEVICES]


class KioskDevices(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    camera: KioskDevice = KioskDevice()
    microphone: KioskDevice = KioskDevice()
    speaker: KioskDevice = KioskDevice()


class Kiosk(BaseModel):
    """A kiosk as the admin API shows it. ``enrolmentCode`` is only in the answers that make one (it is kept
    hashed); ``online`` means a heartbeat within the last 60 s."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kioskId: str
    name: str
    roomId: str
    roomName: str | None = None  # None: the room was deleted
    enrolled: bool
    enrolmentCode: str | None = None
    enrolmentExpiresAt: int | None = None
    online: bool = False
    state: KioskState = "unknown"
    devices: KioskDevices = KioskDevices()
    version: str | None = None
    uptimeSeconds: float | None = None
    lastError: str | None = None
    lastSeenAt: int | None = None
    settings: KioskSettings
    pendingSettings: bool = False
    createdAt: int


class KioskList(BaseModel):
    kiosks: list[Kiosk]


class KioskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KioskName
    roomId: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    settings: KioskSettings | None = None


class KioskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KioskName | None = None
    settings: KioskSettings | None = None


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: KioskAction


class ActionAccepted(BaseModel):
    action: str
    sentAt: int


class KioskLogs(BaseModel):
    receivedAt: int
    text: str


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Enrolment(BaseModel):
    """What a kiosk gets for its code: its credential (shown once, kept hashed by the server)."""

    kioskId: str
    credential: str = Field(repr=False)
    roomId: str
    settings: KioskSettings


class KioskToken(BaseModel):
    """A participant token for the kiosk's own room (a speaker), and what the kiosk shows of the room."""

    token: str = Field(repr=False)
    roomId: str
    roomName: str
    participantName: str


# the kiosk's socket: up -----------------------------------------------------------------------------


class Heartbeat(BaseModel):
    """Every :data:`HEARTBEAT_INTERVAL_S` seconds and on every change of state: how the kiosk is."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["heartbeat"] = "heartbeat"
    state: KioskState
    devices: KioskDevices = KioskDevices()
    version: str | None = None
    uptimeSeconds: Annotated[float, Field(ge=0)] = 0.0
    lastError: Annotated[str, StringConstraints(max_length=2000)] | None = None
    #: the settings version the kiosk runs with (see :class:`SettingsPush`)
    settingsVersion: Annotated[int, Field(ge=0)] = 0


class LogsUpload(BaseModel):
    """The kiosk's recent log lines (secrets already masked by the kiosk), asked for by :class:`Command`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["logs"] = "logs"
    text: Annotated[str, StringConstraints(max_length=MAX_LOG_CHARS)]


KioskMessage = Annotated[Heartbeat | LogsUpload, Field(discriminator="type")]
KIOSK_MESSAGE: TypeAdapter[KioskMessage] = TypeAdapter(KioskMessage)


# the kiosk's socket: down ---------------------------------------------------------------------------


class Welcome(BaseModel):
    """The first message on the socket: who the kiosk is, its settings, how often to beat."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["welcome"] = "welcome"
    kioskId: str
    roomId: str
    settings: KioskSettings
    settingsVersion: int
    heartbeatInterval: float = HEARTBEAT_INTERVAL_S


class Command(BaseModel):
    """An admin's remote action, or a request for the logs."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["command"] = "command"
    action: WaitingAction


class SettingsPush(BaseModel):
    """New settings: applied at once when the kiosk is idle, after the meeting otherwise."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["settings"] = "settings"
    settings: KioskSettings
    settingsVersion: int


class ErrorMessage(BaseModel):
    """A message the server could not use (it goes on reading)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["error"] = "error"
    message: str


ServerMessage = Annotated[Welcome | Command | SettingsPush | ErrorMessage, Field(discriminator="type")]
SERVER_MESSAGE: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)

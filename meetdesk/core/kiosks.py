"""The fleet API's models (``/internal-api/v1/kiosks``, see FLEET_API in the issue 17 briefs): a kiosk as the
admin app sees it, the settings an admin pushes to it, and the answers of its remote actions and logs.

Shared by the server (it validates what admins send with them) and the client (it parses what the server
answers with them). Wire names are camelCase, as in the rest of the internal API. Answers are read leniently
(``extra="ignore"``): a newer server may add fields.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

KIOSK_NAME_MAX = 64
DEVICE_NAME_MAX = 200
#: a kiosk with no heartbeat for this long is offline
OFFLINE_AFTER_S = 60

KioskName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=KIOSK_NAME_MAX)]
DeviceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DEVICE_NAME_MAX)]
JoinPolicy = Literal["always", "one-touch"]
KioskActionName = Literal["join", "leave", "restart"]


class KioskState(StrEnum):
    """What a kiosk said it was doing in its last heartbeat."""

    HOME = "home"
    MEETING = "meeting"
    RECONNECTING = "reconnecting"
    STARTING = "starting"
    UNKNOWN = "unknown"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class KioskSettings(_Wire):
    """What an admin may set on a kiosk: pushed to it, applied at once when idle, else after the meeting.

    Devices are chosen by name (None: the first one found); ``leaveWhenAloneMinutes`` None: never leaves;
    ``maintenanceHour`` None: never restarts for maintenance; ``displayName`` None: the kiosk's name.
    """

    displayName: KioskName | None = None
    camera: DeviceName | None = None
    microphone: DeviceName | None = None
    speaker: DeviceName | None = None
    joinPolicy: JoinPolicy = "always"
    leaveWhenAloneMinutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = 10
    maintenanceHour: Annotated[int, Field(ge=0, le=23)] | None = None
    volume: Annotated[int, Field(ge=0, le=100)] = 80


class DeviceStatus(_Wire):
    """One device a kiosk uses: its name (None: none chosen and none found) and whether it is there now."""

    name: str | None = None
    found: bool = False


class KioskDevices(_Wire):
    camera: DeviceStatus = Field(default_factory=DeviceStatus)
    microphone: DeviceStatus = Field(default_factory=DeviceStatus)
    speaker: DeviceStatus = Field(default_factory=DeviceStatus)


class Kiosk(_Wire):
    """A kiosk as the fleet API shows it. Times are milliseconds since the epoch."""

    kioskId: str
    name: str
    roomId: str
    roomName: str | None = None
    enrolled: bool = False
    #: the one-time code to type on the kiosk, only while it is not enrolled
    enrolmentCode: str | None = None
    enrolmentExpiresAt: int | None = None
    #: a heartbeat within the last OFFLINE_AFTER_S seconds
    online: bool = False
    state: KioskState = KioskState.UNKNOWN
    devices: KioskDevices = Field(default_factory=KioskDevices)
    version: str | None = None
    uptimeSeconds: float | None = None
    lastError: str | None = None
    lastSeenAt: int | None = None
    settings: KioskSettings = Field(default_factory=KioskSettings)
    #: settings pushed and not yet applied by the kiosk
    pendingSettings: bool = False
    createdAt: int = 0


class KioskCreate(_Wire):
    """``POST /kiosks``: a new kiosk for a room, with a one-time enrolment code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: KioskName
    roomId: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    settings: KioskSettings | None = None


class KioskPatch(_Wire):
    """``PATCH /kiosks/{id}``: a new name, new settings (pushed to the kiosk), or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: KioskName | None = None
    settings: KioskSettings | None = None


class KioskList(_Wire):
    kiosks: list[Kiosk]


class KioskActionRequest(_Wire):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: KioskActionName


class KioskActionSent(_Wire):
    """``202`` to an action: the command went to the kiosk at ``sentAt`` (ms)."""

    action: KioskActionName
    sentAt: int


class KioskLogs(_Wire):
    """The kiosk's recent log lines (secrets already masked by the kiosk), as last received."""

    receivedAt: int
    text: str

"""What the kiosk knows of its own health: which of its devices are there, and the heartbeat it writes.

The heartbeat is a small JSON file (:class:`Heartbeat`) rewritten every few seconds: the watchdog
(:mod:`meetdesk.kiosk.watchdog`) restarts a kiosk whose heartbeat stops, and the admin's view of the kiosk
is the same record. Devices are looked for **by name**; with synthetic devices, ``unplugged`` (a file of
names, one a line, next to the heartbeat) makes a named synthetic device disappear, so that tests and demos
can unplug one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from meetdesk import __version__
from meetdesk.client.media.local import SYNTHETIC_CAMERAS, SYNTHETIC_MICROPHONES

DeviceKind = Literal["camera", "microphone", "speaker"]
SYNTHETIC_SPEAKERS: Final = ("Null speaker",)
HEARTBEAT_FILE: Final = "heartbeat.json"
UNPLUGGED_FILE: Final = "unplugged"
#: how often the heartbeat is written; the watchdog allows several missed beats
HEARTBEAT_INTERVAL_S: Final = 2.0


@dataclass(frozen=True)
class DeviceState:
    """One device the kiosk wants: its kind, the name configured (None: any) and what was found."""

    kind: DeviceKind
    wanted: str | None
    found: str | None  # the name of the device in use; None: none found
    #: every device of this kind present now (what the admin may choose from)
    available: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        return self.found is None


def _match(wanted: str | None, names: list[str]) -> str | None:
    if wanted is None:
        return names[0] if names else None
    return next((name for name in names if name.casefold() == wanted.casefold()), None)


def unplugged(state_dir: Path) -> set[str]:
    """The synthetic devices a test has unplugged (names, case-folded)."""
    try:
        text = (state_dir / UNPLUGGED_FILE).read_text(encoding="utf-8")
    except OSError:
        return set()
    return {line.strip().casefold() for line in text.splitlines() if line.strip()}


def available(kind: DeviceKind, *, synthetic: bool, state_dir: Path) -> list[str]:
    """The names of the devices of ``kind`` present now (blocks: probing hardware; run it in a thread)."""
    if synthetic:
        names = {"camera": SYNTHETIC_CAMERAS, "microphone": SYNTHETIC_MICROPHONES, "speaker": SYNTHETIC_SPEAKERS}[kind]
        gone = unplugged(state_dir)
        return [name for name in names if name.casefold() not in gone]
    from meetdesk.client.media import devices

    lister = {"camera": devices.list_cameras, "microphone": devices.list_microphones, "speaker": devices.list_speakers}
    return list(lister[kind]())


def device_states(
    wanted: dict[DeviceKind, str | None], *, synthetic: bool, state_dir: Path
) -> dict[DeviceKind, DeviceState]:
    """Each wanted device, found by name (or not), with the names of the devices of its kind present now."""
    states: dict[DeviceKind, DeviceState] = {}
    for kind, name in wanted.items():
        names = available(kind, synthetic=synthetic, state_dir=state_dir)
        states[kind] = DeviceState(kind, name, _match(name, names), tuple(names))
    return states


class Heartbeat(BaseModel):
    """The kiosk's state as it writes it every :data:`HEARTBEAT_INTERVAL_S` seconds."""

    model_config = ConfigDict(extra="forbid")

    pid: int
    stage: str
    #: whether the meeting's media flows (in the meeting: connected, not reconnecting)
    connected: bool = False
    reconnect_in: float | None = None
    #: frames received in the meeting so far, by kind ("audio", "video"): whether media reaches the kiosk
    frames_received: dict[str, int] = {}
    devices_found: dict[str, str] = {}
    devices_missing: dict[str, str] = {}
    server_reachable: bool | None = None
    version: str = __version__
    uptime_s: float = 0.0
    last_error: str | None = None
    written_at: float = 0.0


def write_heartbeat(state_dir: Path, beat: Heartbeat) -> None:
    """Replace the heartbeat file at once (a reader never sees half of it)."""
    beat = beat.model_copy(update={"written_at": time.time()})
    path = state_dir / HEARTBEAT_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(beat.model_dump_json(), encoding="utf-8")
    os.replace(tmp, path)


def read_heartbeat(state_dir: Path) -> Heartbeat | None:
    """The last heartbeat written (None: none, or unreadable)."""
    try:
        return Heartbeat.model_validate(json.loads((state_dir / HEARTBEAT_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None

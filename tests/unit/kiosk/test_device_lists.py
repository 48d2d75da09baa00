"""The device names a kiosk lists in its heartbeat: every device of each kind it has now (synthetic ones by their
synthetic names, an unplugged one gone), within the bounds the server checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from meetdesk.core.kiosks import MAX_LISTED_DEVICES, Heartbeat, KioskDevice, KioskDevices, listed
from meetdesk.kiosk.health import UNPLUGGED_FILE, device_states


def test_synthetic_devices_are_listed_by_their_names_and_an_unplugged_one_is_not(tmp_path: Path) -> None:
    wanted = {"camera": "Second test pattern", "microphone": None, "speaker": "Jabra"}
    states = device_states(wanted, synthetic=True, state_dir=tmp_path)  # type: ignore[arg-type]
    assert states["camera"].available == ("Test pattern", "Second test pattern")
    assert states["camera"].found == "Second test pattern"
    assert states["speaker"].available == ("Null speaker",) and states["speaker"].missing
    (tmp_path / UNPLUGGED_FILE).write_text("second test pattern\n")
    states = device_states(wanted, synthetic=True, state_dir=tmp_path)  # type: ignore[arg-type]
    assert states["camera"].available == ("Test pattern",) and states["camera"].missing


def test_a_heartbeat_lists_what_fits_its_bounds() -> None:
    names = ["  Cam 0  ", "", "x" * 201, "Cam 0", *(f"Cam {n}" for n in range(1, 40))]
    kept = listed(names)
    assert kept[:2] == ("Cam 0", "Cam 1") and len(kept) == MAX_LISTED_DEVICES
    beat = Heartbeat(state="home", devices=KioskDevices(camera=KioskDevice(name="Cam 0", found=True, available=kept)))
    assert Heartbeat.model_validate_json(beat.model_dump_json()).devices.camera.available == kept
    with pytest.raises(ValidationError):
        KioskDevice(available=tuple(f"Cam {n}" for n in range(MAX_LISTED_DEVICES + 1)))
    with pytest.raises(ValidationError):
        KioskDevice(available=("x" * 201,))

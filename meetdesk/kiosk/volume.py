"""The kiosk's volume: set in its configuration (``volume``, 0..100, also what the admin app pushes), changed
by a touch in the meeting, and remembered across restarts in the kiosk's state dir.

A level set by touch stays until the configuration's ``volume`` itself changes: the file records the configured
value it was set under, so a new value from the admin wins once, and a restart does not undo the room's touch.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

VOLUME_FILE: Final = "volume.json"
Percent = Annotated[int, Field(ge=0, le=100)]


class RememberedVolume(BaseModel):
    """The level set by touch, and the configured level it was set under."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    volume: Percent
    configured: Percent


def initial_volume(state_dir: Path, configured: int) -> int:
    """The level to start at: the one remembered, unless the configuration's level changed since."""
    try:
        remembered = RememberedVolume.model_validate_json((state_dir / VOLUME_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return configured
    except (OSError, ValidationError) as exc:
        logger.warning("Kiosk: the remembered volume cannot be read (%s): using the configured %d%%", exc, configured)
        return configured
    return remembered.volume if remembered.configured == configured else configured


def remember_volume(state_dir: Path, volume: int, configured: int) -> None:
    """Keep ``volume`` for the next start (replaced at once: a reader never sees half of it)."""
    record = RememberedVolume(volume=volume, configured=configured)
    path = state_dir / VOLUME_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(record.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("Kiosk: could not remember the volume: %s", exc)

"""The kiosk's volume across restarts: the configured level, unless a touch changed it since; a new configured
level (the admin's) wins over an older touch."""

from __future__ import annotations

from pathlib import Path

import pytest

from meetdesk.kiosk.volume import VOLUME_FILE, initial_volume, remember_volume


def test_without_a_touch_the_configured_level_is_used(tmp_path: Path) -> None:
    assert initial_volume(tmp_path, 70) == 70


def test_a_level_set_by_touch_is_used_at_the_next_start(tmp_path: Path) -> None:
    remember_volume(tmp_path, 35, configured=70)
    assert initial_volume(tmp_path, 70) == 35
    assert not list(tmp_path.glob("*.tmp"))  # replaced at once, nothing left behind


def test_a_new_configured_level_wins_over_an_older_touch(tmp_path: Path) -> None:
    remember_volume(tmp_path, 35, configured=70)
    assert initial_volume(tmp_path, 90) == 90


@pytest.mark.parametrize("text", ["", "{", '{"volume": 150, "configured": 70}', '{"volume": "x"}'])
def test_an_unreadable_record_falls_back_to_the_configured_level_with_a_warning(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / VOLUME_FILE).write_text(text)
    assert initial_volume(tmp_path, 70) == 70
    assert "the remembered volume cannot be read" in caplog.text


def test_a_state_dir_that_cannot_be_written_is_said_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    remember_volume(tmp_path / "gone", 35, configured=70)
    assert "could not remember the volume" in caplog.text
    assert initial_volume(tmp_path / "gone", 70) == 70

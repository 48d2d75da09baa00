"""Names as the composite draws them, the speaker detection, and a painted tile (placeholder, label)."""

from __future__ import annotations

import numpy as np

from meetdesk.core.layout import Cell
from meetdesk.recorder.painter import BACKGROUND_Y, PLACEHOLDER_Y, Canvas, drawable_name, initials
from meetdesk.recorder.speaker import HOLD_S, SpeakerTracker


def test_names_keep_latin_letters_and_fall_back_when_nothing_can_be_drawn() -> None:
    assert drawable_name("Zoë  Łukasz") == "Zoë Łukasz"
    assert drawable_name("李雷") == "Participant"
    assert drawable_name("Ana\tLima\n") == "Ana Lima"
    assert initials("ana lima costa") == "AL"


def test_the_speaker_changes_only_when_someone_else_speaks_clearly_for_a_while() -> None:
    tracker = SpeakerTracker()
    t = 0.0
    for _ in range(10):
        t += 1 / 30
        tracker.update({"ana": 0.2}, t)
    assert tracker.active(["ana", "bo"]) == "ana"
    start = t
    while t - start < HOLD_S - 0.2:  # bo louder, but not for long enough yet
        t += 1 / 30
        tracker.update({"bo": 0.3}, t)
    assert tracker.active(["ana", "bo"]) == "ana"
    while t - start < HOLD_S + 0.5:
        t += 1 / 30
        tracker.update({"bo": 0.3}, t)
    assert tracker.active(["ana", "bo"]) == "bo"
    assert tracker.active(["ana"]) is None  # bo left: the layout picks someone present


def test_a_placeholder_tile_is_plain_with_initials_and_the_name_on_a_dark_band() -> None:
    canvas = Canvas(640, 360)
    canvas.clear()
    cell = Cell(0, 0, 320, 180)
    canvas.placeholder(cell, "Ana Lima")
    canvas.label(cell, "Ana Lima")
    tile = canvas.y[:180, :320]
    assert (tile == PLACEHOLDER_Y).mean() > 0.8  # plain
    assert (tile[40:140, 100:220] > 200).any()  # the initials in the middle
    assert (tile[150:, :40] < PLACEHOLDER_Y).any() and (tile[150:, :100] > 200).any()  # the band and its text
    assert (canvas.y[:, 330:] == BACKGROUND_Y).all() and (canvas.u == 128).all()
    frame = canvas.frame()
    assert (frame.width, frame.height) == (640, 360)
    assert np.array_equal(frame.to_ndarray(format="yuv420p")[:360], canvas.y)

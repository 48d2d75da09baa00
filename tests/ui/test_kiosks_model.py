"""The Kiosks table's words for what a kiosk reported, its "Last seen" counting on by itself, its sorting and search
(a model fed kiosks directly; the page against a real server is tests/ui/test_kiosks_page.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.qtbot import QtBot

from meetdesk.core.kiosks import Kiosk
from meetdesk.ui.admin.kiosks_model import (
    COL_DEVICES,
    COL_LAST_SEEN,
    COL_NAME,
    COL_STATE,
    COL_STATUS,
    KiosksModel,
    ago_text,
)
from meetdesk.ui.admin.kiosks_page import KiosksPage
from tests.ui.helpers import emitted

NOW_MS = 1_780_000_000_000


def kiosk(**changes: Any) -> Kiosk:
    data: dict[str, Any] = {
        "kioskId": "k1",
        "name": "Board room PC",
        "roomId": "board",
        "roomName": "Board",
        "enrolled": True,
        "online": True,
        "state": "home",
        "lastSeenAt": NOW_MS - 12_000,
        "settings": {},
        "createdAt": NOW_MS - 86_400_000,
    }
    data.update(changes)
    return Kiosk.model_validate(data)


class Clock:
    def __init__(self) -> None:
        self.ms = NOW_MS

    def __call__(self) -> float:
        return self.ms / 1000


def text(model: KiosksModel, row: int, column: int) -> str:
    return str(model.index(row, column).data())


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "0 s ago"), (12, "12 s ago"), (59, "59 s ago"), (60, "1 min ago"), (3599, "59 min ago"), (7200, "2 h ago")],
)
def test_last_seen_in_words(seconds: int, expected: str) -> None:
    assert ago_text(NOW_MS - seconds * 1000, NOW_MS) == expected


def test_last_seen_in_days_and_never(qapp: QCoreApplication) -> None:
    assert ago_text(NOW_MS - 86_400_000, NOW_MS) == "1 day ago"
    assert ago_text(NOW_MS - 3 * 86_400_000, NOW_MS) == "3 days ago"
    assert ago_text(None, NOW_MS) == "Never"


def test_each_column_says_in_words_what_the_kiosk_reported(qapp: QCoreApplication) -> None:
    model = KiosksModel(clock=Clock())
    devices = {"camera": {"name": "MeetUp", "found": False}, "microphone": {"found": True}, "speaker": {"found": False}}
    model.upsert(kiosk(state="meeting", devices=devices))
    model.upsert(kiosk(kioskId="k2", name="Atrium", online=False, state="reconnecting", pendingSettings=True))
    model.upsert(kiosk(kioskId="k3", name="Lobby", enrolled=False, online=False, lastSeenAt=None))
    assert [k.name for k in model.kiosks] == ["Atrium", "Board room PC", "Lobby"]  # by name
    assert [text(model, row, COL_STATUS) for row in range(3)] == ["Offline", "Online", "Waiting to be enrolled"]
    assert text(model, 1, COL_STATE) == "In the meeting"
    assert text(model, 0, COL_STATE) == "Reconnecting… (new settings waiting)"
    assert text(model, 1, COL_DEVICES) == "Camera missing, Speaker missing"
    assert text(model, 2, COL_DEVICES) == "" and text(model, 2, COL_LAST_SEEN) == "Never"


async def test_last_seen_counts_on_without_any_event() -> None:
    clock = Clock()
    model = KiosksModel(clock=clock)
    model.upsert(kiosk())
    model._tick.setInterval(10)  # the one-second timer, sooner
    model._tick.start()
    assert text(model, 0, COL_LAST_SEEN) == "12 s ago"
    clock.ms += 50_000
    top_left, bottom_right, _roles = await asyncio.wait_for(emitted(model.dataChanged), 10)
    assert top_left.column() == bottom_right.column() == COL_LAST_SEEN  # only that column is repainted
    assert text(model, 0, COL_LAST_SEEN) == "1 min ago"
    model._tick.stop()


def test_an_update_changes_the_row_in_place_and_a_rename_moves_it(qapp: QCoreApplication) -> None:
    model = KiosksModel(clock=Clock())
    model.upsert(kiosk())
    model.upsert(kiosk(kioskId="k2", name="Lobby"))
    model.upsert(kiosk(online=False))
    assert text(model, 0, COL_STATUS) == "Offline" and model.rowCount() == 2
    model.upsert(kiosk(name="Zen room"))
    assert [k.name for k in model.kiosks] == ["Lobby", "Zen room"]
    model.remove("k2")
    assert [k.kioskId for k in model.kiosks] == ["k1"]


def test_a_code_not_used_in_time_says_so(qapp: QCoreApplication) -> None:
    model = KiosksModel(clock=Clock())
    model.upsert(kiosk(enrolled=False, online=False, lastSeenAt=None, enrolmentExpiresAt=NOW_MS - 1))
    model.upsert(kiosk(kioskId="k2", enrolled=False, online=False, lastSeenAt=None, enrolmentExpiresAt=NOW_MS + 1))
    assert text(model, 0, COL_STATUS) == "Enrolment code expired"
    assert text(model, 1, COL_STATUS) == "Waiting to be enrolled"


def test_the_page_sorts_by_what_is_behind_the_words_and_searches_kiosk_and_room_names(qtbot: QtBot) -> None:
    page = KiosksPage()
    qtbot.addWidget(page)
    page.model._clock = Clock()
    page.model.upsert(kiosk(kioskId="a", name="Atrium", lastSeenAt=NOW_MS - 120_000, roomName="Lobby"))
    page.model.upsert(kiosk(kioskId="b", name="Board room PC", lastSeenAt=NOW_MS - 9_000))
    page.model.upsert(kiosk(kioskId="c", name="Cellar", enrolled=False, online=False, lastSeenAt=None))

    def shown() -> list[str]:
        return [page.proxy.index(row, COL_NAME).data() for row in range(page.proxy.rowCount())]

    assert shown() == ["Atrium", "Board room PC", "Cellar"]
    page.table.sortByColumn(COL_LAST_SEEN, Qt.SortOrder.AscendingOrder)
    assert shown() == ["Board room PC", "Atrium", "Cellar"]  # 9 s before 2 min ("2 min" < "9 s" as words)
    page.search.setText("lobby")
    assert shown() == ["Atrium"]
    page.select("a")
    current = page.current()
    assert current is not None and current.kioskId == "a"
    page.search.setText("nothing like it")
    assert page.stack.currentWidget() is page.empty
    assert page.empty.text() == "No kiosk or room name matches “nothing like it”."

"""The meeting window's side panels on their own: the chat (sending, limits, unread count, history) and the
participants list (order, badges, moderation actions and their confirmation)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from meetdesk.core.signalling import CHAT_MAX_CHARS, ChatMessage, ParticipantInfo
from meetdesk.ui.meeting.chat_panel import ChatPanel, OwnRole, SenderRole
from meetdesk.ui.meeting.participants_panel import (
    BadgesRole,
    CanModerateRole,
    ParticipantsPanel,
    RoleTextRole,
)
from tests.ui.helpers import clipped_texts, shoot

# --- chat ------------------------------------------------------------------------------------------------


def message(number: int, identity: str = "bob", name: str = "Bob", text: str | None = None) -> ChatMessage:
    return ChatMessage(id=f"m{number}", identity=identity, name=name, time=1_700_000_000_000 + number * 1000,
                       text=text or f"message {number}")  # fmt: skip


def chat_panel(qtbot: QtBot, shown: bool = True) -> ChatPanel:
    panel = ChatPanel(you="ana")
    qtbot.addWidget(panel)
    panel.resize(320, 480)
    if shown:
        panel.show()
        qtbot.waitExposed(panel)
    return panel


def test_enter_sends_the_trimmed_message_and_clears_the_input(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot)
    qtbot.keyClicks(panel.input, "  hello there  ")
    with qtbot.waitSignal(panel.sendRequested, timeout=1000) as sent:
        qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    assert sent.args == ["hello there"]
    assert panel.input.toPlainText() == ""
    assert not panel.send_button.isEnabled()


def test_shift_enter_starts_a_new_line_and_the_send_button_sends_both(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot)
    with qtbot.assertNotEmitted(panel.sendRequested):
        qtbot.keyClicks(panel.input, "first")
        qtbot.keyClick(panel.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClicks(panel.input, "second")
    assert panel.input.toPlainText() == "first\nsecond"
    with qtbot.waitSignal(panel.sendRequested, timeout=1000) as sent:
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert sent.args == ["first\nsecond"]


def test_an_empty_or_blank_message_is_not_sent(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot)
    with qtbot.assertNotEmitted(panel.sendRequested):
        qtbot.keyClick(panel.input, Qt.Key.Key_Return)
        qtbot.keyClicks(panel.input, "   ")
        qtbot.keyClick(panel.input, Qt.Key.Key_Enter)
    assert not panel.send_button.isEnabled()
    assert panel.error_text == ""


def test_a_message_over_the_limit_is_explained_and_not_sent(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot)
    panel.input.setPlainText("x" * (CHAT_MAX_CHARS + 1))
    panel.input.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.assertNotEmitted(panel.sendRequested):
        qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    assert f"the limit is {CHAT_MAX_CHARS}" in panel.error_text
    assert panel.error_label.isVisible()
    assert panel.input.toPlainText() == "x" * (CHAT_MAX_CHARS + 1)  # kept, to shorten

    qtbot.keyClick(panel.input, Qt.Key.Key_Backspace)  # now exactly at the limit
    assert panel.error_text == ""
    with qtbot.waitSignal(panel.sendRequested, timeout=1000) as sent:
        qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    assert len(sent.args[0]) == CHAT_MAX_CHARS


def test_a_refusal_shows_under_the_input_until_a_message_goes(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot)
    panel.setFixedWidth(220)
    panel.show_error("Not sent: you are reconnecting")
    assert panel.error_text == "Not sent: you are reconnecting"
    qtbot.keyClicks(panel.input, "hi")  # typing does not hide a refusal: it still applies
    assert panel.error_text == "Not sent: you are reconnecting"
    qtbot.wait_until(lambda: not clipped_texts(panel), timeout=1000)
    shoot(panel, "chat-refusal")
    with qtbot.waitSignal(panel.sendRequested, timeout=1000):
        qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    assert panel.error_text == ""


def test_messages_from_others_count_as_unread_only_while_hidden(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot, shown=False)
    counts: list[int] = []
    panel.unreadChanged.connect(counts.append)

    panel.add_message(message(1), own=False)
    panel.add_message(message(2, "ana", "Ana"), own=True)  # your own never counts
    panel.add_message(message(1), own=False)  # the same message again is not a new one
    panel.add_message(message(3), own=False)
    assert panel.unread == 2

    panel.show()
    qtbot.waitExposed(panel)
    assert panel.unread == 0
    panel.add_message(message(4), own=False)  # read as it arrives
    assert panel.unread == 0

    panel.hide()
    panel.add_message(message(5), own=False)
    assert panel.unread == 1
    assert counts == [1, 2, 0, 1]


def test_history_adds_only_the_messages_not_shown_yet(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot, shown=False)
    panel.set_history([message(1), message(2, "ana", "Ana")])
    assert panel.unread == 0  # the history of a first join is not news
    panel.add_message(message(3), own=False)
    panel.set_history([message(1), message(2, "ana", "Ana"), message(3), message(4)])  # a resume: all again

    model = panel.model
    assert [m.id for m in model.messages] == ["m1", "m2", "m3", "m4"]
    assert panel.unread == 2  # m3 as it came, m4 missed while disconnected
    assert [model.index(row).data(SenderRole) for row in range(4)] == ["Bob", "You", "Bob", "Bob"]
    assert [model.index(row).data(OwnRole) for row in range(4)] == [False, True, False, False]


def test_the_list_follows_new_messages_only_when_the_reader_is_at_the_bottom(qtbot: QtBot) -> None:
    panel = chat_panel(qtbot)
    bar = panel.list.verticalScrollBar()
    panel.set_history([message(n, text=f"message {n} " * 8) for n in range(30)])
    qtbot.wait_until(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=2000)

    bar.setValue(0)  # reading older messages
    before = bar.maximum()
    panel.add_message(message(30), own=False)
    qtbot.wait_until(lambda: bar.maximum() > before, timeout=2000)  # the new row is laid out
    assert bar.value() == 0
    grown = bar.maximum()

    panel.add_message(message(31, "ana", "Ana"), own=True)  # what you sent comes into view
    qtbot.wait_until(lambda: bar.value() == bar.maximum() and bar.maximum() > grown, timeout=2000)


#: what the offscreen platform says when a menu pops up (it has no window stacking and no keyboard grab)
popups = pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)")


# --- participants ---------------------------------------------------------------------------------------


def person(identity: str, name: str, role: str = "speaker", **state: bool) -> ParticipantInfo:
    defaults = {"audio": True, "video": True}
    return ParticipantInfo(identity=identity, name=name, role=role, joinedAt=0, **{**defaults, **state})


def participants_panel(qtbot: QtBot, role: str = "moderator") -> ParticipantsPanel:
    panel = ParticipantsPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 480)
    panel.set_you("ana")
    panel.set_local_role(role)  # type: ignore[arg-type]
    for participant in (
        person("ana", "Ana"),
        person("zoe", "zoe", "moderator"),
        person("bob", "Bob"),
        person("carl", "Carl"),
        person("dana", "Dana", "moderator"),
    ):
        panel.upsert(participant)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def row_of(panel: ParticipantsPanel, identity: str) -> QModelIndex:
    return panel.proxy.index(panel.shown_identities().index(identity), 0)


def test_you_first_then_raised_hands_in_raise_order_then_moderators_then_names(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    assert panel.shown_identities() == ["ana", "dana", "zoe", "bob", "carl"]

    panel.upsert(person("carl", "Carl", handRaised=True))
    panel.upsert(person("bob", "Bob", handRaised=True))
    panel.upsert(person("carl", "Carl", handRaised=True, audio=False))  # an update keeps the place in line
    assert panel.shown_identities() == ["ana", "carl", "bob", "dana", "zoe"]

    panel.upsert(person("carl", "Carl"))  # hand lowered
    panel.remove("zoe")
    panel.upsert(person("aaron", "aaron"))
    assert panel.shown_identities() == ["ana", "bob", "dana", "aaron", "carl"]
    assert panel.title.text() == "Participants (5)"


def test_each_row_says_name_role_and_state(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    panel.upsert(person("bob", "Bob", handRaised=True, audio=False, video=False, reconnecting=True))
    you, bob, dana = row_of(panel, "ana"), row_of(panel, "bob"), row_of(panel, "dana")

    assert you.data() == "Ana (you)"
    assert you.data(BadgesRole) == []
    assert (dana.data(), dana.data(RoleTextRole)) == ("Dana", "Moderator")
    assert bob.data(RoleTextRole) == "Speaker"
    assert [text for _kind, text in bob.data(BadgesRole)] == ["Hand raised", "Mic off", "Camera off", "reconnecting…"]
    assert bob.data(Qt.ItemDataRole.AccessibleTextRole) == (
        "Bob, Speaker, Hand raised, Mic off, Camera off, reconnecting…"
    )
    shoot(panel, "participants")


def test_a_moderator_gets_actions_on_the_others_and_a_speaker_none(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    texts = {identity: [a.text() for a in panel.actions_for(identity)] for identity in ("bob", "dana", "ana")}
    assert texts == {
        "bob": ["Mute", "Make moderator", "Remove from meeting…"],
        "dana": ["Mute", "Make speaker", "Remove from meeting…"],
        "ana": [],  # not on yourself
    }
    panel.upsert(person("bob", "Bob", audio=False))
    assert [a.text() for a in panel.actions_for("bob")] == ["Make moderator", "Remove from meeting…"]  # muted already
    assert panel.moderation.isVisible()  # mute everyone, lock
    assert row_of(panel, "bob").data(CanModerateRole)
    assert panel.delegate.menu_rect(row_of(panel, "bob")) is not None  # the "⋮" button
    assert panel.delegate.menu_rect(row_of(panel, "ana")) is None

    panel.set_local_role("speaker")
    assert panel.actions_for("bob") == []
    assert not panel.moderation.isVisible()
    assert not row_of(panel, "bob").data(CanModerateRole)
    assert panel.delegate.menu_rect(row_of(panel, "bob")) is None
    assert panel.open_menu("bob", QPoint(0, 0)) is None


def open_menu_by_click(qtbot: QtBot, panel: ParticipantsPanel, identity: str) -> None:
    """Click the "⋮" of a row, as a moderator would."""
    button = panel.delegate.menu_rect(row_of(panel, identity))
    assert button is not None
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    assert panel.menu is not None
    qtbot.waitExposed(panel.menu)


def choose(panel: ParticipantsPanel, text: str) -> None:
    assert panel.menu is not None
    action = next(a for a in panel.menu.actions() if a.text() == text)
    action.trigger()
    panel.menu.close()


@popups
def test_make_moderator_from_the_row_menu_asks_the_window(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    open_menu_by_click(qtbot, panel, "bob")
    with qtbot.waitSignal(panel.roleChangeRequested, timeout=1000) as asked:
        choose(panel, "Make moderator")
    assert asked.args == ["bob", "moderator"]


def kick_box(qtbot: QtBot, panel: ParticipantsPanel, identity: str) -> QMessageBox:
    open_menu_by_click(qtbot, panel, identity)
    choose(panel, "Remove from meeting…")
    box = panel.kick_box
    assert box is not None
    qtbot.waitExposed(box)
    assert box.text() == "Remove Bob from the meeting?"
    return box


@popups
def test_remove_asks_first_and_goes_ahead_on_remove(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    box = kick_box(qtbot, panel, "bob")
    remove = next(button for button in box.buttons() if button.text() == "Remove")
    with qtbot.waitSignal(panel.kickRequested, timeout=1000) as asked:
        qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert asked.args == ["bob"]
    assert panel.kick_box is None


@popups
def test_cancel_keeps_the_participant(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    box = kick_box(qtbot, panel, "bob")
    with qtbot.assertNotEmitted(panel.kickRequested, wait=50):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert panel.kick_box is None


@popups
def test_the_question_goes_away_when_the_participant_leaves_first(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    box = kick_box(qtbot, panel, "bob")
    with qtbot.assertNotEmitted(panel.kickRequested), qtbot.waitSignal(box.finished, timeout=1000):
        panel.remove("bob")
    assert panel.kick_box is None


def test_mute_from_the_row_menu_and_the_moderator_bar_ask_the_window(qtbot: QtBot) -> None:
    panel = participants_panel(qtbot)
    with qtbot.waitSignal(panel.muteRequested) as muted:
        panel.actions_for("bob")[0].trigger()
    assert muted.args == ["bob"]
    with qtbot.assertNotEmitted(panel.moderation.muteEveryoneRequested):  # asked first; Cancel keeps everyone on
        panel.moderation.mute_all.click()
        box = panel.moderation.mute_box
        assert box is not None and box.text() == "Mute everyone else in the meeting?"
        box.button(QMessageBox.StandardButton.Cancel).click()
    with qtbot.waitSignal(panel.moderation.muteEveryoneRequested):
        panel.moderation.mute_all.click()
        box = panel.moderation.mute_box
        assert box is not None
        [mute] = [b for b in box.buttons() if b.text() == "Mute everyone"]
        mute.click()
    with qtbot.waitSignal(panel.moderation.lockRequested) as lock:
        panel.moderation.lock.click()
    assert lock.args == [True] and panel.moderation.lock.text() == "Lock meeting"  # until the server says so
    panel.moderation.set_locked(True)
    with qtbot.waitSignal(panel.moderation.lockRequested) as unlock:
        panel.moderation.lock.click()
    assert unlock.args == [False] and panel.moderation.lock.text() == "Unlock meeting"

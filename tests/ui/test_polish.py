"""What screenshots showed wrong in the admin app's dialogs, in the light and the dark theme: one primary
button per dialog, Delete never the default, error text in the theme's error colour and never cut off,
plural forms in words, and the connect dialog refusing an address it cannot use before trying it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from meetdesk.client.api import MeetDeskClient, NotFound
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer
from meetdesk.client.errors import ConnectionFailed
from meetdesk.core import theme as core
from meetdesk.core.models import MeetRoom, MeetRoomTheme
from meetdesk.ui.admin.connect_dialog import ConnectDialog
from meetdesk.ui.admin.connection import AdminConnection
from meetdesk.ui.admin.delete_dialog import DeleteRoomsDialog
from meetdesk.ui.admin.main_window import MainWindow
from meetdesk.ui.admin.room_form import RoomFormDialog
from meetdesk.ui.admin.servers import ServerList
from meetdesk.ui.plurals import english_plural
from meetdesk.ui.theme.theming import apply_theme
from tests.ui.helpers import clipped_texts

THEMES = {base: MeetRoomTheme(name=f"default-{base}", enabled=True, baseTheme=base) for base in ("light", "dark")}
OFFLINE = "http://127.0.0.1:9"


@pytest.fixture(params=["light", "dark"])
def tokens(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[core.ThemeTokens]:
    """The app in the light or the dark default theme (plain again afterwards)."""
    yield apply_theme(qapp, THEMES[request.param])
    qapp.setStyleSheet("")
    qapp.setPalette(qapp.style().standardPalette())
    qapp.styleHints().unsetColorScheme()


def fill(button: QPushButton) -> str:
    """The colour a button is filled with on screen (a pixel inside its border, away from its text)."""
    image = button.grab().toImage()
    return image.pixelColor(6, image.height() // 2).name()


def shown(qtbot: QtBot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def buttons(dialog: QWidget) -> dict[str, QPushButton]:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    return {button.text(): button for button in box.findChildren(QPushButton) if button.isVisible()}


def text_colour(label: QLabel) -> str:
    return label.palette().color(QPalette.ColorRole.WindowText).name()


def test_one_primary_button_per_dialog(qtbot: QtBot, tokens: core.ThemeTokens) -> None:
    form = shown(qtbot, RoomFormDialog(MeetDeskClient(OFFLINE)))
    found = buttons(form)
    assert fill(found["Create room"]) == tokens.primary
    assert fill(found["Cancel"]) == tokens.secondary
    assert found["Create room"].icon().isNull() and found["Cancel"].icon().isNull()  # no stock icons

    connect = shown(qtbot, ConnectDialog(None))
    found = buttons(connect)
    assert (fill(found["Connect"]), fill(found["Cancel"])) == (tokens.primary, tokens.secondary)


def test_delete_is_red_and_never_the_default_button(qtbot: QtBot, tokens: core.ThemeTokens) -> None:
    rooms = [MeetRoom(roomId="a", roomName="A"), MeetRoom(roomId="b", roomName="B")]
    dialog = shown(qtbot, DeleteRoomsDialog(MeetDeskClient(OFFLINE), rooms))
    found = buttons(dialog)
    delete, cancel = found["Delete 2 rooms"], found["Cancel"]
    assert not delete.isDefault() and not delete.autoDefault()
    assert cancel.isDefault() and dialog.focusWidget() is cancel
    assert fill(delete) == tokens.danger
    assert fill(cancel) == tokens.secondary  # not a second primary next to the red button
    assert delete.icon().isNull()  # a red bin on a red button did not show


async def test_enter_in_the_delete_dialog_keeps_the_room(qtbot: QtBot, client: MeetDeskClient) -> None:
    room = await client.create_room({"roomName": "Precious"})
    dialog = shown(qtbot, DeleteRoomsDialog(client, [room]))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert (await client.get_room(room.roomId)).roomName == "Precious"
    # the button itself still deletes
    dialog = shown(qtbot, DeleteRoomsDialog(client, [room]))
    assert await dialog.run_deletion()
    with pytest.raises(NotFound):
        await client.get_room(room.roomId)


def test_error_text_in_the_themes_error_colour(qtbot: QtBot, tokens: core.ThemeTokens) -> None:
    dialog = shown(qtbot, ConnectDialog(None))
    dialog.show_error(ConnectionFailed("http://meet.example.com:6080", "All connection attempts failed"))
    label = dialog.ui.urlError
    assert label.isVisible() and text_colour(label) == tokens.error_text
    background = QColor(tokens.background)
    ratio = core.contrast_ratio(core.parse_hex(text_colour(label)), core.parse_hex(background.name()))
    assert ratio >= core.AA_TEXT
    assert text_colour(dialog.ui.reasonLabel) == tokens.on_background  # only the error is red


def test_the_connect_dialogs_error_is_not_cut_off(qtbot: QtBot, tokens: core.ThemeTokens) -> None:
    dialog = shown(qtbot, ConnectDialog(None))
    dialog.ui.urlEdit.setText("http://meet.example.com:6080")
    dialog.show_error(ConnectionFailed("http://meet.example.com:6080", "All connection attempts failed"))
    assert dialog.ui.urlError.isVisible()
    assert clipped_texts(dialog) == []
    dialog.show_error(RuntimeError("The server answered something this app does not understand at all."))
    assert clipped_texts(dialog) == []


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("meet example.com", "A server address has no spaces. Check what was typed or pasted."),
        ("http://meet.example.com:6080 ", None),  # spaces around are trimmed
        ("https://meet.example.com/\tadmin", "A server address has no spaces. Check what was typed or pasted."),
        ("meet.example.com:99999", "The port after the colon must be a number from 1 to 65535."),
        ("meet.example.com:http", "The port after the colon must be a number from 1 to 65535."),
        ("ftp://meet.example.com", "Type the server's address, like https://meet.example.com."),
    ],
)
def test_an_address_it_cannot_use_is_refused_before_trying(qtbot: QtBot, address: str, problem: str | None) -> None:
    dialog = shown(qtbot, ConnectDialog(None))
    dialog.ui.urlEdit.setText(address)
    dialog.ui.secretEdit.setText("secret")
    with qtbot.assertNotEmitted(dialog.submitted) if problem else qtbot.waitSignal(dialog.submitted, timeout=1000):
        dialog.submit()
    assert dialog.ui.urlError.isVisible() == (problem is not None)
    if problem:
        assert dialog.ui.urlError.text() == problem


def test_plural_forms_in_words() -> None:
    assert english_plural("Delete %n room(s)", 1) == "Delete %n room"
    assert english_plural("Delete %n room(s)", 2) == "Delete %n rooms"
    assert english_plural("Delete %n room(s)", 0) == "Delete %n rooms"
    assert english_plural("%n person(s) waiting", 3) == "%n people waiting"
    translate = QCoreApplication.translate
    assert translate("RoomsPage", "Delete %n room(s)", "", 1) == "Delete 1 room"
    assert translate("RoomsPage", "Delete %n room(s)", "", 21) == "Delete 21 rooms"
    assert translate("RoomsPage", "Delete selected") == "Delete selected"  # text without a count: untouched
    assert translate("X", "Save (s) later", "", 2) == "Save (s) later"  # no %n: not a plural


def test_the_selected_pages_icon_shows_on_the_highlight(qtbot: QtBot, tmp_path: Path, tokens: core.ThemeTokens) -> None:
    store = CredentialStore(tmp_path / "config", use_keyring=False)
    connection = AdminConnection(
        ServerList.load(tmp_path / "config" / "servers.json"), store, EmbeddedServer(tmp_path / "embedded", store)
    )
    window = MainWindow(connection, QSettings(str(tmp_path / "meetdesk.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    highlight = core.parse_hex(tokens.accent)
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        item = window.nav.item(row)
        assert item.isSelected()
        # what the item view draws for a selected row: the icon's Selected mode
        image = item.icon().pixmap(24, QIcon.Mode.Selected).toImage()
        drawn = {
            image.pixelColor(x, y).name() for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha() == 255
        }
        assert drawn, "the icon draws something"
        assert all(core.contrast_ratio(core.parse_hex(c), highlight) >= core.AA_NON_TEXT for c in drawn), drawn
        # its own colours where the row is not selected
        assert item.icon().pixmap(24, QIcon.Mode.Normal).toImage() != image


def test_the_date_field_has_the_fields_look(qtbot: QtBot, tokens: core.ThemeTokens) -> None:
    """The auto-deletion date's drop-down button is drawn like a combo box's (it was a bare native box)."""
    form = shown(qtbot, RoomFormDialog(MeetDeskClient(OFFLINE)))
    form.ui.advancedToggle.setChecked(True)
    date, combo = form.ui.autoDeletionEdit, form.ui.withMeetingCombo
    assert not date.isEnabled() and not combo.isEnabled() and date.text() == "Never"

    def button_colours(widget: QWidget) -> set[str]:
        """The colours in the drop-down button's area (the right 1.4 em, inside the frame)."""
        image = widget.grab().toImage()
        width = round(widget.fontMetrics().height() * 1.4)
        return {
            image.pixelColor(x, y).name()
            for x in range(image.width() - width, image.width() - 2)
            for y in range(2, image.height() - 2)
        }

    assert button_colours(date) == button_colours(combo)


def test_disabled_text_is_told_apart_from_enabled_text(qtbot: QtBot, tokens: core.ThemeTokens) -> None:
    """In the dark theme too: the disabled date field and its enabled neighbour do not read alike."""
    form = shown(qtbot, RoomFormDialog(MeetDeskClient(OFFLINE)))
    form.ui.advancedToggle.setChecked(True)
    enabled, disabled = form.ui.autoDeleteCheck, form.ui.autoDeletionDateLabel
    disabled.setEnabled(False)
    on = core.parse_hex(enabled.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText).name())
    off = core.parse_hex(disabled.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name())
    background = core.parse_hex(tokens.background)
    assert core.contrast_ratio(on, off) >= 3.0  # told apart
    assert core.contrast_ratio(off, background) >= 3.0  # and still there to read

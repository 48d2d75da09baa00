"""The theme editor page against a real ``meetdesk server``: load, edit, preview, warnings, presets, files, save.

Most tests share one server (each first stores the theme it starts from); those that need a server with no
theme yet, or one they can stop, get their own through ``server_process``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QColorDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from meetdesk.client.api import ConnectionFailed, MeetDeskClient
from meetdesk.core import theme as core
from meetdesk.ui.messages import describe_error
from meetdesk.ui.theme.editor import BUSY_DELAY_MS, ThemeEditorPage
from meetdesk.ui.theme.theming import apply_theme
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, ServerProcess, free_port
from tests.ui.conftest import wait_until
from tests.ui.helpers import BRAND
from tests.ui.helpers import emitted as next_emission

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("theme-server") / "data", free_port())
    server.start()
    yield server
    server.stop()


async def admin_client(server: ServerProcess, **kwargs: object) -> MeetDeskClient:
    client = MeetDeskClient(server.url, **kwargs)  # type: ignore[arg-type]
    await client.login(ADMIN_USER, ADMIN_PASSWORD)
    return client


@pytest.fixture
async def client(shared_server: ServerProcess) -> AsyncIterator[MeetDeskClient]:
    """An admin's client of the shared server, which holds :data:`BRAND` when the test starts."""
    client = await admin_client(shared_server)
    await client.set_appearance(BRAND)
    yield client
    await client.aclose()


def make_page(qtbot, client: MeetDeskClient) -> ThemeEditorPage:
    page = ThemeEditorPage(client)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    return page


@pytest.fixture
async def page(qtbot, client: MeetDeskClient) -> ThemeEditorPage:
    """The page, loaded from the shared server."""
    page = make_page(qtbot, client)
    assert await page.load()
    return page


async def emitted(future: asyncio.Future[tuple[object, ...]], timeout: float = 15.0) -> tuple[object, ...]:
    return await asyncio.wait_for(future, timeout)


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    """Replace the entry's text by typing, as a user does."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def pixel(page: ThemeEditorPage, slot: core.Slot) -> str:
    image = page.preview.grab().toImage()
    return image.pixelColor(page.preview.sample_point(slot)).name()


# --- loading -------------------------------------------------------------------------------------


async def test_load_shows_the_server_theme(qtbot, client: MeetDeskClient) -> None:
    page = make_page(qtbot, client)
    applied = next_emission(page.themeApplied)
    assert await page.load()
    assert await emitted(applied) == (BRAND,)
    assert page.name_edit.text() == "brand"
    assert page.enabled_check.isChecked() and page.dark_radio.isChecked()
    assert {slot: page.slot_row(slot).text() for slot in core.SLOTS} == {
        slot: getattr(BRAND, slot) for slot in core.SLOTS
    }
    for slot in core.SLOTS:
        assert pixel(page, slot) == getattr(BRAND, slot), slot
    assert not page.save_button.isEnabled() and not page.revert_button.isEnabled()
    assert not page.is_busy_visible()  # a quick load never flashes the busy indicator


async def test_a_server_without_a_theme(qtbot, server_process: ServerProcess) -> None:
    client = await admin_client(server_process)
    try:
        page = make_page(qtbot, client)
        applied = next_emission(page.themeApplied)
        assert await page.load()
        assert await emitted(applied) == (None,)
        assert page.name_edit.text() == "default-light" and not page.enabled_check.isChecked()
        assert "No theme is set" in page.status.text()
        assert not page.save_button.isEnabled()
        page.enabled_check.click()  # turning the default on is a change worth saving
        assert page.save_button.isEnabled()
    finally:
        await client.aclose()


# --- editing -------------------------------------------------------------------------------------


async def test_typing_a_colour_repaints_the_preview(qtbot, page: ThemeEditorPage) -> None:
    row = page.slot_row("backgroundColor")
    type_into(qtbot, row.edit, "#2a0845")
    assert pixel(page, "backgroundColor") == "#2a0845"
    assert page.preview.tokens.background == "#2a0845"
    type_into(qtbot, page.slot_row("primaryColor").edit, "#0f0")  # short form
    assert pixel(page, "primaryColor") == "#00ff00"
    assert page.save_button.isEnabled() and page.revert_button.isEnabled()


async def test_low_contrast_colour_warns_next_to_its_slot(qtbot, page: ThemeEditorPage) -> None:
    row = page.slot_row("primaryColor")
    type_into(qtbot, row.edit, "#7a7a7a")
    message = row.message_text()
    assert message.startswith("Text on main controls: 4.")
    assert "below 4.5:1" in message
    assert row.message.isVisible()
    assert row.edit.accessibleDescription() == message
    # the other slots' text reads well (the test theme's dark grey secondary buttons hardly show on its dark
    # background: a non-text warning, WCAG 1.4.11)
    assert all("Text on" not in page.slot_row(s).message_text() for s in core.SLOTS if s != "primaryColor")
    assert page.slot_row("secondaryColor").message_text().startswith("Secondary elements against the main background")
    assert page.save_button.isEnabled()  # a warning, not a refusal
    type_into(qtbot, row.edit, "#1f6feb")
    assert row.message_text() == ""


async def test_a_control_colour_that_does_not_stand_out_warns_too(qtbot, page: ThemeEditorPage) -> None:
    """Non-text contrast (WCAG 1.4.11): text reads on a pale grey button, but the button hardly shows."""
    page.light_radio.click()
    for slot in core.SLOTS:
        type_into(qtbot, page.slot_row(slot).edit, str(getattr(core.DEFAULT_LIGHT, slot)))
    row = page.slot_row("primaryColor")
    type_into(qtbot, row.edit, "#e4e6ea")
    lines = row.message_text().split("\n")
    assert len(lines) == 2 and row.message.isVisible()
    assert lines[0].startswith("Main controls against the main background: 1.") and "below 3:1." in lines[0]
    assert lines[1].startswith("Main controls against panels and dialogs: 1.") and "below 3:1." in lines[1]
    assert not any(line.startswith("Text on") for line in lines)  # its text reads fine
    type_into(qtbot, page.slot_row("accentColor").edit, "#f2f2f2")
    accent = page.slot_row("accentColor").message_text().split("\n")
    assert [line.split(":")[0] for line in accent] == [
        "Highlights and accents against the main background",
        "Highlights and accents against panels and dialogs",
    ]


async def test_the_base_style_switches_the_default_colours_and_keeps_chosen_ones(qtbot, page: ThemeEditorPage) -> None:
    combo = page.preset_combo
    combo.setCurrentIndex(combo.findData("default-light"))
    qtbot.mouseClick(page.preset_button, Qt.MouseButton.LeftButton)
    assert page.light_radio.isChecked()
    light_background = page.preview.tokens.background
    page.dark_radio.click()
    assert {slot: page.slot_row(slot).text() for slot in core.SLOTS} == {
        slot: str(getattr(core.DEFAULT_DARK, slot)) for slot in core.SLOTS
    }
    assert page.preview.tokens.background == core.DEFAULT_DARK.backgroundColor != light_background
    assert page.preview.tokens.on_background == "#ffffff"  # light text on the dark background
    assert page.current_theme() == core.DEFAULT_DARK.model_copy(update={"name": "default-light"})

    type_into(qtbot, page.slot_row("primaryColor").edit, "#8a2be2")  # a colour of the user's own
    page.light_radio.click()
    assert page.slot_row("backgroundColor").text() == core.DEFAULT_LIGHT.backgroundColor
    assert page.slot_row("primaryColor").text() == "#8a2be2"
    assert page.status.text() == "Colours left at the defaults now take the light ones; 1 colour of your own kept."


async def test_invalid_hex_is_refused_and_never_sent(qtbot, page: ThemeEditorPage, client: MeetDeskClient) -> None:
    row = page.slot_row("accentColor")
    type_into(qtbot, row.edit, "#123456")
    qtbot.keyClicks(row.edit, "7")  # one digit too many
    assert row.edit.text() == "#1234567"
    assert "Not a colour" in row.message_text() and row.message.isVisible()
    assert not page.save_button.isEnabled()
    assert pixel(page, "accentColor") == "#123456"  # the preview keeps the last valid colour
    qtbot.keyClick(row.edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # the shortcut is refused too
    assert not await page.save()
    assert await client.get_appearance() == BRAND
    type_into(qtbot, row.edit, "red")
    assert "start with #" in row.message_text()
    qtbot.keyClicks(row.edit, "")
    type_into(qtbot, page.name_edit, "has space")
    assert page.name_error.isVisible() and "letters, digits" in page.name_error.text()


async def test_colour_picker_fills_the_entry(qtbot, page: ThemeEditorPage) -> None:
    row = page.slot_row("surfaceColor")
    qtbot.mouseClick(row.swatch, Qt.MouseButton.LeftButton)
    await wait_until(lambda: page.findChild(QColorDialog) is not None, what="the colour dialog")
    dialog = page.findChild(QColorDialog)
    assert dialog.currentColor() == QColor(BRAND.surfaceColor)
    dialog.setCurrentColor(QColor("#334455"))
    dialog.accept()
    assert row.text() == "#334455"
    assert pixel(page, "surfaceColor") == "#334455"


# --- saving and reverting ------------------------------------------------------------------------


async def test_save_stores_the_theme(qtbot, page: ThemeEditorPage, shared_server: ServerProcess) -> None:
    type_into(qtbot, page.slot_row("primaryColor").edit, "#e040fb")
    type_into(qtbot, page.name_edit, "brand-2")
    page.light_radio.click()
    applied = next_emission(page.themeApplied)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    expected = BRAND.model_copy(update={"name": "brand-2", "baseTheme": "light", "primaryColor": "#e040fb"})
    assert await emitted(applied) == (expected,)
    assert not page.save_button.isEnabled() and "Saved" in page.status.text()

    fresh = await admin_client(shared_server)
    try:
        assert await fresh.get_appearance() == expected
        again = make_page(qtbot, fresh)
        assert await again.load()
        assert again.current_theme() == expected
        assert pixel(again, "primaryColor") == "#e040fb"
    finally:
        await fresh.aclose()


async def test_revert_goes_back_to_the_server_theme(qtbot, page: ThemeEditorPage) -> None:
    type_into(qtbot, page.slot_row("backgroundColor").edit, "#ffffff")
    page.enabled_check.click()
    assert page.is_dirty()
    qtbot.mouseClick(page.revert_button, Qt.MouseButton.LeftButton)
    assert page.current_theme() == BRAND
    assert pixel(page, "backgroundColor") == BRAND.backgroundColor
    assert not page.save_button.isEnabled() and not page.revert_button.isEnabled()


async def test_server_gone_reports_a_problem_and_keeps_the_edits(qtbot, server_process: ServerProcess) -> None:
    client = await admin_client(server_process)
    try:
        page = make_page(qtbot, client)
        assert await page.load()
        type_into(qtbot, page.slot_row("accentColor").edit, "#ff6d00")
        server_process.stop()
        problem = next_emission(page.problem)
        with qtbot.assertNotEmitted(page.themeApplied, wait=0):
            assert not await page.save()
        (error,) = await emitted(problem)
        assert isinstance(error, ConnectionFailed)
        assert "Cannot reach the server" in describe_error(error)
        assert page.slot_row("accentColor").text() == "#ff6d00"
        assert page.save_button.isEnabled()  # ready for the retry
        assert "still here" in page.status.text()
        problem = next_emission(page.problem)
        assert not await page.load()  # the window's retry, still without a server
        assert isinstance((await emitted(problem))[0], ConnectionFailed)
        assert page.slot_row("accentColor").text() == "#ff6d00"
    finally:
        await client.aclose()


class SlowTransport(httpx.AsyncHTTPTransport):
    """The real network, each request held back a while: a slow server."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(BUSY_DELAY_MS / 1000 * 2)
        return await super().handle_async_request(request)


async def test_busy_indicator_for_slow_calls(qtbot, client: MeetDeskClient, shared_server: ServerProcess) -> None:
    slow = await admin_client(shared_server, transport=SlowTransport())
    try:
        page = make_page(qtbot, slow)
        loading = asyncio.ensure_future(page.load())
        await wait_until(page.is_busy_visible, what="the busy indicator")
        assert "Loading" in page.status.text()
        assert await loading
        assert not page.is_busy_visible()
        type_into(qtbot, page.slot_row("primaryColor").edit, "#ff0000")
        saving = asyncio.ensure_future(page.save())
        await wait_until(page.is_busy_visible, what="the busy indicator")
        assert not page.save_button.isEnabled()  # no second save while one is running
        assert await saving
        assert not page.is_busy_visible()
    finally:
        await slow.aclose()


# --- presets and files ---------------------------------------------------------------------------


async def test_preset_applied(qtbot, page: ThemeEditorPage) -> None:
    combo = page.preset_combo
    combo.setCurrentIndex(combo.findData("high-contrast"))
    qtbot.mouseClick(page.preset_button, Qt.MouseButton.LeftButton)
    preset = core.read_theme_file(core.SOURCE_PRESETS_DIR / "high-contrast.json")
    assert page.current_theme() == preset
    assert pixel(page, "primaryColor") == preset.primaryColor
    assert page.save_button.isEnabled()
    assert all(page.slot_row(slot).message_text() == "" for slot in core.SLOTS)  # the preset reads well


async def test_import_a_good_file_and_a_bad_one(qtbot, page: ThemeEditorPage, tmp_path: Path) -> None:
    good = tmp_path / "ocean.json"
    ocean = BRAND.model_copy(update={"name": "ocean", "primaryColor": "#0077b6", "surfaceColor": None})
    good.write_text(json.dumps(ocean.model_dump(exclude_none=True)))
    assert page.import_file(good)
    assert page.current_theme() == ocean
    assert page.slot_row("surfaceColor").text() == ""  # left to the default, shown as the placeholder
    assert "#22262e" in page.slot_row("surfaceColor").edit.placeholderText()
    assert "Imported ocean.json" in page.status.text()

    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "enabled": true, "baseTheme": "light", "primaryColor": "blue"}')
    assert not page.import_file(bad)
    assert "Could not import bad.json" in page.status.text()
    assert "primaryColor 'blue' is not a hex colour" in page.status.text()
    assert page.current_theme() == ocean  # nothing changed
    not_json = tmp_path / "notes.json"
    not_json.write_text("colours: blue")
    assert not page.import_file(not_json)
    assert "it is not JSON" in page.status.text()
    assert page.current_theme() == ocean


async def test_export_writes_a_file_that_imports_back(qtbot, page: ThemeEditorPage, tmp_path: Path) -> None:
    type_into(qtbot, page.slot_row("secondaryColor").edit, "#5c677d80")
    path = tmp_path / "mine.json"
    assert page.export_file(path)
    exported = page.current_theme()
    assert core.read_theme_file(path) == exported
    page.revert()
    assert page.current_theme() == BRAND
    assert page.import_file(path)
    assert page.current_theme() == exported
    type_into(qtbot, page.slot_row("secondaryColor").edit, "#5c67")  # valid (#rgba)
    type_into(qtbot, page.slot_row("secondaryColor").edit, "#5c677")  # not valid: nothing to export
    assert not page.export_button.isEnabled()
    assert not page.export_file(tmp_path / "broken.json")
    assert not (tmp_path / "broken.json").exists()


async def test_file_dialogs_do_not_block(qtbot, page: ThemeEditorPage, tmp_path: Path) -> None:
    """The buttons open their dialog and return at once; accepting a file exports or imports it."""
    path = tmp_path / "via-dialog.json"
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    dialog = page.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(path))
    dialog.accept()
    assert core.read_theme_file(path) == BRAND
    await wait_until(lambda: page.findChild(QFileDialog) is None, what="the dialog to go")
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    dialog = page.findChild(QFileDialog)
    dialog.selectFile(str(path))
    dialog.accept()
    assert "Imported via-dialog.json" in page.status.text()


# --- keyboard, accessibility, looks --------------------------------------------------------------


async def test_every_control_is_named_and_in_reading_order(page: ThemeEditorPage) -> None:
    focusable = [
        w
        for w in page.findChildren(QWidget)
        if w.isVisible()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and w.isEnabled()
        and w.window() is page
        and not w.inherits("QScrollBar")
        and not w.inherits("QScrollArea")
    ]
    assert len(focusable) >= 16
    unnamed = [w for w in focusable if not w.accessibleName()]
    assert unnamed == []
    # Tab walks the form in reading order: name, switch, base style, each colour, presets, files, save
    page.enabled_check.click()  # a change, so that Revert and Save take part
    chain, widget = [], page.name_edit
    while len(chain) < 100:
        if widget in focusable or widget in (page.revert_button, page.save_button):
            chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is page.name_edit:
            break
    order = [page.name_edit, page.enabled_check, page.light_radio, page.dark_radio]
    order += [w for slot in core.SLOTS for w in (page.slot_row(slot).edit, page.slot_row(slot).swatch)]
    order += [page.preset_combo, page.preset_button, page.import_button, page.export_button]
    order += [page.revert_button, page.save_button]
    assert chain[: len(order)] == order


def clipped(widget: QLabel | QAbstractButton) -> bool:
    """Whether a label's or a button's text needs more room than it has."""
    if isinstance(widget, QLabel) and widget.wordWrap():
        return widget.heightForWidth(widget.width()) > widget.height()
    hint = widget.sizeHint()
    return hint.width() > widget.width() or hint.height() > widget.height()


@pytest.mark.parametrize("shot", ["default-light", "default-dark", "high-contrast", "messages"])
async def test_page_renders_without_clipping(qtbot, qapp, page: ThemeEditorPage, shot: str) -> None:
    """The page at a real window's size, the app in a preset's look (``messages``: the light one, with a
    contrast warning and a bad hex showing); PNGs in $MEETDESK_SHOTS when it is set."""
    preset = "default-light" if shot == "messages" else shot
    theme = core.read_theme_file(core.SOURCE_PRESETS_DIR / f"{preset}.json")
    try:
        apply_theme(qapp, theme)
        page.apply_preset(preset)
        for slot in ("primaryColor", "accentColor"):
            assert pixel(page, slot) == getattr(theme, slot)
        if shot == "messages":
            type_into(qtbot, page.slot_row("primaryColor").edit, "#7a7a7a")
            type_into(qtbot, page.slot_row("accentColor").edit, "#0f9d5")
            assert page.slot_row("primaryColor").message.isVisible()
            assert page.slot_row("accentColor").message.isVisible()
        widgets: list[QLabel | QAbstractButton] = [*page.findChildren(QLabel), *page.findChildren(QAbstractButton)]
        texts = [w for w in widgets if w.isVisible() and w.text()]

        QCoreApplication.sendPostedEvents()  # the layouts' catching up with the new style sheet's sizes
        assert [w.text() for w in texts if clipped(w)] == []
        shots = os.environ.get("MEETDESK_SHOTS")
        if shots:
            os.makedirs(shots, exist_ok=True)
            assert page.grab().save(os.path.join(shots, f"theme-{shot}.png"))
    finally:
        apply_theme(qapp, None)
        qapp.setStyleSheet("")
        qapp.setPalette(qapp.style().standardPalette())
        qapp.styleHints().unsetColorScheme()

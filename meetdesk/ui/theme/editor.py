"""The configuration page's theme editor: the five colour slots, light or dark base, on or off, a live preview
of a meeting, readability warnings, presets, theme files, and saving to the server."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDir, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError
from meetdesk.core import theme as core
from meetdesk.core.models import MeetRoomTheme
from meetdesk.ui.messages import field_errors
from meetdesk.ui.theme.presets import builtin_presets
from meetdesk.ui.theme.preview import MeetingPreview
from meetdesk.ui.theme.slots import ColourSlotRow, colour_name, contrast_message, invalid_message
from meetdesk.ui.theme.theming import VARIANT

logger = logging.getLogger(__name__)

#: Show the busy indicator only for calls slower than this (ms): quick ones would just flicker.
BUSY_DELAY_MS = 300


@dataclass(frozen=True)
class _FormState:
    """What the form says, for telling whether it differs from what the server has."""

    name: str
    enabled: bool
    base: str
    colours: tuple[str, ...]

    @classmethod
    def of(cls, theme: MeetRoomTheme) -> _FormState:
        colours = tuple((getattr(theme, slot) or "").lower() for slot in core.SLOTS)
        return cls(theme.name, theme.enabled, theme.baseTheme, colours)


def _stacked(*widgets: QWidget) -> QVBoxLayout:
    """``widgets`` one above the other, without margins (a field and its message)."""
    box = QVBoxLayout()
    box.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        box.addWidget(widget)
    return box


def _not_set() -> MeetRoomTheme:
    """What the page shows when the server has no theme: the default light look, switched off."""
    return core.DEFAULT_LIGHT.model_copy(update={"enabled": False})


class ThemeEditorPage(QWidget):
    """Edit the theme of meeting windows and save it to the server.

    A new page shows the default light look until :meth:`load` shows the server's theme (the window calls it
    when the page is first shown, and again for a retry); :meth:`save` stores the form's. Both are coroutines
    on the app's qasync loop (the Save button and Ctrl+S run :meth:`save`) and never raise: a failure is
    reported through ``problem``. The busy indicator shows when a call takes over :data:`BUSY_DELAY_MS`.

    Signals:
        themeApplied(object): the :class:`MeetRoomTheme` (or None: the server has none) that is now in effect,
            after a successful load or save; the window restyles the app with it.
        problem(object): the exception of a server call that failed for a reason other than a bad field (the
            server is unreachable, the sign-in expired...); the window shows it with a retry.
    """

    themeApplied = Signal(object)
    problem = Signal(object)

    def __init__(self, client: MeetDeskClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._saved: MeetRoomTheme = _not_set()
        self._busy = False
        self._busy_text = ""
        self._last_dir = QDir.homePath()
        self._presets = builtin_presets()
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self._build()
        self._show_theme(self._saved)

    # building ------------------------------------------------------------------------------------

    def _build(self) -> None:
        scroll = QScrollArea(self)
        form = self._build_form()
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(form.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        top = QHBoxLayout()
        top.addWidget(scroll, 0)
        top.addLayout(self._build_preview(), 1)
        outer = QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addLayout(self._build_actions())
        QShortcut(
            QKeySequence(QKeySequence.StandardKey.Save),
            self,
            self._on_save_shortcut,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        order: list[QWidget] = [self.name_edit, self.enabled_check, self.light_radio, self.dark_radio]
        for row in self._rows.values():
            order += [row.edit, row.swatch]
        order += [self.preset_combo, self.preset_button, self.import_button, self.export_button]
        order += [self.revert_button, self.save_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _build_form(self) -> QWidget:
        """The left column: title, name, on/off, base style, the colours, presets."""
        form = QWidget(self)
        column = QVBoxLayout(form)
        title = QLabel(self.tr("Appearance"), form)
        font = self._bold(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        title.setFont(font)
        intro = QLabel(
            self.tr(
                "The colours of meeting windows, for everyone who joins. The preview shows your changes; "
                "Save applies them."
            ),
            form,
        )
        intro.setWordWrap(True)
        column.addWidget(title)
        column.addWidget(intro)

        general = QFormLayout()
        general.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(form)
        self.name_edit.setMaxLength(50)
        self.name_edit.setAccessibleName(self.tr("Theme name"))
        self.name_edit.setToolTip(self.tr("Letters, digits, - and _ (it also names exported files)"))
        self.name_edit.textChanged.connect(self._edited)
        self.name_error = QLabel(form)
        self.name_error.setWordWrap(True)
        self.name_error.setAccessibleName(self.tr("Message about the theme name"))
        self.name_error.hide()
        name_label = QLabel(self.tr("&Name:"), form)
        name_label.setBuddy(self.name_edit)
        general.addRow(name_label, _stacked(self.name_edit, self.name_error))

        self.enabled_check = QCheckBox(self.tr("&Use this theme in meetings"), form)
        self.enabled_check.setAccessibleName(self.tr("Use this theme in meetings"))
        self.enabled_check.toggled.connect(self._edited)
        enabled_hint = QLabel(self.tr("When off, meetings use the default light or dark look."), form)
        enabled_hint.setWordWrap(True)
        enabled_hint.setProperty("hint", True)
        general.addRow("", _stacked(self.enabled_check, enabled_hint))

        self.light_radio = QRadioButton(self.tr("&Light"), form)
        self.dark_radio = QRadioButton(self.tr("&Dark"), form)
        self.light_radio.setAccessibleName(self.tr("Light base style"))
        self.dark_radio.setAccessibleName(self.tr("Dark base style"))
        self._base_group = QButtonGroup(self)
        base_row = QHBoxLayout()
        for radio in (self.light_radio, self.dark_radio):
            self._base_group.addButton(radio)
            radio.toggled.connect(self._on_base_toggled)
            base_row.addWidget(radio)
        base_row.addStretch(1)
        general.addRow(QLabel(self.tr("Base style:"), form), base_row)
        column.addLayout(general)

        colours = QGroupBox(self.tr("Colours"), form)
        grid = QGridLayout(colours)
        grid.setColumnStretch(2, 1)
        self._rows: dict[core.Slot, ColourSlotRow] = {}
        for index, slot in enumerate(core.SLOTS):
            row = ColourSlotRow(slot, grid, index * ColourSlotRow.ROWS, colours)
            row.changed.connect(self._edited)
            row.pickRequested.connect(self.pick_colour)
            self._rows[slot] = row
        column.addWidget(colours)

        presets = QGroupBox(self.tr("Start from a preset"), form)
        preset_row = QHBoxLayout(presets)
        self.preset_combo = QComboBox(presets)
        self.preset_combo.setAccessibleName(self.tr("Preset"))
        for preset in self._presets:
            self.preset_combo.addItem(self._preset_label(preset.name), preset.name)
        self.preset_button = QPushButton(self.tr("A&pply preset"), presets)
        self.preset_button.setProperty(VARIANT, "secondary")
        self.preset_button.setAccessibleName(self.tr("Apply the chosen preset"))
        self.preset_button.clicked.connect(lambda: self.apply_preset(str(self.preset_combo.currentData())))
        preset_row.addWidget(self.preset_combo, 1)
        preset_row.addWidget(self.preset_button)
        column.addWidget(presets)
        column.addStretch(1)
        return form

    def _build_preview(self) -> QVBoxLayout:
        title = QLabel(self.tr("Preview"), self)
        title.setFont(self._bold(title.font()))
        self.preview = MeetingPreview(self)
        self.preview_note = QLabel(self)
        self.preview_note.setWordWrap(True)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(self.preview, 1)
        column.addWidget(self.preview_note)
        return column

    def _build_actions(self) -> QHBoxLayout:
        """The bottom row: files, the status line, the busy indicator, Revert and Save."""
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(self.fontMetrics().height() * 6)
        self.busy_bar.setAccessibleName(self.tr("Working"))
        self.busy_bar.hide()
        self.import_button = QPushButton(self.tr("&Import…"), self)
        self.export_button = QPushButton(self.tr("E&xport…"), self)
        self.revert_button = QPushButton(self.tr("&Revert"), self)
        self.save_button = QPushButton(self.tr("&Save"), self)
        for button, name, slot in (
            (self.import_button, self.tr("Import a theme file"), self.choose_import_file),
            (self.export_button, self.tr("Export the theme to a file"), self.choose_export_file),
            (self.revert_button, self.tr("Revert to the saved theme"), self.revert),
            (self.save_button, self.tr("Save the theme"), self._on_save_clicked),
        ):
            button.setAccessibleName(name)
            button.clicked.connect(slot)
            if button is not self.save_button:
                button.setProperty(VARIANT, "secondary")
        self.revert_button.setToolTip(self.tr("Back to the theme the server has"))
        self.save_button.setToolTip(self.tr("Save for everyone (Ctrl+S)"))
        row = QHBoxLayout()
        for widget, stretch in (
            (self.import_button, 0),
            (self.export_button, 0),
            (self.status, 1),
            (self.busy_bar, 0),
            (self.revert_button, 0),
            (self.save_button, 0),
        ):
            row.addWidget(widget, stretch)
        return row

    @staticmethod
    def _bold(font: QFont) -> QFont:
        bold = QFont(font)
        bold.setBold(True)
        return bold

    def _preset_label(self, name: str) -> str:
        known = {
            "default-light": self.tr("Default light"),
            "default-dark": self.tr("Default dark"),
            "high-contrast": self.tr("High contrast"),
        }
        return known.get(name, name)

    # the form ------------------------------------------------------------------------------------

    def _base(self) -> core.BaseStyle:
        return "dark" if self.dark_radio.isChecked() else "light"

    def _state(self) -> _FormState:
        colours = tuple(self._rows[slot].text() for slot in core.SLOTS)
        return _FormState(self.name_edit.text().strip(), self.enabled_check.isChecked(), self._base(), colours)

    def is_dirty(self) -> bool:
        """Whether the form differs from the theme on the server."""
        return self._state() != _FormState.of(self._saved)

    def _name_error(self) -> str:
        name = self.name_edit.text().strip()
        if not name:
            return self.tr("Give the theme a name.")
        if not core.THEME_NAME.match(name):
            return self.tr("Use only letters, digits, - and _ in the name.")
        return ""

    def current_theme(self) -> MeetRoomTheme | None:
        """The theme the form describes, or None while a field is not valid."""
        if self._name_error() or any(row.error() for row in self._rows.values()):
            return None
        colours = {slot: self._rows[slot].text() or None for slot in core.SLOTS}
        return MeetRoomTheme(
            name=self.name_edit.text().strip(),
            enabled=self.enabled_check.isChecked(),
            baseTheme=self._base(),
            **colours,
        )

    def _preview_theme(self) -> MeetRoomTheme:
        """The form as the preview shows it: a field that is not valid keeps its last valid colour."""
        colours = {slot: self._rows[slot].colour_text() for slot in core.SLOTS}
        return MeetRoomTheme(name="preview", enabled=True, baseTheme=self._base(), **colours)

    def _show_theme(self, theme: MeetRoomTheme) -> None:
        """Put ``theme`` in the form (one refresh at the end, not one per field)."""
        widgets = [self.name_edit, self.enabled_check, self.light_radio, self.dark_radio]
        widgets += [row.edit for row in self._rows.values()]
        blockers = [QSignalBlocker(widget) for widget in widgets]
        self.name_edit.setText(theme.name)
        self.enabled_check.setChecked(theme.enabled)
        (self.dark_radio if theme.baseTheme == "dark" else self.light_radio).setChecked(True)
        for slot, row in self._rows.items():
            row.set_text(getattr(theme, slot))
        del blockers
        for row in self._rows.values():
            row.sync()
        self._refresh()

    def _on_base_toggled(self, checked: bool) -> None:
        if not checked:  # each switch toggles two radios; act once
            return
        new = self._base()
        kept = self._switch_default_colours("dark" if new == "light" else "light", new)
        self._edited()
        if kept:
            self._say(
                self.tr(
                    "Colours left at the defaults now take the {base} ones; %n colour(s) of your own kept.", "", kept
                ).format(base=self.tr("dark") if new == "dark" else self.tr("light"))
            )

    def _switch_default_colours(self, old: core.BaseStyle, new: core.BaseStyle) -> int:
        """Slots showing ``old``'s default colour take ``new``'s (what the base style is for: a preset such as
        default-light becomes default-dark); colours the user chose stay. Returns how many stayed."""
        before, after = core.default_theme(old), core.default_theme(new)
        kept = 0
        for slot, row in self._rows.items():
            text = row.text()
            if text and text == str(getattr(before, slot)).lower():
                blocker = QSignalBlocker(row.edit)
                row.set_text(getattr(after, slot))
                del blocker
                row.sync()
            elif text:
                kept += 1
        return kept

    def _edited(self) -> None:
        """A change by the user: the last status ("Saved.", "Imported...") no longer describes the form."""
        self._say("")
        self._refresh()

    def _refresh(self) -> None:
        """Validate, repaint the preview, place the messages, enable the buttons."""
        name_error = self._name_error()
        self.name_error.setText(name_error)
        self.name_error.setVisible(bool(name_error))
        self.name_edit.setAccessibleDescription(name_error)

        default = core.default_theme(self._base())
        for slot, row in self._rows.items():
            row.set_default(str(getattr(default, slot)))
        tokens = core.derive_tokens(self._preview_theme())
        self.preview.set_tokens(tokens)
        # text contrast first, then controls against what they sit on (WCAG 1.4.11), one line each
        issues: dict[str, list[str]] = {}
        for issue in core.contrast_issues(tokens):
            issues.setdefault(issue.slot, []).append(contrast_message(issue))
        for slot, row in self._rows.items():
            error = row.error()
            if error is not None:
                row.show_message(invalid_message(error), error=True)
            else:
                row.show_message("\n".join(issues.get(slot, [])), error=False)

        if self.enabled_check.isChecked():
            self.preview_note.setText("")
        else:
            self.preview_note.setText(
                self.tr("This theme is off: meetings use the default {base} look until you turn it on.").format(
                    base=self.tr("dark") if self._base() == "dark" else self.tr("light")
                )
            )
        self.preview_note.setVisible(bool(self.preview_note.text()))
        self._update_buttons()

    def _update_buttons(self) -> None:
        dirty, valid = self.is_dirty(), self.current_theme() is not None
        self.save_button.setEnabled(dirty and valid and not self._busy)
        self.revert_button.setEnabled(dirty and not self._busy)
        self.export_button.setEnabled(valid)
        self.import_button.setEnabled(not self._busy)
        self.preset_button.setEnabled(bool(self._presets))

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # actions -------------------------------------------------------------------------------------

    def slot_row(self, slot: core.Slot) -> ColourSlotRow:
        return self._rows[slot]

    def revert(self) -> None:
        """Back to the theme the server has (as last loaded or saved)."""
        self._show_theme(self._saved)
        self._say(self.tr("Reverted to the saved theme."))

    def apply_preset(self, name: str) -> bool:
        preset = next((p for p in self._presets if p.name == name), None)
        if preset is None:
            return False
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(name))
        self._show_theme(preset)
        self._say(self.tr("Preset “{preset}” applied. Save to use it.").format(preset=self._preset_label(name)))
        return True

    def pick_colour(self, slot: str) -> QColorDialog:
        """Open the colour picker for ``slot`` (window-modal, without blocking); choosing fills the entry."""
        row = self._rows[slot]  # type: ignore[index]
        dialog = QColorDialog(row.shown_colour(), self)
        dialog.setOption(QColorDialog.ColorDialogOption.ShowAlphaChannel)
        dialog.setWindowTitle(self.tr("Colour of {slot}").format(slot=row.label.text().replace("&&", "&")))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.colorSelected.connect(lambda colour: self.set_colour(slot, colour))
        dialog.open()
        return dialog

    def set_colour(self, slot: str, colour: QColor | str) -> None:
        text = colour_name(colour) if isinstance(colour, QColor) else colour
        self._rows[slot].set_text(text)  # type: ignore[index]

    def import_file(self, path: str | Path) -> bool:
        """Show the theme in a JSON file in the form; a file that is not one changes nothing and says why."""
        path = Path(path)
        try:
            theme = core.read_theme_file(path)
        except core.ThemeFileError as exc:
            self._say(self.tr("Could not import {file}: {reason}.").format(file=path.name, reason=exc))
            return False
        self._last_dir = str(path.parent)
        self._show_theme(theme)
        self._say(self.tr("Imported {file}. Save to use it.").format(file=path.name))
        return True

    def export_file(self, path: str | Path) -> bool:
        """Write the form's theme to a JSON file (only when every field is valid)."""
        path = Path(path)
        theme = self.current_theme()
        if theme is None:
            self._say(self.tr("Fix the fields marked above before exporting."))
            return False
        try:
            core.write_theme_file(theme, path)
        except core.ThemeFileError as exc:
            self._say(self.tr("Could not export to {file}: {reason}.").format(file=path.name, reason=exc))
            return False
        self._last_dir = str(path.parent)
        self._say(self.tr("Exported to {file}.").format(file=str(path)))
        return True

    def _file_dialog(self, title: str, save: bool) -> QFileDialog:
        dialog = QFileDialog(self, title, self._last_dir, self.tr("Theme files (*.json);;All files (*)"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix("json")
            dialog.selectFile(f"{self.name_edit.text().strip() or 'theme'}.json")
            dialog.fileSelected.connect(self.export_file)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.fileSelected.connect(self.import_file)
        dialog.open()
        return dialog

    def choose_import_file(self) -> QFileDialog:
        return self._file_dialog(self.tr("Import a theme"), save=False)

    def choose_export_file(self) -> QFileDialog:
        return self._file_dialog(self.tr("Export the theme"), save=True)

    # the server ----------------------------------------------------------------------------------

    @asynccontextmanager
    async def _working(self, text: str) -> AsyncIterator[None]:
        self._busy = True
        self._busy_text = text
        self._busy_timer.start()
        self._update_buttons()
        try:
            yield
        finally:
            self._busy = False
            self._busy_timer.stop()
            self.busy_bar.hide()
            self._update_buttons()

    def _show_busy(self) -> None:
        self.busy_bar.show()
        self._say(self._busy_text)

    def is_busy_visible(self) -> bool:
        return not self.busy_bar.isHidden()

    async def load(self) -> bool:
        """Show the server's theme (and emit ``themeApplied``); False, with ``problem`` emitted, on failure."""
        if self._busy:
            return False
        async with self._working(self.tr("Loading the theme…")):
            try:
                theme = await self._client.get_appearance()
            except Exception as exc:  # every failure goes to the window's banner
                logger.warning("ThemeEditor: loading the theme failed: %s", exc)
                self._say("")
                self.problem.emit(exc)
                return False
        self._saved = theme or _not_set()
        self._show_theme(self._saved)
        self._say("" if theme else self.tr("No theme is set on the server: meetings use the default look."))
        self.themeApplied.emit(theme)
        return True

    async def save(self) -> bool:
        """Store the form's theme on the server (and emit ``themeApplied``); False when it was not saved."""
        theme = self.current_theme()
        if theme is None or self._busy:
            return False
        async with self._working(self.tr("Saving…")):
            try:
                await self._client.set_appearance(theme)
            except Exception as exc:  # a bad field goes next to it, the rest to the banner
                logger.warning("ThemeEditor: saving the theme failed: %s", exc)
                if not self._show_field_errors(exc):
                    self._say(self.tr("Not saved: your changes are still here."))
                    self.problem.emit(exc)
                return False
        self._saved = theme
        self._refresh()
        if theme.enabled:
            self._say(self.tr("Saved. Meetings now use this theme."))
        else:
            self._say(self.tr("Saved. The theme is off: meetings use the default look."))
        self.themeApplied.emit(theme)
        return True

    def _show_field_errors(self, exc: Exception) -> bool:
        """Put the server's per-field messages next to their fields; whether any field was one of ours."""
        if not isinstance(exc, ApiError):
            return False
        shown = False
        for field, message in field_errors(exc).items():
            leaf = field.rsplit(".", 1)[-1]
            if leaf in self._rows:
                self._rows[leaf].show_message(message, error=True)
                shown = True
            elif leaf == "name":
                self.name_error.setText(message)
                self.name_error.show()
                shown = True
        if shown:
            self._say(self.tr("Not saved: the server refused the fields marked above."))
        return shown

    @asyncSlot()
    async def _on_save_clicked(self) -> None:
        await self.save()

    def _on_save_shortcut(self) -> None:
        if self.save_button.isEnabled():
            self.save_button.click()

"""One colour slot of the theme editor: its name, a swatch that opens the colour picker, the hex entry, and the
message under them (a hex that is not a colour, or text that would be hard to read on it)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QStyle, QToolButton, QWidget

from meetdesk.core.theme import ContrastIssue, InvalidColour, Slot, format_ratio, parse_hex


def _tr(text: str) -> str:
    return QCoreApplication.translate("ThemeEditorPage", text)


def slot_label(slot: Slot) -> str:
    """The slot's name as the settings page shows it ("Main background")."""
    return {
        "backgroundColor": _tr("Main background"),
        "primaryColor": _tr("Main controls"),
        "secondaryColor": _tr("Secondary elements"),
        "accentColor": _tr("Highlights && accents"),
        "surfaceColor": _tr("Panels && dialogs"),
    }[slot]


def slot_hint(slot: Slot) -> str:
    return {
        "backgroundColor": _tr("Behind the participant tiles and the toolbar"),
        "primaryColor": _tr("Main buttons such as Leave and Send"),
        "secondaryColor": _tr("Less prominent buttons, the screen-sharing banner"),
        "accentColor": _tr("The active speaker, initials, selections"),
        "surfaceColor": _tr("The chat and participants panels, menus, dialogs"),
    }[slot]


def pair_label(slot: Slot) -> str:
    """Which text the contrast warning is about ("Text on main controls")."""
    return {
        "backgroundColor": _tr("Text on the main background"),
        "primaryColor": _tr("Text on main controls"),
        "secondaryColor": _tr("Text on secondary elements"),
        "accentColor": _tr("Text on highlights and accents"),
        "surfaceColor": _tr("Text on panels and dialogs"),
    }[slot]


def invalid_message(error: InvalidColour) -> str:
    return {
        "empty": _tr("Enter a colour such as #1f6feb."),
        "no_hash": _tr("Not a colour: start with #, as in #1f6feb."),
        "digits": _tr("Not a colour: only 0–9 and a–f may follow #."),
        "length": _tr("Not a colour: use 3, 4, 6 or 8 hex digits after #, as in #1f6feb."),
    }[error.reason]


def against_label(slot: Slot, against: Slot) -> str:
    """Which control the non-text contrast warning is about, and what it sits on (WCAG 1.4.11)."""
    controls = {
        "primaryColor": _tr("Main controls"),
        "secondaryColor": _tr("Secondary elements"),
        "accentColor": _tr("Highlights and accents"),
    }
    backdrops = {"backgroundColor": _tr("the main background"), "surfaceColor": _tr("panels and dialogs")}
    return _tr("{controls} against {backdrop}").format(
        controls=controls.get(slot, slot_label(slot)), backdrop=backdrops.get(against, slot_label(against))
    )


def contrast_message(issue: ContrastIssue) -> str:
    pair = pair_label(issue.slot) if issue.against is None else against_label(issue.slot, issue.against)
    return _tr("{pair}: {ratio}:1, below {minimum}:1. Choose a lighter or darker colour.").format(
        pair=pair, ratio=format_ratio(issue.ratio), minimum=f"{issue.minimum:g}"
    )


def colour_name(colour: QColor) -> str:
    """``#rrggbb``, or ``#rrggbbaa`` when translucent (QColor's own ARGB form puts alpha first)."""
    name = colour.name(QColor.NameFormat.HexRgb)
    return name if colour.alpha() == 255 else f"{name}{colour.alpha():02x}"


class ColourSlotRow(QObject):
    """The widgets of one slot, on three rows of the editor's grid (:data:`ROWS`): name, swatch and entry;
    what the slot colours; the message.

    Signals:
        changed: the hex text changed (typed, picked or set), valid or not.
        pickRequested(str): the swatch was clicked; the argument is the slot.
    """

    changed = Signal()
    pickRequested = Signal(str)

    ROWS = 3

    def __init__(self, slot: Slot, grid: QGridLayout, row: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.slot = slot
        self._default = "#000000"
        self._last_valid: str | None = None
        metrics = QFontMetrics(parent.font())
        name = slot_label(slot)

        self.label = QLabel(name, parent)
        self.swatch = QToolButton(parent)
        self.swatch.setAutoRaise(False)
        self.swatch.setIconSize(QSize(round(metrics.height() * 1.6), round(metrics.height() * 1.1)))
        self.swatch.setAccessibleName(_tr("Pick the colour of {slot}").format(slot=name.replace("&&", "&")))
        self.swatch.setToolTip(_tr("Pick a colour"))
        self.swatch.clicked.connect(lambda: self.pickRequested.emit(self.slot))
        self.edit = QLineEdit(parent)
        self.edit.setMaxLength(9)
        self.edit.setMinimumWidth(metrics.horizontalAdvance("#DDDDDDDD") + metrics.height() * 2)
        self.edit.setAccessibleName(_tr("{slot}, hex colour").format(slot=name.replace("&&", "&")))
        self.edit.setToolTip(_tr("A hex colour: #RGB, #RRGGBB, or with transparency #RGBA, #RRGGBBAA"))
        self.label.setBuddy(self.edit)
        self.edit.textChanged.connect(self._on_text_changed)

        self.message_icon = QLabel(parent)
        self.message = QLabel(parent)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName(_tr("Message about {slot}").format(slot=name.replace("&&", "&")))
        message_row = QHBoxLayout()
        message_row.setContentsMargins(0, 0, 0, 0)
        message_row.addWidget(self.message_icon, 0, Qt.AlignmentFlag.AlignTop)
        message_row.addWidget(self.message, 1)
        self._message_box = QWidget(parent)
        self._message_box.setLayout(message_row)
        self._message_box.hide()

        self.hint = QLabel(slot_hint(slot), parent)
        self.hint.setWordWrap(True)
        self.hint.setProperty("hint", True)

        grid.addWidget(self.label, row, 0)
        grid.addWidget(self.swatch, row, 1)
        grid.addWidget(self.edit, row, 2)
        grid.addWidget(self.hint, row + 1, 0, 1, 3)
        grid.addWidget(self._message_box, row + 2, 0, 1, 3)
        self._paint_swatch()

    # text ----------------------------------------------------------------------------------------

    def text(self) -> str:
        """The entry's text, trimmed and in lower case ("" = the base style's default)."""
        return self.edit.text().strip().lower()

    def set_text(self, text: str | None) -> None:
        self.edit.setText(text or "")

    def set_default(self, colour: str) -> None:
        """The colour an empty entry stands for (shown as its placeholder)."""
        self._default = colour
        self.edit.setPlaceholderText(_tr("{colour} (default)").format(colour=colour))
        self._paint_swatch()

    def error(self) -> InvalidColour | None:
        """Why the text is not a colour; None when it is one or is empty."""
        text = self.text()
        if not text:
            return None
        try:
            parse_hex(text)
        except InvalidColour as exc:
            return exc
        return None

    def colour_text(self) -> str | None:
        """The colour for the preview: the text when valid, else the last valid one (None = default)."""
        return self._last_valid if self.error() else (self.text() or None)

    def shown_colour(self) -> QColor:
        """The colour the swatch shows (QColor reads neither #rgba nor #rrggbbaa the CSS way)."""
        rgba = parse_hex(self.colour_text() or self._default)
        return QColor(rgba.r, rgba.g, rgba.b, rgba.a)

    def sync(self) -> None:
        """Catch up with text set while the entry's signals were blocked (without emitting ``changed``)."""
        if self.error() is None:
            self._last_valid = self.text() or None
        self._paint_swatch()

    def _on_text_changed(self) -> None:
        self.sync()
        self.changed.emit()

    # messages ------------------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool) -> None:
        """Show ``text`` under the entry ("" hides it); the entry's description carries it to screen readers."""
        self.message.setText(text)
        self.edit.setAccessibleDescription(text)
        if text:
            pixmap = (
                QStyle.StandardPixmap.SP_MessageBoxCritical if error else QStyle.StandardPixmap.SP_MessageBoxWarning
            )
            side = QFontMetrics(self.message.font()).height()
            self.message_icon.setPixmap(self.message.style().standardIcon(pixmap).pixmap(side, side))
        self._message_box.setVisible(bool(text))

    def message_text(self) -> str:
        """The message shown under the entry ("" when none)."""
        return "" if self._message_box.isHidden() else self.message.text()

    def _paint_swatch(self) -> None:
        size = self.swatch.iconSize()
        ratio = self.swatch.devicePixelRatioF()
        pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
        # A checkerboard under translucent colours shows their transparency.
        colour = self.shown_colour()
        if colour.alpha() < 255:
            half = size.height() / 2
            for i in range(int(size.width() / half) + 1):
                for j in (0, 1):
                    shade = QColor("#ffffff") if (i + j) % 2 else QColor("#c8c8c8")
                    painter.fillRect(QRectF(i * half, j * half, half, half), shade)
        painter.setPen(QPen(QColor(128, 128, 128), 1))
        painter.setBrush(colour)
        painter.drawRoundedRect(rect, 3, 3)
        painter.end()
        self.swatch.setIcon(QIcon(pixmap))

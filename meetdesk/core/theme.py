"""Theme colours without Qt: hex parsing, WCAG contrast, the derived tokens a stylesheet needs, readability
checks, built-in presets and theme files.

A theme (:class:`~meetdesk.core.models.MeetRoomTheme`) names five colour slots and a light or dark base style.
:func:`derive_tokens` turns it into :class:`ThemeTokens`: every colour the desktop app paints with, each an
opaque ``#rrggbb`` (translucent slot colours are composited over what they sit on, so that what is checked
for contrast is what is seen). Text on each slot is chosen for contrast; :func:`contrast_issues` says where
even the better text colour stays below WCAG AA (4.5:1) — a mid-tone slot colour no text reads well on — and
where a control's colour does not stand out from what it sits on (WCAG 1.4.11 non-text contrast, 3:1).

The base style decides the defaults of the slots a theme leaves out, which way hover and pressed shades go,
the danger and error colours, and how disabled text is drawn.

``meetdesk.ui.theme.theming`` turns the tokens into a QPalette and a stylesheet; ``meetdesk.ui.theme.presets`` finds
the built-in presets (``themes/`` in a source tree, else the Qt resources compiled into ``meetdesk._rc``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pydantic

from meetdesk.core.models import MeetRoomTheme

logger = logging.getLogger(__name__)

BaseStyle = Literal["light", "dark"]
Slot = Literal["backgroundColor", "primaryColor", "secondaryColor", "accentColor", "surfaceColor"]

#: The five colour slots, in the order people see them.
SLOTS: Final[tuple[Slot, ...]] = ("backgroundColor", "primaryColor", "secondaryColor", "accentColor", "surfaceColor")
#: What each slot colours, in the words of the settings page (English; the UI translates its own copy).
SLOT_DESCRIPTIONS: Final[dict[Slot, str]] = {
    "backgroundColor": "main background",
    "primaryColor": "main controls",
    "secondaryColor": "secondary elements",
    "accentColor": "highlights & accents",
    "surfaceColor": "panels & dialogs",
}
#: WCAG 2.x level AA for normal text.
AA_TEXT: Final = 4.5
#: WCAG 2.x 1.4.11: boundaries of controls and focus indicators.
AA_NON_TEXT: Final = 3.0
THEME_NAME = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
#: A theme file is a few hundred bytes; anything far larger is not one.
MAX_THEME_FILE_BYTES: Final = 64 * 1024

DEFAULT_LIGHT: Final = MeetRoomTheme(
    name="default-light",
    enabled=True,
    baseTheme="light",
    backgroundColor="#f5f6f8",
    primaryColor="#1f6feb",
    secondaryColor="#6e7781",
    accentColor="#0f9d58",
    surfaceColor="#ffffff",
)
DEFAULT_DARK: Final = MeetRoomTheme(
    name="default-dark",
    enabled=True,
    baseTheme="dark",
    backgroundColor="#15171c",
    primaryColor="#4c8dff",
    secondaryColor="#9aa4b2",
    accentColor="#34d399",
    surfaceColor="#22262e",
)


# --- colours -------------------------------------------------------------------------------------


class InvalidColour(ValueError):
    """Text that is not a hex colour. ``reason`` is ``empty``, ``no_hash``, ``length`` or ``digits``."""

    def __init__(self, text: str, reason: Literal["empty", "no_hash", "length", "digits"]) -> None:
        hints = {
            "empty": "no colour given",
            "no_hash": "a hex colour starts with #",
            "length": "use #RGB, #RGBA, #RRGGBB or #RRGGBBAA",
            "digits": "only 0-9 and a-f may follow #",
        }
        super().__init__(f"{text!r} is not a hex colour: {hints[reason]}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True)
class Rgba:
    """An sRGB colour, 0-255 per channel; ``a`` is opacity (255 = opaque)."""

    r: int
    g: int
    b: int
    a: int = 255

    @property
    def hex(self) -> str:
        """``#rrggbb``, or ``#rrggbbaa`` when translucent."""
        rgb = f"#{self.r:02x}{self.g:02x}{self.b:02x}"
        return rgb if self.a == 255 else f"{rgb}{self.a:02x}"

    @property
    def opaque(self) -> bool:
        return self.a == 255


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_hex(text: str) -> Rgba:
    """``#rgb``, ``#rgba``, ``#rrggbb`` or ``#rrggbbaa`` (any case, as :class:`MeetRoomTheme` allows)."""
    if not text:
        raise InvalidColour(text, "empty")
    if not text.startswith("#"):
        raise InvalidColour(text, "no_hash")
    digits = text[1:]
    if not set(digits) <= _HEX_DIGITS:
        raise InvalidColour(text, "digits")
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    if len(digits) not in (6, 8):
        raise InvalidColour(text, "length")
    values = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
    return Rgba(*values)


def is_hex_colour(text: str) -> bool:
    try:
        parse_hex(text)
    except InvalidColour:
        return False
    return True


def composite(colour: Rgba, backdrop: Rgba) -> Rgba:
    """``colour`` painted over an opaque ``backdrop``: the opaque colour people see."""
    if colour.opaque:
        return colour
    alpha = colour.a / 255
    return Rgba(*(round(c * alpha + d * (1 - alpha)) for c, d in _pairs(colour, backdrop)))


def mix(colour: Rgba, other: Rgba, amount: float) -> Rgba:
    """``amount`` (0-1) of ``other`` blended into opaque ``colour``."""
    return Rgba(*(round(c + (o - c) * amount) for c, o in _pairs(colour, other)))


def _pairs(one: Rgba, two: Rgba) -> list[tuple[int, int]]:
    return [(one.r, two.r), (one.g, two.g), (one.b, two.b)]


def relative_luminance(colour: Rgba) -> float:
    """WCAG 2.x relative luminance of an opaque sRGB colour (0 = black, 1 = white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)


def contrast_ratio(one: Rgba, two: Rgba) -> float:
    """WCAG 2.x contrast ratio, 1 to 21, of two opaque colours (order does not matter)."""
    high, low = sorted((relative_luminance(one), relative_luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: The two text colours: near-black reads softer than pure black on light colours.
DARK_TEXT: Final = Rgba(0x16, 0x19, 0x1D)
LIGHT_TEXT: Final = Rgba(0xFF, 0xFF, 0xFF)
BLACK: Final = Rgba(0, 0, 0)
WHITE: Final = Rgba(0xFF, 0xFF, 0xFF)


def readable_text_on(colour: Rgba) -> Rgba:
    """The text colour (:data:`DARK_TEXT` or :data:`LIGHT_TEXT`) with more contrast on opaque ``colour``."""
    if contrast_ratio(DARK_TEXT, colour) >= contrast_ratio(LIGHT_TEXT, colour):
        return DARK_TEXT
    return LIGHT_TEXT


def format_ratio(ratio: float) -> str:
    """``4.47`` → ``"4.4"``: rounded down, so a failing ratio never reads as the threshold itself."""
    return f"{int(ratio * 10) / 10:.1f}"


# --- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeTokens:
    """Every colour the desktop app paints with, derived from one theme. All opaque ``#rrggbb``.

    ``on_x`` is the text colour on ``x``; ``x_hover`` and ``x_pressed`` are the shades of a control under the
    mouse and while pressed; ``border`` separates areas, ``input_border`` outlines fields (3:1 where the
    colours allow); ``focus`` marks the focused control (``button_focus`` around a button); ``link`` is a text
    colour readable on surfaces; ``error_text`` is the colour of error messages, readable on the background
    and on surfaces; ``disabled_text`` sits halfway (in contrast) between the text and the disabled fill, so
    that it reads as neither enabled text nor nothing.
    """

    base: BaseStyle
    background: str
    on_background: str
    muted_on_background: str
    surface: str
    on_surface: str
    muted_on_surface: str
    surface_alt: str
    primary: str
    on_primary: str
    primary_hover: str
    primary_pressed: str
    secondary: str
    on_secondary: str
    secondary_hover: str
    secondary_pressed: str
    accent: str
    on_accent: str
    danger: str
    on_danger: str
    danger_hover: str
    border: str
    input_border: str
    focus: str
    button_focus: str
    link: str
    disabled_fill: str
    disabled_text: str
    error_text: str


def default_theme(base: BaseStyle) -> MeetRoomTheme:
    return DEFAULT_DARK if base == "dark" else DEFAULT_LIGHT


def effective_theme(theme: MeetRoomTheme | None) -> MeetRoomTheme:
    """What the app shows: the theme when it is enabled, else the default of its base style (light for None)."""
    if theme is None:
        return DEFAULT_LIGHT
    return theme if theme.enabled else default_theme(theme.baseTheme)


def slot_colours(theme: MeetRoomTheme) -> dict[Slot, Rgba]:
    """The five slot colours as seen (opaque); a slot the theme leaves out takes its base style's default.

    The background sits on the base style's default background, every other slot on the background.
    Raises :class:`InvalidColour` for a colour that is not hex (a theme built without validation).
    """
    default = default_theme(theme.baseTheme)

    def raw(slot: Slot) -> Rgba:
        text = getattr(theme, slot)
        return parse_hex(text if text is not None else getattr(default, slot))

    default_background = parse_hex(str(default.backgroundColor))
    background = composite(raw("backgroundColor"), default_background)
    colours: dict[Slot, Rgba] = {"backgroundColor": background}
    for slot in SLOTS[1:]:
        colours[slot] = composite(raw(slot), background)
    return colours


def _first_readable(candidates: list[Rgba], on: Rgba, minimum: float, fallback: Rgba) -> Rgba:
    return next((c for c in candidates if contrast_ratio(c, on) >= minimum), fallback)


def _halfway(text: Rgba, fill: Rgba) -> Rgba:
    """The mix of ``text`` towards ``fill`` whose contrast with each is the same (the geometric middle)."""
    low, high = 0.0, 1.0
    for _ in range(20):
        middle = (low + high) / 2
        colour = mix(text, fill, middle)
        if contrast_ratio(colour, text) < contrast_ratio(colour, fill):
            low = middle
        else:
            high = middle
    return mix(text, fill, low)


def _error_text(danger: Rgba, background: Rgba, surface: Rgba) -> Rgba:
    """``danger`` as a text colour, moved towards the background's text colour until it reads (4.5:1) on the
    background and on surfaces — or, where no colour reads on both, on the background (where dialogs are)."""
    text = readable_text_on(background)
    candidates = [mix(danger, text, amount) for amount in (0.0, 0.15, 0.3, 0.45, 0.6, 0.8)]
    for backdrops in ((background, surface), (background,)):
        for colour in candidates:
            if all(contrast_ratio(colour, backdrop) >= AA_TEXT for backdrop in backdrops):
                return colour
    return text


def derive_tokens(theme: MeetRoomTheme) -> ThemeTokens:
    """The tokens of ``theme`` as it is (enabled or not: see :func:`effective_theme`)."""
    colours = slot_colours(theme)
    dark = theme.baseTheme == "dark"
    # Shades move away from the base style: darker on light themes, lighter on dark ones.
    shade = WHITE if dark else BLACK
    background, surface = colours["backgroundColor"], colours["surfaceColor"]
    primary, secondary, accent = colours["primaryColor"], colours["secondaryColor"], colours["accentColor"]
    on_background, on_surface = readable_text_on(background), readable_text_on(surface)
    danger = Rgba(0xF8, 0x51, 0x49) if dark else Rgba(0xCF, 0x22, 0x2E)
    input_border = _first_readable(
        [mix(surface, on_surface, amount) for amount in (0.35, 0.45, 0.55, 0.7)], background, AA_NON_TEXT, on_surface
    )
    disabled_fill = mix(background, on_background, 0.12)
    focus = _first_readable([accent, primary], background, AA_NON_TEXT, on_background)
    tokens = {
        "background": background,
        "on_background": on_background,
        "muted_on_background": mix(on_background, background, 0.3),
        "surface": surface,
        "on_surface": on_surface,
        "muted_on_surface": mix(on_surface, surface, 0.3),
        "surface_alt": mix(surface, on_surface, 0.06),
        "primary": primary,
        "on_primary": readable_text_on(primary),
        "primary_hover": mix(primary, shade, 0.12),
        "primary_pressed": mix(primary, shade, 0.24),
        "secondary": secondary,
        "on_secondary": readable_text_on(secondary),
        "secondary_hover": mix(secondary, shade, 0.12),
        "secondary_pressed": mix(secondary, shade, 0.24),
        "accent": accent,
        "on_accent": readable_text_on(accent),
        "danger": danger,
        "on_danger": readable_text_on(danger),
        "danger_hover": mix(danger, shade, 0.12),
        "border": mix(background, on_background, 0.16),
        "input_border": input_border,
        "focus": focus,
        # A ring the colour of the button it surrounds would not show.
        "button_focus": focus if contrast_ratio(focus, primary) >= 2 else on_background,
        "link": _first_readable([accent, primary], surface, AA_TEXT, on_surface),
        "disabled_fill": disabled_fill,
        "disabled_text": _halfway(on_background, disabled_fill),
        "error_text": _error_text(danger, background, surface),
    }
    return ThemeTokens(base=theme.baseTheme, **{name: colour.hex for name, colour in tokens.items()})


# --- readability ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContrastIssue:
    """Text on ``slot``'s colour reads at ``ratio``:1, below ``minimum`` — or, when ``against`` is a slot,
    ``slot``'s controls stand out from ``against``'s colour at only ``ratio``:1 (non-text contrast)."""

    slot: Slot
    foreground: str
    background: str
    ratio: float
    minimum: float = AA_TEXT
    against: Slot | None = None

    @property
    def non_text(self) -> bool:
        return self.against is not None

    @property
    def pair(self) -> str:
        """``"Text on main controls"``, or ``"Main controls against the main background"``."""
        if self.against is not None:
            return f"{SLOT_DESCRIPTIONS[self.slot].capitalize()} against {SLOT_DESCRIPTIONS[self.against]}"
        return f"Text on {SLOT_DESCRIPTIONS[self.slot]}"

    def __str__(self) -> str:
        return f"{self.pair}: {format_ratio(self.ratio)}:1, below {self.minimum:g}:1"


_TEXT_PAIRS: Final[dict[Slot, tuple[str, str]]] = {
    "backgroundColor": ("on_background", "background"),
    "primaryColor": ("on_primary", "primary"),
    "secondaryColor": ("on_secondary", "secondary"),
    "accentColor": ("on_accent", "accent"),
    "surfaceColor": ("on_surface", "surface"),
}


#: Controls (first slot) and what they sit on (second): buttons on the background and in panels and dialogs,
#: less prominent buttons on the background, checked boxes, selections and the active speaker's outline.
NON_TEXT_PAIRS: Final[tuple[tuple[Slot, Slot], ...]] = (
    ("primaryColor", "backgroundColor"),
    ("primaryColor", "surfaceColor"),
    ("secondaryColor", "backgroundColor"),
    ("accentColor", "backgroundColor"),
    ("accentColor", "surfaceColor"),
)
_SLOT_TOKENS: Final[dict[Slot, str]] = {slot: bg for slot, (_fg, bg) in _TEXT_PAIRS.items()}


def contrast_issues(theme: MeetRoomTheme | ThemeTokens) -> list[ContrastIssue]:
    """Each slot whose text reads below WCAG AA (4.5:1), in slot order, then each control colour that stands
    out from what it sits on by less than 3:1 (WCAG 1.4.11), in :data:`NON_TEXT_PAIRS` order; empty when all
    is readable."""
    tokens = theme if isinstance(theme, ThemeTokens) else derive_tokens(theme)
    issues = []
    for slot, (fg_name, bg_name) in _TEXT_PAIRS.items():
        fg, bg = getattr(tokens, fg_name), getattr(tokens, bg_name)
        ratio = contrast_ratio(parse_hex(fg), parse_hex(bg))
        if ratio < AA_TEXT:
            issues.append(ContrastIssue(slot, fg, bg, ratio))
    for control, backdrop in NON_TEXT_PAIRS:
        fg, bg = getattr(tokens, _SLOT_TOKENS[control]), getattr(tokens, _SLOT_TOKENS[backdrop])
        ratio = contrast_ratio(parse_hex(fg), parse_hex(bg))
        if ratio < AA_NON_TEXT:
            issues.append(ContrastIssue(control, fg, bg, ratio, AA_NON_TEXT, backdrop))
    return issues


# --- theme files ---------------------------------------------------------------------------------


class ThemeFileError(ValueError):
    """A file or text that is not a theme; ``str()`` says why, in words for the person who chose it."""


def _problem(error: Any) -> str:
    """One pydantic error of a MeetRoomTheme as a short sentence."""
    field = ".".join(str(part) for part in error.get("loc", ())) or "theme"
    kind = error.get("type", "")
    if kind == "missing":
        return f"{field} is missing"
    if field in SLOTS and kind in ("string_pattern_mismatch", "hex_colour"):
        return f"{field} {error.get('input')!r} is not a hex colour (use #RGB, #RGBA, #RRGGBB or #RRGGBBAA)"
    if field == "name" and kind.startswith(("string_", "theme_name_")) and kind != "string_type":
        return "name must be 1 to 50 letters, digits, '-' or '_'"
    if field == "baseTheme":
        return 'baseTheme must be "light" or "dark"'
    if field == "enabled":
        return "enabled must be true or false"
    return f"{field}: {error.get('msg', 'invalid value')}"


def theme_from_data(data: Any) -> MeetRoomTheme:
    """A theme object, or an appearance body (``{"appearance": {"themes": [theme]}}``) holding one."""
    if isinstance(data, dict) and "appearance" in data and "name" not in data:
        themes = data["appearance"].get("themes") if isinstance(data["appearance"], dict) else None
        if not isinstance(themes, list) or len(themes) != 1:
            raise ThemeFileError("it is an appearance setting, but it does not hold exactly one theme")
        data = themes[0]
    if not isinstance(data, dict):
        raise ThemeFileError(f"it holds a JSON {type(data).__name__}, not a theme object")
    try:
        return MeetRoomTheme.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ThemeFileError("; ".join(_problem(error) for error in exc.errors())) from exc


def theme_from_json(text: str) -> MeetRoomTheme:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ThemeFileError(f"it is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    return theme_from_data(data)


def theme_to_json(theme: MeetRoomTheme) -> str:
    """The theme file's text: the theme's fields, unset colours left out, like the files in ``themes/``."""
    return json.dumps(theme.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def read_theme_file(path: Path) -> MeetRoomTheme:
    """The theme in a JSON file; :class:`ThemeFileError` says what is wrong with any other file."""
    try:
        if path.stat().st_size > MAX_THEME_FILE_BYTES:
            raise ThemeFileError(f"it is larger than {MAX_THEME_FILE_BYTES // 1024} KB, too large for a theme")
        raw = path.read_bytes()
    except OSError as exc:
        raise ThemeFileError(f"it cannot be read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ThemeFileError("it is not a text file (not UTF-8)") from exc
    return theme_from_json(text)


def write_theme_file(theme: MeetRoomTheme, path: Path) -> None:
    """Write ``theme`` to ``path`` (through a temporary file, so a failed write leaves no half file)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(theme_to_json(theme), encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ThemeFileError(f"it cannot be written ({exc.strerror or exc})") from exc


# --- presets -------------------------------------------------------------------------------------

#: ``themes/`` at the top of a source tree (or of a PyInstaller bundle, which ships it there).
SOURCE_PRESETS_DIR: Final = Path(__file__).resolve().parents[2] / "themes"


def source_presets_dir() -> Path | None:
    """The top-level ``themes/`` when running from a source tree or a bundle, else None (a wheel install)."""
    directory = SOURCE_PRESETS_DIR
    # The marker file keeps an unrelated site-packages/themes/ of some other distribution out.
    return directory if (directory / f"{DEFAULT_LIGHT.name}.json").is_file() else None


def presets_from_texts(texts: dict[str, str]) -> list[MeetRoomTheme]:
    """The valid themes among ``{file name: JSON text}``, in file-name order; a bad one is logged and skipped."""
    presets = []
    for name in sorted(texts):
        try:
            presets.append(theme_from_json(texts[name]))
        except ThemeFileError as exc:
            logger.warning("Built-in theme %s skipped: %s", name, exc)
    return presets


def load_presets(directory: Path) -> list[MeetRoomTheme]:
    """The themes in ``directory``'s ``*.json`` files, in file-name order (bad files logged and skipped)."""
    texts = {}
    for path in directory.glob("*.json"):
        try:
            texts[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("Built-in theme %s skipped: %s", path, exc)
    return presets_from_texts(texts)


def with_defaults(presets: list[MeetRoomTheme]) -> list[MeetRoomTheme]:
    """``presets`` plus the default light and dark themes when they are not among them (by name)."""
    names = {preset.name for preset in presets}
    return [*(t for t in (DEFAULT_LIGHT, DEFAULT_DARK) if t.name not in names), *presets]

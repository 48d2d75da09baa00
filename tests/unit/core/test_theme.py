"""Theme colours: WCAG contrast, hex parsing, derived tokens, readability checks, presets and theme files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meetdesk.core import theme as core
from meetdesk.core.models import MeetRoomTheme
from meetdesk.core.theme import (
    BLACK,
    DARK_TEXT,
    LIGHT_TEXT,
    WHITE,
    InvalidColour,
    Rgba,
    ThemeFileError,
    contrast_issues,
    contrast_ratio,
    derive_tokens,
    parse_hex,
    readable_text_on,
    relative_luminance,
)

THEMES = Path(__file__).parents[3] / "themes"


def theme(**colours: str) -> MeetRoomTheme:
    return MeetRoomTheme.model_validate({"name": "t", "enabled": True, "baseTheme": "light", **colours})


# --- contrast (WCAG 2.x) -------------------------------------------------------------------------


def test_contrast_of_known_pairs() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)  # order does not matter
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    assert contrast_ratio(parse_hex("#777777"), WHITE) == pytest.approx(4.48, abs=0.005)  # the classic near-miss
    assert contrast_ratio(parse_hex("#767676"), WHITE) == pytest.approx(4.54, abs=0.005)  # the lightest grey to pass
    assert relative_luminance(parse_hex("#ff0000")) == pytest.approx(0.2126)
    assert relative_luminance(parse_hex("#808080")) == pytest.approx(0.2159, abs=0.0005)


def test_ratio_is_rounded_down_when_shown() -> None:
    assert core.format_ratio(4.478) == "4.4"  # never "4.5", which would read as passing
    assert core.format_ratio(21.0) == "21.0"
    assert str(core.ContrastIssue("primaryColor", "#ffffff", "#777777", 4.478)) == (
        "Text on main controls: 4.4:1, below 4.5:1"
    )


# --- hex -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#1f6feb", Rgba(0x1F, 0x6F, 0xEB)),
        ("#1F6FEB", Rgba(0x1F, 0x6F, 0xEB)),
        ("#0af", Rgba(0x00, 0xAA, 0xFF)),
        ("#0af8", Rgba(0x00, 0xAA, 0xFF, 0x88)),
        ("#cccccc80", Rgba(0xCC, 0xCC, 0xCC, 0x80)),
    ],
)
def test_hex_forms(text: str, expected: Rgba) -> None:
    assert parse_hex(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("1f6feb", "no_hash"),
        ("red", "no_hash"),
        ("#12", "length"),
        ("#12345", "length"),
        ("#1234567", "length"),
        ("#123456789", "length"),
        ("#gggggg", "digits"),
        ("# 1f6feb", "digits"),
        ("#1f6feb;", "digits"),
    ],
)
def test_bad_hex_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidColour) as caught:
        parse_hex(text)
    assert caught.value.reason == reason
    assert not core.is_hex_colour(text)


def test_hex_round_trip() -> None:
    assert parse_hex("#0AF").hex == "#00aaff"
    assert parse_hex("#00aaff80").hex == "#00aaff80"


# --- derived tokens ------------------------------------------------------------------------------


def test_text_colour_chosen_for_contrast() -> None:
    assert readable_text_on(WHITE) == DARK_TEXT
    assert readable_text_on(parse_hex("#ffff00")) == DARK_TEXT
    assert readable_text_on(BLACK) == LIGHT_TEXT
    assert readable_text_on(parse_hex("#1f6feb")) == LIGHT_TEXT


def test_tokens_follow_the_slots() -> None:
    tokens = derive_tokens(theme(backgroundColor="#000", primaryColor="#ffff00", surfaceColor="#fff"))
    assert (tokens.background, tokens.on_background) == ("#000000", LIGHT_TEXT.hex)
    assert (tokens.primary, tokens.on_primary) == ("#ffff00", DARK_TEXT.hex)
    assert (tokens.surface, tokens.on_surface) == ("#ffffff", DARK_TEXT.hex)
    # a slot left out takes the base style's default
    assert tokens.accent == core.DEFAULT_LIGHT.accentColor
    # hover and pressed are shades of the control, darker on a light base, lighter on a dark one
    light = derive_tokens(core.DEFAULT_LIGHT)
    dark = derive_tokens(core.DEFAULT_DARK)
    assert relative_luminance(parse_hex(light.primary_pressed)) < relative_luminance(parse_hex(light.primary_hover))
    assert relative_luminance(parse_hex(light.primary_hover)) < relative_luminance(parse_hex(light.primary))
    assert relative_luminance(parse_hex(dark.primary_hover)) > relative_luminance(parse_hex(dark.primary))
    # every token is an opaque #rrggbb
    assert all(len(value) == 7 for name, value in vars(light).items() if name != "base")


def test_translucent_slots_are_composited_over_what_they_sit_on() -> None:
    tokens = derive_tokens(theme(backgroundColor="#ffffff", primaryColor="#00000080"))
    assert tokens.primary == "#7f7f7f"
    assert tokens.on_primary in (DARK_TEXT.hex, LIGHT_TEXT.hex)


def test_disabled_or_missing_theme_falls_back_to_the_base_default() -> None:
    assert core.effective_theme(None) == core.DEFAULT_LIGHT
    off = core.DEFAULT_DARK.model_copy(update={"enabled": False, "primaryColor": "#ff0000"})
    assert core.effective_theme(off) == core.DEFAULT_DARK
    on = off.model_copy(update={"enabled": True})
    assert core.effective_theme(on) == on


def test_a_colour_that_skipped_validation_is_refused() -> None:
    bad = MeetRoomTheme.model_construct(name="x", enabled=True, baseTheme="light", primaryColor="red; image: url(x)")
    with pytest.raises(InvalidColour):
        derive_tokens(bad)


# --- readability ---------------------------------------------------------------------------------


def test_low_contrast_slot_is_reported_with_its_pair() -> None:
    issues = contrast_issues(theme(primaryColor="#7a7a7a"))
    assert [issue.slot for issue in issues] == ["primaryColor"]
    issue = issues[0]
    assert issue.pair == "Text on main controls"
    assert issue.ratio < 4.5
    assert issue.ratio == pytest.approx(contrast_ratio(parse_hex(issue.foreground), parse_hex("#7a7a7a")))


def test_several_low_contrast_slots_in_slot_order() -> None:
    issues = contrast_issues(theme(surfaceColor="#808080", accentColor="#7b7b7b", backgroundColor="#787878"))
    text = [issue.slot for issue in issues if not issue.non_text]
    assert text == ["backgroundColor", "accentColor", "surfaceColor"]
    assert issues[: len(text)] == [issue for issue in issues if not issue.non_text]  # text first


def test_a_control_that_does_not_stand_out_from_its_background_is_reported() -> None:
    # text reads well on a pale grey button, but the button hardly shows on the light background (WCAG 1.4.11)
    issues = contrast_issues(theme(primaryColor="#e4e6ea"))
    assert all(issue.non_text for issue in issues)
    assert [(issue.slot, issue.against) for issue in issues] == [
        ("primaryColor", "backgroundColor"),
        ("primaryColor", "surfaceColor"),
    ]
    first = issues[0]
    assert first.minimum == 3.0 and first.ratio < 3.0
    assert first.ratio == pytest.approx(contrast_ratio(parse_hex("#e4e6ea"), parse_hex("#f5f6f8")))
    assert first.pair == "Main controls against main background"
    assert str(first) == f"Main controls against main background: {core.format_ratio(first.ratio)}:1, below 3:1"


def test_accent_on_panels_and_secondary_on_the_background_are_checked_too() -> None:
    issues = contrast_issues(theme(accentColor="#f0f0f0", secondaryColor="#d8dadf"))
    pairs = [(issue.slot, issue.against) for issue in issues if issue.non_text]
    assert pairs == [
        ("secondaryColor", "backgroundColor"),
        ("accentColor", "backgroundColor"),
        ("accentColor", "surfaceColor"),
    ]
    # a dark theme with a control colour close to its dark background
    dark = MeetRoomTheme(name="d", enabled=True, baseTheme="dark", primaryColor="#23262d")
    first = next(issue for issue in contrast_issues(dark) if issue.non_text)
    assert (first.slot, first.against) == ("primaryColor", "backgroundColor")


def test_disabled_text_reads_as_neither_enabled_text_nor_nothing() -> None:
    """Halfway in contrast between the text and the disabled fill: at least 3:1 from each, in both base styles
    (the dark default used to sit at 2.8:1 from enabled text, too close to tell apart)."""
    for preset in [*core.load_presets(THEMES), theme(backgroundColor="#203040"), theme(backgroundColor="#fff8e0")]:
        tokens = derive_tokens(preset)
        disabled = parse_hex(tokens.disabled_text)
        from_text = contrast_ratio(disabled, parse_hex(tokens.on_background))
        from_fill = contrast_ratio(disabled, parse_hex(tokens.disabled_fill))
        assert from_text >= 3.0 and from_fill >= 3.0, (preset.name, from_text, from_fill)
        assert from_text == pytest.approx(from_fill, abs=0.1)


def test_error_text_reads_on_the_background_and_on_panels() -> None:
    for preset in [*core.load_presets(THEMES), theme(surfaceColor="#fff4f2"), theme(backgroundColor="#fde0dc")]:
        tokens = derive_tokens(preset)
        for backdrop in (tokens.background, tokens.surface):
            assert contrast_ratio(parse_hex(tokens.error_text), parse_hex(backdrop)) >= 4.5, preset
    # no colour reads on both a red background and white panels: the background, where dialogs are, wins
    red = derive_tokens(theme(backgroundColor="#c0392b"))
    assert contrast_ratio(parse_hex(red.error_text), parse_hex(red.background)) >= 4.5
    assert derive_tokens(core.DEFAULT_LIGHT).error_text == "#cf222e"  # the danger red itself where it reads


def test_translucent_colour_judged_as_seen() -> None:
    # opaque grey #777 on its own fails; the same at 10 % over white reads fine
    issues = contrast_issues(theme(backgroundColor="#ffffff", primaryColor="#7777771a"))
    assert [issue for issue in issues if not issue.non_text] == []
    # ... while the near-white button it gives hardly shows on white: said as non-text contrast
    assert [(issue.slot, issue.foreground) for issue in issues] == [("primaryColor", "#f1f1f1")] * 2


# --- presets -------------------------------------------------------------------------------------


def test_builtin_presets_load_and_are_readable() -> None:
    presets = core.load_presets(THEMES)
    names = [preset.name for preset in presets]
    assert {"default-light", "default-dark", "high-contrast"} <= set(names)
    for preset in presets:
        assert contrast_issues(preset) == [], preset.name


def test_defaults_in_code_match_the_files() -> None:
    # apply_theme(None) needs them even where no file is shipped; the files stay the ones people edit
    for default in (core.DEFAULT_LIGHT, core.DEFAULT_DARK):
        assert core.read_theme_file(THEMES / f"{default.name}.json") == default


def test_source_tree_presets_are_found() -> None:
    assert core.source_presets_dir() == THEMES.resolve()


def test_a_bad_preset_file_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "a-good.json").write_text(core.theme_to_json(core.DEFAULT_DARK))
    (tmp_path / "b-bad.json").write_text("{")
    assert core.load_presets(tmp_path) == [core.DEFAULT_DARK]
    assert "b-bad.json" in caplog.text
    assert [t.name for t in core.with_defaults([])] == ["default-light", "default-dark"]


# --- theme files ---------------------------------------------------------------------------------


def test_export_import_round_trip(tmp_path: Path) -> None:
    original = MeetRoomTheme(
        name="brand_2", enabled=False, baseTheme="dark", primaryColor="#0af", accentColor="#ff880080"
    )
    path = tmp_path / "brand.json"
    core.write_theme_file(original, path)
    assert core.read_theme_file(path) == original
    data = json.loads(path.read_text())
    assert "surfaceColor" not in data  # unset slots stay unset
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_appearance_body_imports_too(tmp_path: Path) -> None:
    path = tmp_path / "appearance.json"
    path.write_text(json.dumps({"appearance": {"themes": [core.DEFAULT_DARK.model_dump(exclude_none=True)]}}))
    assert core.read_theme_file(path) == core.DEFAULT_DARK


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "it is not JSON (line 1, column 2"),
        (b"[1, 2]", "it holds a JSON list, not a theme object"),
        (b"\xff\xfe\x00bad", "it is not a text file"),
        (
            b'{"name": "x", "enabled": true, "baseTheme": "light", "primaryColor": "blue"}',
            "primaryColor 'blue' is not a hex colour",
        ),
        (b'{"name": "has space", "enabled": true, "baseTheme": "light"}', "name must be 1 to 50 letters, digits"),
        (b'{"name": "x", "enabled": true, "baseTheme": "sepia"}', 'baseTheme must be "light" or "dark"'),
        (b'{"name": "x", "baseTheme": "light"}', "enabled is missing"),
        (b'{"appearance": {"themes": []}}', "does not hold exactly one theme"),
    ],
)
def test_bad_file_gives_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ThemeFileError) as caught:
        core.read_theme_file(path)
    assert message in str(caught.value)


def test_missing_or_huge_file(tmp_path: Path) -> None:
    with pytest.raises(ThemeFileError, match="cannot be read"):
        core.read_theme_file(tmp_path / "nope.json")
    huge = tmp_path / "huge.json"
    huge.write_text(" " * (core.MAX_THEME_FILE_BYTES + 1))
    with pytest.raises(ThemeFileError, match="too large"):
        core.read_theme_file(huge)


def test_unwritable_export_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ThemeFileError, match="cannot be written"):
        core.write_theme_file(core.DEFAULT_LIGHT, tmp_path / "missing-dir" / "t.json")

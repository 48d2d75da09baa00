"""The committed generated modules (``meetdesk/ui/forms/ui_*.py``, ``meetdesk/_rc.py``) are exactly what their
sources give today: the "regenerate and fail on a diff" step of STYLE.md. Also the icons they carry."""

from __future__ import annotations

import difflib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from PySide6.QtCore import QFile, QSize
from pytestqt.qtbot import QtBot

from meetdesk.ui.icons import icon

ROOT = Path(__file__).resolve().parents[2]


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("meetdesk_forms_build", ROOT / "ui" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = _load_build()

# The tools print their own version in their banner: a newer PySide6 patch release is not a change of source.
_TOOL_VERSION = re.compile(
    r"^(## Created by: Qt User Interface Compiler|# Created by: The Resource Compiler for Qt) version \S+$", re.M
)


def _normal(text: str) -> str:
    return _TOOL_VERSION.sub(r"\1 version (any)", text)


def test_committed_files_are_what_the_sources_give(tmp_path: Path) -> None:
    assert build.build(tmp_path, force=True)
    problems = []
    for target in build.targets():
        committed = ROOT / target.output
        if not committed.exists():
            problems.append(f"{target.output} is missing")
            continue
        old = _normal(committed.read_text(encoding="utf-8"))
        new = _normal((tmp_path / target.output).read_text(encoding="utf-8"))
        if old != new:
            diff = difflib.unified_diff(old.splitlines(True), new.splitlines(True), str(target.output), "regenerated")
            problems.append("".join(list(diff)[:40]))
    assert not problems, "run `make forms` and commit the result:\n" + "\n".join(problems)


def test_every_form_module_has_its_designer_source() -> None:
    forms = {path.name for path in (ROOT / build.FORMS_DIR).glob("ui_*.py")}
    sources = {f"ui_{path.stem}.py" for path in (ROOT / "ui").glob("*.ui")}
    assert forms == sources  # no orphan left behind by a removed .ui


def test_headers_name_the_source_and_say_do_not_edit() -> None:
    for target in build.targets():
        first = (ROOT / target.output).read_text(encoding="utf-8").splitlines()[0]
        source = target.source.relative_to(ROOT).as_posix()
        assert first == f"# Generated from {source} by ui/build.py — do not edit."


def test_only_stale_files_are_rebuilt(tmp_path: Path) -> None:
    build.build(tmp_path, force=True)
    assert build.build(tmp_path) == []  # all up to date
    form = tmp_path / build.FORMS_DIR / "ui_room_form.py"
    text = form.read_text(encoding="utf-8")
    form.write_text(re.sub(r"(# Source SHA-256: )\w+", r"\g<1>0", text), encoding="utf-8")  # as if room_form.ui changed
    assert build.build(tmp_path) == [form]
    assert form.read_text(encoding="utf-8") == text


def test_every_icon_file_is_compiled_in_and_draws(qtbot: QtBot) -> None:
    names = sorted(path.stem for path in (ROOT / "resources" / "icons").glob("*.svg"))
    assert {"add", "delete", "edit", "copy-link", "join", "refresh", "close-room", "reopen"} <= set(names)
    assert {"recording", "search", "warning", "settings"} <= set(names)
    for name in names:
        assert QFile.exists(f":/icons/{name}.svg"), name
        image = icon(name).pixmap(QSize(24, 24)).toImage()
        assert any(image.pixelColor(x, y).alpha() for x in range(24) for y in range(24)), f"{name} draws nothing"

"""Compile the Designer forms (``ui/*.ui``) and the resources (``resources/meetdesk.qrc``) into Python.

    python ui/build.py            rebuild what is stale (``make forms``)
    python ui/build.py --force    rebuild everything
    python ui/build.py --check    rebuild nothing; exit 1 if a generated file is stale or missing

``ui/<name>.ui`` becomes ``meetdesk/ui/forms/ui_<name>.py`` (pyside6-uic) and the qrc becomes
``meetdesk/_rc.py`` (pyside6-rcc). Generated files are committed. Each starts with a header naming its
source and the SHA-256 of what it was built from, so staleness is decided by content, not by file
times (which a git checkout does not keep). rcc writes format version 1 (no file times inside) and
no compression, so the same sources give the same bytes on every machine.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_DIR = ROOT / "ui"
QRC = ROOT / "resources" / "meetdesk.qrc"
FORMS_DIR = Path("meetdesk/ui/forms")
RC_MODULE = Path("meetdesk/_rc.py")
SCRIPT = "ui/build.py"
STAMP = "# Source SHA-256: "


@dataclass(frozen=True)
class Target:
    """One generated module: where it goes (relative to the repository root) and what it comes from."""

    output: Path
    source: Path
    inputs: tuple[Path, ...]

    def digest(self) -> str:
        sha = hashlib.sha256()
        for path in self.inputs:
            sha.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            sha.update(path.read_bytes() + b"\0")
        return sha.hexdigest()

    def header(self) -> str:
        return (
            f"# Generated from {self.source.relative_to(ROOT).as_posix()} by {SCRIPT} — do not edit.\n"
            f"# Edit the source and run `make forms`.\n"
            f"{STAMP}{self.digest()}\n"
        )


def _tool(name: str) -> str:
    """A PySide6 tool of this interpreter's environment (falling back to PATH)."""
    beside = Path(sys.executable).with_name(f"pyside6-{name}")
    found = str(beside) if beside.exists() else shutil.which(f"pyside6-{name}")
    if found is None:
        raise SystemExit(f"pyside6-{name} not found: install PySide6 in this environment (make forms does)")
    return found


def _run(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603 (our own tools)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def targets() -> list[Target]:
    found = [Target(FORMS_DIR / f"ui_{ui.stem}.py", ui, (ui,)) for ui in sorted(UI_DIR.glob("*.ui"))]
    listed = _run([_tool("rcc"), "--list", str(QRC)]).split()
    found.append(Target(RC_MODULE, QRC, (QRC, *sorted(Path(p).resolve() for p in listed))))
    return found


def generate(target: Target) -> str:
    """The text of ``target`` as the tools make it now, header included."""
    if target.source.suffix == ".ui":
        body = _run([_tool("uic"), "-g", "python", str(target.source)])
    else:
        body = _run([_tool("rcc"), "-g", "python", "--no-compress", "--format-version", "1", str(target.source)])
    return target.header() + body


def stamp_of(path: Path) -> str | None:
    """The source digest recorded in a generated file's header (None if absent or unreadable)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for _ in range(5):
                line = handle.readline()
                if line.startswith(STAMP):
                    return line[len(STAMP) :].strip()
    except OSError:
        return None
    return None


def stale(out_root: Path = ROOT) -> list[Target]:
    """The targets whose generated file under ``out_root`` is missing or was built from other sources."""
    return [t for t in targets() if stamp_of(out_root / t.output) != t.digest()]


def build(out_root: Path = ROOT, *, force: bool = False, only: Iterable[Target] | None = None) -> list[Path]:
    """Write the stale (or, with ``force``, all) generated files under ``out_root``; return what was written."""
    chosen = list(only) if only is not None else (targets() if force else stale(out_root))
    written = []
    for target in chosen:
        path = out_root / target.output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate(target), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild everything")
    parser.add_argument("--check", action="store_true", help="build nothing; exit 1 if anything is stale")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale()
        for target in out_of_date:
            print(f"stale: {target.output} (from {target.source.relative_to(ROOT)}); run `make forms`")
        return 1 if out_of_date else 0
    written = build(force=args.force)
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    if not written:
        print("forms and resources are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

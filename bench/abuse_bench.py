"""The server under attack, in figures: runs the abuse suite (``tests/integration/abuse``) and prints, for
every server process it started, the event loop's longest stall while the attacks ran and the server's
resident memory at the start and at the end of serving, as a table with a verdict column.

The figures come from the servers' own logs (``Event loop: longest stall ...``, ``Memory: ...``), written
when each stops. Targets: a stall of at most 50 ms (issue 12: no client may freeze a room) and at most
64 MiB more memory at the end than at the start (what an attack leaves behind must not pile up).

    .venv/bin/python bench/abuse_bench.py            # the whole abuse suite (a few minutes)
    .venv/bin/python bench/abuse_bench.py --quick    # the signalling attacks only (~30 s)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from table import print_table  # bench/ is on sys.path

ROOT = Path(__file__).resolve().parents[1]
ABUSE = "tests/integration/abuse"
QUICK = [f"{ABUSE}/test_signalling_abuse.py"]
MAX_STALL_MS = 50.0
MAX_GROWTH_KIB = 64 * 1024


def kib(text: str) -> int:
    number, _, unit = text.strip().partition(" ")
    assert unit == "kB", text
    return int(number)


def rows_for(log: Path) -> list[tuple[str, str, str, str]]:
    text = log.read_text(errors="replace")
    name = log.parent.name.rstrip("0123456789")
    stalls = re.findall(r"Event loop: longest stall ([\d.]+) ms while serving", text)
    start = re.search(r"Memory: resident (\d+ kB), peak (\d+ kB) at the start of serving", text)
    end = re.search(r"Memory: resident (\d+ kB), peak (\d+ kB) at the end of serving", text)
    rows = []
    if stalls:
        stall = max(float(s) for s in stalls)
        rows.append(
            (f"{name}: longest loop stall", f"{stall:.1f} ms", f"<= {MAX_STALL_MS:g} ms", ok(stall <= MAX_STALL_MS))
        )
    if start and end:
        before, after, peak = kib(start.group(1)), kib(end.group(1)), kib(end.group(2))
        grown = after - before
        rows.append(
            (
                f"{name}: memory start -> end (peak)",
                f"{before // 1024} -> {after // 1024} MiB ({peak // 1024})",
                f"<= +{MAX_GROWTH_KIB // 1024} MiB",
                ok(grown <= MAX_GROWTH_KIB),
            )
        )
    return rows


def ok(passed: bool) -> str:
    return "meets" if passed else "misses"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the signalling attacks only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="abuse-bench-") as workdir:
        base = Path(workdir) / "pytest"
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={base}",
             *(QUICK if args.quick else [ABUSE])],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        logs = sorted(log for log in base.glob("*/server-*.log") if not log.parent.is_symlink())
        rows = [row for log in logs for row in rows_for(log)]
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
    rows.append(("abuse suite", summary, "every case passes", ok(result.returncode == 0)))
    print_table(rows)
    if result.returncode != 0:
        print(result.stdout[-4000:], file=sys.stderr)
    return 0 if all(row[3] == "meets" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

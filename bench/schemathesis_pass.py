"""A bounded schemathesis pass over MeetDesk's own OpenAPI spec (``/api/v1/openapi.json``): no 5xx.

Starts ``meetdesk server`` on a free loopback port, runs ``schemathesis run`` against it with the API key
(examples, coverage and fuzzing phases, positive and negative data, seeded) for at most ``--max-time`` seconds
(60 by default), with the one check ``not_a_server_error``, and reads the server's log for ERROR lines and
tracebacks. ``tests/integration/test_fuzz.py`` is the deeper pass (every identity, rooms that exist).

Prints a table with a verdict; exit status 0 when schemathesis found no 5xx and the log is clean.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.openvidu_tutorials import free_port
from bench.table import print_table

API_KEY = "schemathesis-api-key"
SEED = 20261206


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-time", type=int, default=60, help="seconds schemathesis may take (default 60)")
    args = parser.parse_args()
    schemathesis = Path(sys.executable).with_name("schemathesis")
    if not schemathesis.exists():
        print("schemathesis is not installed: pip install -e '.[dev]'")
        return 1
    with tempfile.TemporaryDirectory(prefix="meetdesk-schemathesis-") as tmp:
        work = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MEETDESK_INITIAL_API_KEY": API_KEY, "MEETDESK_INITIAL_ADMIN_PASSWORD": "fuzz-pass-1"}
        command = [sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", str(work / "data")]
        log_path = work / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and server.poll() is None:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/api/v1/openapi.json", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            else:
                print(f"meetdesk server did not start:\n{log_path.read_text()[-2000:]}")
                return 1
            started = time.monotonic()
            run = subprocess.run(
                [
                    str(schemathesis),
                    "run",
                    f"{url}/api/v1/openapi.json",
                    "--checks",
                    "not_a_server_error",
                    "--max-time",
                    str(args.max_time),
                    "--seed",
                    str(SEED),
                    "--request-timeout",
                    "15",
                    "--header",
                    f"X-API-KEY: {API_KEY}",
                    "--no-color",
                ],
                capture_output=True,
                text=True,
                timeout=args.max_time + 300,
                check=False,
            )
            took = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        log_text = log_path.read_text()
    errors = sum(1 for line in log_text.splitlines() if " ERROR " in line or "Traceback" in line)
    summary = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()][-15:]
    print("\n".join(summary))
    rows = [
        ("schemathesis: server errors (5xx) found", "none" if run.returncode == 0 else "some", "none",
         "meets" if run.returncode == 0 else "misses"),
        ("server log: ERROR lines and tracebacks", str(errors), "0", "meets" if errors == 0 else "misses"),
        ("run time (s)", f"{took:.0f}", f"~{args.max_time}", "info"),
    ]  # fmt: skip
    print_table(rows)
    return 0 if run.returncode == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

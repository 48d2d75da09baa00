"""OpenVidu Meet's own Node tutorials, run unchanged against a MeetDesk server: ``meet-direct-link`` and
``meet-webhooks`` (which checks the signature of every webhook it receives and answers 401 when one fails).

What it does, step by step (the same commands by hand are printed with ``--commands``):

1. Take the tutorials at a pinned commit of github.com/OpenVidu/openvidu-meet-tutorials (``--source``: that
   repository or any clone of it, e.g. a local mirror) into ``~/.cache/meetdesk/openvidu-meet-tutorials/<commit>``
   and ``npm ci`` each one (their own package-lock.json). Nothing in them is changed.
2. Start ``meetdesk server`` on a free loopback port with the API key the tutorials are given.
3. ``meet-direct-link`` (``node src/index.js`` with ``OV_MEET_SERVER_URL``, ``OV_MEET_API_KEY``,
   ``SERVER_PORT``): create a room through it, list rooms, open both links' secrets on MeetDesk, delete the room.
4. ``meet-webhooks``: register its ``/webhook`` on MeetDesk (``POST /api/v1/webhooks``), listen to its
   server-sent events, create a room through it (a non-ASCII name), have two participants join and leave
   over MeetDesk's signalling, end the meeting, list recordings through it; every event must come back
   through its SSE stream (so it accepted the signature) and it must log no "Invalid webhook signature".

Prints a table with a verdict per check; exit status 0 when all pass, 1 when one fails, 77 when the tutorials
cannot be had here (no node/npm, no source, ``npm ci`` failed offline), with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.table import print_table

COMMIT = "b9ea3f9f13b60e80ec35f45eb95024e44ba97dbc"
DEFAULT_SOURCE = "https://github.com/OpenVidu/openvidu-meet-tutorials.git"
TUTORIALS = ("meet-direct-link", "meet-webhooks")
API_KEY = "meet-api-key"  # the tutorials' own default (.env)
ADMIN_USER, ADMIN_PASSWORD = "admin", "tutorials-admin-password"
UNAVAILABLE = 77


class Unavailable(Exception):
    """The tutorials cannot be run here; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(source: str, cache: Path) -> Path:
    """The tutorials at :data:`COMMIT`, with their npm packages installed; raises :class:`Unavailable`."""
    for tool in ("node", "npm", "git"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed")
    root = cache / COMMIT
    if not all((root / name / "node_modules").is_dir() for name in TUTORIALS):
        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
            clone = Path(tmp) / "repo"
            for command in (
                ["git", "clone", "--quiet", "--no-checkout", source, str(clone)],
                ["git", "-C", str(clone), "checkout", "--quiet", COMMIT],
            ):
                done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
                if done.returncode != 0:
                    raise Unavailable(f"cannot get the tutorials from {source}: {done.stderr.strip()[-300:]}")
            for name in TUTORIALS:
                installed = subprocess.run(
                    ["npm", "ci", "--no-audit", "--no-fund"],
                    cwd=clone / name,
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                if installed.returncode != 0:
                    raise Unavailable(f"npm ci failed in {name}: {installed.stderr.strip()[-300:]}")
            clone.rename(root)
    return root


@contextlib.contextmanager
def meetdesk_server(work: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "MEETDESK_INITIAL_ADMIN_USER": ADMIN_USER,
        "MEETDESK_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MEETDESK_INITIAL_API_KEY": API_KEY,
    }
    command = [sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", str(work / "data")]
    with (work / "server.log").open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{url}/internal-api/v1/config/security"), process, "meetdesk server")
        yield url
    finally:
        _stop(process)


@contextlib.contextmanager
def tutorial(root: Path, name: str, meetdesk_url: str, work: Path) -> Iterator[tuple[str, Path]]:
    """``node src/index.js`` of one tutorial, as its README says to run it, pointed at MeetDesk."""
    port = free_port()
    env = {**os.environ, "SERVER_PORT": str(port), "OV_MEET_SERVER_URL": meetdesk_url, "OV_MEET_API_KEY": API_KEY}
    log_path = work / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["node", "src/index.js"], cwd=root / name, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{url}/index.html"), process, name)
        yield url, log_path
    finally:
        _stop(process)


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=1).status_code == 200
    return False


def wait_for(ready: object, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early (status {process.returncode})")
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _secret(link: str) -> str:
    return parse_qs(urlsplit(link).query)["secret"][0]


def direct_link(root: Path, meetdesk_url: str, work: Path) -> list[tuple[str, bool]]:
    checks: list[tuple[str, bool]] = []
    with tutorial(root, "meet-direct-link", meetdesk_url, work) as (url, _log), httpx.Client(timeout=20) as http:
        created = http.post(f"{url}/rooms", json={"roomName": "Direct link room"})
        checks.append(("direct-link: POST /rooms answers 201", created.status_code == 201))
        room = created.json().get("room", {})
        room_id = str(room.get("roomId", ""))
        listed = http.get(f"{url}/rooms").json().get("rooms", [])
        checks.append(("direct-link: GET /rooms lists it", any(r.get("roomId") == room_id for r in listed)))
        for role in ("moderator", "speaker"):
            link = str(room.get(f"{role}Url", ""))
            granted = http.get(f"{meetdesk_url}/internal-api/v1/rooms/{room_id}/roles/{_secret(link)}")
            ok = link.startswith(f"{meetdesk_url}/room/{room_id}") and granted.json().get("role") == role
            checks.append((f"direct-link: its {role}Url opens the room as {role}", ok))
        deleted = http.delete(f"{url}/rooms/{room_id}")
        gone = http.get(f"{meetdesk_url}/api/v1/rooms/{room_id}", headers={"X-API-KEY": API_KEY}).status_code
        checks.append(("direct-link: DELETE /rooms/:id deletes it", deleted.status_code == 200 and gone == 404))
    return checks


class EventStream:
    """The tutorial's server-sent events (each a webhook it accepted), read in a thread."""

    def __init__(self, url: str) -> None:
        self.events: list[dict[str, object]] = []
        self.arrived = threading.Condition()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self.thread.start()
        if not self._opened.wait(30):
            raise RuntimeError("the tutorial's /events stream did not open")

    def _read(self, url: str) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the tutorial stopping ends the stream
            self._read_stream(url)

    def _read_stream(self, url: str) -> None:
        with httpx.Client(timeout=httpx.Timeout(5, read=None)) as http, http.stream("GET", url) as response:
            self._opened.set()
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("data:"):
                    with contextlib.suppress(ValueError):
                        event = json.loads(line[5:])
                        if isinstance(event, dict) and "event" in event:
                            with self.arrived:
                                self.events.append(event)
                                self.arrived.notify_all()

    def wait(self, names: list[str], timeout: float = 60.0) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: [e["event"] for e in self.events] == names, timeout)

    def close(self) -> None:
        self._stop.set()


async def _meeting(meetdesk_url: str, room: dict[str, object]) -> None:
    """Two participants join over MeetDesk's signalling; one leaves, then the meeting is ended over the API."""
    from meetdesk.client.signalling import SignallingClient
    from meetdesk.core.signalling import Leave

    async with httpx.AsyncClient(base_url=meetdesk_url, timeout=20) as http:
        clients = []
        for role, name in (("moderator", "Ana"), ("speaker", "Bo")):
            body = {"roomId": room["roomId"], "secret": _secret(str(room[f"{role}Url"])), "participantName": name}
            token = (await http.post("/internal-api/v1/participants/token", json=body)).json()["token"]
            clients.append(await SignallingClient.connect(meetdesk_url, token))
        await clients[1].send(Leave())
        ended = await http.delete(f"/api/v1/meetings/{room['roomId']}", headers={"X-API-KEY": API_KEY})
        ended.raise_for_status()
        for client in clients:
            await client.close()


EXPECTED = ["meetingStarted", "participantJoined", "participantJoined", "participantLeft", "participantLeft"]


def webhooks(root: Path, meetdesk_url: str, work: Path) -> list[tuple[str, bool]]:
    checks: list[tuple[str, bool]] = []
    with tutorial(root, "meet-webhooks", meetdesk_url, work) as (url, log), httpx.Client(timeout=20) as http:
        registered = http.post(
            f"{meetdesk_url}/api/v1/webhooks", json={"url": f"{url}/webhook"}, headers={"X-API-KEY": API_KEY}
        )
        checks.append(("webhooks: its /webhook registered on MeetDesk", registered.status_code == 201))
        stream = EventStream(f"{url}/events")
        try:
            created = http.post(f"{url}/rooms", json={"roomName": "Reunión de equipo"})
            checks.append(("webhooks: POST /rooms answers 201", created.status_code == 201))
            room = created.json()["room"]
            asyncio.run(_meeting(meetdesk_url, room))
            names = [*EXPECTED, "meetingEnded"]
            accepted = stream.wait(names)
            checks.append((f"webhooks: all {len(names)} events accepted (signature checked)", accepted))
            if not accepted:
                print("events accepted:", [e["event"] for e in stream.events], file=sys.stderr)
            rooms_named = {e["data"].get("roomName") for e in stream.events if isinstance(e.get("data"), dict)}  # type: ignore[union-attr]
            checks.append(("webhooks: the room's name arrived intact", rooms_named == {"Reunión de equipo"}))
            recordings = http.get(f"{url}/recordings", params={"room": room["roomId"]})
            checks.append(("webhooks: GET /recordings answers 200", recordings.status_code == 200))
        finally:
            stream.close()
        refused = "Invalid webhook signature" in log.read_text()
        checks.append(("webhooks: no 'Invalid webhook signature' logged", not refused))
    return checks


def commands(root: Path) -> str:
    return "\n".join(
        [
            f"git clone {DEFAULT_SOURCE} && git -C openvidu-meet-tutorials checkout {COMMIT}",
            "(cd openvidu-meet-tutorials/meet-direct-link && npm ci)",
            "(cd openvidu-meet-tutorials/meet-webhooks && npm ci)",
            f"MEETDESK_INITIAL_API_KEY={API_KEY} meetdesk server --port 9080 --data-dir /tmp/meetdesk-tutorials &",
            "cd openvidu-meet-tutorials/meet-webhooks && SERVER_PORT=6090 OV_MEET_SERVER_URL=http://127.0.0.1:9080 "
            f"OV_MEET_API_KEY={API_KEY} node src/index.js &",
            f"curl -X POST http://127.0.0.1:9080/api/v1/webhooks -H 'X-API-KEY: {API_KEY}' "
            "-H 'Content-Type: application/json' -d '{\"url\": \"http://127.0.0.1:6090/webhook\"}'",
            "open http://127.0.0.1:6090 (create a room, join it from its link, watch the events arrive)",
            f"(this script keeps its copy in {root})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=os.environ.get("MEETDESK_TUTORIALS_SOURCE", DEFAULT_SOURCE))
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "meetdesk" / "openvidu-meet-tutorials")
    parser.add_argument("--commands", action="store_true", help="print the same steps as shell commands and exit")
    args = parser.parse_args()
    if args.commands:
        print(commands(args.cache / COMMIT))
        return 0
    try:
        root = prepare(args.source, args.cache)
    except Unavailable as exc:
        print(f"OpenVidu's tutorials cannot run here: {exc}")
        return UNAVAILABLE
    with tempfile.TemporaryDirectory(prefix="meetdesk-tutorials-") as tmp:
        work = Path(tmp)
        with meetdesk_server(work) as meetdesk_url:
            checks = direct_link(root, meetdesk_url, work) + webhooks(root, meetdesk_url, work)
        if "Traceback" in (work / "server.log").read_text():
            checks.append(("meetdesk server: no traceback in its log", False))
    print_table([(name, "yes" if ok else "no", "yes", "meets" if ok else "misses") for name, ok in checks])
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Recording a meeting: what the composite recorder costs, and how long starting and stopping take.

Usage::

    .venv/bin/python bench/recording_bench.py            # 4 participants, 10 s windows, 10 start/stop cycles
    .venv/bin/python bench/recording_bench.py --quick    # a smoke run: 4 s windows, 3 cycles

A ``meetdesk server`` child process (``rest_bench.Server``); 4 participants (640x480@30 synthetic camera and
microphone, in 2 worker processes, ``participants.Worker``) in one room, receiving each other. Light media
by default (``participants.install_light_media``): VP8 and Opus replayed from pre-encoded clips of the
synthetic devices and received frames counted from their RTP packets, so that two cores carry the
participants beside the server and the recorder; the packets the server forwards, captures and the recorder
decodes are those of real participants. ``--real-codecs`` turns it off. Side by side in one run:

1. Without recording: the participants' received video frame rate and the server's CPU over the window.
2. The same meeting recorded at the room's default encoding (H264_720P_30, grid): the same figures, plus
   the recorder process's CPU (decoding 4 cameras and 4 microphones, composing, encoding H.264 and AAC) from
   ``/proc``; the capture's cost is the server's CPU with the recording less without.
3. ``--cycles`` recordings started and stopped through the API (``POST /api/v1/recordings`` answers once
   the recording is ``active``; ``POST …/stop`` answers once the recorder has finished and the recording is
   ``complete``, else it is polled): start and stop latencies, p50 and p95, the long recording of 2 included.

Targets: recorder CPU <= 0.5 core (capture + composite + encode; LiveKit Egress reserves 4 CPUs for a
composite); subscribers' fps with the recording >= 95% of without; start p95 <= 1 s; stop -> complete p95
<= 2 s. Prints a table (figure | measured | target | ratio / verdict); exits 0 whether or not the targets
are met, 1 when the run itself failed (a recording not complete, a participant receiving nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from pathlib import Path

import httpx
from _common import percentile, run_bench, running_server  # bench/ is on sys.path
from participants import Worker, close_all
from rest_bench import API_KEY, BenchError, Server
from table import print_table, verdict

RECORDER_CPU_TARGET = 0.5
FPS_RATIO_TARGET = 0.95
START_P95_TARGET_S = 1.0
STOP_P95_TARGET_S = 2.0
PARTICIPANTS = 4
PER_PROCESS = 2


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meeting:
    """The room and its participants, driven through the API and the worker processes."""

    def __init__(self, server: Server, api: httpx.AsyncClient, light: bool) -> None:
        self.server = server
        self.api = api
        self.light = light
        self.workers: list[Worker] = []
        self.room_id = ""

    async def open(self) -> None:
        response = await self.api.post("/api/v1/rooms", json={"roomName": "Recording bench"})
        room = response.json()
        self.room_id = room["roomId"]
        for first in range(1, PARTICIPANTS + 1, PER_PROCESS):
            names = [f"p{first + i}" for i in range(PER_PROCESS)]
            self.workers.append(Worker(room["speakerUrl"], names, first, PARTICIPANTS, 0, self.light))
        for worker in self.workers:
            await worker.expect("joined", 60)
        for worker in self.workers:
            flowing = await worker.expect("flowing", 90)
            if flowing.get("missing"):
                raise BenchError("participants receive nothing from others: " + "; ".join(flowing["missing"]))

    async def window(self, seconds: float, recorder_pid: int | None = None) -> tuple[float, float | None]:
        """(server CPU, recorder CPU) over ``seconds``; the participants count the frames they receive from here
        on (their report, at :meth:`close`)."""
        assert self.server.process is not None
        for worker in self.workers:
            worker.send("mark")
        for worker in self.workers:
            await worker.expect("marked", 30)
        server0, recorder0, wall0 = cpu_seconds(self.server.process.pid), 0.0, time.monotonic()
        if recorder_pid is not None:
            recorder0 = cpu_seconds(recorder_pid)
        await asyncio.sleep(seconds)
        wall = time.monotonic() - wall0
        server_cpu = (cpu_seconds(self.server.process.pid) - server0) / wall
        recorder_cpu = None if recorder_pid is None else (cpu_seconds(recorder_pid) - recorder0) / wall
        return server_cpu, recorder_cpu

    async def start(self) -> tuple[dict[str, object], float]:
        t0 = time.monotonic()
        response = await self.api.post("/api/v1/recordings", json={"roomId": self.room_id})
        took = time.monotonic() - t0
        if response.status_code != 201 or response.json()["status"] != "active":
            raise BenchError(f"recording not started: {response.status_code} {response.text}")
        return response.json(), took

    async def stop(self, recording_id: str) -> float:
        t0 = time.monotonic()
        response = await self.api.post(f"/api/v1/recordings/{recording_id}/stop")
        if response.status_code != 202:
            raise BenchError(f"recording not stopped: {response.status_code} {response.text}")
        status = response.json()["status"]
        while status in ("ending", "active"):
            await asyncio.sleep(0.02)
            status = (await self.api.get(f"/api/v1/recordings/{recording_id}")).json()["status"]
        took = time.monotonic() - t0
        if status != "complete":
            raise BenchError(f"recording {recording_id} ended {status}")
        return took

    def recorder_pid(self, recording_id: str) -> int:
        log = self.server.data_dir / "recordings" / recording_id / "recorder.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.findall(r"Recorder: pid (\d+)", log.read_text()) if log.exists() else []
            if found:
                return int(found[0])
            time.sleep(0.05)
        raise BenchError("the recorder process did not start")

    async def close(self) -> list[float]:
        reports = [await worker.stop() for worker in self.workers]
        return [fps for report in reports for fps in report["fps"]]


async def measure(server: Server, args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    headers = {"X-API-KEY": API_KEY}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as api:
        fps: dict[str, float] = {}
        cpu: dict[str, float] = {}
        starts: list[float] = []
        stops: list[float] = []
        recorder_cpu = 0.0
        for phase in ("plain", "recorded", "cycles"):
            meeting = Meeting(server, api, not args.real_codecs)
            recording: dict[str, object] | None = None
            try:
                print(f"{phase}: {PARTICIPANTS} participants joining ...", flush=True)
                await meeting.open()
                if phase == "cycles":
                    print(f"  {args.cycles} recordings started and stopped ...", flush=True)
                    for _ in range(args.cycles):
                        again, took = await meeting.start()
                        starts.append(took)
                        await asyncio.sleep(1.0)
                        stops.append(await meeting.stop(str(again["recordingId"])))
                    continue
                pid = None
                if phase == "recorded":
                    recording, took = await meeting.start()
                    starts.append(took)
                    pid = meeting.recorder_pid(str(recording["recordingId"]))
                    await asyncio.sleep(2.5)  # the composite follows the meeting 2 s behind: its steady state
                cpu[phase], measured = await meeting.window(args.seconds, pid)
                if measured is not None:
                    recorder_cpu = measured
                if recording is not None:
                    stops.append(await meeting.stop(str(recording["recordingId"])))
            finally:
                rates = await meeting.close()
                await close_all(meeting.workers)
            fps[phase] = statistics.mean(rates) if rates else 0.0
    if not fps["plain"]:
        raise BenchError("the participants received no video")
    capture = cpu["recorded"] - cpu["plain"]
    ratio = fps["recorded"] / fps["plain"]
    return [
        ("recorder process CPU (decode 4+4, compose, encode 720p30)", f"{recorder_cpu:.2f} core", "", ""),
        ("capture in the SFU process (server CPU with - without)", f"{capture:+.2f} core", "", ""),
        (
            "recording's CPU: capture + composite + encode",
            f"{recorder_cpu + max(capture, 0):.2f} core",
            f"<= {RECORDER_CPU_TARGET} core",
            verdict(recorder_cpu + max(capture, 0) <= RECORDER_CPU_TARGET),
        ),
        ("server CPU without / with the recording", f"{cpu['plain']:.2f} / {cpu['recorded']:.2f} core", "", ""),
        (
            "subscribers' received fps without / with the recording",
            f"{fps['plain']:.1f} / {fps['recorded']:.1f} fps",
            f">= {FPS_RATIO_TARGET:.0%} of without",
            f"{ratio:.2f} {verdict(ratio >= FPS_RATIO_TARGET)}",
        ),
        (
            "start: POST /recordings -> active p50/p95",
            f"{statistics.median(starts) * 1000:.0f} / {percentile(starts, 95) * 1000:.0f} ms ({len(starts)})",
            f"p95 <= {START_P95_TARGET_S * 1000:.0f} ms",
            verdict(percentile(starts, 95) <= START_P95_TARGET_S),
        ),
        (
            "stop -> complete p50/p95",
            f"{statistics.median(stops) * 1000:.0f} / {percentile(stops, 95) * 1000:.0f} ms ({len(stops)})",
            f"p95 <= {STOP_P95_TARGET_S * 1000:.0f} ms",
            verdict(percentile(stops, 95) <= STOP_P95_TARGET_S),
        ),
    ]


async def run(args: argparse.Namespace, workdir: Path) -> None:
    async with running_server(workdir) as server:
        rows = await measure(server, args)
    print()
    print_table(rows)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=None, help="each measuring window (10; --quick 4)")
    parser.add_argument("--cycles", type=int, default=None, help="start/stop cycles (10; --quick 3)")
    parser.add_argument("--real-codecs", action="store_true", help="participants encode and decode for real")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 4 s windows, 3 cycles")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 4.0 if args.quick else 10.0
    if args.cycles is None:
        args.cycles = 3 if args.quick else 10
    if args.seconds <= 0 or args.cycles < 1:
        parser.error("--seconds must be positive and --cycles at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_bench(lambda workdir: run(args, workdir), "meetdesk-rec-bench-")


if __name__ == "__main__":
    sys.exit(main())

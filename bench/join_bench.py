"""Join time (room link -> first remote frame) and server memory with many participants, against a real server.

Usage::

    .venv/bin/python bench/join_bench.py            # 30 joins; 30 participants in 3 rooms (1-3 minutes)
    .venv/bin/python bench/join_bench.py --quick    # a smoke run: 5 joins; 6 participants in 2 rooms

Each part starts its own ``meetdesk server`` child process (SQLite, a fresh data directory in a temporary
folder, a free loopback port: ``rest_bench.Server``) and stops it at the end, on Ctrl-C, SIGTERM and errors.
Every participant is a :class:`meetdesk.client.session.MeetingSession`, as ``meetdesk join --synthetic``
builds it: the synthetic camera at its default size, 640x480 at 30 fps (VP8), and the synthetic
microphone (Opus), receiving everybody else in its room.

1. Join time. A room is created with the API key (``MeetDeskClient``); one publisher stays in it, in a
   worker process. Then, ``--joins`` times, a fresh participant in this process joins from the room's
   speaker link and leaves again. t0 is taken before the link string is parsed (``MeetingSession``
   parses it on construction); the join runs the whole client path: ``POST participants/token``,
   WebSocket signalling join, publish offer, the server's subscribe offer and our answer, ICE + DTLS,
   the keyframe the SFU asks the publisher for, decoding. t1 is when the first decoded video frame of
   the publisher came out of its track (``RemoteTrack.first_frame_at``, recorded by the session). One
   warm-up join first (a fresh process pays one-off imports and codec set-up) is shown on its own and
   left out of the percentiles. Where the time goes: when ``join()`` returned (token, signalling join,
   publish offer sent), when the server's first subscribe offer arrived (``session.events()``), and,
   timed apart, what creating the ``MeetDeskClient`` that ``join()`` makes costs. The server's RSS
   before and after the joins shows whether join/leave cycles leave memory behind.
2. Memory. A fresh server; its idle RSS (started, rooms created, nobody in them) is the baseline. Then
   ``--participants`` participants in ``--rooms`` rooms join, from worker processes of ``--per-process``
   participants each, at a lower CPU priority (nice 10) so that the measured server keeps the CPU it
   needs. Once every participant has received video and audio from every other one in its room, media
   flows for ``--seconds`` while the server's VmRSS is sampled from ``/proc``. The figure is the
   server's peak RSS: VmHWM at the end of the window, the kernel's high-water mark over the server's
   whole life, in MB of 10^6 bytes.

   Two cores cannot encode 30 cameras and receive 270 video streams in real time beside the server, so
   by default the workers carry light media (``participants.install_light_media``, in their processes
   only): VP8 and Opus are pre-encoded clips of the synthetic camera and microphone, replayed (a
   keyframe request restarts the video clip at its keyframe), and a received frame is counted from its
   RTP packets instead of being reassembled and decoded. The packets the server receives and forwards
   are those of real participants; ``--real-codecs`` turns this off. Even so, a 2-core machine cannot
   move all of it in real time: frames are dropped (by the SFU for subscribers that fall behind, as
   designed, and by participants that cannot read their packets in time). The table shows the frame
   rates the participants received, the server's CPU use, where UDP datagrams were dropped, and how
   many connections the server closed because the other end stopped answering ICE consent checks.

Targets: join p50 <= 400 ms and p95 <= 800 ms on loopback; server RSS <= 400 MB with 30 participants in
3 rooms. Prints a table (figure | measured | target | ratio / verdict). Exits 0 whether or not the
targets are met, 1 when the run itself failed: a join refused or timed out, or a participant of the
memory part that never received media from another one (the table is printed first, and what arrived
for each such track is listed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# bench/participants.py, rest_bench.py and table.py: the script's own directory is on sys.path
from _common import create_room, poll_until, run_bench, running_server
from participants import FLOWING_TIMEOUT_S, JOIN_TIMEOUT_S, Worker, close_all, udp_drops
from rest_bench import API_KEY, BenchError, Latencies, Server
from table import print_table, verdict

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.session import MeetingSession
from meetdesk.core.signalling import SubscribeOffer

JOIN_P50_TARGET_MS = 400.0
JOIN_P95_TARGET_MS = 800.0
RSS_TARGET_MB = 400.0
RSS_TARGET_PARTICIPANTS, RSS_TARGET_ROOMS = 30, 3
CAMERA = "640x480@30"  # SyntheticCamera's default, which MeetingSession publishes
CAMERA_FPS = 30
SETTLE_S = 0.3  # between a leave and the next join: the server's teardown is not part of the next join
CLIENT_NICE = 10  # the participants' worker processes yield the CPU to the server whose RSS is measured
SAMPLE_EVERY_S = 0.25
CONSENT_EXPIRED = "Consent to send expired"  # aioice's log line when a peer stops answering consent checks


# --- join time -----------------------------------------------------------------------------------


@dataclass
class JoinSample:
    total_ms: float  # link -> first decoded remote video frame
    joined_ms: float  # link -> join() returned: token, signalling join, publish offer sent
    offer_ms: float  # link -> first subscribe offer received

    @property
    def media_ms(self) -> float:
        """Subscribe offer -> first frame: answer, ICE + DTLS, keyframe, decoding."""
        return self.total_ms - self.offer_ms


@dataclass
class JoinResult:
    warmup: JoinSample
    samples: list[JoinSample] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    client_setup: Latencies = field(default_factory=Latencies)  # MeetDeskClient(), which each join() makes

    def latencies(self, attribute: str) -> Latencies:
        return Latencies([getattr(s, attribute) for s in self.samples])


def first_video_frame_at(session: MeetingSession, identity: str) -> float | None:
    return next(
        (r.first_frame_at for r in session.remote.values() if r.kind == "video" and r.identity == identity), None
    )


async def one_join(link: str, name: str, source_id: int, publisher: str) -> JoinSample:
    offer_at: float | None = None
    t0 = time.monotonic()
    session = MeetingSession(link, name, source_id=source_id)

    async def watch() -> None:
        nonlocal offer_at
        async for event in session.events():
            if isinstance(event, SubscribeOffer) and offer_at is None:
                offer_at = time.monotonic()

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.wait_for(session.join(), JOIN_TIMEOUT_S)
        joined_at = time.monotonic()
        # the session records when each remote track's first frame came out of the decoder; poll for it
        if not await poll_until(lambda: first_video_frame_at(session, publisher) is not None, JOIN_TIMEOUT_S, 0.005):
            raise BenchError(f"{name} got no video from the publisher within {JOIN_TIMEOUT_S:.0f} s")
        t1 = first_video_frame_at(session, publisher)
        assert t1 is not None
    finally:
        await session.leave()
        watcher.cancel()
    if offer_at is None:
        raise BenchError(f"{name} received video without a subscribe offer")
    return JoinSample((t1 - t0) * 1000, (joined_at - t0) * 1000, (offer_at - t0) * 1000)


async def measure_joins(server: Server, joins: int) -> JoinResult:
    room = await create_room(server, "Join bench")
    assert room.speakerUrl is not None
    link = room.speakerUrl
    publisher = Worker(link, ["publisher"], first_source=1, room_size=1)
    try:
        [identity] = (await publisher.expect("joined", JOIN_TIMEOUT_S))["joined"]
        await publisher.expect("flowing", FLOWING_TIMEOUT_S)
        result = JoinResult(await one_join(link, "warm-up", 2, identity))
        print(f"  warm-up join: {result.warmup.total_ms:.0f} ms", flush=True)
        for _ in range(joins):
            start = time.monotonic()
            await MeetDeskClient(server.url).aclose()
            result.client_setup.add(time.monotonic() - start)
        await asyncio.sleep(SETTLE_S)
        result.rss_before_kib = server.memory_kib().get("VmRSS", 0)
        for i in range(joins):
            result.samples.append(await one_join(link, f"joiner {i + 1}", 3 + i % 250, identity))
            await asyncio.sleep(SETTLE_S)
        result.rss_after_kib = server.memory_kib().get("VmRSS", 0)
        total = result.latencies("total_ms")
        print(f"  {joins} joins: p50 {total.pct(50):.0f} ms, p95 {total.pct(95):.0f} ms", flush=True)
        return result
    finally:
        await close_all([publisher])


# --- memory --------------------------------------------------------------------------------------


@dataclass
class MemoryResult:
    participants: int
    rooms: int
    idle_kib: int
    peak_kib: int  # VmHWM at the end of the window
    window_kib: list[int]  # VmRSS samples over the window
    received: int  # (receiver, sender, kind) triples with media
    expected: int
    video_tracks: int
    audio_tracks: int
    fps: list[float]
    server_cpu: float  # share of one core over the window
    light: bool  # replayed and counted media (install_light_media), not encoded and decoded
    processes: int  # the participants' worker processes
    missing: list[str]  # remote tracks that never received media, with what arrived for them
    udp_drops: tuple[int, int]  # datagrams dropped on full receive buffers: the server's sockets, the participants'
    consent_expired: int = 0  # connections the server closed: the other end stopped answering ICE consent checks


def room_sizes(participants: int, rooms: int) -> list[int]:
    return [participants // rooms + (1 if i < participants % rooms else 0) for i in range(rooms)]


async def measure_memory(
    server: Server, participants: int, rooms: int, seconds: float, light: bool, per_process: int
) -> MemoryResult:
    async with MeetDeskClient(server.url, api_key=API_KEY) as api:
        links = [(await api.create_room({"roomName": f"Memory bench {i + 1}"})).speakerUrl for i in range(rooms)]
    idle_kib = server.memory_kib().get("VmRSS", 0)
    print(f"  idle server: {idle_kib / 1000:.0f} MB RSS", flush=True)
    workers: list[Worker] = []
    try:
        first = 1
        start = time.monotonic()
        for r, (link, size) in enumerate(zip(links, room_sizes(participants, rooms), strict=True)):
            assert link is not None
            names = [f"room{r + 1}-p{n + 1}" for n in range(size)]
            for chunk in range(0, size, per_process):
                group = names[chunk : chunk + per_process]
                workers.append(Worker(link, group, first, size, CLIENT_NICE, light))
                first += len(group)
        for worker in workers:
            await worker.expect("joined", JOIN_TIMEOUT_S * per_process)
        join_seconds = time.monotonic() - start
        print(f"  {participants} participants joined in {join_seconds:.1f} s", flush=True)
        flowing = [await worker.expect("flowing", FLOWING_TIMEOUT_S + 30) for worker in workers]
        flowing_seconds = time.monotonic() - start - join_seconds
        received, expected = sum(f["flowing"] for f in flowing), sum(f["expected"] for f in flowing)
        missing = [line for f in flowing for line in f.get("missing", [])]
        if missing:
            # measured all the same (the table says so); the run fails once the table is printed
            print(f"  only {received} of {expected} remote tracks received media; some without any:", flush=True)
            print("".join(f"    {line}\n" for line in missing), end="", flush=True)
        else:
            print(f"  every participant receives every other one, {flowing_seconds:.1f} s after the joins", flush=True)
        for worker in workers:
            worker.send("mark")
        for worker in workers:
            await worker.expect("marked", 30)
        cpu0, wall0 = server.cpu_seconds() or 0.0, time.monotonic()
        samples: list[int] = []
        while time.monotonic() - wall0 < seconds:
            samples.append(server.memory_kib().get("VmRSS", 0))
            await asyncio.sleep(SAMPLE_EVERY_S)
        peak_kib = server.memory_kib().get("VmHWM", 0)
        server_cpu = ((server.cpu_seconds() or 0.0) - cpu0) / (time.monotonic() - wall0)
        assert server.process is not None
        server_drops = udp_drops(server.process.pid)
        reports = [await worker.stop() for worker in workers]
    finally:
        await close_all(workers)
    return MemoryResult(
        participants=participants,
        rooms=rooms,
        idle_kib=idle_kib,
        peak_kib=peak_kib,
        window_kib=samples,
        received=sum(r["received"] for r in reports),
        expected=expected,
        video_tracks=sum(r["video"] for r in reports),
        audio_tracks=sum(r["audio"] for r in reports),
        fps=[x for r in reports for x in r["fps"]],
        server_cpu=server_cpu,
        light=light,
        processes=len(workers),
        missing=missing,
        udp_drops=(server_drops, sum(r["udp_drops"] for r in reports)),
    )


# --- report --------------------------------------------------------------------------------------


def against(value: float, target: float, unit: str) -> tuple[str, str, str]:
    return f"{value:.0f} {unit}", f"<= {target:.0f} {unit}", f"{value / target:.2f}x target: {verdict(value <= target)}"


def join_rows(result: JoinResult) -> list[tuple[str, str, str, str]]:
    n = len(result.samples)
    total = result.latencies("total_ms")
    label = f"join time, room link -> first remote frame, loopback ({n} joins)"

    def p50_p95(attribute: str) -> str:
        lat = result.latencies(attribute)
        return f"{lat.pct(50):.0f} / {lat.pct(95):.0f} ms"

    growth = (result.rss_after_kib - result.rss_before_kib) / 1000
    return [
        (f"{label} p50", *against(total.pct(50), JOIN_P50_TARGET_MS, "ms")),
        (f"{label} p95", *against(total.pct(95), JOIN_P95_TARGET_MS, "ms")),
        (
            "  link -> join() returned (token, signalling join, publish offer sent) p50/p95",
            p50_p95("joined_ms"),
            "-",
            "info",
        ),
        (
            "    of which creating a MeetDeskClient (httpx client, TLS context), separately timed",
            f"{result.client_setup.pct(50):.0f} / {result.client_setup.pct(95):.0f} ms",
            "-",
            "info",
        ),
        ("  link -> first subscribe offer received p50/p95", p50_p95("offer_ms"), "-", "info"),
        (
            "  subscribe offer -> first frame (answer, ICE, DTLS, keyframe, decode) p50/p95",
            p50_p95("media_ms"),
            "-",
            "info",
        ),
        (
            "  warm-up join, the process's first (not in the percentiles)",
            f"{result.warmup.total_ms:.0f} ms",
            "-",
            "info",
        ),
        (
            f"  server RSS before -> after the {n} joins and leaves",
            f"{result.rss_before_kib / 1000:.0f} -> {result.rss_after_kib / 1000:.0f} MB",
            "-",
            f"{growth:+.1f} MB ({growth * 1000 / max(n, 1):+.0f} kB per join)",
        ),
    ]


def memory_rows(result: MemoryResult, seconds: float) -> list[tuple[str, str, str, str]]:
    peak_mb, idle_mb = result.peak_kib / 1000, result.idle_kib / 1000
    at_target_size = (result.participants, result.rooms) == (RSS_TARGET_PARTICIPANTS, RSS_TARGET_ROOMS)
    size_note = "" if at_target_size else f" (target is for {RSS_TARGET_PARTICIPANTS} in {RSS_TARGET_ROOMS})"
    value, _, ratio = against(peak_mb, RSS_TARGET_MB, "MB")
    steady = statistics.median(result.window_kib) / 1000 if result.window_kib else float("nan")
    per_participant = (peak_mb - idle_mb) / result.participants
    fps = sorted(result.fps)
    return [
        (
            f"server peak RSS, {result.participants} participants in {result.rooms} rooms, {CAMERA} camera + mic each",
            value,
            f"<= {RSS_TARGET_MB:.0f} MB{size_note}",
            ratio,
        ),
        (f"  server RSS over the {seconds:.0f} s window, median", f"{steady:.0f} MB", "-", "info"),
        ("server RSS idle (started, rooms created, nobody joined)", f"{idle_mb:.0f} MB", "-", "baseline"),
        ("  peak - idle, per participant", f"{per_participant:.1f} MB", "-", "info"),
        (
            "  remote tracks receiving media, each participant from each other one",
            f"{result.received} of {result.expected} ({result.video_tracks} video + {result.audio_tracks} audio)",
            "all",
            verdict(result.received == result.expected),
        ),
        (
            f"  participants' media ({result.processes} processes; the wire traffic of real participants)",
            "replayed VP8 + Opus, frames counted" if result.light else "encoded and decoded",
            "-",
            "--real-codecs to decode" if result.light else "info",
        ),
        (
            f"  received video frames/s per stream over the window, min / median (sent at {CAMERA_FPS})",
            f"{fps[0]:.1f} / {statistics.median(fps):.1f}" if fps else "n/a",
            "-",
            "frames dropped on the way" if fps and statistics.median(fps) < CAMERA_FPS - 1 else "info",
        ),
        ("  server CPU over the window (one core = 100%)", f"{result.server_cpu:.0%}", "-", "info"),
        (
            "  UDP datagrams dropped on full receive buffers since the joins: server / participants",
            f"{result.udp_drops[0]} / {result.udp_drops[1]}",
            "-",
            "info",
        ),
        (
            "  server connections closed by ICE consent expiry (clients too slow to answer)",
            f"{result.consent_expired}",
            "0",
            verdict(result.consent_expired == 0),
        ),
    ]


# --- main ----------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, workdir: Path) -> None:
    rows: list[tuple[str, str, str, str]] = []
    missing: list[str] = []
    for part in ("joins", "memory"):
        async with running_server(workdir, f"server-{part}") as server:
            if part == "joins":
                print(f"Join time: {args.joins} joins from a room link, one publisher in the room ...", flush=True)
                rows += join_rows(await measure_joins(server, args.joins))
            else:
                print(f"Memory: {args.participants} participants in {args.rooms} rooms ...", flush=True)
                memory = await measure_memory(
                    server, args.participants, args.rooms, args.seconds, not args.real_codecs, args.per_process
                )
                with contextlib.suppress(OSError):
                    memory.consent_expired = server.log_path.read_text(errors="replace").count(CONSENT_EXPIRED)
                rows += memory_rows(memory, args.seconds)
                missing = memory.missing
    print()
    print_table(rows)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if missing:
        raise BenchError(f"{len(missing)}+ remote tracks never received media (listed above)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=None, help="timed joins (default 30; --quick 5)")
    parser.add_argument("--participants", type=int, default=None, help="participants for memory (30; --quick 6)")
    parser.add_argument("--rooms", type=int, default=None, help="rooms they are spread over (3; --quick 2)")
    parser.add_argument("--seconds", type=float, default=None, help="media window for memory (10; --quick 3)")
    parser.add_argument(
        "--per-process", type=int, default=5, help="memory part: participants per worker process (default 5)"
    )
    parser.add_argument(
        "--real-codecs",
        action="store_true",
        help="memory part: participants encode and decode for real (more CPU than 2 cores have for 30)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 joins, 6 participants in 2 rooms")
    args = parser.parse_args(argv)
    defaults = (5, 6, 2, 3.0) if args.quick else (30, RSS_TARGET_PARTICIPANTS, RSS_TARGET_ROOMS, 10.0)
    for name, default in zip(("joins", "participants", "rooms", "seconds"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if min(args.joins, args.rooms, args.per_process) < 1 or args.seconds <= 0 or args.participants < 2 * args.rooms:
        parser.error("--joins, --rooms, --per-process and --seconds must be positive; every room needs 2 participants")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_bench(lambda workdir: run(args, workdir), "meetdesk-join-bench-")


if __name__ == "__main__":
    sys.exit(main())

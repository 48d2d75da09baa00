"""SFU benchmark: forwarded video streams per core, against aiortc's transcoding MediaRelay, and latency.

Usage::

    .venv/bin/python bench/sfu_bench.py            # full search, about 3-5 minutes
    .venv/bin/python bench/sfu_bench.py --quick    # a smoke run: two small levels of each mode

Setup, per measured level: a fresh server process, pinned to ONE core (``os.sched_setaffinity``),
runs the server side of the meeting: one publisher peer connection per publisher, one subscriber
peer connection per subscriber. This process (the clients, pinned to the other core) runs the
publishers and subscribers over loopback, with ``RTCConfiguration(iceServers=[])``.

- Publishers replay pre-encoded VP8 (640x480, 30 fps, a 3 s clip per publisher from the synthetic
  camera, encoded once up front with aiortc's encoder; a keyframe request restarts the clip, which
  starts with a keyframe), so publisher CPU is packetization only.
- Subscribers do not decode: a hook on their DTLS transport counts frames (RTP marker bits) per
  track and identifies each frame by its first bytes, to time it from the moment its publisher
  handed it to its RTP sender ("publisher send") to the arrival of its last packet ("subscriber
  receive"): the latency the SFU adds on top of a direct call, network stack and the loaded
  client process included. The server process also times how long each frame waits inside the
  SFU (last packet in -> its subscriber's sender takes it; bench-only instrumentation), shown as
  "in the SFU" next to the end-to-end figures.
- ``forward`` mode: the SFU (``meetdesk.server.sfu.TrackForwarder``), ``--publishers`` publishers,
  each subscriber receiving every publisher's video (streams = publishers x subscribers).
- ``relay`` mode, the peer: aiortc's ``MediaRelay`` (decode once per publisher, re-encode VP8 per
  subscriber), one publisher (its cheapest case: one decoder).

A level is sustained when every subscribed stream receives >= 29 fps over the measuring window and
the SFU dropped no frame for a subscriber that fell behind (a stall made up for later would
average 29 fps too).
The forward search ramps up ``--step`` streams at a time and bisects after the first miss; the
relay search goes one stream at a time. Latency is reported at light load, at the target load
(150 streams) and at the highest sustained level, where queues run full; the table also names the
highest measured level whose p95 stayed within target. Each level prints a line with the share of
the server's core used by the SFU and by other processes (``/proc/stat``), so that a run on a
busy machine shows it. Prints a table (figure | measured | target | ratio / verdict).
Exits 0 whether or not targets are met, 1 when the run itself failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor, vp8_depayload
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from table import print_table, verdict  # bench/table.py: the script's own directory is on sys.path

from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.server.sfu import TrackForwarder, forwarded_codecs, hooks
from meetdesk.server.sfu.frames import EncodedFrame
from meetdesk.server.sfu.track import ForwardedTrack

FPS = 30
MIN_FPS = 29.0
CLIP_FRAMES = 90
ID_BYTES = 48  # a frame's first bytes name it (checked unique across all clips)
STREAMS_TARGET = 150
RATIO_TARGET = 25.0
LATENCY_P95_TARGET_MS = 50.0
CONFIG = RTCConfiguration(iceServers=[])
TIME_BASE = Fraction(1, 90000)


class BenchError(RuntimeError):
    """The run itself failed (not a missed target)."""


# --- the server side, in its own process pinned to one core -----------------------------------------


def server_main(mode: str, core: int, conn: multiprocessing.connection.Connection) -> None:
    os.sched_setaffinity(0, {core})  # before any thread exists: aiortc's threads inherit it
    if mode == "forward":
        time_sfu_queues()
    asyncio.run(Server(mode, conn).serve())


SFU_DELAYS: list[float] = []


def time_sfu_queues() -> None:
    """Bench-only instrumentation: how long each frame waits in the SFU, from its last packet's
    arrival to its subscriber's sender taking it (a dict lookup per frame per subscriber)."""
    offer, recv = ForwardedTrack.offer, ForwardedTrack.recv
    arrived: dict[int, float] = {}

    def timed_offer(self: ForwardedTrack, frame: EncodedFrame, packet: av.Packet) -> bool:
        arrived[id(packet)] = frame.received_at
        if len(arrived) > 4096:
            arrived.pop(next(iter(arrived)))
        return offer(self, frame, packet)

    async def timed_recv(self: ForwardedTrack) -> av.Packet:
        packet = await recv(self)
        if (at := arrived.get(id(packet))) is not None:
            SFU_DELAYS.append(time.monotonic() - at)
        return packet

    ForwardedTrack.offer = timed_offer  # type: ignore[method-assign]
    ForwardedTrack.recv = timed_recv  # type: ignore[method-assign]


class Server:
    """Publisher and subscriber peer connections, wired by forwarders (or a transcoding MediaRelay)."""

    def __init__(self, mode: str, conn: multiprocessing.connection.Connection) -> None:
        self.mode = mode
        self.conn = conn
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.forwarders: dict[str, TrackForwarder] = {}
        self.remote: dict[str, MediaStreamTrack] = {}
        self.relay = MediaRelay()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            request = await loop.run_in_executor(None, self.conn.recv)
            op = request.pop("op")
            if op == "quit":
                break
            try:
                reply = await getattr(self, op)(**request)
            except Exception as exc:  # report, keep serving: the client decides
                reply = {"error": repr(exc)}
            self.conn.send(reply)
        for pc in self.pcs.values():
            await pc.close()
        self.conn.send({})

    async def publish(self, name: str, sdp: str) -> dict[str, Any]:
        pc = self.pcs[name] = RTCPeerConnection(CONFIG)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            receiver = next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)
            if self.mode == "forward":
                self.forwarders[name] = TrackForwarder(receiver, track, name=name)
            else:
                self.remote[name] = track

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return {"sdp": pc.localDescription.sdp}

    async def subscribe(self, name: str, publishers: list[str]) -> dict[str, Any]:
        pc = self.pcs[name] = RTCPeerConnection(CONFIG)
        for publisher in publishers:
            if self.mode == "forward":
                self.forwarders[publisher].add_to(pc, name)
            else:
                pc.addTrack(self.relay.subscribe(self.remote[publisher], buffered=False))
                for transceiver in pc.getTransceivers():
                    transceiver.setCodecPreferences(forwarded_codecs("video"))
        await pc.setLocalDescription(await pc.createOffer())
        return {"sdp": pc.localDescription.sdp}

    async def answer(self, name: str, sdp: str) -> dict[str, Any]:
        await self.pcs[name].setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        return {}

    async def stats(self) -> dict[str, Any]:
        dropped = sum(s.frames_dropped for f in self.forwarders.values() for s in f.stats().subscribers.values())
        plis = sum(f.stats().plis_sent for f in self.forwarders.values())
        delays = [d * 1000 for d in SFU_DELAYS]
        SFU_DELAYS.clear()
        return {"dropped": dropped, "plis": plis, "sfu_delay_ms": percentiles(delays)}


class ServerProcess:
    def __init__(self, mode: str, core: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=server_main, args=(mode, core, child), daemon=True)
        self.process.start()
        self._lock = asyncio.Lock()

    async def call(self, op: str, **args: Any) -> dict[str, Any]:
        async with self._lock:
            self.conn.send({"op": op, **args})
            loop = asyncio.get_running_loop()
            ready = await loop.run_in_executor(None, self.conn.poll, 60.0)
            if not ready:
                raise BenchError(f"server process did not answer {op!r}")
            reply: dict[str, Any] = self.conn.recv()
        if "error" in reply:
            raise BenchError(f"server process failed {op!r}: {reply['error']}")
        return reply

    @staticmethod
    def core_busy_seconds(core: int) -> float:
        """Busy time of one CPU, whoever used it (``/proc/stat``), to show contention from other processes."""
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith(f"cpu{core} "):
                ticks = [int(x) for x in line.split()[1:]]
                return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        return 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        with contextlib.suppress(BenchError, OSError, EOFError):
            await asyncio.wait_for(self.call("quit"), 20)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


# --- the clients, in this process ------------------------------------------------------------------


def encode_clips(count: int) -> list[list[bytes]]:
    """One 3 s VP8 clip per publisher, each starting with a keyframe."""
    clips = []
    for source in range(count):
        camera, encoder = SyntheticCamera(source_id=source + 1), Vp8Encoder()
        clip = []
        for n in range(CLIP_FRAMES):
            payloads, _ = encoder.encode(camera.make_frame(n), force_keyframe=n == 0)
            clip.append(b"".join(vp8_depayload(p) for p in payloads))
        clips.append(clip)
    names = [frame[:ID_BYTES] for clip in clips for frame in clip]
    if len(set(names)) != len(names):
        raise BenchError("pre-encoded frames do not have distinct first bytes")
    return clips


class ReplayTrack(MediaStreamTrack):
    """Replays a pre-encoded clip at 30 fps as ``av.Packet`` (packetized, not encoded, by the sender)."""

    kind = "video"

    def __init__(self, clip: list[bytes], sent: dict[bytes, float]) -> None:
        super().__init__()
        self.clip = clip
        self.sent = sent  # first bytes of a frame -> when it was last handed to the sender
        self.index = 0
        self.count = 0
        self.start: float | None = None

    def restart(self) -> None:
        self.index = 0  # the clip starts with a keyframe

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self.start is None:
            self.start = now
        elif (wait := self.start + self.count / FPS - now) > 0:
            await asyncio.sleep(wait)
        frame = self.clip[self.index]
        packet = av.Packet(frame)
        packet.pts, packet.time_base = self.count * 3000, TIME_BASE
        self.sent[frame[:ID_BYTES]] = time.monotonic()
        self.index = (self.index + 1) % len(self.clip)
        self.count += 1
        return packet


@dataclass
class StreamCounter:
    frames: int = 0
    current: bytes | None = None


@dataclass
class Subscriber:
    """A subscriber connection that counts frames per SSRC from raw RTP, without depacketizing or decoding."""

    pc: RTCPeerConnection
    sent: dict[bytes, float]
    latencies: list[float]
    streams: dict[int, StreamCounter] = field(default_factory=dict)

    def tap(self) -> None:
        for transport in {t.receiver.transport for t in self.pc.getTransceivers()}:
            transport._handle_rtp_data = self.on_rtp

    async def on_rtp(self, data: bytes, arrival_time_ms: int) -> None:
        ssrc = int.from_bytes(data[8:12], "big")
        stream = self.streams.get(ssrc)
        if stream is None:
            stream = self.streams[ssrc] = StreamCounter()
        offset = 12 + 4 * (data[0] & 0x0F)
        if data[0] & 0x10:  # header extension
            offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
        payload = data[offset:]
        if payload and payload[0] & 0x10:  # VP8 S bit: a frame starts here
            _, frame = VpxPayloadDescriptor.parse(payload)
            stream.current = frame[:ID_BYTES]
        if data[1] & 0x80:  # marker: the frame's last packet
            stream.frames += 1
            sent = self.sent.get(stream.current) if stream.current is not None else None
            if sent is not None:
                self.latencies.append(time.monotonic() - sent)
            stream.current = None


async def negotiate_publisher(server: ServerProcess, name: str, track: ReplayTrack) -> RTCPeerConnection:
    pc = RTCPeerConnection(CONFIG)
    transceiver = pc.addTransceiver(track, direction="sendonly")
    transceiver.setCodecPreferences(forwarded_codecs("video"))
    hooks.redirect_keyframe_requests(transceiver.sender, track.restart)
    await pc.setLocalDescription(await pc.createOffer())
    reply = await server.call("publish", name=name, sdp=pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc


@dataclass
class LevelResult:
    mode: str
    streams: int
    min_fps: float
    median_fps: float
    server_cpu: float  # share of its one core
    core_busy: float  # share of that core busy with anything (the server and other processes)
    client_cpu: float  # share of one core
    latencies_ms: list[float]
    dropped: int  # frames the SFU dropped for subscribers that fell behind, during the window
    sfu_delay: str  # p50/p95 of the time frames waited inside the SFU, during the window

    @property
    def sustained(self) -> bool:
        return self.min_fps >= MIN_FPS and self.dropped == 0

    def line(self) -> str:
        lat = percentiles(self.latencies_ms)
        return (
            f"  {self.mode:7s} {self.streams:4d} streams: min {self.min_fps:5.1f} fps, median {self.median_fps:5.1f}, "
            f"server core {self.server_cpu:4.0%} (others {max(0.0, self.core_busy - self.server_cpu):4.0%}), "
            f"client {self.client_cpu:4.0%}, latency p50/p95 {lat} (in the SFU {self.sfu_delay}), "
            f"dropped {self.dropped}: {'sustained' if self.sustained else 'NOT sustained'}"
        )


def percentiles(values: list[float]) -> str:
    if len(values) < 20:
        return "n/a"
    q = statistics.quantiles(values, n=100)
    return f"{q[49]:.1f}/{q[94]:.1f} ms"


async def run_level(
    mode: str, publishers: int, subscribers: int, clips: list[list[bytes]], args: argparse.Namespace
) -> LevelResult:
    server = ServerProcess(mode, args.server_core)
    pcs: list[RTCPeerConnection] = []
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    subs: list[Subscriber] = []
    try:
        names = [f"pub{i}" for i in range(publishers)]
        for name, clip in zip(names, clips, strict=False):
            pcs.append(await negotiate_publisher(server, name, ReplayTrack(clip, sent)))
        await asyncio.sleep(0.5)  # the publisher connections up, the server's tracks known
        for i in range(subscribers):
            offer = await server.call("subscribe", name=f"sub{i}", publishers=names)
            pc = RTCPeerConnection(CONFIG)
            pcs.append(pc)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            subscriber = Subscriber(pc, sent, latencies)
            subscriber.tap()
            subs.append(subscriber)
            await server.call("answer", name=f"sub{i}", sdp=pc.localDescription.sdp)
        streams = publishers * subscribers
        deadline = time.monotonic() + 30
        while sum(len(s.streams) for s in subs) < streams or any(
            c.frames == 0 for s in subs for c in s.streams.values()
        ):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(args.warmup)
        before = [(c, c.frames) for s in subs for c in s.streams.values()]
        dropped_before = (await server.call("stats"))["dropped"]
        missing = streams - len(before)
        latencies.clear()
        core0 = server.core_busy_seconds(args.server_core)
        cpu0, wall0, client0 = server.cpu_seconds(), time.monotonic(), time.process_time()
        await asyncio.sleep(args.seconds)
        cpu1, wall1, client1 = server.cpu_seconds(), time.monotonic(), time.process_time()
        core1 = server.core_busy_seconds(args.server_core)
        window = wall1 - wall0
        fps = [(c.frames - n) / window for c, n in before] + [0.0] * missing
        stats = await server.call("stats")
        return LevelResult(
            mode=mode,
            streams=streams,
            min_fps=min(fps),
            median_fps=statistics.median(fps),
            server_cpu=(cpu1 - cpu0) / window,
            core_busy=(core1 - core0) / window,
            client_cpu=(client1 - client0) / window,
            latencies_ms=[x * 1000 for x in latencies],
            dropped=stats["dropped"] - dropped_before,
            sfu_delay=stats["sfu_delay_ms"],
        )
    finally:
        for pc in pcs:
            await pc.close()
        await server.stop()


async def search(
    mode: str, publishers: int, levels: list[int], step: int, clips: list[list[bytes]], args: argparse.Namespace
) -> tuple[LevelResult | None, list[LevelResult]]:
    """Ramp up through ``levels`` (streams); after the first miss, bisect down to ``step``."""
    results: list[LevelResult] = []
    best: LevelResult | None = None
    failed: int | None = None

    async def measure(streams: int) -> bool:
        nonlocal best, failed
        result = await run_level(mode, publishers, streams // publishers, clips, args)
        results.append(result)
        print(result.line(), flush=True)
        if result.sustained and (best is None or result.streams > best.streams):
            best = result
        if not result.sustained:
            failed = min(failed or result.streams, result.streams)
        return result.sustained

    for streams in levels:
        if not await measure(streams):
            break
    low = best.streams if best is not None else 0
    while failed is not None and failed - low > step:
        middle = (low + failed) // 2 // publishers * publishers
        if middle <= low:
            break
        if await measure(middle):
            low = middle
    return best, results


# --- report ------------------------------------------------------------------------------------------


def p95(result: LevelResult) -> float:
    return statistics.quantiles(result.latencies_ms, n=100)[94]


def latency_row(label: str, result: LevelResult | None) -> tuple[str, str, str, str] | None:
    if result is None or len(result.latencies_ms) < 20:
        return None
    q = statistics.quantiles(result.latencies_ms, n=100)
    return (
        f"publisher send -> subscriber receive p50/p95, {label} ({result.streams} streams)",
        f"{q[49]:.1f} / {q[94]:.1f} ms (in the SFU {result.sfu_delay})",
        f"p95 <= {LATENCY_P95_TARGET_MS:.0f} ms",
        f"{q[94] / LATENCY_P95_TARGET_MS:.2f}x target: {verdict(q[94] <= LATENCY_P95_TARGET_MS)}",
    )


def report(
    forward: LevelResult | None,
    relay: LevelResult | None,
    light: LevelResult,
    at_target: LevelResult | None,
    measured: list[LevelResult],
    args: argparse.Namespace,
) -> None:
    fwd_n = forward.streams if forward else 0
    relay_n = relay.streams if relay else 0
    quick = " (--quick: levels capped)" if args.quick else ""
    rows = [
        (
            f"forwarded 640x480@30 streams on one core, all >= {MIN_FPS:.0f} fps, {args.publishers} publishers{quick}",
            f"{fwd_n}",
            f">= {STREAMS_TARGET}",
            f"{fwd_n / STREAMS_TARGET:.2f}x target: {verdict(fwd_n >= STREAMS_TARGET)}",
        )
    ]
    if forward is not None:
        others = max(0.0, forward.core_busy - forward.server_cpu)
        rows.append(
            (
                "  at that level: server core used by the SFU / by other processes / client core",
                f"{forward.server_cpu:.0%} / {others:.0%} / {forward.client_cpu:.0%}",
                "-",
                "client-bound" if forward.client_cpu >= 0.9 else "info",
            )
        )
        per_stream = forward.server_cpu / forward.streams
        rows.append(
            (
                "  SFU CPU per forwarded stream (one core = 100%)",
                f"{per_stream:.2%}",
                "-",
                f"extrapolated ceiling ~{1 / per_stream:.0f} streams per core" if per_stream else "n/a",
            )
        )
    rows += [
        (
            f"aiortc MediaRelay (decode + VP8 re-encode per subscriber) streams, 1 publisher{quick}",
            f"{relay_n}",
            "-",
            "peer",
        ),
        (
            "forwarding / transcoding relay",
            f"{fwd_n / relay_n:.1f}x" if relay_n else "inf (relay sustained none)",
            f">= {RATIO_TARGET:.0f}x",
            verdict(relay_n == 0 or fwd_n / relay_n >= RATIO_TARGET),
        ),
    ]
    for label, result in (("light load", light), ("target load", at_target), ("max sustained load", forward)):
        row = latency_row(label, result)
        if row is not None:
            rows.append(row)
    within = [r for r in measured if r.sustained and len(r.latencies_ms) >= 20 and p95(r) <= LATENCY_P95_TARGET_MS]
    if within:
        best = max(within, key=lambda r: r.streams)
        rows.append(
            (
                f"  highest measured level also within p95 <= {LATENCY_P95_TARGET_MS:.0f} ms",
                f"{best.streams} streams (p95 {p95(best):.1f} ms)",
                f">= {STREAMS_TARGET}",
                verdict(best.streams >= STREAMS_TARGET),
            )
        )
    print()
    print_table(rows)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


async def main(args: argparse.Namespace) -> None:
    print(f"encoding {args.publishers} clips of {CLIP_FRAMES} frames (640x480 VP8) ...", flush=True)
    clips = encode_clips(max(args.publishers, 1))
    p = args.publishers
    light = await run_level("forward", p, 1, clips, args)
    print(light.line(), flush=True)
    at_target = None
    if not args.quick:
        at_target = await run_level("forward", p, -(-STREAMS_TARGET // p), clips, args)
        print(at_target.line(), flush=True)
    if args.quick:
        fwd_levels, relay_levels = [p * 5, p * 10], [1, 2]
    else:
        fwd_levels = list(range(args.step, args.max_streams + 1, args.step))
        relay_levels = list(range(1, 41))
    print("forwarding (meetdesk.server.sfu):", flush=True)
    forward, forward_levels = await search("forward", p, [n // p * p for n in fwd_levels], p * 5, clips, args)
    print("transcoding relay (aiortc MediaRelay):", flush=True)
    relay, _ = await search("relay", 1, relay_levels, 1, clips, args)
    measured = [light, *([at_target] if at_target else []), *forward_levels]
    report(forward, relay, light, at_target, measured, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few levels")
    parser.add_argument("--publishers", type=int, default=4, help="publishers in forward mode (default 4)")
    parser.add_argument("--step", type=int, default=60, help="forward ramp step in streams (default 60)")
    parser.add_argument("--max-streams", type=int, default=600, help="forward ramp ceiling (default 600)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring window per level (default 5)")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds before measuring (default 1.5)")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = min(args.seconds, 2.0), min(args.warmup, 0.5)
    return args


if __name__ == "__main__":
    arguments = parse_args()
    cores = os.sched_getaffinity(0)
    if arguments.server_core not in cores or arguments.client_core not in cores:
        print(f"cores {arguments.server_core} and {arguments.client_core} are not both available ({sorted(cores)})")
        sys.exit(1)
    os.sched_setaffinity(0, {arguments.client_core})
    try:
        asyncio.run(main(arguments))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(1)

"""The recordings player: Play → the first frame on screen, and a seek → a frame from the new place, for a
10-minute recording on loopback, side by side with the time to download the whole file.

Usage::

    .venv/bin/python bench/player_bench.py            # a 10-minute 720p30 recording, 10 plays, 20 seeks each
    .venv/bin/python bench/player_bench.py --quick    # a smoke run: a 1-minute recording, 3 plays, 5 seeks

The recording: 10 s of 720p30 pictures with detail (moving noise, so x264 spends about the preset's 3 Mbit/s)
and a tone, encoded by the recorder's own writer (``meetdesk.recorder.output.Mp4Writer``: fragmented MP4,
H.264 + AAC, a keyframe a second), then repeated to the length asked by remuxing its packets with shifted
timestamps (no encoding: a 10-minute file in seconds, the bytes a real recording of that encoding has). It is
registered where a ``meetdesk server`` child process (``rest_bench.Server``) keeps recordings — its folder
under the data dir and a ``complete`` row in the store's ``recordings`` table, as the recorder's end leaves
them — and played as the app plays it: the admin app's player (``RecordingPlayer``: QMediaPlayer streaming
through the loopback ``RecordingStream`` with the admin's credentials, byte ranges from ``/media``), in an
offscreen window (``QT_QPA_PLATFORM``, or a real display under Xvfb).

1. first frame: from ``open()`` (Play) to the first frame painted in the player's surface, each play from a
   fresh player source (p50 and p95 over ``--plays``).
2. seek → frame: while playing, seeks to random places at least 30 s away (``--seeks`` per play), each timed
   to the first frame painted whose time is within a second of the target (keyframes are a second apart).
3. the whole file downloaded through the client (``download_recording``), for comparison.

Targets: first frame p95 <= 300 ms; seek → frame p95 <= 200 ms. Prints a table (figure | measured | target |
ratio / verdict); exits 0 whether or not the targets are met, 1 when the run itself failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av
import numpy as np
from rest_bench import API_KEY, BenchError, Server, free_port  # bench/ is on sys.path
from table import print_table

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.recording_output import OutputEncoding
from meetdesk.core.recordings import MeetRecording, new_recording_id
from meetdesk.recorder.output import MOVFLAGS, Mp4Writer
from meetdesk.recorder.sources import MIX_RATE

FIRST_FRAME_P95_TARGET_S = 0.300
SEEK_P95_TARGET_S = 0.200
SEGMENT_S = 10
#: the room's default encoding (H264_720P_30)
ENCODING = OutputEncoding(1280, 720, 30, 3_000_000, 1.0, "main", "aac", 48_000, 128_000)
#: no single wait may take this long (a stuck player fails the run, it is not a figure)
STUCK_S = 30.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "meets" if ok else "misses"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def encode_segment(path: Path) -> None:
    """``SEGMENT_S`` seconds at :data:`ENCODING` by the recorder's writer: pictures with detail, and a tone."""
    rng = np.random.default_rng(7)
    height, width = ENCODING.height, ENCODING.width
    texture = rng.integers(0, 256, (height, width * 2, 3), dtype=np.uint8)
    tone = (0.2 * np.sin(np.arange(MIX_RATE) * 2 * np.pi * 440 / MIX_RATE)).astype(np.float32)
    writer = Mp4Writer(path, ENCODING)
    for index in range(SEGMENT_S * ENCODING.fps):
        shift = (index * 8) % width
        picture = np.ascontiguousarray(texture[:, shift : shift + width])
        picture[100:200, (index * 6) % (width - 100) :][:, :100] = 255
        writer.picture(av.VideoFrame.from_ndarray(picture, format="rgb24"))
        if index % ENCODING.fps == 0:
            writer.sound(tone)
    writer.close()


def repeat(segment: Path, path: Path, seconds: int) -> None:
    """``segment``'s packets again and again, their timestamps shifted by its length, until ``seconds`` (no
    encoding). Each round keeps the packets that fit its length (the audio encoder's priming and last frame
    would overlap the next round's)."""
    with av.open(str(segment)) as source:
        packets: list[tuple[int, int, int, bool, bytes, Fraction, int]] = []
        firsts: dict[int, int] = {}
        for packet in source.demux():
            if packet.size == 0 or packet.time_base is None or packet.pts is None or packet.dts is None:
                continue
            index = packet.stream.index
            first = firsts.setdefault(index, packet.pts)
            span = round(SEGMENT_S / packet.time_base)
            if packet.pts + (packet.duration or 0) > first + span:
                continue
            packets.append((index, packet.pts, packet.dts, packet.is_keyframe, bytes(packet), packet.time_base, span))
        with av.open(str(path), "w", format="mp4", options={"movflags": MOVFLAGS}) as out:
            streams: dict[int, Any] = {s.index: out.add_stream_from_template(s) for s in source.streams}
            for round_ in range(seconds // SEGMENT_S):
                for index, pts, dts, keyframe, data, time_base, span in packets:
                    copy = av.Packet(data)
                    copy.stream = streams[index]
                    copy.time_base = time_base
                    copy.pts, copy.dts = pts + span * round_, dts + span * round_
                    copy.is_keyframe = keyframe
                    out.mux(copy)


def register(server: Server, path: Path, seconds: int) -> str:
    """Put ``path`` where the server keeps a finished recording: its folder and a ``complete`` row."""
    room_id = "player_bench"
    recording_id = new_recording_id(room_id)
    folder = server.data_dir / "recordings" / str(recording_id)
    folder.mkdir(parents=True)
    path.replace(folder / recording_id.filename)
    start = int(time.time() * 1000) - seconds * 1000
    with sqlite3.connect(server.data_dir / "meetdesk.db", timeout=30) as db:
        db.execute(
            "INSERT INTO recordings (recording_id, room_id, room_name, status, start_date, end_date, filename, size,"
            " duration_ms, layout, encoding, details) VALUES (?, ?, ?, 'complete', ?, ?, ?, ?, ?, 'grid',"
            " 'H264_720P_30', 'End reason: StopEgress API')",
            (
                str(recording_id),
                room_id,
                "Player bench",
                start,
                start + seconds * 1000,
                recording_id.filename,
                (folder / recording_id.filename).stat().st_size,
                seconds * 1000,
            ),
        )
    return str(recording_id)


async def painted(player: Any, accept: Any) -> float:
    """Until the player paints a frame whose time ``accept`` takes; ``perf_counter`` then."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()

    def frame(shown: int) -> None:
        if not done.done() and accept(shown):
            done.set_result(time.perf_counter())

    player.surface.framePainted.connect(frame)
    try:
        return await asyncio.wait_for(done, STUCK_S)
    except TimeoutError as exc:
        raise BenchError(f"no frame painted within {STUCK_S:.0f} s (error: {player.model.error!r})") from exc
    finally:
        player.surface.framePainted.disconnect(frame)


async def measure_player(
    client: MeetDeskClient, recording: MeetRecording, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    from meetdesk.ui.recordings.player import RecordingPlayer

    player = RecordingPlayer()
    player.resize(1280, 800)
    player.show()
    firsts: list[float] = []
    seeks: list[float] = []
    length = round((recording.duration or 0) * 1000)
    rng = random.Random(11)
    try:
        for _ in range(args.plays):
            started = time.perf_counter()
            first = asyncio.ensure_future(painted(player, lambda _shown: True))
            player.open(client, recording)
            firsts.append(await first - started)
            for _ in range(args.seeks):
                here = player.model.position
                target = here
                while abs(target - here) < 30_000:
                    target = rng.randrange(0, max(1, length - 2000))
                started = time.perf_counter()
                near = asyncio.ensure_future(painted(player, lambda shown, t=target: abs(shown - t) <= 1000))
                player.model.seek(target)
                seeks.append(await near - started)
            await player.close_recording()
    finally:
        await player.close_recording()
        player.close()
    return firsts, seeks


async def measure(server: Server, workdir: Path, args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    made = time.perf_counter()
    segment = workdir / "segment.mp4"
    encode_segment(segment)
    whole = workdir / "recording.mp4"
    repeat(segment, whole, args.minutes * 60)
    size = whole.stat().st_size
    made_s = time.perf_counter() - made
    recording_id = register(server, whole, args.minutes * 60)
    async with MeetDeskClient(server.url, api_key=API_KEY) as client:
        recording = await client.get_recording(recording_id)
        if recording.size != size:
            raise BenchError(f"the server lists {recording.size} bytes, the file has {size}")
        firsts, seeks = await measure_player(client, recording, args)
        started = time.perf_counter()
        downloaded = await client.download_recording(recording_id, workdir / "downloaded.mp4")
        download_s = time.perf_counter() - started
        if downloaded != size:
            raise BenchError(f"downloaded {downloaded} bytes of {size}")
    first_p95, seek_p95 = p95(firsts), p95(seeks)
    mbit = size * 8 / (args.minutes * 60) / 1e6
    return [
        (
            f"recording: {args.minutes} min 720p30 ({mbit:.1f} Mbit/s)",
            f"{size / 1e6:.0f} MB, made in {made_s:.1f} s",
            "",
            "encoded 10 s, remuxed",
        ),
        ("first frame (Play → picture), p50", ms(statistics.median(firsts)), "", f"{len(firsts)} plays"),
        (
            "first frame (Play → picture), p95",
            ms(first_p95),
            f"<= {ms(FIRST_FRAME_P95_TARGET_S)}",
            verdict(first_p95 <= FIRST_FRAME_P95_TARGET_S),
        ),
        ("seek → frame at the new place, p50", ms(statistics.median(seeks)), "", f"{len(seeks)} seeks"),
        (
            "seek → frame at the new place, p95",
            ms(seek_p95),
            f"<= {ms(SEEK_P95_TARGET_S)}",
            verdict(seek_p95 <= SEEK_P95_TARGET_S),
        ),
        (
            "whole file downloaded (for comparison)",
            f"{download_s:.2f} s ({size * 8 / download_s / 1e6:.0f} Mbit/s)",
            "",
            f"first frame p95 is {first_p95 / download_s:.1%} of it",
        ),
    ]


async def run(args: argparse.Namespace, workdir: Path) -> list[tuple[str, str, str, str]]:
    server = Server(workdir / "data", free_port(), workdir / "server.log")
    try:
        server.start()
        return await measure(server, workdir, args)
    except BenchError:
        print(f"--- server log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=None, help="the recording's length (10; --quick 1)")
    parser.add_argument("--plays", type=int, default=None, help="plays from the start (10; --quick 3)")
    parser.add_argument("--seeks", type=int, default=None, help="seeks per play (20; --quick 5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 minute, 3 plays, 5 seeks each")
    args = parser.parse_args(argv)
    args.minutes = args.minutes or (1 if args.quick else 10)
    args.plays = args.plays or (3 if args.quick else 10)
    args.seeks = args.seeks or (5 if args.quick else 20)
    if args.minutes < 1 or args.plays < 1 or args.seeks < 1:
        parser.error("--minutes, --plays and --seeks must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from meetdesk.ui.eventloop import QtAsyncLoop

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # the player's window closing must not stop the loop the bench runs on
    loop = QtAsyncLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="meetdesk-player-bench-") as tmp:
        try:
            rows = loop.run_until_complete(run(args, Path(tmp)))
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted; server stopped", file=sys.stderr)
            return 130
        finally:
            loop.close()
    print()
    print_table(rows)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

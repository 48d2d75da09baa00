"""Recordings for the recordings API's contract tests, put where a server keeps them (a narrow store-level
helper): a row in the server's SQLite database and, for a finished one, a small real MP4 in its folder.
Used where a test needs many recordings in given states; the start/stop tests make real ones."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from meetdesk.core.recordings import new_recording_id
from tests.conftest import ServerProcess

_MP4_CACHE: dict[int, bytes] = {}


def small_mp4(frames: int = 30) -> bytes:
    """A real H.264 MP4 (64x48, ``frames`` frames at 30 fps), made once per size."""
    if frames not in _MP4_CACHE:
        import io

        out = io.BytesIO()
        with av.open(out, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for index in range(frames):
                image = np.full((48, 64, 3), (index * 8) % 256, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, 30)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        _MP4_CACHE[frames] = out.getvalue()
    return _MP4_CACHE[frames]


@dataclass(frozen=True)
class Seeded:
    recording_id: str
    filename: str
    path: Path | None  # the MP4, for a finished recording that has one


def seed_recording(
    server: ServerProcess,
    room_id: str,
    room_name: str,
    *,
    status: str = "complete",
    start_date: int | None = None,
    duration_ms: int | None = 1000,
    media: bytes | None = b"",
) -> Seeded:
    """Put a recording of ``room_id`` in ``status`` into ``server``'s store; ``media`` (default: a small MP4,
    ``None``: no file) becomes its video file."""
    recording_id = new_recording_id(room_id)
    start = start_date if start_date is not None else int(time.time() * 1000)
    finished = status not in ("starting", "active", "ending")
    data = small_mp4() if media == b"" else media
    path = None
    size = None
    if data is not None and finished:
        folder = server.data_dir / "recordings" / str(recording_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / recording_id.filename
        path.write_bytes(data)
        size = len(data)
    with sqlite3.connect(server.data_dir / "meetdesk.db", timeout=30) as db:
        db.execute(
            "INSERT INTO recordings (recording_id, room_id, room_name, status, start_date, end_date, filename, size,"
            " duration_ms, layout, encoding, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'grid', 'H264_720P_30', ?)",
            (
                str(recording_id),
                room_id,
                room_name,
                status,
                start,
                start + (duration_ms or 0) if finished else None,
                recording_id.filename,
                size,
                duration_ms if finished else None,
                "End reason: StopEgress API" if finished else None,
            ),
        )
    return Seeded(str(recording_id), recording_id.filename, path)

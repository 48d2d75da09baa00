"""A recording's captured tracks made without a meeting: synthetic cameras and microphones encoded as a publisher
would (VP8, Opus) and written by the server's own capture (:class:`RoomCapture`), frame by frame at the times
given, plus the recorder's job and roster. What the recorder reads is then exactly what a capture writes."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from meetdesk.client.media.synthetic import SyntheticCamera, SyntheticMicrophone
from meetdesk.core.recorder_protocol import JOB_FILE, ROSTER_FILE, RecorderJob, RosterEntry, RosterParticipant
from meetdesk.server.recordings.capture import RoomCapture
from meetdesk.server.sfu.frames import EncodedFrame

FPS = 30


def _video(source_id: int, times: Iterable[float]) -> list[tuple[float, bytes, int, bool]]:
    camera = SyntheticCamera(source_id, 320, 240)
    encoder: Any = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = camera.width, camera.height, "yuv420p"
    encoder.time_base = Fraction(1, 90_000)
    encoder.bit_rate = 300_000
    encoder.gop_size = 30
    out = []
    for n, t in enumerate(times):
        frame = camera.make_frame(n)
        frame.pts = round(t * 90_000)
        frame.time_base = Fraction(1, 90_000)
        for packet in encoder.encode(frame):
            out.append((float(packet.pts) / 90_000, bytes(packet), int(packet.pts), packet.is_keyframe))
    for packet in encoder.encode(None):
        out.append((float(packet.pts) / 90_000, bytes(packet), int(packet.pts), packet.is_keyframe))
    return out


def _audio(source_id: int, start: float, end: float) -> list[tuple[float, bytes, int, bool]]:
    microphone = SyntheticMicrophone(source_id)
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "mono", "s16"
    encoder.time_base = Fraction(1, 48_000)
    out = []
    first = round(start * 50)
    for n in range(first, round(end * 50)):
        frame = microphone.make_frame(n)
        for packet in encoder.encode(frame):
            out.append((float(packet.pts) / 48_000, bytes(packet), int(packet.pts), True))
    return out


def write_capture(
    directory: Path,
    people: list[tuple[str, str, int, list[tuple[float, float]], tuple[float, float] | None]],
    *,
    layout: str = "grid",
    encoding: str | dict[str, Any] = "H264_720P_30",
    screens: tuple[tuple[str, int, tuple[float, float]], ...] = (),
    roster: list[RosterEntry] | None = None,
) -> RecorderJob:
    """Tracks in ``directory/tracks`` for ``people`` = (identity, name, source id, camera spans, sound span);
    a span is (from, to) in seconds. Returns the recorder's job (written to ``job.json``, the roster beside it)."""
    capture = RoomCapture(directory / "tracks", max_queue=100_000)
    frames: list[tuple[float, int, EncodedFrame, Any]] = []
    for order, (identity, _name, source, spans, sound) in enumerate(people):
        times = [
            round(t * FPS) / FPS
            for start, end in spans
            for t in [start + k / FPS for k in range(round((end - start) * FPS))]
        ]
        if times:
            track = capture.add(identity, "camera", "video")
            for t, data, ts, key in _video(source, times):
                frames.append((t, order, EncodedFrame("video", data, ts, key, 1000 + order, capture.origin + t), track))
        if sound is not None:
            track = capture.add(identity, "microphone", "audio")
            for t, data, ts, key in _audio(source, *sound):
                frames.append((t, order, EncodedFrame("audio", data, ts, key, 2000 + order, capture.origin + t), track))
    for identity, source, (start, end) in screens:
        track = capture.add(identity, "screen", "video")
        times = [start + k / FPS for k in range(round((end - start) * FPS))]
        for t, data, ts, key in _video(source, times):
            frames.append((t, 99, EncodedFrame("video", data, ts, key, 3000, capture.origin + t), track))
    for _, _, frame, track in sorted(frames, key=lambda item: (item[0], item[1])):
        track.offer(frame)
    capture.close()
    job = RecorderJob(
        tracks=str(capture.directory),
        output=str(directory / "out.mp4"),
        origin=capture.origin,
        layout=layout,  # type: ignore[arg-type]
        encoding=encoding,
    )
    (directory / JOB_FILE).write_text(job.model_dump_json())
    entries = roster or [
        RosterEntry(
            t=0.0,
            participants=[RosterParticipant(identity=i, name=n, camera=True, screen=False) for i, n, *_ in people],
        )
    ]
    (directory / ROSTER_FILE).write_text("".join(entry.model_dump_json() + "\n" for entry in entries))
    return job

"""The composite's loop: one picture and its share of the mixed sound at a time, on the recording's clock.

Picture ``n`` shows the meeting at ``n / fps`` seconds. It is made once every track has been decoded past
that moment. While the room records, the composite follows the meeting :data:`LAG_S` behind the wall clock:
a track's file appears only once its first second is captured, and a file grows a cluster (a quarter of a
second) at a time; a track with nothing at some moment (a camera turned off, a participant who left) is not
waited for. When the recording stops, only those last seconds are left to compose, as fast as it can (as a
repair does, from files that will not grow any more).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import av
import numpy as np

from meetdesk.core.recorder_protocol import ROSTER_FILE, RecorderJob, RecorderResult, RosterEntry, RosterParticipant
from meetdesk.core.recording_output import output_encoding
from meetdesk.recorder.layouts import place
from meetdesk.recorder.output import Mp4Writer
from meetdesk.recorder.painter import Canvas, Plane, cover
from meetdesk.recorder.sources import MIX_RATE, TrackReader
from meetdesk.recorder.speaker import SpeakerTracker
from meetdesk.server.recordings.capture import MANIFEST, read_manifest

logger = logging.getLogger(__name__)

LAG_S: Final = 2.0
STALE_S: Final = 1.0  # a picture older than this is not shown (camera off, nothing received): never a frozen tile
REFRESH_S: Final = 0.25  # how often the capture's manifest and the roster are read again while recording
_WAIT_S: Final = 0.005


@dataclass
class _Scaled:
    frame: av.VideoFrame
    size: tuple[int, int]
    planes: tuple[Plane, Plane, Plane]


class Composite:
    """Makes ``job``'s MP4. ``live``: the capture is still writing the tracks (until :meth:`stop`)."""

    def __init__(self, job: RecorderJob, directory: Path, *, live: bool, output: Path | None = None) -> None:
        self.job = job
        self.encoding = output_encoding(job.encoding)
        self._directory = directory
        self._tracks = Path(job.tracks)
        self._output = output or Path(job.output)
        self._live = live
        self._stop_at: float | None = None
        self._finishing = threading.Event()
        self._abandoned = threading.Event()
        self._readers: dict[str, TrackReader] = {}
        self._roster: list[RosterEntry] = []
        self._roster_offset = 0
        self._refreshed = -REFRESH_S
        self._final_refresh = False
        self._speaker = SpeakerTracker()
        self._scaled: dict[str, _Scaled] = {}

    # -- told from other threads

    def stop(self, end: float) -> None:
        """The capture is closed: compose up to ``end`` seconds, as fast as possible."""
        self._stop_at = end
        self._finishing.set()

    def abandon(self) -> None:
        """End now with what is composed (the file stays playable)."""
        self._abandoned.set()

    # -- the loop

    def run(self) -> RecorderResult:
        writer = Mp4Writer(self._output, self.encoding)
        canvas = Canvas(self.encoding.width, self.encoding.height)
        fps = self.encoding.fps
        n = 0
        ended: Literal["stopped", "finished", "abandoned"] = "abandoned"
        try:
            while True:
                t = n / fps
                if self._abandoned.is_set():
                    break
                if self._stop_at is not None and t + 0.5 / fps >= self._stop_at:
                    ended = "stopped"
                    break
                self._refresh()
                following = self._live and not self._finishing.is_set()
                if not following and self._stop_at is None and self._exhausted(t):
                    ended = "finished"  # a repair: every track is at its end
                    break
                if not self._ready(t + 1 / fps, following):
                    time.sleep(_WAIT_S)
                    continue
                for reader in self._readers.values():
                    reader.advance(t)
                first, last = round(n * MIX_RATE / fps), round((n + 1) * MIX_RATE / fps)
                writer.sound(self._mix(first, last - first, t))
                self._paint(canvas, t)
                writer.picture(canvas.frame())
                n += 1
        finally:
            for reader in self._readers.values():
                reader.quit()
            size = writer.close()
        return RecorderResult(duration=n / fps, size=size, frames=n, ended=ended)

    def _ready(self, t: float, following: bool) -> bool:
        """Whether the meeting up to ``t`` can be composed."""
        whole = all(reader.ready_for(t) for reader in self._readers.values())
        if not following:
            return whole
        # files appear (and grow) in steps: the composite keeps LAG_S behind the meeting so what was said and
        # shown by then is in them; a track decoding slower than the meeting is waited for another LAG_S
        now = time.monotonic() - self.job.origin
        return now >= t + LAG_S and (whole or now >= t + 2 * LAG_S)

    def _exhausted(self, t: float) -> bool:
        """Whether every track is decoded to its end and ``t`` is past the last of them."""
        readers = self._readers.values()
        return all(r.done for r in readers) and t >= max((r.frontier for r in readers), default=0.0)

    def _refresh(self) -> None:
        """New tracks from the capture's manifest and new roster lines (every :data:`REFRESH_S` while recording,
        and once more when the tracks are complete)."""
        now = time.monotonic()
        final = self._files_final()
        if now - self._refreshed < REFRESH_S and not (final and not self._final_refresh):
            return
        self._refreshed = now
        self._final_refresh = final
        if (self._tracks / MANIFEST).exists():
            for track in read_manifest(self._tracks):
                path = self._tracks / track.file
                if track.file not in self._readers and path.exists():
                    self._readers[track.file] = TrackReader(track, path, self._files_final).start()
        roster = self._directory / ROSTER_FILE
        if roster.exists():
            with roster.open("rb") as file:
                file.seek(self._roster_offset)
                for line in file:
                    if not line.endswith(b"\n"):
                        break  # being written
                    self._roster_offset += len(line)
                    self._roster.append(RosterEntry.model_validate_json(line))

    def _files_final(self) -> bool:
        return not self._live or self._finishing.is_set() or self._abandoned.is_set()

    # -- one moment of the meeting

    def _people(self, t: float) -> list[RosterParticipant]:
        entry = None
        for candidate in self._roster:
            if candidate.t > t:
                break
            entry = candidate
        if entry is None and self._roster:
            entry = self._roster[0]  # the roster's first line is written just after the capture starts
        if entry is not None:
            return entry.participants
        seen: dict[str, RosterParticipant] = {}
        for reader in self._readers.values():
            identity = reader.track.identity
            seen.setdefault(identity, RosterParticipant(identity=identity, name=identity, camera=True, screen=False))
        return list(seen.values())

    def _mix(self, first: int, count: int, t: float) -> np.ndarray:
        mix = np.zeros(count, dtype=np.float32)
        levels: dict[str, float] = {}
        for reader in self._readers.values():
            if reader.kind != "audio":
                continue
            sound = reader.sound(first, count)
            if sound is not None:
                mix += sound
                level = float(np.sqrt(np.mean(sound * sound)))
                levels[reader.track.identity] = max(levels.get(reader.track.identity, 0.0), level)
        self._speaker.update(levels, t)
        return mix

    def _picture(self, identity: str, source: str, t: float) -> tuple[str, av.VideoFrame] | None:
        """The freshest picture of ``identity``'s ``source`` at ``t`` (a track republished has several files)."""
        best: tuple[float, str, av.VideoFrame] | None = None
        for file, reader in self._readers.items():
            if reader.kind != "video" or reader.track.identity != identity or reader.track.source != source:
                continue
            shown = reader.picture_at(t)
            if shown is not None and t - shown[0] <= STALE_S and (best is None or shown[0] > best[0]):
                best = (shown[0], file, shown[1])
        return None if best is None else (best[1], best[2])

    def _paint(self, canvas: Canvas, t: float) -> None:
        people = self._people(t)
        names = {p.identity: p.name for p in people}
        screen = None
        pictures: dict[tuple[str, str], tuple[str, av.VideoFrame]] = {}
        for person in people:
            if person.camera and (camera := self._picture(person.identity, "camera", t)) is not None:
                pictures[(person.identity, "camera")] = camera
            if person.screen and (shared := self._picture(person.identity, "screen", t)) is not None:
                pictures[(person.identity, "screen")] = shared
                screen = screen or person.identity
        identities = [p.identity for p in people]
        speaker = self._speaker.active(identities)
        canvas.clear()
        for placement in place(self.job.layout, canvas.width, canvas.height, identities, speaker, screen):
            cell = placement.cell
            if cell.width < 16 or cell.height < 16:
                continue
            name = names.get(placement.identity, placement.identity)
            shown = pictures.get((placement.identity, placement.source))
            if shown is None:
                canvas.placeholder(cell, name)
            else:
                canvas.picture(cell, self._scale(shown[0], shown[1], cell.width, cell.height))
            canvas.label(cell, name)

    def _scale(self, file: str, frame: av.VideoFrame, width: int, height: int) -> tuple[Plane, Plane, Plane]:
        key = f"{file}@{width}x{height}"
        cached = self._scaled.get(key)
        if cached is None or cached.frame is not frame:
            cached = self._scaled[key] = _Scaled(frame, (width, height), cover(frame, width, height))
        return cached.planes


def load_job(directory: Path) -> RecorderJob:
    from meetdesk.core.recorder_protocol import JOB_FILE

    return RecorderJob.model_validate(json.loads((directory / JOB_FILE).read_text()))

"""Reading a recording's MP4 back as a viewer would: decoded pictures and sound, the synthetic participants'
colour codes and tones found in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from meetdesk.client.media.synthetic import _source_chroma, tone_frequency
from meetdesk.client.session import MeetingSession
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until


@dataclass
class Played:
    """What playing an MP4 shows: its streams, how long its video lasts, colour shares, the sound."""

    video_codec: str
    audio_codec: str
    width: int
    height: int
    frames: int
    duration: float
    #: per source id, the largest share of a picture's area in that source's colour (over the pictures looked at)
    colour_share: dict[int, float] = field(default_factory=dict)
    sound: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    sample_rate: int = 48_000

    def tone_energy(self, frequency: float) -> float:
        """The sound's energy near ``frequency`` relative to the energy elsewhere in 300-2000 Hz."""
        signal = self.sound - self.sound.mean()
        spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)))) ** 2
        freqs = np.fft.rfftfreq(len(signal), 1 / self.sample_rate)
        near = (freqs > frequency - 10) & (freqs < frequency + 10)
        band = (freqs > 300) & (freqs < 2000) & ~near
        return float(spectrum[near].sum() / max(spectrum[band].mean() * near.sum(), 1e-12))


def colour_shares(frame: av.VideoFrame, sources: list[int]) -> dict[int, float]:
    """The share of the picture's area tinted as each source's synthetic camera is."""
    data = frame.to_ndarray(format="yuv420p")
    h = frame.height
    chroma = data[h:]
    u = chroma[: h // 4].reshape(h // 2, -1).astype(np.int16)
    v = chroma[h // 4 :].reshape(h // 2, -1).astype(np.int16)
    shares = {}
    for source in sources:
        su, sv = _source_chroma(source)
        match = (np.abs(u - su) < 12) & (np.abs(v - sv) < 12)
        shares[source] = float(match.mean())
    return shares


def play(path: Path, sources: list[int], every: int = 15) -> Played:
    """Decode the whole file; the colour shares of every ``every``-th picture (the largest seen per source)."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        played = Played(video.codec_context.name, audio.codec_context.name, video.width, video.height, 0, 0.0)
        played.colour_share = dict.fromkeys(sources, 0.0)
        chunks = []
        for frame in container.decode(video, audio):
            assert frame.pts is not None and frame.time_base is not None
            if isinstance(frame, av.VideoFrame):
                played.frames += 1
                played.duration = max(played.duration, float(frame.pts * frame.time_base))
                if played.frames % every == 0:
                    for source, share in colour_shares(frame, sources).items():
                        played.colour_share[source] = max(played.colour_share[source], share)
            elif isinstance(frame, av.AudioFrame):
                played.sample_rate = frame.sample_rate
                chunks.append(frame.to_ndarray().astype(np.float64).mean(axis=0))
        rate = video.average_rate or 30
        played.duration += 1 / float(rate)  # the last picture lasts a frame
        played.sound = np.concatenate(chunks) if chunks else np.zeros(0)
    return played


async def meeting_of_three(
    live: LiveServer, config: dict[str, object] | None = None, **muted: bool
) -> tuple[dict[str, str], list[MeetingSession]]:
    """A room with Ana (source 1, moderator), Bo (2) and Cy (3) in its meeting, all receiving each other;
    ``muted`` names those who join with their microphone off."""
    room = await create_room(live, **({"config": config} if config else {}))
    people = [
        MeetingSession(room["moderatorUrl"], "Ana Lima", source_id=1, audio_enabled=not muted.get("ana", False)),
        MeetingSession(room["speakerUrl"], "Bo", source_id=2, audio_enabled=not muted.get("bo", False)),
        MeetingSession(room["speakerUrl"], "Cy", source_id=3, audio_enabled=not muted.get("cy", False)),
    ]
    for person in people:
        await person.join()
    ana = people[0]
    others = [p.joined.you.identity for p in people[1:]]  # type: ignore[union-attr]
    await until(lambda: all(frames_from(ana, identity) >= 10 for identity in others))
    return room, people


def tone(source: int) -> float:
    return tone_frequency(source)

"""What a participant hears: remote audio mixed and played, and the microphone cleaned of its echo.

- :class:`AudioMixer`: decoded remote frames in, per source (a remote track's key), each behind a
  small jitter buffer; one mono 48 kHz stream out, pulled by the speaker.
- :class:`Speaker`: pulls the mixer in blocks, mixes local sounds in (the test tone) and hands every
  block it plays to its taps (the echo canceller's reverse stream). :class:`DeviceSpeaker` plays
  through a sounddevice (PortAudio) output stream; :class:`NullSpeaker` plays nothing but pulls on a
  real-time clock, so that buffers drain as if it played. :func:`open_speaker` picks one.
- :class:`AudioEngine`: the three (mixer, speaker, :class:`~meetdesk.client.media.apm.EchoCanceller`)
  wired together for a meeting window.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from meetdesk.client.media.apm import EchoCanceller, ProcessedMicrophone
from meetdesk.client.media.devices import SAMPLE_RATE, _devices, _pick, _sounddevice

logger = logging.getLogger(__name__)

#: the speaker's block: 10 ms, the echo canceller's unit
SPEAKER_BLOCK: Final = SAMPLE_RATE // 100
#: audio a source must have buffered before it starts (again, after running dry) to play
PREBUFFER_SAMPLES: Final = SAMPLE_RATE * 40 // 1000
#: audio a source may have waiting; beyond it the oldest is dropped so the delay cannot grow
MAX_BUFFER_SAMPLES: Final = SAMPLE_RATE * 200 // 1000
#: how far behind its clock the null speaker may fall (a stalled machine) before it gives up catching up
NULL_SPEAKER_SLACK: Final = 0.2

Samples = npt.NDArray[np.int16]
Tap = Callable[[Samples], None]


def _rms_level(samples: Samples, count: int) -> float:
    """RMS of ``count`` s16 samples of which ``samples`` are the first (silence after), 0..1; a full-scale
    sine reads 1.0 (as on :class:`~meetdesk.client.media.level.LevelMeter`)."""
    if not count:
        return 0.0
    values = samples.astype(np.float64)
    return min(1.0, math.sqrt(float(np.sum(values * values)) / count) / 32768.0 * math.sqrt(2))


def frame_to_mono(frame: av.AudioFrame) -> Samples:
    """The samples of an audio frame in any sample format and channel layout, as mono s16 (the channels
    averaged). The sample rate is left as it is."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    kind = frame.format.name.removesuffix("p")
    values = data.astype(np.float64)
    if kind == "s32":
        values /= 65536.0
    elif kind in ("flt", "dbl"):
        values *= 32767.0
    elif kind == "u8":
        values = (values - 128.0) * 256.0
    mono = values.mean(axis=0) if channels > 1 else values[0]
    samples: Samples = np.clip(np.rint(mono), -32768, 32767).astype(np.int16)
    return samples


@dataclass
class _Source:
    chunks: deque[Samples] = field(default_factory=deque)
    buffered: int = 0
    playing: bool = False
    level: float = 0.0
    resampler: Any = None

    def convert(self, frame: av.AudioFrame) -> Samples:
        if frame.sample_rate == SAMPLE_RATE:
            return frame_to_mono(frame)
        if self.resampler is None:
            self.resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            frames = self.resampler.resample(frame)
        except ValueError:  # the source changed its format: start a resampler for the new one
            self.resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            frames = self.resampler.resample(frame)
        return np.concatenate([frame_to_mono(f) for f in frames] or [np.zeros(0, dtype=np.int16)])

    def take(self, count: int) -> Samples:
        """Up to ``count`` samples, oldest first."""
        parts = []
        while count and self.chunks:
            chunk = self.chunks[0]
            if len(chunk) <= count:
                parts.append(self.chunks.popleft())
            else:
                parts.append(chunk[:count])
                self.chunks[0] = chunk[count:]
            count -= len(parts[-1])
            self.buffered -= len(parts[-1])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


class AudioMixer:
    """Remote audio by source, mixed into one mono 48 kHz s16 stream.

    Each source has its own jitter buffer: it starts playing once ``prebuffer`` samples are waiting
    (and again after running dry), and keeps at most ``max_buffer`` (the oldest beyond are dropped,
    so a burst cannot delay it for good). :meth:`push` runs on the event loop, :meth:`pull` on the
    speaker's thread; a lock keeps them apart.
    """

    def __init__(self, *, prebuffer: int = PREBUFFER_SAMPLES, max_buffer: int = MAX_BUFFER_SAMPLES) -> None:
        self.prebuffer = prebuffer
        self.max_buffer = max_buffer
        #: samples dropped because a buffer was full, and times a playing source ran dry (all sources)
        self.dropped = 0
        self.underruns = 0
        self._sources: dict[str, _Source] = {}
        self._lock = threading.Lock()

    def push(self, key: str, frame: av.AudioFrame) -> None:
        """Queue a decoded frame (any format, layout and rate) of source ``key``."""
        with self._lock:
            source = self._sources.setdefault(key, _Source())
            self._append(source, source.convert(frame))

    def push_samples(self, key: str, samples: Samples) -> None:
        """Queue mono 48 kHz s16 samples of source ``key``."""
        with self._lock:
            self._append(self._sources.setdefault(key, _Source()), np.asarray(samples, dtype=np.int16).reshape(-1))

    def _append(self, source: _Source, samples: Samples) -> None:
        source.chunks.append(samples)
        source.buffered += len(samples)
        excess = source.buffered - self.max_buffer
        if excess > 0:
            source.take(excess)
            self.dropped += excess

    def pull(self, count: int) -> Samples:
        """The next ``count`` samples of the mix; a source with nothing ready adds silence."""
        mix = np.zeros(count, dtype=np.int32)
        with self._lock:
            for source in self._sources.values():
                if not source.playing and source.buffered >= self.prebuffer:
                    source.playing = True
                if not source.playing:
                    source.level = 0.0
                    continue
                samples = source.take(count)
                mix[: len(samples)] += samples
                source.level = _rms_level(samples, count)
                if len(samples) < count:
                    source.playing = False  # ran dry: wait for a cushion again rather than stutter
                    self.underruns += 1
        return np.clip(mix, -32768, 32767).astype(np.int16)

    def remove(self, key: str) -> None:
        """Forget a source (its track went away), with what it had buffered."""
        with self._lock:
            self._sources.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._sources.clear()

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._sources)

    def buffered(self, key: str) -> int:
        """Samples waiting for source ``key`` (0 for an unknown one)."""
        with self._lock:
            source = self._sources.get(key)
            return source.buffered if source else 0

    def level(self, key: str) -> float:
        """How loud source ``key`` played in the last block pulled: RMS, 0..1."""
        with self._lock:
            source = self._sources.get(key)
            return source.level if source else 0.0


class Speaker:
    """The playing end of a mixer, without a device: whoever calls :meth:`render` plays.

    ``taps`` receive every block rendered, exactly as played (the echo canceller's reverse stream).
    ``note``: a sentence for the user when nothing can be heard, else None. ``name``: the device.
    :attr:`volume` scales everything played (remote audio and local sounds), 0.0 (silent) to 1.0 (as received).
    """

    def __init__(self, mixer: AudioMixer, *, taps: Iterable[Tap] = (), name: str | None = None) -> None:
        self.mixer = mixer
        self.taps = list(taps)
        self.name = name
        self.note: str | None = None
        #: samples rendered since the start
        self.rendered = 0
        self._volume = 1.0
        self._sounds: list[tuple[Samples, int]] = []
        self._lock = threading.Lock()

    @property
    def volume(self) -> float:
        """The gain applied to what is played, 0.0 to 1.0."""
        return self._volume

    @volume.setter
    def volume(self, gain: float) -> None:
        if not 0.0 <= gain <= 1.0:
            raise ValueError(f"the volume is a gain from 0.0 to 1.0, not {gain}")
        self._volume = gain  # one float: read whole by the rendering thread

    def play(self, samples: Samples) -> None:
        """Play a local sound (mono 48 kHz s16) once, mixed with the remote audio from the next block on."""
        with self._lock:
            self._sounds.append((np.asarray(samples, dtype=np.int16).reshape(-1), 0))

    def render(self, count: int) -> Samples:
        """The next ``count`` samples to play, handed to the taps too."""
        block = self.mixer.pull(count).astype(np.int32)
        with self._lock:
            playing = []
            for sound, position in self._sounds:
                part = sound[position : position + count]
                block[: len(part)] += part
                if position + count < len(sound):
                    playing.append((sound, position + count))
            self._sounds = playing
        gain = self._volume
        if gain != 1.0:
            block = np.rint(block * gain).astype(np.int32)
        out = np.clip(block, -32768, 32767).astype(np.int16)
        for tap in tuple(self.taps):
            tap(out)
        self.rendered += count
        return out

    def close(self) -> None:
        """Stop playing (idempotent)."""


class NullSpeaker(Speaker):
    """A speaker without a device: renders 10 ms blocks on a real-time clock in its own thread, so the
    mixer drains and the taps see what would have been played. ``note`` says why nothing is heard."""

    def __init__(self, mixer: AudioMixer, note: str, *, taps: Iterable[Tap] = ()) -> None:
        super().__init__(mixer, taps=taps)
        self.note = note
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="null-speaker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = SPEAKER_BLOCK / SAMPLE_RATE
        due = time.monotonic()
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            try:
                self.render(SPEAKER_BLOCK)
            except Exception:
                logger.exception("NullSpeaker stopped")
                return
            due += period
            if time.monotonic() - due > NULL_SPEAKER_SLACK:
                due = time.monotonic()  # the machine stalled: go on from now rather than rush

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)


class DeviceSpeaker(Speaker):
    """A PortAudio output device, played from its callback thread: 48 kHz mono s16, 10 ms blocks."""

    def __init__(self, mixer: AudioMixer, device: int, name: str, *, taps: Iterable[Tap] = ()) -> None:
        super().__init__(mixer, taps=taps, name=name)
        sd = _sounddevice()
        assert sd is not None
        self._failed = False
        self._stream: Any = sd.OutputStream(
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="int16",
            blocksize=SPEAKER_BLOCK,
            device=device,
            callback=self._callback,
        )
        self._stream.start()

    def _callback(self, outdata: npt.NDArray[np.int16], frames: int, time_info: Any, status: Any) -> None:
        if status:
            logger.debug("DeviceSpeaker(%s) %s", self.name, status)
        try:
            outdata[:, 0] = self.render(frames)
        except Exception:  # an exception would stop the stream for good: play silence instead
            outdata.fill(0)
            if not self._failed:
                self._failed = True
                logger.exception("DeviceSpeaker(%s) cannot render", self.name)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # a device unplugged meanwhile: nothing left to close
                logger.info("DeviceSpeaker(%s) closed with: %s", self.name, exc)


def open_speaker(name: str | None, mixer: AudioMixer, *, taps: Iterable[Tap] = ()) -> Speaker:
    """The speaker called ``name`` (None: the first), or a :class:`NullSpeaker` saying why not."""
    taps = list(taps)
    sd = _sounddevice()
    if sd is None:
        return NullSpeaker(
            mixer, "PortAudio is not installed (the libportaudio2 package): remote audio is not played", taps=taps
        )
    speakers = _devices("output")
    if not speakers:
        return NullSpeaker(mixer, "No speaker found: remote audio is not played", taps=taps)
    notes: list[str] = []
    index, device_name = _pick(speakers, name, "speaker", notes)
    try:
        speaker: Speaker = DeviceSpeaker(mixer, index, device_name, taps=taps)
    except (sd.PortAudioError, ValueError) as exc:  # busy, gone, or refusing 48 kHz mono
        return NullSpeaker(
            mixer, f"Speaker '{device_name}' cannot be opened ({exc}): remote audio is not played", taps=taps
        )
    speaker.note = notes[0] if notes else None
    return speaker


def tone(seconds: float = 1.0, frequency: float = 440.0, level: float = 0.3) -> Samples:
    """A sine tone, faded in and out over 10 ms so it starts and ends without a click."""
    count = round(seconds * SAMPLE_RATE)
    tone = level * 32767 * np.sin(2 * np.pi * frequency * np.arange(count) / SAMPLE_RATE)
    fade = min(SPEAKER_BLOCK, count // 2)
    ramp = np.linspace(0.0, 1.0, fade)
    tone[:fade] *= ramp
    tone[count - fade :] *= ramp[::-1]
    return tone.astype(np.int16)


def play_test_tone(speaker: Speaker, seconds: float = 1.0, frequency: float = 440.0) -> None:
    """Play a tone on ``speaker`` (the device view's "Test speaker"), mixed with whatever else plays."""
    speaker.play(tone(seconds, frequency))


class RemoteAudio(Protocol):
    """What :meth:`AudioEngine.on_frame` needs of a received track (a session's ``RemoteTrack``)."""

    kind: str

    @property
    def key(self) -> str: ...


class AudioEngine:
    """A participant's audio: remote tracks mixed and played on a speaker, the microphone cleaned of
    that speaker's echo. ``notes``: sentences for the user about what does not work here.

    Pass :meth:`on_frame` as (or call it from) the session's ``on_frame``, :meth:`forget` a track when it
    goes away, send :meth:`process_microphone` of the microphone track, and :meth:`close` at the end.
    """

    def __init__(self, speaker_name: str | None = None, *, echo_cancellation: bool = True) -> None:
        self.mixer = AudioMixer()
        self.echo = EchoCanceller() if echo_cancellation else None
        self.speaker = open_speaker(speaker_name, self.mixer, taps=self._taps())
        self._volume = 1.0
        self._closed = False

    def _taps(self) -> list[Tap]:
        return [self.echo.process_reverse] if self.echo is not None else []

    def use_speaker(self, name: str | None) -> None:
        """Play on speaker ``name`` (None: the system's default) from now on."""
        if self._closed:
            return
        self.speaker.close()
        self.speaker = open_speaker(name, self.mixer, taps=self._taps())
        self.speaker.volume = self._volume

    def release_speaker(self, note: str) -> None:
        """The speaker went away (unplugged): a null speaker keeps time, ``note`` saying why nothing is heard,
        until :meth:`use_speaker` opens one again."""
        if self._closed:
            return
        self.speaker.close()
        self.speaker = NullSpeaker(self.mixer, note, taps=self._taps())
        self.speaker.volume = self._volume

    @property
    def volume(self) -> float:
        """How loud the meeting plays, 0.0 (silent) to 1.0 (as received); kept when the speaker changes."""
        return self._volume

    @volume.setter
    def volume(self, gain: float) -> None:
        self.speaker.volume = gain  # raises ValueError outside 0..1
        self._volume = gain

    @property
    def has_speaker(self) -> bool:
        """Whether a speaker device plays the audio (False: a null speaker keeps time, nothing is heard)."""
        return not isinstance(self.speaker, NullSpeaker)

    def on_frame(self, track: RemoteAudio, frame: Any) -> None:
        """A decoded frame of a remote track; audio goes to the mixer, video is none of its business."""
        if track.kind == "audio" and not self._closed:
            self.mixer.push(track.key, frame)

    def forget(self, key: str) -> None:
        self.mixer.remove(key)

    def level(self, key: str) -> float:
        """How loud remote track ``key`` plays now, 0..1 (for an active-speaker indicator)."""
        return self.mixer.level(key)

    def process_microphone(self, track: MediaStreamTrack) -> MediaStreamTrack:
        """The microphone track to send: echo-cancelled when echo cancellation is on."""
        if self.echo is None:
            return track
        return ProcessedMicrophone(track, self.echo)

    def test_tone(self, seconds: float = 1.0, frequency: float = 440.0) -> None:
        play_test_tone(self.speaker, seconds, frequency)

    @property
    def notes(self) -> list[str]:
        echo_note = self.echo.note if self.echo is not None else None
        return [note for note in (self.speaker.note, echo_note) if note]

    def close(self) -> None:
        """Stop the speaker and let go of everything (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.speaker.close()
        self.mixer.clear()
        if self.echo is not None:
            self.echo.close()

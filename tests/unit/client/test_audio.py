"""A participant's audio: remote frames mixed and played, the test tone, and real echo cancellation.

Remote audio is real Opus: synthetic microphone frames through aiortc's Opus encoder and decoder,
giving the s16 stereo frames a session hands over. This machine has no sound card, so the speaker
is the null one (checked where it matters; those tests skip on a machine with a speaker); the echo
canceller is livekit's real WebRTC APM, fed an echo made from exactly what the speaker played.
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
import time

import av
import numpy as np
import numpy.typing as npt
import pytest
from aiortc.codecs.opus import OpusDecoder, OpusEncoder
from aiortc.jitterbuffer import JitterFrame

from meetdesk.client.media import audio
from meetdesk.client.media.apm import EchoCanceller, ProcessedMicrophone
from meetdesk.client.media.audio import (
    MAX_BUFFER_SAMPLES,
    PREBUFFER_SAMPLES,
    AudioEngine,
    AudioMixer,
    NullSpeaker,
    Speaker,
    frame_to_mono,
    open_speaker,
    play_test_tone,
)
from meetdesk.client.media.devices import BLOCK_SAMPLES, SAMPLE_RATE, MicrophoneTrack, audio_frame, list_speakers
from meetdesk.client.media.synthetic import (
    SyntheticMicrophone,
    audio_frame_mono,
    dominant_frequency,
    tone_frequency,
)
from meetdesk.client.subscriber import RemoteTrack

Samples = npt.NDArray[np.int16]
#: a synthetic microphone's tone after Opus: aiortc's encoder upmixes mono to stereo at -3 dB
DECODED_LEVEL = 0.3 / math.sqrt(2)
DECODED_AMPLITUDE = DECODED_LEVEL * 32767
no_speaker = pytest.mark.skipif(bool(list_speakers()), reason="this machine has a speaker")


def decoded_frames(source_id: int, count: int) -> list[av.AudioFrame]:
    """``count`` 20 ms frames of a synthetic microphone after a real Opus encode and decode."""
    microphone = SyntheticMicrophone(source_id)
    encoder, decoder = OpusEncoder(), OpusDecoder()
    frames: list[av.AudioFrame] = []
    for number in range(count):
        payloads, timestamp = encoder.encode(microphone.make_frame(number))
        for payload in payloads:
            frames.extend(f for f in decoder.decode(JitterFrame(payload, timestamp)) if isinstance(f, av.AudioFrame))
    microphone.stop()
    return frames


def strength(samples: Samples, frequency: float) -> float:
    """The amplitude of one frequency in a signal (s16 units)."""
    t = np.arange(len(samples)) / SAMPLE_RATE
    return float(2 * abs(np.sum(samples * np.exp(-2j * np.pi * frequency * t))) / len(samples))


def pull_all(mixer: AudioMixer, seconds: float, block: int = 480) -> Samples:
    return np.concatenate([mixer.pull(block) for _ in range(round(seconds * SAMPLE_RATE / block))])


def constant(value: int, count: int = BLOCK_SAMPLES) -> Samples:
    return np.full(count, value, dtype=np.int16)


def db(samples: Samples) -> float:
    values = samples.astype(np.float64)
    return 10 * float(np.log10(np.mean(values * values) + 1e-9))


# --- the mixer -----------------------------------------------------------------------------------


async def test_two_decoded_sources_play_together() -> None:
    first, second = decoded_frames(1, 10), decoded_frames(2, 10)
    assert (first[0].format.name, first[0].layout.name, first[0].samples) == ("s16", "stereo", 960)
    mixer = AudioMixer()
    for a, b in zip(first, second, strict=True):
        mixer.push("alice/microphone", a)
        mixer.push("bob/microphone", b)

    mixed = pull_all(mixer, 0.2)[BLOCK_SAMPLES:]  # past Opus's start-up

    assert strength(mixed, tone_frequency(1)) > 0.9 * DECODED_AMPLITUDE
    assert strength(mixed, tone_frequency(2)) > 0.9 * DECODED_AMPLITUDE
    assert strength(mixed, tone_frequency(0)) < 0.05 * DECODED_AMPLITUDE


def test_loud_sources_clip_instead_of_wrapping_around() -> None:
    mixer = AudioMixer()
    for _ in range(3):
        mixer.push("a/microphone", audio_frame(constant(25_000), 0))
        mixer.push("b/microphone", audio_frame(constant(25_000), 0))
        mixer.push("c/microphone", audio_frame(constant(-30_000), 0))
        mixer.push("d/microphone", audio_frame(constant(-30_000), 0))
    mixed = mixer.pull(BLOCK_SAMPLES)
    assert mixed.dtype == np.int16
    assert np.all(mixed == -10_000)  # the sum in range: exact

    mixer.remove("c/microphone")
    mixer.remove("d/microphone")
    assert np.all(mixer.pull(BLOCK_SAMPLES) == 32767)  # 50 000 would wrap around to -15 536


def test_a_burst_keeps_only_the_newest_200_ms() -> None:
    mixer = AudioMixer()
    for number in range(100):  # 2 s at once: frame n holds the value n
        mixer.push("alice/microphone", audio_frame(constant(number), number * BLOCK_SAMPLES))

    assert mixer.buffered("alice/microphone") == MAX_BUFFER_SAMPLES
    assert mixer.dropped == 100 * BLOCK_SAMPLES - MAX_BUFFER_SAMPLES
    played = pull_all(mixer, 0.2)
    assert played[0] == 100 - MAX_BUFFER_SAMPLES // BLOCK_SAMPLES  # the oldest kept frame
    assert played[-1] == 99
    assert mixer.buffered("alice/microphone") == 0


def test_a_source_waits_for_its_prebuffer_and_runs_dry_into_silence() -> None:
    mixer = AudioMixer()
    mixer.push("alice/microphone", audio_frame(constant(1000), 0))
    assert BLOCK_SAMPLES < PREBUFFER_SAMPLES
    assert np.all(mixer.pull(480) == 0)  # 20 ms waiting: not enough to start

    mixer.push("alice/microphone", audio_frame(constant(1000), 960))
    played = mixer.pull(3 * BLOCK_SAMPLES)  # 40 ms waiting, 60 ms asked
    assert np.all(played[: 2 * BLOCK_SAMPLES] == 1000)
    assert np.all(played[2 * BLOCK_SAMPLES :] == 0)
    assert mixer.underruns == 1

    mixer.push("alice/microphone", audio_frame(constant(1000), 1920))
    assert np.all(mixer.pull(480) == 0)  # dry: it builds a cushion again before playing
    mixer.push("alice/microphone", audio_frame(constant(1000), 2880))
    assert np.all(mixer.pull(480) == 1000)


async def test_a_removed_source_is_no_longer_heard() -> None:
    mixer = AudioMixer()
    for a, b in zip(decoded_frames(1, 10), decoded_frames(2, 10), strict=True):
        mixer.push("alice/microphone", a)
        mixer.push("bob/microphone", b)
    mixer.pull(BLOCK_SAMPLES)

    mixer.remove("bob/microphone")

    rest = pull_all(mixer, 0.1)
    assert mixer.keys() == ["alice/microphone"]
    assert strength(rest, tone_frequency(1)) > 0.9 * DECODED_AMPLITUDE
    assert strength(rest, tone_frequency(2)) < 0.05 * DECODED_AMPLITUDE


async def test_levels_follow_what_each_source_plays() -> None:
    mixer = AudioMixer()
    for frame in decoded_frames(1, 5):
        mixer.push("alice/microphone", frame)
    mixer.push_samples("bob/microphone", np.zeros(2 * BLOCK_SAMPLES, dtype=np.int16))
    pull_all(mixer, 0.04)
    assert mixer.level("alice/microphone") == pytest.approx(DECODED_LEVEL, abs=0.02)
    assert mixer.level("bob/microphone") == 0.0
    assert mixer.level("nobody/microphone") == 0.0


def test_frames_of_any_format_and_rate_become_48_khz_mono() -> None:
    t = np.arange(160) / 8000
    narrow = av.AudioFrame.from_ndarray(
        (10_000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16).reshape(1, -1), format="s16", layout="mono"
    )
    narrow.sample_rate = 8000  # a G.711 decoder's frames
    mixer = AudioMixer()
    for _ in range(25):
        mixer.push("phone/microphone", narrow)
    assert dominant_frequency(pull_all(mixer, 0.15)) == pytest.approx(1000, abs=10)

    stereo = np.stack([np.full(480, 0.5), np.full(480, 0.25)]).astype(np.float32)
    floats = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
    floats.sample_rate = SAMPLE_RATE
    assert np.all(frame_to_mono(floats) == round(0.375 * 32767))


# --- the speaker ---------------------------------------------------------------------------------


class Recorder:
    """A speaker tap that keeps what was played and says when it has ``wanted`` samples."""

    def __init__(self, wanted: int) -> None:
        self.blocks: list[Samples] = []
        self.wanted = wanted
        self.full = threading.Event()

    def __call__(self, block: Samples) -> None:
        if not self.full.is_set():
            self.blocks.append(block.copy())
            if sum(map(len, self.blocks)) >= self.wanted:
                self.full.set()

    async def wait(self) -> Samples:
        assert await asyncio.to_thread(self.full.wait, 10), "the speaker stopped playing"
        return np.concatenate(self.blocks)


@no_speaker
async def test_without_a_speaker_the_mixer_drains_in_real_time_and_the_note_says_why() -> None:
    mixer = AudioMixer()
    for frame in decoded_frames(3, 10):
        mixer.push("alice/microphone", frame)
    recorder = Recorder(wanted=SAMPLE_RATE * 3 // 10)
    started = time.monotonic()
    speaker = open_speaker(None, mixer, taps=[recorder])
    try:
        played = await recorder.wait()
        elapsed = time.monotonic() - started
    finally:
        speaker.close()
        speaker.close()

    assert isinstance(speaker, NullSpeaker)
    assert speaker.note == "No speaker found: remote audio is not played"
    assert mixer.buffered("alice/microphone") == 0
    assert dominant_frequency(played[: SAMPLE_RATE // 10]) == pytest.approx(tone_frequency(3), abs=10)
    assert elapsed >= 0.25  # paced by a clock, not as fast as it can


def test_without_portaudio_the_note_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio, "_sounddevice", lambda: None)
    speaker = open_speaker("Headphones", AudioMixer())
    speaker.close()
    assert speaker.note == "PortAudio is not installed (the libportaudio2 package): remote audio is not played"


def test_the_test_tone_is_mixed_into_what_is_played() -> None:
    mixer = AudioMixer()
    for frame in decoded_frames(2, 10):
        mixer.push("bob/microphone", frame)
    recorder = Recorder(wanted=SAMPLE_RATE)
    speaker = Speaker(mixer, taps=[recorder])

    play_test_tone(speaker, seconds=0.5)
    played = np.concatenate([speaker.render(480) for _ in range(60)])  # 0.6 s

    assert np.array_equal(np.concatenate(recorder.blocks), played)  # the taps get exactly what plays
    assert strength(played[: SAMPLE_RATE // 5], 440) > 0.25 * 32767
    assert strength(played[BLOCK_SAMPLES : SAMPLE_RATE // 5], tone_frequency(2)) > 0.9 * DECODED_AMPLITUDE
    assert np.all(played[SAMPLE_RATE // 2 :] == 0)  # the tone is over, bob's 200 ms too


@no_speaker
async def test_the_engine_plays_its_test_tone() -> None:
    engine = AudioEngine()
    recorder = Recorder(wanted=SAMPLE_RATE // 4)
    engine.speaker.taps.append(recorder)
    try:
        engine.test_tone()
        played = await recorder.wait()
    finally:
        engine.close()
    start = int(np.flatnonzero(played)[0])
    assert dominant_frequency(played[start : start + SAMPLE_RATE // 10]) == pytest.approx(440, abs=5)


# --- echo cancellation ---------------------------------------------------------------------------


def speech_like(seed: int, seconds: float) -> Samples:
    """Voiced sound with a wandering pitch in syllable-long bursts, and a little breath noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.7 * t + seed) + 20 * np.sin(2 * np.pi * 2.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * (2.5 + 0.3 * seed) * t + rng.uniform(0, 6)), 0, None) ** 0.5
    signal = voiced * syllables + 0.05 * rng.standard_normal(len(t))
    samples: Samples = (signal / np.abs(signal).max() * 12_000).astype(np.int16)
    return samples


ECHO_DELAY = SAMPLE_RATE * 30 // 1000
REFLECTION = 200


def room(played: Samples, start: int, count: int) -> Samples:
    """What a microphone hears from ``start`` on of a speaker that played ``played`` (zeros before its
    start): the sound 30 ms later, attenuated, with one reflection."""
    padded = np.concatenate([np.zeros(ECHO_DELAY + REFLECTION), played.astype(np.float64)])
    direct = padded[REFLECTION + start : REFLECTION + start + count]
    reflected = padded[start : start + count]
    return (0.5 * direct + 0.2 * reflected).astype(np.int16)


async def through_the_microphone(
    canceller: EchoCanceller, far: Samples | None, near: Samples
) -> tuple[Samples, Samples]:
    """Play ``far`` (a remote participant) on a speaker whose every block the canceller sees, while a
    microphone hears that speaker's echo plus ``near`` (the participant), block by block as in a
    call, just faster; returns (what the microphone heard, what is sent)."""
    mixer = AudioMixer()
    speaker = Speaker(mixer, taps=[canceller.process_reverse])
    microphone = MicrophoneTrack(start=False)
    sent_track = ProcessedMicrophone(microphone, canceller)
    played = np.zeros(len(near), dtype=np.int16)
    heard, sent = [], []
    for start in range(0, len(near), BLOCK_SAMPLES):
        if far is not None:
            mixer.push_samples("far/microphone", far[start : start + BLOCK_SAMPLES])
        played[start : start + BLOCK_SAMPLES] = speaker.render(BLOCK_SAMPLES)
        echo = room(played, start, BLOCK_SAMPLES).astype(np.int32)
        heard.append((echo + near[start : start + BLOCK_SAMPLES]).clip(-32768, 32767).astype(np.int16))
        microphone.feed(heard[-1])
        frame = await sent_track.recv()
        sent.append(np.asarray(frame.to_ndarray(), dtype=np.int16).reshape(-1))
    sent_track.stop()
    return np.concatenate(heard), np.concatenate(sent)


async def test_the_speakers_echo_is_removed_from_the_microphone() -> None:
    seconds, converged = 3.0, slice(-SAMPLE_RATE, None)  # judged on the last second
    far, silence = speech_like(1, seconds), np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)
    canceller = EchoCanceller()
    assert canceller.available, canceller.note

    heard, sent = await through_the_microphone(canceller, far, silence)

    # measured: about 60 dB; the canceller, not noise suppression, does it (see the next test)
    assert db(heard[converged]) - db(sent[converged]) >= 30


async def test_without_the_speakers_signal_the_same_sound_goes_through() -> None:
    seconds, converged = 3.0, slice(-SAMPLE_RATE, None)
    far = speech_like(1, seconds)
    # the same sound reaches the microphone, but not from this speaker: nothing to cancel
    heard, sent = await through_the_microphone(EchoCanceller(), None, room(far, 0, len(far)))
    assert abs(db(heard[converged]) - db(sent[converged])) < 3


async def test_the_participants_own_voice_goes_through() -> None:
    seconds, converged = 3.0, slice(-SAMPLE_RATE, None)
    near = speech_like(2, seconds)
    heard, sent = await through_the_microphone(EchoCanceller(), None, near)
    assert abs(db(heard[converged]) - db(sent[converged])) < 3


async def test_processed_frames_keep_their_timing_and_format_and_disabled_passes_through() -> None:
    microphone = MicrophoneTrack(start=False)
    track = ProcessedMicrophone(microphone, EchoCanceller())
    tone = SyntheticMicrophone(0)
    frames = []
    for number in range(4):
        track.enabled = number < 2
        source = tone.make_frame(number)
        microphone.feed(audio_frame_mono(source))
        frames.append((source, await track.recv()))
    track.stop()
    tone.stop()

    for source, sent in frames:
        assert (sent.pts, sent.time_base, sent.sample_rate) == (source.pts, source.time_base, source.sample_rate)
        assert (sent.format.name, sent.layout.name, sent.samples) == ("s16", "mono", BLOCK_SAMPLES)
    changed = [not np.array_equal(sent.to_ndarray(), source.to_ndarray()) for source, sent in frames]
    assert changed == [True, True, False, False]  # processed (high-pass, noise suppression), then as it came
    assert microphone.readyState == "ended"


async def test_without_livekit_audio_goes_through_unchanged_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "livekit", None)
    monkeypatch.setitem(sys.modules, "livekit.rtc", None)
    canceller = EchoCanceller()
    assert not canceller.available
    assert canceller.note is not None and canceller.note.startswith("Echo cancellation is off")

    near = speech_like(2, 0.2)
    canceller.process_reverse(near)
    assert np.array_equal(canceller.process(near), near)

    engine = AudioEngine()
    try:
        assert canceller.note in engine.notes
    finally:
        engine.close()


# --- the engine ----------------------------------------------------------------------------------


async def test_the_engine_mixes_remote_audio_and_forgets_tracks() -> None:
    engine = AudioEngine()
    alice = RemoteTrack(mid="0", kind="audio", identity="alice", source="microphone")
    camera = RemoteTrack(mid="1", kind="video", identity="alice", source="camera")
    try:
        for frame in decoded_frames(1, 3):
            engine.on_frame(alice, frame)
        engine.on_frame(camera, av.VideoFrame(64, 48, "yuv420p"))
        assert engine.mixer.keys() == ["alice/microphone"]
        assert isinstance(engine.process_microphone(MicrophoneTrack(start=False)), ProcessedMicrophone)

        engine.forget(alice.key)
        assert engine.mixer.keys() == []
        assert engine.level(alice.key) == 0.0
    finally:
        engine.close()
        engine.close()
    engine.on_frame(alice, decoded_frames(1, 1)[0])
    assert engine.mixer.keys() == []  # closed: nothing more is queued


async def test_an_engine_without_echo_cancellation_sends_the_microphone_as_it_is() -> None:
    engine = AudioEngine(echo_cancellation=False)
    microphone = MicrophoneTrack(start=False)
    try:
        assert engine.process_microphone(microphone) is microphone
        assert all("Echo" not in note for note in engine.notes)
    finally:
        engine.close()
        microphone.stop()


def test_the_volume_scales_what_is_played_and_what_the_taps_get() -> None:
    def played_at(volume: float) -> npt.NDArray[np.int16]:
        mixer = AudioMixer()
        for frame in decoded_frames(2, 10):
            mixer.push("bob/microphone", frame)
        recorder = Recorder(wanted=SAMPLE_RATE)
        speaker = Speaker(mixer, taps=[recorder])
        speaker.volume = volume
        played = np.concatenate([speaker.render(480) for _ in range(20)])
        assert np.array_equal(np.concatenate(recorder.blocks), played)  # the echo canceller hears what plays
        return played[BLOCK_SAMPLES:]

    full, quarter, silent = played_at(1.0), played_at(0.25), played_at(0.0)
    assert strength(full, tone_frequency(2)) > 0.9 * DECODED_AMPLITUDE
    assert strength(quarter, tone_frequency(2)) == pytest.approx(0.25 * strength(full, tone_frequency(2)), rel=0.02)
    assert not np.any(silent)
    with pytest.raises(ValueError, match=r"from 0\.0 to 1\.0"):
        Speaker(AudioMixer()).volume = 1.5


async def test_the_engines_volume_stays_when_the_speaker_changes() -> None:
    engine = AudioEngine(echo_cancellation=False)
    try:
        engine.volume = 0.4
        assert engine.speaker.volume == 0.4
        engine.use_speaker(None)
        assert engine.speaker.volume == 0.4 and engine.volume == 0.4
        with pytest.raises(ValueError):
            engine.volume = -0.1
        assert engine.volume == 0.4
    finally:
        engine.close()

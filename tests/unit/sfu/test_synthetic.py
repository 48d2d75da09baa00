"""The synthetic camera's marker survives VP8; the synthetic microphone's tone names its source."""

from __future__ import annotations

import time

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame

from meetdesk.client.media.synthetic import (
    MarkerError,
    SyntheticCamera,
    SyntheticMicrophone,
    audio_frame_mono,
    decode_marker,
    dominant_frequency,
    tone_frequency,
)


def test_marker_survives_vp8_at_aiortcs_bitrate() -> None:
    camera, encoder, decoder = SyntheticCamera(source_id=200), Vp8Encoder(), Vp8Decoder()
    read = []
    for number in range(65530, 65630):  # the frame number wraps at 16 bits
        payloads, timestamp = encoder.encode(camera.make_frame(number))
        data = b"".join(vp8_depayload(p) for p in payloads)
        read += [decode_marker(frame) for frame in decoder.decode(JitterFrame(data, timestamp))]
    assert read == [(200, n & 0xFFFF) for n in range(65530, 65630)]


def test_frames_of_other_sources_differ_and_unmarked_frames_are_refused() -> None:
    assert decode_marker(SyntheticCamera(1, 320, 240).make_frame(5)) == (1, 5)
    a, b = SyntheticCamera(1).make_frame(9), SyntheticCamera(2).make_frame(9)
    assert not np.array_equal(a.to_ndarray(), b.to_ndarray())  # tinted per source, not only the marker
    grey = av.VideoFrame.from_ndarray(np.full((480, 640, 3), 128, dtype=np.uint8), format="rgb24")
    with pytest.raises(MarkerError):
        decode_marker(grey)


def test_camera_rejects_what_it_cannot_mark() -> None:
    with pytest.raises(ValueError):
        SyntheticCamera(source_id=256)
    with pytest.raises(ValueError):
        SyntheticCamera(width=640, height=30)


async def test_camera_paces_frames_and_numbers_them() -> None:
    camera = SyntheticCamera(3, fps=50)
    start = time.monotonic()
    numbers = [decode_marker(await camera.recv())[1] for _ in range(6)]
    assert numbers == list(range(6))
    assert time.monotonic() - start >= 5 / 50 * 0.9
    camera.stop()


async def test_microphone_tone_identifies_the_source() -> None:
    microphone = SyntheticMicrophone(source_id=5)
    frames = [await microphone.recv() for _ in range(5)]
    assert all(f.sample_rate == 48000 and f.samples == 960 for f in frames)
    assert [f.pts for f in frames] == [n * 960 for n in range(5)]
    samples = np.concatenate([audio_frame_mono(f) for f in frames])
    assert abs(dominant_frequency(samples) - tone_frequency(5)) < 10
    assert abs(tone_frequency(5) - tone_frequency(6)) >= 100
    microphone.stop()

"""Real devices: OpenCV capture and PortAudio input into aiortc frames, and the fallback to synthetic ones.

This machine has no camera and no sound card (PortAudio with zero devices), so the camera track is
fed a real ``cv2.VideoCapture`` on a video file written here with ``cv2.VideoWriter``, and the
microphone track is fed the way PortAudio's callback feeds it. The enumeration and fallback tests
check what happens where no device exists; they skip on a machine that has some.
"""

from __future__ import annotations

import asyncio
import fractions
import threading
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from meetdesk.client.media.devices import (
    BLOCK_SAMPLES,
    MIC_QUEUE,
    CameraTrack,
    DeviceError,
    MicrophoneTrack,
    list_cameras,
    list_microphones,
    list_speakers,
    open_sources,
)
from meetdesk.client.media.synthetic import SyntheticCamera, SyntheticMicrophone

FRAMES = 12
LEVELS = [16 + 18 * i for i in range(FRAMES)]  # one grey level per frame, far apart enough for MJPEG


def write_video(path: Path, width: int = 160, height: int = 120, fps: float = 25.0) -> Path:
    """A short MJPEG file: frame i is grey level LEVELS[i], with a white square on the left half."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for level in LEVELS:
        image = np.full((height, width, 3), level, dtype=np.uint8)
        image[height // 4 : height // 2, width // 8 : width // 4] = 255
        writer.write(image)
    writer.release()
    return path


async def read_all(track: CameraTrack) -> list[av.VideoFrame]:
    frames = []
    with pytest.raises(MediaStreamError):
        while True:
            frames.append(await asyncio.wait_for(track.recv(), 10))
    return frames


async def test_camera_track_turns_each_captured_picture_into_a_frame(tmp_path: Path) -> None:
    track = await asyncio.to_thread(CameraTrack.open, write_video(tmp_path / "clip.avi"))
    assert not track.live and track.fps == 25.0 and track.label == "clip.avi"
    frames = await read_all(track)
    assert len(frames) == FRAMES and track.frames_captured == FRAMES
    assert {(f.width, f.height, f.format.name) for f in frames} == {(160, 120, "yuv420p")}
    # the pictures, in order: the grey level of each (luma of a BGR grey g is about g)
    luma = [f.to_ndarray(format="gray") for f in frames]
    assert [round(float(y[:, 80:].mean())) for y in luma] == pytest.approx(LEVELS, abs=3)
    assert all(float(y[30:60, 20:40].mean()) > 240 for y in luma)  # the white square, where it was drawn
    # a 90 kHz timeline that only goes forward
    assert {f.time_base for f in frames} == {fractions.Fraction(1, 90_000)}
    pts = [f.pts for f in frames]
    assert pts == sorted(set(pts))
    assert track.readyState == "ended"
    await track.wait_closed()


async def test_camera_track_crops_odd_sizes_for_4_2_0(tmp_path: Path) -> None:
    track = await asyncio.to_thread(CameraTrack.open, write_video(tmp_path / "odd.avi", width=161, height=121))
    frames = await read_all(track)
    assert {(f.width, f.height) for f in frames} == {(160, 120)}


async def test_stopping_a_camera_track_releases_the_capture(tmp_path: Path) -> None:
    track = await asyncio.to_thread(CameraTrack.open, write_video(tmp_path / "clip.avi"))
    await track.recv()
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()
    await track.wait_closed()
    assert not any(t.name.startswith("camera-") and t.is_alive() for t in threading.enumerate())


def test_a_camera_that_is_not_there_is_a_device_error_and_opencv_stays_quiet(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(DeviceError, match="Camera 63 cannot be opened"):
        CameraTrack.open(63)
    with pytest.raises(DeviceError, match="cannot be opened"):
        CameraTrack.open("/nonexistent/clip.avi")
    assert capfd.readouterr().err == ""  # OpenCV's "[ WARN ... can't open camera by index]" kept off stderr


async def test_microphone_track_cuts_what_portaudio_delivers_into_20_ms_frames() -> None:
    microphone = MicrophoneTrack(start=False)
    samples = (np.arange(3 * BLOCK_SAMPLES) % 1000).astype(np.int16)

    def portaudio() -> None:  # PortAudio calls back on its own thread, in blocks of its own size
        for part in np.array_split(samples, 7):
            microphone.feed(part)

    feeder = threading.Thread(target=portaudio)
    feeder.start()
    frames = [await asyncio.wait_for(microphone.recv(), 5) for _ in range(3)]
    feeder.join()
    assert [(f.samples, f.sample_rate, f.format.name, f.layout.name) for f in frames] == [
        (BLOCK_SAMPLES, 48_000, "s16", "mono")
    ] * 3
    assert [f.pts for f in frames] == [0, BLOCK_SAMPLES, 2 * BLOCK_SAMPLES]
    assert {f.time_base for f in frames} == {fractions.Fraction(1, 48_000)}
    assert np.array_equal(np.concatenate([f.to_ndarray().reshape(-1) for f in frames]), samples)
    microphone.stop()
    with pytest.raises(MediaStreamError):
        await microphone.recv()


async def test_microphone_track_drops_the_oldest_audio_when_nobody_reads() -> None:
    microphone = MicrophoneTrack(start=False)
    for block in range(MIC_QUEUE + 5):
        microphone.feed(np.full(BLOCK_SAMPLES, block, dtype=np.int16))
    first = await asyncio.wait_for(microphone.recv(), 5)  # the feeds land in order on the loop
    assert int(first.to_ndarray()[0, 0]) == 5  # blocks 0-4 were dropped, the latest MIC_QUEUE kept
    microphone.stop()


no_devices = pytest.mark.skipif(
    bool(list_cameras() or list_microphones()), reason="this machine has a camera or a microphone"
)


@no_devices
def test_enumeration_finds_nothing_without_raising() -> None:
    assert list_cameras() == []
    assert list_microphones() == []
    assert isinstance(list_speakers(), list)


@no_devices
async def test_without_devices_open_sources_falls_back_to_synthetic_ones_and_says_why() -> None:
    video, audio, notes = await open_sources(False, source_id=5)
    assert isinstance(video, SyntheticCamera) and video.source_id == 5
    assert isinstance(audio, SyntheticMicrophone) and audio.source_id == 5
    text = " | ".join(notes).lower()
    assert "no camera found" in text and "no microphone found (portaudio lists no input device)" in text
    with pytest.raises(DeviceError):
        MicrophoneTrack()  # and asking PortAudio directly says so too


async def test_open_sources_synthetic_on_request_and_only_what_is_wanted() -> None:
    video, audio, notes = await open_sources(True, "Some Camera", "Some Microphone", source_id=3)
    assert isinstance(video, SyntheticCamera) and isinstance(audio, SyntheticMicrophone) and notes == []
    video, audio, notes = await open_sources(True, video=False)
    assert video is None and isinstance(audio, SyntheticMicrophone)

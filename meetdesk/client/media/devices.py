"""Real camera and microphone, and the choice between them and the synthetic ones.

- :class:`CameraTrack`: frames from an OpenCV ``cv2.VideoCapture``: a camera by index, or a video
  file (paced at its frame rate: tests and demos use one). Capture and colour conversion run in a
  worker thread; the event loop only picks up finished frames.
- :class:`MicrophoneTrack`: a sounddevice (PortAudio) input stream, 48 kHz mono, cut into 20 ms
  frames of 960 samples (s16). PortAudio calls back on its own thread.
- :func:`list_cameras`, :func:`list_microphones`, :func:`list_speakers`: device names, empty lists
  when there are none (or no PortAudio at all), never an exception.
- :func:`open_sources`: the tracks a participant sends: real devices when present, else the
  synthetic test pattern and tone, with a note saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.client.media.synthetic import SyntheticCamera, SyntheticMicrophone
from meetdesk.rtc.clock import AUDIO_CLOCK_RATE, AUDIO_TIME_BASE, VIDEO_CLOCK_RATE, VIDEO_TIME_BASE

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = AUDIO_CLOCK_RATE
BLOCK_SAMPLES: Final = 960  # 20 ms at 48 kHz
#: frames a live camera may have waiting before the oldest is dropped (a late frame is a useless frame)
LIVE_QUEUE: Final = 2
#: frames a file source reads ahead (a file waits for the reader instead of dropping)
FILE_QUEUE: Final = 4
#: 20 ms blocks the microphone may have waiting before the oldest is dropped
MIC_QUEUE: Final = 10
#: camera indices probed where the system has no device list (not Linux)
PROBE_INDICES: Final = 4


class DeviceError(Exception):
    """A device that cannot be used; the sentence says why."""


# --- cameras -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[Any]:
    """OpenCV, with its warnings about cameras that are not there kept off stderr."""
    import cv2

    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield cv2
    finally:
        cv2.utils.logging.setLogLevel(previous)


def _candidate_indices() -> list[int]:
    if sys.platform.startswith("linux"):
        # V4L2 device nodes: no node, no camera, and nothing to ask OpenCV about
        nodes = [p.name.removeprefix("video") for p in Path("/dev").glob("video*")]
        return sorted(int(n) for n in nodes if n.isdigit())
    return list(range(PROBE_INDICES))


def _camera_name(index: int) -> str:
    sysfs = Path(f"/sys/class/video4linux/video{index}/name")
    with contextlib.suppress(OSError):
        name = sysfs.read_text().strip()
        if name:
            return f"{name} ({index})"
    return f"Camera {index}"


def _probe_cameras() -> list[tuple[int, str]]:
    """(index, name) of every camera OpenCV can open. Blocks for a moment per device."""
    found = []
    with _quiet_opencv() as cv2:
        for index in _candidate_indices():
            capture = cv2.VideoCapture(index)
            try:
                if capture.isOpened():
                    found.append((index, _camera_name(index)))
            finally:
                capture.release()
    return found


def list_cameras() -> list[str]:
    """Names of the cameras present. Blocks (opens each device briefly): call it off the event loop."""
    return [name for _, name in _probe_cameras()]


class CameraTrack(MediaStreamTrack):
    """Video from a ``cv2.VideoCapture``: frames as they are captured (a live camera drops what the
    sender has no time for) or, from a file, at the file's frame rate until its end.

    Make one with :meth:`open` (blocking: call it off the event loop).
    """

    kind = "video"

    def __init__(self, capture: Any, first: npt.NDArray[np.uint8], *, label: str, live: bool, fps: float) -> None:
        super().__init__()
        self.label = label
        self.live = live
        self.fps = fps
        self.frames_captured = 0
        self._capture = capture
        self._first: npt.NDArray[np.uint8] | None = first
        self._frames: deque[tuple[av.VideoFrame, float]] = deque(maxlen=LIVE_QUEUE if live else None)
        self._room = threading.Semaphore(FILE_QUEUE)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._origin: float | None = None
        self._last_pts = -1

    @classmethod
    def open(cls, source: int | str | os.PathLike[str], *, label: str | None = None) -> CameraTrack:
        """Open a camera (index) or a video file (path) and read its first frame.

        Raises :class:`DeviceError` if it cannot be opened or gives no picture (a camera that another
        application holds opens on some systems but gives nothing).
        """
        live = isinstance(source, int)
        target: int | str = source if isinstance(source, int) else os.fspath(source)
        label = label or (f"Camera {target}" if live else Path(str(target)).name)
        with _quiet_opencv() as cv2:
            capture = cv2.VideoCapture(target)
            if not capture.isOpened():
                capture.release()
                raise DeviceError(f"{label} cannot be opened")
            ok, first = capture.read()
            if not ok or first is None:
                capture.release()
                raise DeviceError(f"{label} is busy or gives no picture (another application may be using it)")
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        return cls(capture, first, label=label, live=live, fps=fps if 1.0 <= fps <= 240.0 else 30.0)

    # the worker thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        image = self._first
        self._first = None
        interval = 0.0 if self.live else 1.0 / self.fps
        due = time.monotonic()
        try:
            while not self._stopping.is_set():
                if image is None:
                    ok, image = self._capture.read()
                    if not ok or image is None:
                        break
                captured = time.monotonic()
                frame = _video_frame(image)
                image = None
                if not self.live:
                    while not self._room.acquire(timeout=0.1):
                        if self._stopping.is_set():
                            return
                self.frames_captured += 1
                if not self._post(frame, captured):
                    return
                if interval:
                    due += interval
                    self._stopping.wait(max(0.0, due - time.monotonic()))
        finally:
            self._capture.release()
            self._post(None, 0.0)

    def _post(self, frame: av.VideoFrame | None, captured: float) -> bool:
        loop = self._event_loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(self._deliver, frame, captured)
        except RuntimeError:  # the loop closed in between
            return False
        return True

    # the event loop's side -----------------------------------------------------------------------

    def _deliver(self, frame: av.VideoFrame | None, captured: float) -> None:
        if frame is None:
            self._ended = True
        else:
            self._frames.append((frame, captured))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._thread is None:
            self._event_loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._run, name=f"camera-{self.label}", daemon=True)
            self._thread.start()
        while not self._frames:
            if self._ended or self.readyState != "live":
                self.stop()
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        frame, captured = self._frames.popleft()
        if not self.live:
            self._room.release()
        if self._origin is None:
            self._origin = captured
        self._last_pts = max(self._last_pts + 1, round((captured - self._origin) * VIDEO_CLOCK_RATE))
        frame.pts, frame.time_base = self._last_pts, VIDEO_TIME_BASE
        return frame

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
        self._stopping.set()
        if self._thread is None and self._capture is not None:
            self._capture.release()  # never started: nothing else will release it
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until the device is released (after :meth:`stop`)."""
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, timeout)


def _video_frame(image: npt.NDArray[np.uint8]) -> av.VideoFrame:
    """A BGR picture (OpenCV's layout) as a yuv420p frame, cropped to even sides as 4:2:0 needs."""
    height, width = image.shape[0] & ~1, image.shape[1] & ~1
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]), format="bgr24")
    return frame.reformat(format="yuv420p")


# --- microphones and speakers --------------------------------------------------------------------


def _sounddevice() -> Any | None:
    """The sounddevice module, or None when the PortAudio library is missing."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when it cannot load PortAudio
        logger.info("PortAudio is not available: %s", exc)
        return None
    return sounddevice


def _devices(direction: str) -> list[tuple[int, str]]:
    sd = _sounddevice()
    if sd is None:
        return []
    key = "max_input_channels" if direction == "input" else "max_output_channels"
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as exc:
        logger.info("PortAudio cannot list devices: %s", exc)
        return []
    return [(int(d["index"]), str(d["name"])) for d in devices if int(d[key]) > 0]


def list_microphones() -> list[str]:
    """Names of the audio input devices PortAudio knows."""
    return [name for _, name in _devices("input")]


def list_speakers() -> list[str]:
    """Names of the audio output devices PortAudio knows."""
    return [name for _, name in _devices("output")]


class MicrophoneTrack(MediaStreamTrack):
    """Audio from a PortAudio input device: 48 kHz mono s16, 20 ms frames.

    PortAudio's callback (its own thread) hands the samples over through :meth:`feed`; frames that
    the sender does not pick up in time are dropped, oldest first. ``start=False`` opens no device:
    whoever calls :meth:`feed` is the microphone.
    """

    kind = "audio"

    def __init__(
        self, device: int | str | None = None, *, loop: asyncio.AbstractEventLoop | None = None, start: bool = True
    ) -> None:
        super().__init__()
        self._event_loop = loop or asyncio.get_running_loop()
        self._blocks: deque[npt.NDArray[np.int16]] = deque(maxlen=MIC_QUEUE)
        self._pending = np.zeros(0, dtype=np.int16)
        self._waiter: asyncio.Future[None] | None = None
        self._samples = 0
        self._stream: Any = None
        if start:
            sd = _sounddevice()
            if sd is None:
                raise DeviceError("PortAudio is not available")
            try:
                self._stream = sd.InputStream(
                    samplerate=SAMPLE_RATE,
                    channels=1,
                    dtype="int16",
                    blocksize=BLOCK_SAMPLES,
                    device=device,
                    callback=self._callback,
                )
                self._stream.start()
            except sd.PortAudioError as exc:
                raise DeviceError(f"The microphone cannot be opened: {exc}") from exc

    def _callback(self, indata: npt.NDArray[np.int16], frames: int, time_info: Any, status: Any) -> None:
        if status:
            logger.debug("MicrophoneTrack(%s) %s", self.id, status)
        self.feed(indata[:, 0].copy())

    def feed(self, samples: npt.NDArray[np.int16]) -> None:
        """Mono s16 samples, any count, from any thread."""
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens any more
            self._event_loop.call_soon_threadsafe(self._deliver, np.asarray(samples, dtype=np.int16).reshape(-1))

    def _deliver(self, samples: npt.NDArray[np.int16]) -> None:
        pending = np.concatenate([self._pending, samples])
        while len(pending) >= BLOCK_SAMPLES:
            self._blocks.append(pending[:BLOCK_SAMPLES])
            pending = pending[BLOCK_SAMPLES:]
        self._pending = pending
        if self._blocks and self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> av.AudioFrame:
        while not self._blocks:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.readyState != "live":
            raise MediaStreamError
        frame = audio_frame(self._blocks.popleft(), self._samples)
        self._samples += BLOCK_SAMPLES
        return frame

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):  # a device unplugged meanwhile: nothing left to close
                stream.stop()
                stream.close()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def audio_frame(samples: npt.NDArray[np.int16], pts: int) -> av.AudioFrame:
    """One mono s16 48 kHz frame of ``samples``, at ``pts`` samples from the start."""
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = AUDIO_TIME_BASE
    return frame


# --- choosing ------------------------------------------------------------------------------------


def _pick(devices: list[tuple[int, str]], wanted: str | None, what: str, notes: list[str]) -> tuple[int, str]:
    if wanted is None:
        return devices[0]
    for index, name in devices:
        if wanted.casefold() in (name.casefold(), str(index)):
            return index, name
    found = ", ".join(name for _, name in devices)
    notes.append(f"No {what} named '{wanted}' (found: {found}): using '{devices[0][1]}'")
    return devices[0]


def open_camera(
    wanted: str | None, notes: list[str], instead: str = "sending a synthetic test pattern instead"
) -> MediaStreamTrack | None:
    """The camera called ``wanted`` (None: the first), or None with a note ending in ``instead``. Blocks."""
    cameras = _probe_cameras()
    if not cameras:
        notes.append(f"No camera found: {instead}")
        return None
    index, name = _pick(cameras, wanted, "camera", notes)
    try:
        return CameraTrack.open(index, label=name)
    except DeviceError as exc:
        problem = "is busy (another application uses it)" if "busy" in str(exc) else "cannot be opened"
        notes.append(f"Camera '{name}' {problem}: {instead}")
        return None


def open_microphone(
    wanted: str | None,
    notes: list[str],
    loop: asyncio.AbstractEventLoop,
    instead: str = "sending a synthetic tone instead",
) -> MediaStreamTrack | None:
    """The microphone called ``wanted`` (None: the first), or None with a note ending in ``instead``. Blocks."""
    if _sounddevice() is None:
        notes.append(f"PortAudio is not installed (the libportaudio2 package): {instead}")
        return None
    microphones = _devices("input")
    if not microphones:
        notes.append(f"No microphone found (PortAudio lists no input device): {instead}")
        return None
    index, name = _pick(microphones, wanted, "microphone", notes)
    try:
        return MicrophoneTrack(index, loop=loop)
    except DeviceError as exc:
        notes.append(f"Microphone '{name}': {exc}; {instead}")
        return None


async def open_sources(
    prefer_synthetic: bool,
    camera: str | None = None,
    microphone: str | None = None,
    *,
    source_id: int = 0,
    video: bool = True,
    audio: bool = True,
) -> tuple[MediaStreamTrack | None, MediaStreamTrack | None, list[str]]:
    """The (video, audio) tracks to send, and notes on what could not be used.

    With ``prefer_synthetic`` (or when a device is missing, busy or broken) the synthetic camera and
    microphone of ``source_id``; otherwise the named ``camera`` / ``microphone`` (None: the first).
    A track is None only when not wanted (``video`` / ``audio`` False). Device probing runs in a
    worker thread.
    """
    notes: list[str] = []
    video_track: MediaStreamTrack | None = None
    audio_track: MediaStreamTrack | None = None
    if video:
        if not prefer_synthetic:
            video_track = await asyncio.to_thread(open_camera, camera, notes)
        video_track = video_track or SyntheticCamera(source_id)
    if audio:
        if not prefer_synthetic:
            loop = asyncio.get_running_loop()
            audio_track = await asyncio.to_thread(open_microphone, microphone, notes, loop)
        audio_track = audio_track or SyntheticMicrophone(source_id)
    return video_track, audio_track, notes

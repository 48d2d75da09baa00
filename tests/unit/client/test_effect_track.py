"""Virtual backgrounds on a live track: EffectTrack applies the effect off the event loop and skips, never queues."""

from __future__ import annotations

import asyncio
import fractions
import threading
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.client.effects.background import BLUR_SIGMA, MaskFunction, blur_background
from meetdesk.client.effects.model import MODEL_DIR_ENV, MODEL_FILENAME, ModelUnavailable
from meetdesk.client.effects.track import EffectTrack, EffectUnavailable, effects_available
from tests.unit.client.test_effects import drawn_person

Frame = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.float32]
TIME_BASE = fractions.Fraction(1, 90_000)


class QueueSource(MediaStreamTrack):
    """A video source the test feeds; ``None`` ends it."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.frames: asyncio.Queue[av.VideoFrame | None] = asyncio.Queue()

    def put(self, image: Frame, pts: int) -> av.VideoFrame:
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")  # as a camera gives
        frame.pts, frame.time_base = pts, TIME_BASE
        self.frames.put_nowait(frame)
        return frame

    async def recv(self) -> av.VideoFrame:
        frame = await self.frames.get()
        self.frames.task_done()
        if frame is None:
            raise MediaStreamError
        return frame


def bgr(frame: av.VideoFrame) -> Frame:
    return np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)


def noise(seed: int = 0) -> Frame:
    return np.random.default_rng(seed).integers(0, 256, (480, 640, 3), dtype=np.uint8)


def nobody(frame: Frame) -> Mask:
    return np.zeros(frame.shape[:2], np.float32)


def must_not_load() -> MaskFunction:
    raise AssertionError("the segmenter was loaded although no effect is on")


def effect_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("background-effect")]


@pytest.fixture
def real_model() -> None:
    reason = effects_available()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    return tmp_path


async def test_no_effect_passes_the_source_frames_through_without_a_worker() -> None:
    source = QueueSource()
    track = EffectTrack(source, mask_factory=must_not_load)
    assert track.mode == "none"
    for pts in range(3):
        sent = source.put(noise(pts), pts=pts * 3000)
        assert await track.recv() is sent
    assert effect_threads() == []
    track.stop()


async def test_real_blur_keeps_the_person_and_blurs_the_wall(real_model: None) -> None:
    source = QueueSource()
    track = EffectTrack(source)
    track.set_effect("blur_strong")
    sent = source.put(drawn_person(), pts=1234)
    out = await track.recv()
    assert (out.pts, out.time_base, out.width, out.height) == (1234, TIME_BASE, 640, 480)
    before, after = bgr(sent), bgr(out)
    np.testing.assert_allclose(after[200, 320], before[200, 320], atol=3)  # face
    np.testing.assert_allclose(after[420, 320], before[420, 320], atol=3)  # shirt
    wall = (slice(0, 60), slice(0, 100))
    spread_before, spread_after = (float(image[wall].std(axis=(0, 1)).mean()) for image in (before, after))
    assert spread_after < spread_before / 2  # the wall's noise is blurred away
    track.stop()


async def test_real_image_mode_replaces_the_wall(real_model: None) -> None:
    source = QueueSource()
    track = EffectTrack(source)
    track.set_effect("image", np.full((720, 1280, 3), (0, 200, 0), np.uint8))
    sent = source.put(drawn_person(), pts=0)
    before, after = bgr(sent), bgr(await track.recv())
    np.testing.assert_allclose(after[200, 320], before[200, 320], atol=3)
    for y, x in [(20, 20), (20, 620), (300, 40), (300, 600)]:
        np.testing.assert_allclose(after[y, x], (0, 200, 0), atol=4)
    track.stop()


async def test_switching_effects_while_running(tmp_path: Path) -> None:
    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: nobody)
    steps: list[tuple[str, object]] = [
        ("blur_light", None),
        ("blur_strong", None),
        ("image", np.full((90, 160, 3), (10, 20, 30), np.uint8)),
        ("none", None),
        ("blur_strong", None),
    ]
    for pts, (mode, image) in enumerate(steps):
        track.set_effect(mode, image)  # type: ignore[arg-type]
        sent = source.put(noise(pts), pts=pts)
        out = await track.recv()
        assert out.pts == pts and track.mode == mode
        if mode == "none":
            assert out is sent
        elif mode == "image":
            assert (bgr(out) == (10, 20, 30)).all()
        else:
            np.testing.assert_array_equal(bgr(out), blur_background(bgr(sent), BLUR_SIGMA[mode]))
    track.stop()


async def test_processing_runs_in_one_worker_thread_one_frame_at_a_time() -> None:
    loop_thread = threading.current_thread()
    seen: list[threading.Thread] = []
    running = 0
    overlapped = False
    lock = threading.Lock()

    def mask(frame: Frame) -> Mask:
        nonlocal running, overlapped
        with lock:
            running += 1
            overlapped |= running > 1
        seen.append(threading.current_thread())
        with lock:
            running -= 1
        return nobody(frame)

    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: mask)
    track.set_effect("blur_light")
    for pts in range(4):
        source.put(noise(pts), pts=pts)
        await track.recv()
    assert len(seen) == 4 and len(set(seen)) == 1
    assert seen[0] is not loop_thread
    assert not overlapped
    track.stop()


async def test_falling_behind_skips_to_the_newest_frame_instead_of_queueing() -> None:
    started = threading.Event()
    release = threading.Event()
    masked: list[int] = []

    def slow_mask(frame: Frame) -> Mask:
        masked.append(round(int(frame[0, 0, 0]) / 40))  # the frame's index
        started.set()
        release.wait(10)  # the first frame takes as long as the source needs to deliver five more
        return nobody(frame)

    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: slow_mask)
    track.set_effect("blur_light")
    marked = [np.full((48, 64, 3), i * 40, np.uint8) for i in range(6)]
    source.put(marked[0], pts=0)
    first = asyncio.create_task(track.recv())
    assert await asyncio.to_thread(started.wait, 10)
    for pts in range(1, 6):
        source.put(marked[pts], pts=pts)
    await source.frames.join()  # the source has delivered all of them while frame 0 was processed
    release.set()
    assert (await first).pts == 0
    assert (await track.recv()).pts == 5  # 1..4 were skipped
    assert masked == [0, 5]
    track.stop()


async def test_the_next_frame_is_processed_while_the_caller_sends_the_last_one() -> None:
    processed = [threading.Event() for _ in range(2)]

    def mask(frame: Frame) -> Mask:
        processed[int(frame[0, 0, 0] > 100)].set()
        return nobody(frame)

    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: mask)
    track.set_effect("blur_strong")
    source.put(np.zeros((48, 64, 3), np.uint8), pts=0)
    assert (await track.recv()).pts == 0
    source.put(np.full((48, 64, 3), 255, np.uint8), pts=1)
    assert await asyncio.to_thread(processed[1].wait, 10)  # no recv() is waiting for it
    assert (await track.recv()).pts == 1
    track.stop()


async def test_without_the_model_effects_say_how_to_install_it(no_model: Path) -> None:
    reason = effects_available()
    assert reason is not None
    assert "not installed" in reason and "`make run`" in reason
    assert "python -m meetdesk.client.effects.model" in reason and "internet access" in reason
    source = QueueSource()
    track = EffectTrack(source)
    with pytest.raises(EffectUnavailable) as info:
        track.set_effect("blur_light")
    assert info.value.reason == reason and str(info.value) == reason
    assert track.mode == "none"
    track.set_effect("none")  # turning effects off always works
    sent = source.put(noise(), pts=0)
    assert await track.recv() is sent
    (no_model / MODEL_FILENAME).write_bytes(b"truncated download")
    damaged = effects_available()
    assert damaged is not None and "damaged" in damaged and str(no_model) in damaged
    track.stop()


async def test_a_model_that_fails_to_load_turns_effects_off_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    reason = "OpenCV could not load the model; fetch it again."

    def broken() -> MaskFunction:
        raise ModelUnavailable(reason)

    source = QueueSource()
    track = EffectTrack(source, mask_factory=broken)
    track.set_effect("blur_strong")
    sent = source.put(noise(), pts=0)
    assert await track.recv() is sent  # unprocessed rather than no video
    with pytest.raises(EffectUnavailable) as info:
        track.set_effect("blur_light")
    assert info.value.reason == reason
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert reason in record.getMessage()
    record.expected = True
    track.stop()


async def test_bad_images_are_refused_where_they_are_chosen(tmp_path: Path) -> None:
    track = EffectTrack(QueueSource(), mask_factory=lambda: nobody)
    with pytest.raises(ValueError, match="needs an image"):
        track.set_effect("image")
    with pytest.raises(ValueError, match="cannot read"):
        track.set_effect("image", tmp_path / "missing.jpg")
    with pytest.raises(ValueError, match="BGR HxWx3"):
        track.set_effect("image", np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError):
        track.set_effect("sepia")
    assert track.mode == "none"
    track.stop()


async def test_stop_ends_the_source_the_worker_and_recv() -> None:
    workers: list[threading.Thread] = []

    def mask(frame: Frame) -> Mask:
        workers.append(threading.current_thread())
        return nobody(frame)

    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: mask)
    track.set_effect("blur_light")
    source.put(noise(), pts=0)
    await track.recv()
    waiting = asyncio.create_task(track.recv())
    await asyncio.sleep(0)  # let it start waiting for the next frame
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiting
    assert source.readyState == "ended" and track.readyState == "ended"
    await asyncio.to_thread(workers[0].join, 10)
    assert not workers[0].is_alive()


async def test_the_track_ends_when_its_source_ends() -> None:
    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: nobody)
    source.put(noise(), pts=0)
    source.frames.put_nowait(None)
    assert (await track.recv()).pts == 0
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert track.readyState == "ended"


async def test_an_effect_that_breaks_turns_itself_off_and_the_video_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def broken(frame: Frame) -> Mask:
        raise RuntimeError("boom")

    source = QueueSource()
    track = EffectTrack(source, mask_factory=lambda: broken)
    track.set_effect("blur_light")
    sent = source.put(noise(), pts=0)
    assert await track.recv() is sent
    with pytest.raises(EffectUnavailable, match="turned off after an internal error"):
        track.set_effect("blur_strong")
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])
    record.expected = True
    track.stop()

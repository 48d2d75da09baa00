"""Virtual-background core: model fetch and cache, segmentation, compositing."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from meetdesk.client.effects import model as model_module
from meetdesk.client.effects.background import (
    BLUR_SIGMA,
    BackgroundEffect,
    BackgroundMode,
    blur_background,
    composite,
    cover,
)
from meetdesk.client.effects.model import (
    MODEL_DIR_ENV,
    MODEL_FILENAME,
    MODEL_SHA256,
    WHEEL_MEMBER,
    ModelUnavailable,
    ensure_model,
    model_path,
    pip_download_wheel,
)
from meetdesk.client.effects.segmenter import MODEL_HEIGHT, MODEL_WIDTH, Segmenter, load_inference

Frame = npt.NDArray[np.uint8]


@pytest.fixture(scope="session")
def real_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real model: the user cache if it holds a verified copy, else one download into a temp cache."""
    cached = model_path()
    if cached is not None:
        return cached
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(MODEL_DIR_ENV, str(tmp_path_factory.mktemp("models")))
        try:
            return ensure_model()
        except ModelUnavailable as exc:
            pytest.skip(f"the segmentation model could not be fetched from PyPI: {exc.reason}")


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "models"
    monkeypatch.setenv(MODEL_DIR_ENV, str(directory))
    yield directory


def fake_wheel_fetcher(payload: bytes):  # type: ignore[no-untyped-def]
    def fetch(dest: Path) -> Path:
        wheel = dest / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(WHEEL_MEMBER, payload)
        return wheel

    return fetch


def drawn_person(height: int = 480, width: int = 640) -> Frame:
    """A flat cartoon head and shoulders on a plain wall; the real model segments it (IoU 0.97 vs MediaPipe)."""
    rng = np.random.default_rng(1)
    wall = np.full((height, width, 3), (200, 180, 150), np.float64) + rng.normal(0, 6, (height, width, 3))
    img = np.clip(wall, 0, 255).astype(np.uint8)
    cx = width // 2
    cv2.ellipse(img, (cx, height - 10), (200, 150), 0, 180, 360, (60, 60, 140), -1)  # shirt
    cv2.rectangle(img, (cx - 30, 270), (cx + 30, 340), (120, 150, 200), -1)  # neck
    cv2.ellipse(img, (cx, 200), (75, 95), 0, 0, 360, (130, 160, 210), -1)  # face
    cv2.ellipse(img, (cx, 140), (80, 55), 0, 180, 360, (30, 30, 40), -1)  # hair
    for x in (cx - 30, cx + 30):
        cv2.circle(img, (x, 190), 8, (40, 30, 30), -1)  # eyes
    cv2.ellipse(img, (cx, 250), (25, 10), 0, 0, 180, (60, 60, 150), 3)  # mouth
    return img


# --- model fetch and cache --------------------------------------------------------------------------


def test_missing_model_gives_none(model_dir: Path) -> None:
    assert model_path() is None


def test_corrupt_cached_model_gives_none(model_dir: Path) -> None:
    model_dir.mkdir(parents=True)
    (model_dir / MODEL_FILENAME).write_bytes(b"not a model")
    assert model_path() is None


def test_hash_mismatch_raises_with_a_sentence_and_installs_nothing(model_dir: Path) -> None:
    with pytest.raises(ModelUnavailable) as info:
        ensure_model(fake_wheel_fetcher(b"tampered model"))
    reason = info.value.reason
    assert "SHA-256" in reason and MODEL_SHA256 in reason and "not installed" in reason
    assert reason.endswith(".")
    assert not (model_dir / MODEL_FILENAME).exists()


def test_wheel_without_the_model_raises(model_dir: Path) -> None:
    def fetch(dest: Path) -> Path:
        wheel = dest / "mediapipe.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr("other.txt", b"")
        return wheel

    with pytest.raises(ModelUnavailable, match="does not contain"):
        ensure_model(fetch)


def test_verified_download_is_cached_atomically(model_dir: Path, real_model: Path) -> None:
    path = ensure_model(fake_wheel_fetcher(real_model.read_bytes()))
    assert path == model_dir / MODEL_FILENAME
    assert model_path() == path
    assert [p.name for p in model_dir.iterdir()] == [MODEL_FILENAME]  # no temp file left behind

    def must_not_download(dest: Path) -> Path:
        raise AssertionError("downloaded although the cache is valid")

    assert ensure_model(must_not_download) == path


def test_offline_pip_gives_an_actionable_reason(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # discard port: nothing listens
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "1")  # one quick retry: pip only names the connection error when retrying
    with pytest.raises(ModelUnavailable) as info:
        ensure_model(pip_download_wheel)
    assert "PyPI could not be reached" in info.value.reason
    assert "Check the internet connection" in info.value.reason
    assert "python -m meetdesk.client.effects.model" in info.value.reason
    assert model_path() is None


# --- segmentation -----------------------------------------------------------------------------------


def test_real_model_mask_shape_dtype_range(real_model: Path) -> None:
    segmenter = Segmenter(real_model)
    for height, width in [(480, 640), (720, 1280), (240, 320)]:
        frame = np.random.default_rng(height).integers(0, 256, (height, width, 3), dtype=np.uint8)
        mask = segmenter.mask(frame)
        assert mask.shape == (height, width)
        assert mask.dtype == np.float32
        assert float(mask.min()) >= 0.0 and float(mask.max()) <= 1.0


def test_real_model_finds_a_drawn_person(real_model: Path) -> None:
    frame = drawn_person()
    mask = Segmenter(real_model, smoothing=0.0).mask(frame)
    assert mask[200, 320] > 0.9  # face
    assert mask[420, 320] > 0.9  # shirt
    for y, x in [(20, 20), (20, 620), (300, 40), (300, 600)]:
        assert mask[y, x] < 0.1  # wall
    assert 0.15 < float((mask > 0.5).mean()) < 0.5


def test_numpy_head_matches_opencv_full_network(real_model: Path) -> None:
    net = cv2.dnn.readNetFromTFLite(str(real_model))
    rgb = (drawn_person(MODEL_HEIGHT, MODEL_WIDTH)[..., ::-1] / 255).astype(np.float32)
    net.setInput(np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis]))
    reference = net.forward().reshape(MODEL_HEIGHT, MODEL_WIDTH)
    np.testing.assert_allclose(load_inference(real_model)(rgb), reference, atol=1e-4)


def test_temporal_smoothing_is_an_exponential_moving_average() -> None:
    outputs = iter(
        [np.zeros((MODEL_HEIGHT, MODEL_WIDTH), np.float32), *[np.ones((MODEL_HEIGHT, MODEL_WIDTH), np.float32)] * 3]
    )

    def infer(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        assert rgb.shape == (MODEL_HEIGHT, MODEL_WIDTH, 3) and rgb.dtype == np.float32
        assert float(rgb.min()) >= 0.0 and float(rgb.max()) <= 1.0
        return next(outputs)

    segmenter = Segmenter(smoothing=0.75, edge_blur=0, num_threads=None, infer=infer)
    frame = np.zeros((480, 640, 3), np.uint8)
    seen = [float(segmenter.mask(frame)[240, 320]) for _ in range(4)]
    # m0 = 0; m_t = 0.25 * 1 + 0.75 * m_{t-1}
    np.testing.assert_allclose(seen, [0.0, 0.25, 0.4375, 0.578125], rtol=1e-5)


def test_no_smoothing_and_reset() -> None:
    values = iter([0.0, 1.0, 0.0, 1.0])

    def infer(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return np.full((MODEL_HEIGHT, MODEL_WIDTH), next(values), np.float32)

    frame = np.zeros((144, 256, 3), np.uint8)
    raw = Segmenter(smoothing=0.0, edge_blur=0, num_threads=None, infer=infer)
    assert [float(raw.mask(frame)[0, 0]) for _ in range(2)] == [0.0, 1.0]
    smooth = Segmenter(smoothing=0.5, edge_blur=0, num_threads=None, infer=infer)
    smooth.mask(frame)
    smooth.reset()
    assert float(smooth.mask(frame)[0, 0]) == 1.0  # the 0.0 before the reset is forgotten


def test_edge_refinement_softens_a_hard_edge() -> None:
    hard = np.zeros((MODEL_HEIGHT, MODEL_WIDTH), np.float32)
    hard[:, MODEL_WIDTH // 2 :] = 1.0
    frame = np.zeros((MODEL_HEIGHT, MODEL_WIDTH, 3), np.uint8)
    plain = Segmenter(smoothing=0.0, edge_blur=0, num_threads=None, infer=lambda rgb: hard).mask(frame)
    soft = Segmenter(smoothing=0.0, edge_blur=5, num_threads=None, infer=lambda rgb: hard).mask(frame)
    assert set(np.unique(plain).tolist()) == {0.0, 1.0}
    assert 0.0 < float(soft[0, MODEL_WIDTH // 2 - 1]) < 0.5 < float(soft[0, MODEL_WIDTH // 2]) < 1.0


@pytest.mark.parametrize("kwargs", [{"smoothing": 1.0}, {"smoothing": -0.1}, {"edge_blur": 4}])
def test_bad_segmenter_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Segmenter(num_threads=None, infer=lambda rgb: rgb[..., 0], **kwargs)  # type: ignore[arg-type]


# --- compositing ------------------------------------------------------------------------------------


def random_frame(seed: int, height: int = 480, width: int = 640) -> Frame:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_composite_takes_person_where_mask_is_one_and_background_where_zero() -> None:
    frame, background = random_frame(1), random_frame(2)
    mask = np.zeros((480, 640), np.float32)
    mask[:, :320] = 1.0
    mask[:, 400:] = 0.5
    out = composite(frame, background, mask)
    assert out.dtype == np.uint8 and out.shape == frame.shape
    np.testing.assert_array_equal(out[:, :320], frame[:, :320])
    np.testing.assert_array_equal(out[:, 320:400], background[:, 320:400])
    half = (frame[:, 400:].astype(np.int16) + background[:, 400:]) / 2
    assert np.abs(out[:, 400:] - half).max() <= 1.0


def test_composite_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError):
        composite(random_frame(1), random_frame(2, 240, 320), np.zeros((480, 640), np.float32))


def test_blur_strengths_differ() -> None:
    frame = random_frame(3)
    light = blur_background(frame, BLUR_SIGMA["blur_light"])
    strong = blur_background(frame, BLUR_SIGMA["blur_strong"])
    assert light.shape == strong.shape == frame.shape
    # Blurring removes detail: the strong blur keeps less of the frame's variation than the light one.
    assert float(strong.std()) < float(light.std()) < float(frame.std())


def test_image_mode_covers_the_frame() -> None:
    wide = np.zeros((100, 400, 3), np.uint8)
    wide[:, 130:270] = 255  # the centre crop of this 4:1 image into 4:3 keeps only columns 133..267
    covered = cover(wide, 640, 480)
    assert covered.shape == (480, 640, 3)
    assert covered.flags.c_contiguous
    assert (covered == 255).all()
    tall = cover(np.full((1000, 50, 3), 7, np.uint8), 640, 480)
    assert tall.shape == (480, 640, 3) and (tall == 7).all()


def test_effect_modes() -> None:
    frame = random_frame(4)
    ones = np.ones((480, 640), np.float32)
    zeros = np.zeros((480, 640), np.float32)
    calls: list[int] = []

    def person_everywhere(f: Frame) -> npt.NDArray[np.float32]:
        calls.append(1)
        return ones

    effect = BackgroundEffect(person_everywhere)
    assert effect.apply(frame) is frame and not calls  # none: no segmentation at all
    for mode in ("blur_light", BackgroundMode.BLUR_STRONG):
        effect.set_mode(mode)
        np.testing.assert_array_equal(effect.apply(frame), frame)
    replacement = np.full((300, 300, 3), (10, 20, 30), np.uint8)
    nobody = BackgroundEffect(lambda f: zeros, BackgroundMode.IMAGE, replacement)
    out = nobody.apply(frame)
    assert out.shape == frame.shape and (out == (10, 20, 30)).all()
    nobody.set_mode(BackgroundMode.BLUR_STRONG)
    np.testing.assert_array_equal(nobody.apply(frame), blur_background(frame, BLUR_SIGMA["blur_strong"]))


def test_image_mode_from_path_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "bg.png"
    cv2.imwrite(str(path), np.full((60, 80, 3), 99, np.uint8))
    effect = BackgroundEffect(lambda f: np.zeros(f.shape[:2], np.float32), "image", path)
    assert (effect.apply(random_frame(5)) == 99).all()
    with pytest.raises(ValueError, match="needs an image"):
        effect.set_mode("image")
    with pytest.raises(ValueError, match="cannot read"):
        effect.set_mode("image", tmp_path / "missing.png")
    with pytest.raises(ValueError):
        effect.set_mode("sepia")


def test_real_pipeline_blurs_the_wall_and_keeps_the_face(real_model: Path) -> None:
    frame = drawn_person()
    effect = BackgroundEffect(
        Segmenter(real_model, smoothing=0.0).mask, BackgroundMode.IMAGE, np.zeros((10, 10, 3), np.uint8)
    )
    out = effect.apply(frame)
    np.testing.assert_allclose(out[200, 320], frame[200, 320], atol=3)
    assert (out[20, 20] <= 20).all()  # wall replaced by the black image


def test_module_cli_prints_the_cached_path(
    real_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(real_model.parent))
    assert model_module.main() == 0
    assert capsys.readouterr().out.strip() == str(real_model)

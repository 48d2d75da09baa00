"""Person segmentation: MediaPipe's selfie-segmentation landscape model run by OpenCV DNN.

The model (as configured by MediaPipe's own graph, ``selfie_segmentation_cpu``) takes a 256x144 RGB
image stretched from the frame (no letterboxing), values in [0, 1], and outputs one 144x256 channel
that is already the person probability (the graph applies no activation). OpenCV's TFLite importer
takes the input as an NCHW blob.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from meetdesk.client.effects.model import ModelUnavailable, ensure_model

MODEL_WIDTH = 256
MODEL_HEIGHT = 144

FloatImage = npt.NDArray[np.float32]
# Maps a 144x256x3 RGB float32 image in [0, 1] to a 144x256 float32 person probability.
Inference = Callable[[FloatImage], FloatImage]


def load_inference(model: Path) -> Inference:
    """Load the TFLite model with OpenCV DNN and return the inference function.

    OpenCV runs the model's last layer, a 2x2 stride-2 transposed convolution to one channel, slowly
    (a third of the time at 256x144 on one core); when the loaded graph has exactly that shape, it is
    computed here as one small matrix product plus the sigmoid instead. The shortcut is checked
    against OpenCV's own full output on a probe input at load time, and dropped if they differ.
    """
    engine = getattr(cv2.dnn, "ENGINE_CLASSIC", None)  # OpenCV 5: partial forward needs the classic engine
    try:
        net = cv2.dnn.readNetFromTFLite(str(model)) if engine is None else cv2.dnn.readNetFromTFLite(str(model), engine)
    except cv2.error as exc:
        raise ModelUnavailable(
            f"OpenCV could not load the background-effects model {model} ({exc}). Delete the file and run "
            "`python -m meetdesk.client.effects.model` to fetch it again."
        ) from exc
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)

    def full(rgb: FloatImage) -> FloatImage:
        net.setInput(_blob(rgb))
        return np.asarray(net.forward(), dtype=np.float32).reshape(MODEL_HEIGHT, MODEL_WIDTH)

    fast = _with_numpy_head(net)
    if fast is None:
        return full
    probe = np.random.default_rng(0).random((MODEL_HEIGHT, MODEL_WIDTH, 3), dtype=np.float32)
    if float(np.abs(fast(probe) - full(probe)).max()) > 1e-4:
        return full
    return fast


def _blob(rgb: FloatImage) -> FloatImage:
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis])


def _with_numpy_head(net: cv2.dnn.Net) -> Inference | None:
    """Inference that stops OpenCV before the final transposed convolution, or None if the graph differs."""
    try:
        names = list(net.getLayerNames())
        if len(names) < 3:
            return None
        feature_name, deconv_name, sigmoid_name = names[-3:]
        deconv = net.getLayer(deconv_name)
        if deconv.type != "Deconvolution" or net.getLayer(sigmoid_name).type != "Sigmoid":
            return None
        weights, bias = (np.asarray(blob, dtype=np.float32) for blob in deconv.blobs)
    except (cv2.error, ValueError):
        return None
    if weights.ndim != 4 or weights.shape[1:] != (1, 2, 2) or bias.shape != (1,):
        return None
    channels = weights.shape[0]
    kernel = np.ascontiguousarray(weights.reshape(channels, 4).T)  # (ky, kx) x channels
    offset = float(bias[0])
    height, width = MODEL_HEIGHT // 2, MODEL_WIDTH // 2

    def infer(rgb: FloatImage) -> FloatImage:
        net.setInput(_blob(rgb))
        features = np.asarray(net.forward(feature_name), dtype=np.float32)
        if features.shape != (1, channels, height, width):
            raise ValueError(f"unexpected feature shape {features.shape}")
        logits = (kernel @ features.reshape(channels, height * width)).reshape(2, 2, height, width)
        logits = logits.transpose(2, 0, 3, 1).reshape(MODEL_HEIGHT, MODEL_WIDTH) + np.float32(offset)
        np.clip(logits, -30.0, 30.0, out=logits)
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    return infer


class Segmenter:
    """Frame (BGR uint8) → person mask (float32 HxW in [0, 1]), smoothed over time.

    ``smoothing`` is the weight kept from the previous mask in an exponential moving average
    (0 = no smoothing; 0.5 halves the flicker; must be < 1). ``edge_blur`` is the odd Gaussian kernel
    size applied to the mask at model resolution to soften edges (0 or 1 = off). ``num_threads``
    calls ``cv2.setNumThreads`` — process-wide in OpenCV — unless it is ``None``. ``infer`` replaces
    the model (tests); by default the cached model is loaded (``ensure_model``, which may download).
    """

    def __init__(
        self,
        model: Path | None = None,
        *,
        smoothing: float = 0.5,
        edge_blur: int = 3,
        num_threads: int | None = 1,
        infer: Inference | None = None,
    ) -> None:
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), not {smoothing}")
        if edge_blur < 0 or (edge_blur > 1 and edge_blur % 2 == 0):
            raise ValueError(f"edge_blur must be 0 or an odd kernel size, not {edge_blur}")
        if num_threads is not None:
            cv2.setNumThreads(num_threads)
        self.smoothing = smoothing
        self.edge_blur = edge_blur
        self._infer = infer if infer is not None else load_inference(model if model is not None else ensure_model())
        self._previous: FloatImage | None = None

    def reset(self) -> None:
        """Forget the previous mask (call after a camera switch or a long pause)."""
        self._previous = None

    def model_mask(self, frame_bgr: npt.NDArray[np.uint8]) -> FloatImage:
        """The smoothed, refined mask at model resolution (144x256)."""
        small = cv2.resize(frame_bgr, (MODEL_WIDTH, MODEL_HEIGHT), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32)
        rgb *= np.float32(1.0 / 255.0)
        raw = np.clip(self._infer(rgb), 0.0, 1.0).astype(np.float32, copy=False)
        if self._previous is not None and self.smoothing > 0.0:
            blended = cv2.addWeighted(raw, 1.0 - self.smoothing, self._previous, self.smoothing, 0.0)
            raw = np.asarray(blended, dtype=np.float32)
        self._previous = raw
        if self.edge_blur > 1:
            return np.asarray(cv2.GaussianBlur(raw, (self.edge_blur, self.edge_blur), 0), dtype=np.float32)
        return raw

    def mask(self, frame_bgr: npt.NDArray[np.uint8]) -> FloatImage:
        """The person mask for ``frame_bgr``: float32, same height and width, values in [0, 1]."""
        height, width = frame_bgr.shape[:2]
        small = self.model_mask(frame_bgr)
        full = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.clip(full, 0.0, 1.0, out=np.asarray(full, dtype=np.float32))

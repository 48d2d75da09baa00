"""Echo cancellation and noise suppression of the microphone: WebRTC's audio processing module (APM).

The APM comes from the ``livekit`` wheel (``livekit.rtc.AudioProcessingModule``), which runs it on the
CPU through its native library. It learns the echo path by comparing what the speaker plays (the
*reverse* stream: :meth:`EchoCanceller.process_reverse`, fed with exactly the blocks the speaker
plays) with what the microphone hears (:meth:`EchoCanceller.process`), and removes the speaker's
sound from the microphone's. Its delay estimator finds the delay between the two by itself.

- :class:`EchoCanceller`: the APM cut to its 10 ms chunks; ``available`` False (and a ``note``) when
  livekit cannot be loaded, and then it changes nothing.
- :class:`ProcessedMicrophone`: a microphone track whose frames go through an :class:`EchoCanceller`,
  same pts, time base and format out as in; ``enabled`` False passes them through.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from meetdesk.client.media.devices import SAMPLE_RATE

logger = logging.getLogger(__name__)

#: the sample rates the APM accepts; it takes exactly 10 ms per call
APM_RATES: Final = (8_000, 16_000, 32_000, 48_000)


def _load_apm(**features: bool) -> tuple[Any | None, str | None]:
    """A new ``livekit.rtc.AudioProcessingModule``, or None and the sentence saying why not."""
    try:
        from livekit import rtc

        return rtc.AudioProcessingModule(**features), None
    # not installed (ImportError), or its native library does not load on this system (ImportError,
    # OSError, or whatever ctypes raises): either way the meeting goes on without echo cancellation
    except Exception as exc:
        logger.warning("Echo cancellation is not available: %s", exc)
        return None, f"Echo cancellation is off: its audio processing library cannot be loaded ({exc})"


def _rtc_frame(samples: npt.NDArray[np.int16], sample_rate: int) -> Any:
    from livekit import rtc

    return rtc.AudioFrame(bytearray(samples.tobytes()), sample_rate, 1, len(samples))


class EchoCanceller:
    """WebRTC's APM for one microphone and one speaker: mono s16 in, any block size out of the speaker.

    Echo cancellation, noise suppression and the high-pass filter are on by default, automatic gain
    control off (it would fight the user's own input volume). Thread-safe: the speaker's thread
    calls :meth:`process_reverse`, the event loop :meth:`process`.
    """

    def __init__(
        self,
        *,
        echo_cancellation: bool = True,
        noise_suppression: bool = True,
        high_pass_filter: bool = True,
        auto_gain_control: bool = False,
    ) -> None:
        self._apm, self.note = _load_apm(
            echo_cancellation=echo_cancellation,
            noise_suppression=noise_suppression,
            high_pass_filter=high_pass_filter,
            auto_gain_control=auto_gain_control,
        )
        self._lock = threading.Lock()
        self._reverse_chunk = SAMPLE_RATE // 100
        self._reverse_pending = np.zeros(0, dtype=np.int16)

    @property
    def available(self) -> bool:
        """Whether the APM runs (livekit loaded, not closed, no error since)."""
        return self._apm is not None

    def _failed(self, exc: Exception) -> None:
        logger.warning("EchoCanceller stopped: %s", exc)
        self._apm = None
        self.note = f"Echo cancellation stopped after an error: {exc}"

    def process_reverse(self, samples: npt.NDArray[np.int16]) -> None:
        """Show the APM what the speaker plays: 48 kHz mono s16, any count (cut into 10 ms chunks)."""
        with self._lock:
            if self._apm is None:
                return
            pending = np.concatenate([self._reverse_pending, np.asarray(samples, dtype=np.int16).reshape(-1)])
            chunk = self._reverse_chunk
            whole = len(pending) - len(pending) % chunk
            try:
                for start in range(0, whole, chunk):
                    self._apm.process_reverse_stream(_rtc_frame(pending[start : start + chunk], SAMPLE_RATE))
            except RuntimeError as exc:
                self._failed(exc)
                return
            self._reverse_pending = pending[whole:]

    def process(self, samples: npt.NDArray[np.int16], sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.int16]:
        """What the microphone heard without the speaker's echo (and noise): mono s16, a whole number of
        10 ms chunks. Anything else, or no APM, comes back unchanged."""
        chunk = sample_rate // 100
        if sample_rate not in APM_RATES or len(samples) % chunk:
            return samples
        out = np.empty(len(samples), dtype=np.int16)
        with self._lock:
            if self._apm is None:
                return samples
            try:
                for start in range(0, len(samples), chunk):
                    frame = _rtc_frame(samples[start : start + chunk], sample_rate)
                    self._apm.process_stream(frame)
                    out[start : start + chunk] = np.frombuffer(frame.data, dtype=np.int16)
            except RuntimeError as exc:
                self._failed(exc)
                return samples
        return out

    def close(self) -> None:
        """Release the APM; :meth:`process` passes audio through from now on."""
        with self._lock:
            self._apm = None


def _mono_s16(frame: av.AudioFrame) -> npt.NDArray[np.int16] | None:
    if frame.format.name not in ("s16", "s16p") or len(frame.layout.channels) != 1:
        return None
    return np.asarray(frame.to_ndarray(), dtype=np.int16).reshape(-1)


class ProcessedMicrophone(MediaStreamTrack):
    """A microphone with the speaker's echo (and background noise) removed by an :class:`EchoCanceller`.

    Frames keep their pts, time base, sample rate and format. Only mono s16 frames of whole 10 ms
    chunks can be processed (what the microphones here give); others pass through untouched, as
    everything does while ``enabled`` is False.
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, canceller: EchoCanceller, *, enabled: bool = True) -> None:
        super().__init__()
        self.enabled = enabled
        self._source = source
        self._canceller = canceller
        self._warned = False

    async def recv(self) -> av.AudioFrame:
        frame = await self._source.recv()
        assert isinstance(frame, av.AudioFrame)  # a microphone track gives decoded audio
        if not self.enabled or not self._canceller.available:
            return frame
        samples = _mono_s16(frame)
        if samples is None:
            if not self._warned:
                self._warned = True
                logger.info(
                    "ProcessedMicrophone(%s) passes %s %s audio through", self.id, frame.layout.name, frame.format.name
                )
            return frame
        processed = self._canceller.process(samples, frame.sample_rate)
        if processed is samples:
            return frame
        out = av.AudioFrame.from_ndarray(processed.reshape(1, -1), format=frame.format.name, layout="mono")
        out.sample_rate = frame.sample_rate
        out.pts = frame.pts
        out.time_base = frame.time_base
        return out

    def stop(self) -> None:
        self._source.stop()
        super().stop()

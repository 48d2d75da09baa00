"""Virtual backgrounds on a live video track: :class:`EffectTrack` sits between the camera and its senders.

Segmentation and compositing (10-20 ms for a 640x480 frame) run in one worker thread, never on the event
loop and never on two frames at once. A reader task keeps the newest camera frame and hands it to the
worker as soon as the worker is free, so the next frame is processed while the sender encodes the last
one. At most one frame is in the worker or waiting to be returned: when processing falls behind, frames
are skipped, never queued, and ``recv()`` waits for at most one frame's processing. With no effect,
frames pass through untouched and no thread is started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.client.effects.background import BackgroundEffect, BackgroundMode, Frame, MaskFunction, load_image
from meetdesk.client.effects.model import MODEL_FILENAME, ModelUnavailable, model_dir, model_path
from meetdesk.client.effects.segmenter import Segmenter
from meetdesk.rtc.wakeup import Wakeup

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "Virtual backgrounds were turned off after an internal error; the log has the details."
_FETCH = "run `make run` (or `python -m meetdesk.client.effects.model`) with internet access"


class EffectUnavailable(RuntimeError):
    """A background effect cannot be turned on; ``reason`` is a sentence a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def effects_available() -> str | None:
    """``None`` when background effects can be turned on, else the sentence saying why not (to grey them out)."""
    if model_path() is not None:
        return None
    if (model_dir() / MODEL_FILENAME).exists():
        return (
            f"Virtual backgrounds need the person-segmentation model, and the copy in {model_dir()} is damaged: "
            f"{_FETCH} to fetch it again."
        )
    return f"Virtual backgrounds need the person-segmentation model, which is not installed: {_FETCH}."


def _load_segmenter() -> MaskFunction:
    path = model_path()
    if path is None:
        raise ModelUnavailable(effects_available() or f"{MODEL_FILENAME} disappeared from {model_dir()}.")
    return Segmenter(path).mask


class _Setting(NamedTuple):
    mode: BackgroundMode
    image: Frame | None


class EffectTrack(MediaStreamTrack):
    """The frames of ``source`` (a camera) with the background effect of :meth:`set_effect` applied.

    Processed frames are ``bgr24`` (the encoder and the preview convert as they need) and keep the
    source frame's ``pts`` and ``time_base``. ``mask_factory`` replaces the segmentation model (tests):
    it is called once, in the worker thread, when the first frame needs an effect.
    """

    kind = "video"

    def __init__(self, source: MediaStreamTrack, *, mask_factory: Callable[[], MaskFunction] | None = None) -> None:
        super().__init__()
        self.source = source
        self._mask_factory = mask_factory
        self._setting = _Setting(BackgroundMode.NONE, None)
        self._unavailable: str | None = None  # why the worker turned effects off
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background-effect")
        self._effect: BackgroundEffect | None = None  # used by the worker thread only
        self._applied: _Setting | None = None  # ditto: the setting ``_effect`` has
        self._reader: asyncio.Task[None] | None = None
        self._newest: av.VideoFrame | None = None  # the newest source frame, not yet processed or returned
        self._processing: asyncio.Future[av.VideoFrame] | None = None  # in the worker, or done and not returned
        self._arrived = Wakeup()
        self._source_ended = False

    @property
    def mode(self) -> BackgroundMode:
        return self._setting.mode

    def set_effect(self, mode: BackgroundMode | str, image: Path | str | Frame | None = None) -> None:
        """Apply ``mode`` from the next frame the worker takes (call it from the event loop's thread).

        ``image`` (a path or a BGR array) is the background of the ``image`` mode. Raises
        :class:`EffectUnavailable` when the segmentation model is missing, ``ValueError`` for an unknown
        mode or an image that cannot be used.
        """
        mode = BackgroundMode(mode)
        if mode is not BackgroundMode.NONE:
            reason = self._unavailable or (effects_available() if self._mask_factory is None else None)
            if reason is not None:
                raise EffectUnavailable(reason)
        picture: Frame | None = None
        if mode is BackgroundMode.IMAGE:
            if image is None:
                raise ValueError("the image background needs an image (a path or a BGR array)")
            # A copy: the worker reads it while the caller may reuse its array.
            picture = load_image(image) if isinstance(image, Path | str) else np.array(image, dtype=np.uint8)
            if picture.ndim != 3 or picture.shape[2] != 3 or picture.size == 0:
                raise ValueError(f"the background image must be BGR HxWx3, not {picture.shape}")
        self._setting = _Setting(mode, picture)
        logger.info("EffectTrack(%s): background %s", self.id, mode)

    async def recv(self) -> av.VideoFrame:
        if self._reader is None and self.readyState == "live":
            self._reader = asyncio.create_task(self._read(), name=f"EffectTrack({self.id}) reader")
        while self.readyState == "live":
            self._start_processing()  # in case an effect was turned on while a frame waited
            if self._processing is not None:
                try:
                    frame = await self._processing
                finally:
                    self._processing = None
                self._start_processing()  # the next frame is processed while the caller sends this one
                return frame
            if self._newest is not None:
                frame, self._newest = self._newest, None
                return frame
            if self._source_ended:
                self.stop()
                break
            self._arrived.clear()
            await self._arrived.wait()
        raise MediaStreamError

    def stop(self) -> None:
        """Stop the source, the reader and the worker thread (it ends after the frame it is on)."""
        super().stop()
        self.source.stop()
        if self._reader is not None:
            self._reader.cancel()
        self._arrived.set()
        self._worker.shutdown(wait=False, cancel_futures=True)

    async def _read(self) -> None:
        """Keep the newest source frame (and only that one) for ``recv``."""
        try:
            while True:
                self._newest = await self.source.recv()  # type: ignore[assignment]  # a video track: frames
                self._start_processing()
                self._arrived.set()
        except MediaStreamError:
            pass
        except Exception:
            logger.exception("EffectTrack(%s): the source failed", self.id)
        finally:
            self._source_ended = True
            self._arrived.set()

    def _start_processing(self) -> None:
        """Hand the newest frame to the worker if an effect is on and the worker has no frame."""
        worker_free = self._processing is None and self.readyState == "live"
        if worker_free and self._newest is not None and self._setting.mode is not BackgroundMode.NONE:
            frame, self._newest = self._newest, None
            loop = asyncio.get_running_loop()
            self._processing = loop.run_in_executor(self._worker, self._process, frame, self._setting)

    def _process(self, frame: av.VideoFrame, setting: _Setting) -> av.VideoFrame:
        """The worker thread's job: ``frame`` with ``setting`` applied, or untouched once effects failed."""
        if self._unavailable is None:
            try:
                return self._apply(frame, setting)
            except ModelUnavailable as exc:
                logger.error("EffectTrack(%s): background effects are off: %s", self.id, exc.reason)
                self._unavailable = exc.reason
            except Exception:  # a broken effect must not end the video
                logger.exception("EffectTrack(%s): background effects are off after an error", self.id)
                self._unavailable = INTERNAL_ERROR
        return frame

    def _apply(self, frame: av.VideoFrame, setting: _Setting) -> av.VideoFrame:
        if self._effect is None:
            self._effect = BackgroundEffect((self._mask_factory or _load_segmenter)())
        if setting is not self._applied:
            self._effect.set_mode(setting.mode, setting.image)
            self._applied = setting
        image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
        out = av.VideoFrame.from_ndarray(self._effect.apply(image), format="bgr24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

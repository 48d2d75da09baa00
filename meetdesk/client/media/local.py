"""The camera and microphone a participant chose, from the device view through the meeting.

The chain, built once and rewired when a device changes::

    camera ─> SwitchableVideoTrack ─> EffectTrack (virtual background) ─> relay ─┬─> preview / self view
                                                                                  └─> what is published
    microphone ─> echo canceller ─> SwitchableAudioTrack ─> relay ─┬─> level meter (device view)
                                                                  └─> what is published

Swapping the camera (or the microphone) attaches the new one to its switchable track, so the preview and the
meeting keep reading the same tracks: devices change during a meeting without leaving it. With ``synthetic``,
two test patterns and two test tones stand in for the devices (:data:`SYNTHETIC_CAMERAS`,
:data:`SYNTHETIC_MICROPHONES`), each drawing its own source id, so a change of device can be seen end to end.
A device that is missing or busy leaves its side empty (``None``) with a note saying why: the participant joins
without video, without microphone, or only listening. Nothing here sends anything: the session publishes
:meth:`publish_tracks` when the user presses Join.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable

import numpy as np
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.client.effects.background import BackgroundMode
from meetdesk.client.effects.track import EffectTrack
from meetdesk.client.media.devices import open_camera, open_microphone
from meetdesk.client.media.switchable import SwitchableAudioTrack, SwitchableVideoTrack
from meetdesk.client.media.synthetic import SyntheticCamera, SyntheticMicrophone
from meetdesk.rtc.relay_buffer import subscribe_bounded

logger = logging.getLogger(__name__)

NO_CAMERA = "you can join without video"
NO_MICROPHONE = "you can join without a microphone and listen"
#: the devices of a synthetic LocalMedia: the n-th draws source id ``source_id + n``
SYNTHETIC_CAMERAS = ("Test pattern", "Second test pattern")
SYNTHETIC_MICROPHONES = ("Test tone", "Second test tone")
#: unread microphone frames kept for the published audio (20 ms each): what a publisher connection being rebuilt
#: misses is dropped, not sent late (nor kept in memory for as long as the meeting lasts)
PUBLISHED_AUDIO_BACKLOG = 10

#: wraps the raw microphone (echo cancellation, noise suppression); identity when None
MicrophoneProcessor = Callable[[MediaStreamTrack], MediaStreamTrack]


class LocalMedia:
    """Local devices for one participant. ``synthetic``: a test pattern and a tone instead of devices."""

    def __init__(
        self, *, synthetic: bool = False, source_id: int = 0, process_microphone: MicrophoneProcessor | None = None
    ) -> None:
        self.synthetic = synthetic
        self.source_id = source_id
        self._process_microphone = process_microphone
        self.relay = MediaRelay()
        self.camera: MediaStreamTrack | None = None  # the device
        self.camera_name: str | None = None
        self._switch = SwitchableVideoTrack()
        self.effect = EffectTrack(self._switch)
        self.microphone: MediaStreamTrack | None = None  # the device, processed
        self.microphone_name: str | None = None
        self._mic_switch = SwitchableAudioTrack()
        self.camera_note: str | None = None
        self.microphone_note: str | None = None
        self.level = 0.0  # microphone level, 0..1, while the meter runs
        self._meter: asyncio.Task[None] | None = None
        self._published = False

    @property
    def notes(self) -> list[str]:
        return [n for n in (self.camera_note, self.microphone_note) if n]

    @property
    def has_camera(self) -> bool:
        return self.camera is not None

    @property
    def has_microphone(self) -> bool:
        return self.microphone is not None

    # devices ---------------------------------------------------------------------------------------

    async def use_camera(self, name: str | None) -> bool:
        """Open camera ``name`` (None: the first) in place of the current one; False (and a note) if it cannot."""
        notes: list[str] = []
        if self.synthetic:
            track: MediaStreamTrack | None = SyntheticCamera(self._synthetic_id(SYNTHETIC_CAMERAS, name))
        else:
            track = await asyncio.to_thread(open_camera, name, notes, NO_CAMERA)
        self.camera_note = notes[0] if notes else None
        old, self.camera = self.camera, track
        if track is not None:
            self._switch.attach(track)
            self.camera_name = name
        else:
            self._switch.detach()
        if old is not None and old is not track:
            old.stop()
        return track is not None

    async def use_microphone(self, name: str | None) -> bool:
        """Open microphone ``name`` (None: the first) in place of the current one; False (and a note) if it cannot.

        In a meeting, what is published carries on from the new microphone."""
        notes: list[str] = []
        if self.synthetic:
            raw: MediaStreamTrack | None = SyntheticMicrophone(self._synthetic_id(SYNTHETIC_MICROPHONES, name))
        else:
            loop = asyncio.get_running_loop()
            raw = await asyncio.to_thread(open_microphone, name, notes, loop, NO_MICROPHONE)
        self.microphone_note = notes[0] if notes else None
        old, self.microphone = self.microphone, None
        if raw is None:
            self._mic_switch.detach()
            self._stop_meter()
        else:
            self.microphone = self._process_microphone(raw) if self._process_microphone else raw
            self.microphone_name = name
            self._mic_switch.attach(self.microphone)
            if self._meter is None:
                self._meter = asyncio.create_task(self._measure(self.relay.subscribe(self._mic_switch, buffered=False)))
        if old is not None:
            old.stop()
        return raw is not None

    def release_camera(self, note: str) -> None:
        """The camera went away (unplugged): stop sending video until :meth:`use_camera` finds one again."""
        old, self.camera = self.camera, None
        self._switch.detach()
        self.camera_note = note
        if old is not None:
            old.stop()

    def release_microphone(self, note: str) -> None:
        """The microphone went away (unplugged): send no sound until :meth:`use_microphone` finds one again."""
        old, self.microphone = self.microphone, None
        self._mic_switch.detach()
        self._stop_meter()
        self.microphone_note = note
        if old is not None:
            old.stop()

    def _synthetic_id(self, names: tuple[str, ...], name: str | None) -> int:
        return self.source_id + (names.index(name) if name in names else 0)

    def set_background(self, mode: BackgroundMode | str, image: np.ndarray | str | None = None) -> None:
        """Apply a virtual background to the preview and to what is published. Raises EffectUnavailable."""
        self.effect.set_effect(mode, image)

    # reading ---------------------------------------------------------------------------------------

    def preview(self) -> MediaStreamTrack:
        """A reader of the processed camera for a preview or self view (latest frame only); stop it when done."""
        return self.relay.subscribe(self.effect, buffered=False)

    def publish_tracks(self) -> tuple[MediaStreamTrack | None, MediaStreamTrack | None]:
        """(video, audio) for the session; None where there is no such device."""
        self._published = True
        video = self.relay.subscribe(self.effect, buffered=False) if self.camera is not None else None
        audio = (
            subscribe_bounded(self.relay, self._mic_switch, PUBLISHED_AUDIO_BACKLOG)
            if self.microphone is not None
            else None
        )
        return video, audio

    async def _measure(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                samples = frame.to_ndarray().astype(np.float64)  # type: ignore[union-attr]
                rms = math.sqrt(float(np.mean(samples * samples))) / 32768.0 if samples.size else 0.0
                self.level = min(1.0, rms * math.sqrt(2))

    def _stop_meter(self) -> None:
        if self._meter is not None:
            self._meter.cancel()
            self._meter = None
        self.level = 0.0

    def close(self) -> None:
        """Stop every device."""
        self._stop_meter()
        for track in (self.camera, self.microphone, self.effect, self._switch, self._mic_switch):
            if track is not None:
                track.stop()
        self.camera = self.microphone = None

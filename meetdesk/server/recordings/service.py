"""Starting and stopping a room's recording: the store's state machine driven by the meeting, its capture and
the composite recorder process.

``start`` checks the room (it exists, records, has a meeting with someone in it) and the machine (disk space
above the floor, a core free for another composite), adds the recording as ``starting`` (the database refuses
a second one in progress for the room), starts capturing every forwarded track into
``<recordings dir>/<recordingId>/tracks``, starts the recorder process that composes them into the MP4 as
they grow, and moves the recording to ``active``. While it records, a watch tells the recorder who is in
the meeting, stops the recording with ``limit_reached`` when the disk falls to the floor, and ends it
``failed`` if the recorder dies (its file plays up to its last fragment). ``stop`` (the API's stop, or the
meeting ending) moves it to ``ending``, closes the capture, lets the recorder compose the rest and moves it
to ``complete`` with the MP4's duration and size. A server that stopped mid-recording repairs its recordings
when it starts again (:meth:`RecordingService.repair_after_restart`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from meetdesk.core.recorder_protocol import JOB_FILE, RecorderJob, RosterEntry, RosterParticipant
from meetdesk.core.recording_output import UnsupportedEncoding, output_encoding
from meetdesk.core.recordings import RecordingStatus, new_recording_id
from meetdesk.server.meeting.engine import MeetingEngine
from meetdesk.server.meeting.media import MediaRouter
from meetdesk.server.recordings.capture import RoomCapture
from meetdesk.server.recordings.composer import RecorderFailed, RecorderNotStarted, RecorderProcess, probe
from meetdesk.server.store.recordings import (
    RecordingInProgress,
    RecordingRecord,
    RecordingStatusChanged,
    RecordingStore,
)
from meetdesk.server.store.rooms import RoomStore

logger = logging.getLogger(__name__)

TRACKS_DIR: Final = "tracks"
#: errorCode of a recording whose composite failed (the recorder died or could not finish)
COMPOSITE_FAILED_ERROR_CODE: Final = 500
WATCH_S: Final = 0.25  # how often the roster is compared and the disk and recorder looked at
DEFAULT_DISK_FLOOR: Final = 1024**3
#: OpenVidu Meet's: a start the recorder has not confirmed by then is refused with 503
DEFAULT_START_TIMEOUT: Final = 20.0
REPAIR_TIMEOUT_S: Final = 3600.0  # a repair composes a whole recording, faster than it lasted
REPAIR_DETAILS: Final = "End reason: The server stopped while recording"


class RecordingErrorCode(StrEnum):
    ROOM_NOT_FOUND = "room_not_found"  # 404
    RECORDING_DISABLED = "recording_disabled"  # 403
    NO_PARTICIPANTS = "no_participants"  # 409
    ALREADY_RECORDING = "already_recording"  # 409
    NOT_FOUND = "recording_not_found"  # 404
    NOT_ACTIVE = "recording_not_active"  # 409
    UNSUPPORTED_ENCODING = "unsupported_encoding"  # 422: the room's encoding cannot be made into an MP4
    NO_CAPACITY = "no_capacity"  # 503: no core left for another composite
    DISK_FULL = "disk_full"  # 503: the disk is at its floor
    NOT_STARTED = "not_started"  # 503: the recorder did not confirm its start in time


class RecordingError(Exception):
    """A start or stop refused; ``code`` says why (the API maps it to a status), the message is a sentence."""

    def __init__(self, code: RecordingErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RecordingLimits:
    """The machine's limits on recording: free bytes kept on the recordings' disk, composites at once."""

    disk_floor: int = DEFAULT_DISK_FLOOR
    max_composites: int = 0  # 0: one per core
    #: seconds a starting recorder has to confirm it runs
    start_timeout: float = DEFAULT_START_TIMEOUT

    @property
    def composites(self) -> int:
        return self.max_composites or (os.cpu_count() or 1)


@dataclass
class _Running:
    record: RecordingRecord
    capture: RoomCapture
    recorder: RecorderProcess
    watch: asyncio.Task[None] | None = None


def _now_ms() -> int:
    return int(time.time() * 1000)


class RecordingService:
    """The recordings of every room on this server; stops a room's recording when its meeting ends."""

    def __init__(
        self,
        store: RecordingStore,
        rooms: RoomStore,
        meetings: MeetingEngine,
        media: MediaRouter,
        directory: Path,
        limits: RecordingLimits | None = None,
    ) -> None:
        self.store = store
        self._rooms = rooms
        self._meetings = meetings
        self._media = media
        self.directory = directory
        self.limits = limits or RecordingLimits()
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: dict[str, _Running] = {}  # by recording id
        self._repairs: set[asyncio.Task[None]] = set()
        meetings.on_ended(self._meeting_ended)

    def tracks_dir(self, recording_id: str) -> Path:
        """Where a recording's captured tracks are (``recording_id`` as checked by the store, never user input)."""
        return self.directory / recording_id / TRACKS_DIR

    def media_path(self, record: RecordingRecord) -> Path:
        """The recording's MP4 (its file name made by the server, never user input)."""
        return self.directory / record.recording_id / (record.filename or f"{record.recording_id}.mp4")

    def free_bytes(self) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.directory).free

    async def start(self, room_id: str, layout: str | None = None, encoding: str | None = None) -> RecordingRecord:
        """Start recording the room's meeting; ``layout`` and ``encoding`` (a preset, or the advanced object as
        JSON) replace the room's for this recording (3.6's ``config`` of a start)."""
        room = await self._rooms.get(room_id)
        if room is None:
            raise RecordingError(RecordingErrorCode.ROOM_NOT_FOUND, f"Room '{room_id}' does not exist.")
        if not room.config.recording.enabled:
            raise RecordingError(RecordingErrorCode.RECORDING_DISABLED, f"Recording is disabled for room '{room_id}'.")
        meeting = self._meetings.live(room_id)
        if meeting is None or not meeting.participants:
            raise RecordingError(RecordingErrorCode.NO_PARTICIPANTS, f"Room '{room_id}' has no participants to record.")
        settings = room.config.recording
        chosen: str | dict[str, Any]
        if encoding is not None:
            chosen = json.loads(encoding) if encoding.startswith("{") else encoding
        else:
            chosen = settings.encoding if isinstance(settings.encoding, str) else settings.encoding.model_dump()
        chosen_layout = layout or settings.layout
        try:
            output_encoding(chosen)
        except UnsupportedEncoding as exc:
            raise RecordingError(RecordingErrorCode.UNSUPPORTED_ENCODING, str(exc)) from None
        self._admit()
        recording_id = new_recording_id(room_id)
        record = RecordingRecord(
            str(recording_id),
            room_id,
            room.room_name,
            RecordingStatus.STARTING.value,
            _now_ms(),
            filename=recording_id.filename,
            layout=chosen_layout,
            encoding=chosen if isinstance(chosen, str) else json.dumps(chosen),
        )
        try:
            await self.store.add(record)
        except RecordingInProgress:
            raise RecordingError(
                RecordingErrorCode.ALREADY_RECORDING, f"Room '{room_id}' is already being recorded."
            ) from None
        capture: RoomCapture | None = None
        try:
            capture = self._media.start_capture(room_id, self.tracks_dir(record.recording_id))
            job = RecorderJob(
                tracks=str(capture.directory),
                output=str(self.media_path(record)),
                origin=capture.origin,
                layout=chosen_layout,
                encoding=chosen,
            )
            recorder = RecorderProcess(self.directory / record.recording_id, job)
            running = _Running(record, capture, recorder)
            self._tell_roster(running)  # before the recorder starts: it knows everyone's name from its first picture
            await recorder.start(confirm_within=self.limits.start_timeout)
        except RecorderNotStarted as exc:
            logger.warning("Recording %s did not start: %s", record.recording_id, exc)
            self._media.stop_capture(room_id)
            await self.store.move(record, RecordingStatus.FAILED, end_date=_now_ms(), error=str(exc))
            raise RecordingError(RecordingErrorCode.NOT_STARTED, str(exc)) from None
        except Exception as exc:
            logger.exception("Recording %s could not start", record.recording_id)
            if capture is not None:
                self._media.stop_capture(room_id)
            await self.store.move(record, RecordingStatus.FAILED, end_date=_now_ms(), error=str(exc))
            raise
        active = await self.store.move(record, RecordingStatus.ACTIVE)
        running.record = active
        self._running[active.recording_id] = running
        running.watch = asyncio.create_task(self._watch(running), name=f"recording-watch-{active.recording_id}")
        logger.info("Recording %s active", active.recording_id)
        return active

    def _admit(self) -> None:
        """Refuse a start the machine cannot take: the disk at its floor, or every core composing already."""
        free = self.free_bytes()
        if free <= self.limits.disk_floor:
            raise RecordingError(
                RecordingErrorCode.DISK_FULL,
                f"The server's disk is nearly full ({free // 1024**2} MiB free): no recording can start.",
            )
        if len(self._running) >= self.limits.composites:
            raise RecordingError(
                RecordingErrorCode.NO_CAPACITY,
                f"The server has no capacity for another recording: it is making as many as it can at once "
                f"({len(self._running)}).",
            )

    def _tell_roster(self, running: _Running) -> None:
        meeting = self._meetings.live(running.record.room_id)
        people = [] if meeting is None else list(meeting.participants.values())
        entry = RosterEntry(
            t=time.monotonic() - running.capture.origin,
            participants=[
                RosterParticipant(identity=p.identity, name=p.name, camera=p.video, screen=p.screen) for p in people
            ],
        )
        running.recorder.roster(entry)

    async def _watch(self, running: _Running) -> None:
        """While it records: the roster, the disk floor, the recorder's health."""
        exited = asyncio.ensure_future(running.recorder.exited())
        try:
            while True:
                done, _ = await asyncio.wait({exited}, timeout=WATCH_S)
                if running.recorder.stopping:
                    return
                if done:
                    await self._recorder_died(running, exited.result())
                    return
                self._tell_roster(running)
                free = await asyncio.to_thread(self.free_bytes)
                if free <= self.limits.disk_floor:
                    logger.warning("Recording %s stops: the disk is at its floor", running.record.recording_id)
                    with contextlib.suppress(RecordingError, RecordingStatusChanged):
                        await self._stop(running.record.recording_id, "Disk space low", RecordingStatus.LIMIT_REACHED)
                    return
        finally:
            if not exited.done():
                exited.cancel()

    async def _recorder_died(self, running: _Running, status: int) -> None:
        recording_id = running.record.recording_id
        logger.warning("Recording %s: its recorder ended while recording (status %s)", recording_id, status)
        async with self._locks.setdefault(running.record.room_id, asyncio.Lock()):
            record = await self.store.get(recording_id)
            if record is None or record.status != RecordingStatus.ACTIVE.value:
                return
            self._running.pop(recording_id, None)
            capture = self._media.stop_capture(record.room_id, close=False)
            if capture is not None:
                await asyncio.to_thread(capture.close)
            played = await asyncio.to_thread(probe, self.media_path(record))
            await self.store.move(
                record,
                RecordingStatus.FAILED,
                end_date=_now_ms(),
                error_code=COMPOSITE_FAILED_ERROR_CODE,
                error=_died(status),
                details="The video file plays up to the moment the recorder stopped."
                if played
                else "The recorder stopped before any of the video file was written.",
                duration_ms=None if played is None else round(played[0] * 1000),
                size=None if played is None else played[1],
            )

    async def stop(self, recording_id: str, reason: str = "StopEgress API") -> RecordingRecord:
        return await self._stop(recording_id, reason, RecordingStatus.COMPLETE)

    async def _stop(self, recording_id: str, reason: str, final: RecordingStatus) -> RecordingRecord:
        record = await self.store.get(recording_id)
        if record is None:
            raise RecordingError(RecordingErrorCode.NOT_FOUND, f"Recording '{recording_id}' not found.")
        lock = self._locks.setdefault(record.room_id, asyncio.Lock())
        async with lock:
            record = await self.store.get(recording_id)
            if record is None or record.status != RecordingStatus.ACTIVE.value:
                raise RecordingError(RecordingErrorCode.NOT_ACTIVE, f"Recording '{recording_id}' is not active.")
            stopped_at = time.monotonic()
            ending = await self.store.move(
                record, RecordingStatus.ENDING, end_date=_now_ms(), details=f"End reason: {reason}"
            )
            running = self._running.pop(recording_id, None)
            if running is not None:
                running.recorder.stopping = True
            # the writers finish what is queued: off the loop, forwarding goes on meanwhile
            capture = self._media.stop_capture(record.room_id, close=False)
            if capture is not None:
                await asyncio.to_thread(capture.close)
            await self._finish(ending, running, stopped_at, final)
        logger.info("Recording %s ended (%s)", recording_id, reason)
        return ending

    async def _finish(
        self, ending: RecordingRecord, running: _Running | None, stopped_at: float, final: RecordingStatus
    ) -> RecordingRecord:
        """The recorder composes what is left of the (now complete) tracks; the recording ends ``final`` with
        the MP4's duration and size, or ``failed`` (its file, if any, as far as it plays)."""
        if running is None:  # started by a server before this one: repair makes its file
            return await self.store.move(
                ending, RecordingStatus.FAILED, error_code=COMPOSITE_FAILED_ERROR_CODE, error=_died(None)
            )
        try:
            result = await running.recorder.finish(stopped_at - running.capture.origin)
        except RecorderFailed as exc:
            played = await asyncio.to_thread(probe, self.media_path(ending))
            return await self.store.move(
                ending,
                RecordingStatus.FAILED,
                error_code=COMPOSITE_FAILED_ERROR_CODE,
                error=str(exc),
                duration_ms=None if played is None else round(played[0] * 1000),
                size=None if played is None else played[1],
            )
        return await self.store.move(ending, final, duration_ms=round(result.duration * 1000), size=result.size)

    async def repair_after_restart(self) -> None:
        """Recordings this server stopped under (a crash, a kill): each is repaired in the background — one
        not started yet is ``aborted``; one recording or ending gets its composite made again from the captured
        tracks (``complete``), or ends ``failed`` with its file as far as it plays and the reason."""
        for record in await self.store.unfinished():
            if record.recording_id in self._running:
                continue
            task = asyncio.create_task(self._repair(record), name=f"recording-repair-{record.recording_id}")
            self._repairs.add(task)
            task.add_done_callback(self._repairs.discard)

    async def repairs_done(self) -> None:
        """Wait for the repairs under way (tests, and a server stopping)."""
        if self._repairs:
            await asyncio.gather(*self._repairs, return_exceptions=True)

    async def _repair(self, record: RecordingRecord) -> None:
        recording_id = record.recording_id
        recorder: RecorderProcess | None = None
        try:
            if record.status == RecordingStatus.STARTING.value:
                await self.store.move(
                    record, RecordingStatus.ABORTED, end_date=_now_ms(), error=_died(None), details=REPAIR_DETAILS
                )
                return
            if record.status == RecordingStatus.ACTIVE.value:
                record = await self.store.move(record, RecordingStatus.ENDING, details=REPAIR_DETAILS)
            directory = self.directory / recording_id
            try:
                job = RecorderJob.model_validate_json((directory / JOB_FILE).read_text())
                recorder = RecorderProcess(directory, job)
                await recorder.start(repair=True)
                result = await recorder.finish(None, timeout=REPAIR_TIMEOUT_S)
                if result.frames == 0:
                    raise RecorderFailed("no track of the recording had anything to show.")
            except (OSError, ValueError, RecorderFailed) as exc:
                played = await asyncio.to_thread(probe, self.media_path(record))
                await self.store.move(
                    record,
                    RecordingStatus.FAILED,
                    end_date=record.end_date or _now_ms(),
                    error_code=COMPOSITE_FAILED_ERROR_CODE,
                    error=f"{_died(None)} Its video file could not be made again: {exc}",
                    duration_ms=None if played is None else round(played[0] * 1000),
                    size=None if played is None else played[1],
                )
                return
            await self.store.move(
                record,
                RecordingStatus.COMPLETE,
                end_date=record.end_date or record.start_date + round(result.duration * 1000),
                duration_ms=round(result.duration * 1000),
                size=result.size,
            )
            logger.info("Recording %s repaired after a restart (%.1f s)", recording_id, result.duration)
        except RecordingStatusChanged:
            pass  # moved meanwhile (deleted, repaired by another server sharing the database)
        except asyncio.CancelledError:
            if recorder is not None:
                recorder.kill()  # the server stops again: the next start repairs it
            raise
        except Exception:
            logger.exception("Recording %s could not be repaired", recording_id)

    async def close(self) -> None:
        """The server stops: recordings still running end as the meeting does (its hooks stop them first);
        any recorder left is killed (a restart repairs its recording)."""
        for running in list(self._running.values()):
            running.recorder.kill()
            if running.watch is not None:
                running.watch.cancel()
        for task in list(self._repairs):
            task.cancel()

    async def _meeting_ended(self, room_id: str) -> None:
        """The meeting's end stops its recording. Never raises: the hooks after this one (the room's deletion
        when its meeting ends) must run whatever happens to the recording."""
        try:
            record = await self.store.in_progress(room_id)
            if record is not None and record.status == RecordingStatus.ACTIVE.value:
                with contextlib.suppress(RecordingError, RecordingStatusChanged):  # stopped meanwhile elsewhere
                    await self.stop(record.recording_id, reason="Meeting ended")
        except Exception:
            logger.exception("Room(%s) recording could not be stopped as its meeting ended", room_id)


def _died(status: int | None) -> str:
    if status is None:
        return "The server stopped while the recording was being made."
    if status < 0:
        return f"The recorder process was killed (signal {-status}) while recording."
    return f"The recorder process ended (status {status}) while recording."

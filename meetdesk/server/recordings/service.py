"""Starting and stopping a room's recording: the store's state machine driven by the meeting and its capture.

``start`` checks the room (it exists, records, has a meeting with someone in it), adds the recording as
``starting`` (the database refuses a second one in progress for the room), starts capturing every forwarded
track into ``<recordings dir>/<recordingId>/tracks`` and moves it to ``active``. ``stop`` (the API's stop, or
the meeting ending by itself) moves it to ``ending`` with the end date and why it ended, and closes the
capture, whose files are then complete. Building the composite MP4 from the tracks and moving the recording
on to ``complete`` (with its duration and size) is the recorder's part (issue 15, item 3), not built yet:
until then the recording ends ``failed``, saying that no video file was made (see ``_finish``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from enum import StrEnum
from pathlib import Path

from meetdesk.core.recording_settings import EncodingOptions
from meetdesk.core.recordings import RecordingStatus, new_recording_id
from meetdesk.server.meeting.engine import MeetingEngine
from meetdesk.server.meeting.media import MediaRouter
from meetdesk.server.store.recordings import (
    RecordingInProgress,
    RecordingRecord,
    RecordingStatusChanged,
    RecordingStore,
)
from meetdesk.server.store.rooms import RoomStore

logger = logging.getLogger(__name__)

TRACKS_DIR = "tracks"
NO_COMPOSITE_ERROR_CODE = 501  # errorCode of a recording whose MP4 could not be made (see _finish)


class RecordingErrorCode(StrEnum):
    ROOM_NOT_FOUND = "room_not_found"  # 404
    RECORDING_DISABLED = "recording_disabled"  # 403
    NO_PARTICIPANTS = "no_participants"  # 409
    ALREADY_RECORDING = "already_recording"  # 409
    NOT_FOUND = "recording_not_found"  # 404
    NOT_ACTIVE = "recording_not_active"  # 409


class RecordingError(Exception):
    """A start or stop refused; ``code`` says why (the API maps it to a status), the message is a sentence."""

    def __init__(self, code: RecordingErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _encoding_text(encoding: str | EncodingOptions) -> str:
    """A room's encoding as the store keeps it: a preset name, or the advanced object as JSON."""
    return encoding if isinstance(encoding, str) else encoding.model_dump_json()


def _now_ms() -> int:
    return int(time.time() * 1000)


class RecordingService:
    """The recordings of every room on this server; stops a room's recording when its meeting ends."""

    def __init__(
        self, store: RecordingStore, rooms: RoomStore, meetings: MeetingEngine, media: MediaRouter, directory: Path
    ) -> None:
        self.store = store
        self._rooms = rooms
        self._meetings = meetings
        self._media = media
        self.directory = directory
        self._locks: dict[str, asyncio.Lock] = {}
        meetings.on_ended(self._meeting_ended)

    def tracks_dir(self, recording_id: str) -> Path:
        """Where a recording's captured tracks are (``recording_id`` as checked by the store, never user input)."""
        return self.directory / recording_id / TRACKS_DIR

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
        recording_id = new_recording_id(room_id)
        record = RecordingRecord(
            str(recording_id),
            room_id,
            room.room_name,
            RecordingStatus.STARTING.value,
            _now_ms(),
            filename=recording_id.filename,
            layout=layout or room.config.recording.layout,
            encoding=encoding or _encoding_text(room.config.recording.encoding),
        )
        try:
            await self.store.add(record)
        except RecordingInProgress:
            raise RecordingError(
                RecordingErrorCode.ALREADY_RECORDING, f"Room '{room_id}' is already being recorded."
            ) from None
        try:
            self._media.start_capture(room_id, self.tracks_dir(record.recording_id))
        except Exception as exc:
            logger.exception("Recording %s could not start capturing", record.recording_id)
            await self.store.move(record, RecordingStatus.FAILED, end_date=_now_ms(), error=str(exc))
            raise
        active = await self.store.move(record, RecordingStatus.ACTIVE)
        logger.info("Recording %s active", active.recording_id)
        return active

    async def stop(self, recording_id: str, reason: str = "StopEgress API") -> RecordingRecord:
        record = await self.store.get(recording_id)
        if record is None:
            raise RecordingError(RecordingErrorCode.NOT_FOUND, f"Recording '{recording_id}' not found.")
        lock = self._locks.setdefault(record.room_id, asyncio.Lock())
        async with lock:
            record = await self.store.get(recording_id)
            if record is None or record.status != RecordingStatus.ACTIVE.value:
                raise RecordingError(RecordingErrorCode.NOT_ACTIVE, f"Recording '{recording_id}' is not active.")
            ending = await self.store.move(
                record, RecordingStatus.ENDING, end_date=_now_ms(), details=f"End reason: {reason}"
            )
            # the writers finish what is queued: off the loop, forwarding goes on meanwhile
            capture = self._media.stop_capture(record.room_id, close=False)
            if capture is not None:
                await asyncio.to_thread(capture.close)
            await self._finish(ending)
        logger.info("Recording %s ending (%s)", recording_id, reason)
        return ending

    async def _finish(self, ending: RecordingRecord) -> RecordingRecord:
        """The recording once its capture is closed. There is no composite recorder yet (issue 15, item 3), so
        no MP4 is made: the recording says so as ``failed`` (its tracks stay in :meth:`tracks_dir`), and the
        room may record again. The recorder will make the MP4 here and move the recording to ``complete``."""
        return await self.store.move(
            ending,
            RecordingStatus.FAILED,
            error_code=NO_COMPOSITE_ERROR_CODE,
            error="The recording's video file is not made: this server has no composite recorder yet.",
        )

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

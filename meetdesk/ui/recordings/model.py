"""A table of recordings: every recording of the server (the admin app's Recordings page) or one room's (the
participant window's recording view), a page at a time as the view scrolls.

Search by room name, the status filter and the sort run on the server (they must cover recordings not loaded
yet); the view asks for more rows through Qt's ``canFetchMore``/``fetchMore`` and the model follows
``nextPageToken``. A query change starts a new generation: answers to older queries are dropped, never mixed in.
While any recording shown is in progress (starting, active, ending) the model reads those again every few
seconds, so that "Recording…" becomes "Finishing…" and then "Ready" without a Refresh.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, NotFound
from meetdesk.client.recordings import RecordingSortField
from meetdesk.core.recordings import MeetRecording, RecordingStatus
from meetdesk.ui.table_model import Column, Index, ItemRole, TableModel

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
#: how often recordings in progress are read again (no recordings events reach the admin app yet)
POLL_MS = 2000

COL_ROOM, COL_STATUS, COL_STARTED, COL_DURATION, COL_SIZE = range(5)
SORT_FIELDS: dict[int, RecordingSortField] = {
    COL_ROOM: "roomName",
    COL_STARTED: "startDate",
    COL_DURATION: "duration",
    COL_SIZE: "size",
}
IN_PROGRESS = {RecordingStatus.STARTING, RecordingStatus.ACTIVE, RecordingStatus.ENDING}

#: the recording of a row, for views
RecordingRole = ItemRole


@dataclass(frozen=True)
class RecordingQuery:
    room: str = ""
    #: one room's recordings only (its id), from "View recordings" on the Rooms page
    room_id: str = ""
    status: RecordingStatus | None = None
    sort_field: RecordingSortField = "startDate"
    sort_order: str = "desc"


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def format_start(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


class RecordingsModel(TableModel[MeetRecording]):
    """Recordings of one server, fetched lazily and kept live while any is in progress.

    Signals:
        loadingChanged(bool): a page request started (True) or ended (False).
        pageLoaded(): a page arrived and its rows are in the model.
        errorChanged(object): the list could not be (re)loaded (the exception; rows last seen are kept), or
            None once it could again.
        recordingChanged(str): a recording shown changed (its id): read again while it was in progress.
    """

    pageLoaded = Signal()
    recordingChanged = Signal(str)

    def __init__(self, client: MeetDeskClient | None = None, parent: Any = None, page_size: int = PAGE_SIZE) -> None:
        columns = [
            Column(self.tr("Room"), SORT_FIELDS[COL_ROOM]),
            Column(self.tr("Status")),
            Column(self.tr("Started"), SORT_FIELDS[COL_STARTED]),
            Column(self.tr("Duration"), SORT_FIELDS[COL_DURATION], numeric=True),
            Column(self.tr("Size"), SORT_FIELDS[COL_SIZE], numeric=True),
        ]
        super().__init__(columns, key=lambda recording: recording.recordingId, parent=parent)
        self.client = client
        self.page_size = page_size
        self.query = RecordingQuery()
        self._next_token: str | None = None
        self._truncated = False
        self._generation = 0
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(lambda: self._spawn(self._refresh_in_progress()))

    @property
    def recordings(self) -> list[MeetRecording]:
        return self.rows

    # --- Qt model API -------------------------------------------------------------------------------

    def cell(self, recording: MeetRecording, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_ROOM:
            return self.tr("{room}\nRecording ID: {id}").format(room=recording.roomName, id=recording.recordingId)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_STATUS:
            return self.text(recording, column)
        return super().cell(recording, column, role)

    def sort_by(self, field: str, order: str) -> None:
        self.set_query(replace(self.query, sort_field=field, sort_order=order))  # type: ignore[arg-type]

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._truncated and bool(self._next_token) and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._set_loading(True)  # at once: the view asks again before the task starts
            self._spawn(self._load(self._generation, self._next_token))

    # --- words --------------------------------------------------------------------------------------

    def status_text(self, recording: MeetRecording) -> str:
        """A recording's status in words."""
        status = recording.status
        if status in (RecordingStatus.STARTING, RecordingStatus.ACTIVE):
            return self.tr("Recording…")
        if status is RecordingStatus.ENDING:
            return self.tr("Finishing…")
        if status is RecordingStatus.COMPLETE:
            return self.tr("Ready")
        if status is RecordingStatus.LIMIT_REACHED:
            return self.tr("Ready (stopped at the size or time limit)")
        reason = (recording.error or "").strip().rstrip(".")
        if status is RecordingStatus.ABORTED:
            return self.tr("Aborted: {reason}").format(reason=reason) if reason else self.tr("Aborted")
        return self.tr("Failed: {reason}").format(reason=reason) if reason else self.tr("Failed")

    def text(self, recording: MeetRecording, column: int) -> str:
        if column == COL_ROOM:
            return recording.roomName or recording.roomId
        if column == COL_STATUS:
            return self.status_text(recording)
        if column == COL_STARTED:
            return format_start(recording.startDate)
        if column == COL_DURATION:
            return format_duration(recording.duration)
        if column == COL_SIZE:
            return format_size(recording.size)
        return ""

    # --- loading ------------------------------------------------------------------------------------

    def set_client(self, client: MeetDeskClient | None) -> None:
        self.client = client
        self._restart()

    def set_query(self, query: RecordingQuery) -> None:
        if query != self.query:
            self.query = query
            self._restart()

    def reload(self) -> asyncio.Task[None]:
        """Load the first page again (the rows shown stay until it is in)."""
        self._generation += 1
        self._set_loading(True)
        return self._spawn(self._load(self._generation, None))

    def _restart(self) -> None:
        self.beginResetModel()
        self.rows = []
        self._next_token, self._truncated = None, False
        self.endResetModel()
        self.loaded_once = False
        self._loading = False
        if self.client is not None:
            self.reload()

    async def _load(self, generation: int, token: str | None) -> None:
        client = self.client
        if client is None:
            return
        query = self.query
        try:
            page = await client.list_recordings(
                room_id=query.room_id or None,
                room_name=query.room or None,
                room_name_match_mode="partial" if query.room else None,
                room_name_case_insensitive=True if query.room else None,
                status=query.status,
                max_items=self.page_size,
                next_page_token=token,
                sort_field=query.sort_field,
                sort_order="asc" if query.sort_order == "asc" else "desc",
            )
        except ApiError as exc:
            if generation == self._generation:
                self._set_loading(False)
                self._set_error(exc)
            return
        if generation != self._generation or query != self.query:
            return  # an answer to an older query (the newer one's load is on its way)
        if token is None:
            self.beginResetModel()
            self.rows = list(page.recordings)
            self.endResetModel()
        elif page.recordings:
            first = len(self.recordings)
            self.beginInsertRows(QModelIndex(), first, first + len(page.recordings) - 1)
            self.recordings.extend(page.recordings)
            self.endInsertRows()
        self._next_token = page.pagination.nextPageToken
        self._truncated = page.pagination.isTruncated
        self.loaded_once = True
        self._set_error(None)
        self._set_loading(False)
        self._follow_progress()
        self.pageLoaded.emit()

    # --- live status --------------------------------------------------------------------------------

    def in_progress(self) -> list[str]:
        return [r.recordingId for r in self.recordings if r.status in IN_PROGRESS]

    def _follow_progress(self) -> None:
        if self.in_progress():
            self._poll.start()
        else:
            self._poll.stop()

    async def _refresh_in_progress(self) -> None:
        client = self.client
        if client is None:
            return
        for recording_id in self.in_progress():
            try:
                fresh = await client.get_recording(recording_id)
            except NotFound:
                self.remove(recording_id)
                continue
            except ApiError as exc:
                logger.info("Recordings: could not read %s again: %s", recording_id, exc)
                return
            self.replace(fresh)
        self._follow_progress()

    def replace(self, recording: MeetRecording) -> None:
        """A recording shown is as ``recording`` says now."""
        row = self.row_of(recording.recordingId)
        if row is not None and self.rows[row] != recording:
            self.rows[row] = recording
            self._row_changed(row)
            self.recordingChanged.emit(recording.recordingId)

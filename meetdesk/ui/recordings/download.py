"""Downloading a recording (the Recordings page, the recording view): a save dialog, then the file streamed to disk
with a progress bar and Cancel under the table. The bytes go to ``<name>.part`` first and take the chosen name only
once whole. A recording's download is resumable (:mod:`meetdesk.client.downloads`): cut part way, it keeps its part
and offers Resume, and saving the same recording to the same place later — after the app was closed too —
continues where it stopped (or starts over cleanly if the server's file changed). Cancel, or a ZIP that fails,
leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.downloads import DownloadCut, discard_part, download_resumable, read_part
from meetdesk.client.errors import ApiError
from meetdesk.core.recordings import MeetRecording
from meetdesk.ui.messages import describe_error

logger = logging.getLogger(__name__)


class DownloadBar(QWidget):
    """A download's progress and Cancel, and then what became of it, in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Download progress"))
        self.cancel = QPushButton(self.tr("Cancel download"))
        self.cancel.clicked.connect(self.stop)
        self.resume = QPushButton(self.tr("Resume download"))
        self.resume.clicked.connect(self._resume)
        self.resume.hide()
        row.addWidget(self.text, 1)
        row.addWidget(self.progress)
        row.addWidget(self.resume)
        row.addWidget(self.cancel)
        self.hide()
        self.client: MeetDeskClient | None = None
        self.dialog: QFileDialog | None = None
        self.task: asyncio.Task[None] | None = None
        #: the download Resume continues (the recording and where it goes), while one was cut
        self.cut: tuple[MeetRecording, Path] | None = None

    def ask(self, client: MeetDeskClient, recording: MeetRecording) -> QFileDialog:
        """Ask where to save ``recording`` (a window-modal dialog: no nested event loop), then download it."""
        self.client = client
        dialog = QFileDialog(self.window(), self.tr("Save the recording"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # the same dialog on every desktop (and in tests)
        dialog.setNameFilter(self.tr("MP4 video (*.mp4)"))
        dialog.selectFile(recording.filename)
        dialog.fileSelected.connect(lambda name: self.start(recording, Path(name)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def ask_zip(self, client: MeetDeskClient, recordings: list[MeetRecording]) -> QFileDialog:
        """Ask where to save a ZIP of ``recordings``, then download it."""
        self.client = client
        dialog = QFileDialog(self.window(), self.tr("Save the recordings as a ZIP"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setNameFilter(self.tr("ZIP archive (*.zip)"))
        dialog.selectFile("recordings.zip")
        ids = [r.recordingId for r in recordings]
        dialog.fileSelected.connect(lambda name: self.start(ids, Path(name)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, recording: MeetRecording | list[str], target: Path) -> asyncio.Task[None]:
        """Download ``recording`` (or a ZIP of the recordings with these ids) to ``target``."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.cut = None
        self.text.setText(self.tr("Downloading “{name}”…").format(name=target.name))
        self.progress.setRange(0, 0)  # until the server says the size
        found = read_part(target, recording.recordingId) if isinstance(recording, MeetRecording) else None
        if found is not None and found[0].size:
            percent = found[1] * 100 // found[0].size
            self.text.setText(self.tr("Resuming “{name}” from {percent}%…").format(name=target.name, percent=percent))
            self._progress(found[1], found[0].size)
        self.progress.show()
        self.cancel.show()
        self.resume.hide()
        self.show()
        task = self.task = asyncio.ensure_future(self._download(recording, target))
        task.add_done_callback(lambda done: done.cancelled() and self._cancelled(target))
        return task

    def _cancelled(self, target: Path) -> None:
        """Cancelled, before the download began or during it: no partial file is left."""
        _partial(target).unlink(missing_ok=True)
        discard_part(target)
        self._finished(self.tr("Download cancelled: nothing was saved."))

    def _resume(self) -> None:
        if self.cut is not None and self.client is not None:
            self.start(*self.cut)

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _download(self, recording: MeetRecording | list[str], target: Path) -> None:
        client = self.client
        assert client is not None
        partial = _partial(target)
        try:
            if isinstance(recording, list):
                await client.download_recordings_zip(recording, partial, progress=self._progress)
                partial.replace(target)
            else:
                await download_resumable(client, recording.recordingId, target, progress=self._progress)
        except DownloadCut as exc:
            assert isinstance(recording, MeetRecording)
            self.cut = (recording, target)
            done = exc.received * 100 // exc.total if exc.total else 0
            self._finished(
                self.tr(
                    "The download of “{name}” stopped at {percent}%: {reason} Resume continues where it stopped."
                ).format(name=target.name, percent=done, reason=describe_error(exc))
            )
            self.resume.show()
            return
        except (ApiError, OSError) as exc:
            partial.unlink(missing_ok=True)
            discard_part(target)
            reason = describe_error(exc) if isinstance(exc, ApiError) else str(exc)
            self._finished(self.tr("The download did not finish, so nothing was saved. {reason}").format(reason=reason))
            return
        self._finished(self.tr("Saved “{name}” in {folder}.").format(name=target.name, folder=target.parent))

    def _progress(self, received: int, total: int | None) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, received * 1000 // total))

    def _finished(self, text: str) -> None:
        self.text.setText(text)
        self.progress.hide()
        self.cancel.hide()
        self.resume.hide()

    async def wait(self) -> None:
        """Until the download in progress has ended (tests)."""
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def _partial(target: Path) -> Path:
    """Where a download goes until it is whole."""
    return target.with_name(target.name + ".part")

"""Recording in the meeting window: the "Recording 1:23" indicator everyone sees in the header, the notice under it
(a late joiner's consent notice, and "Open" — the recording view — when a recording ends for those who may see
recordings), and the Record button's actions (start with a choice of layout, stop after a confirmation, the
server's refusal in words).

The indicator and the notice observe the :class:`~meetdesk.ui.meeting.model.MeetingModel`'s ``recording``; the
start and the stop go through :mod:`meetdesk.client` with the participant's own token
(:class:`RecordingControls`), never blocking the window: the indicator changes when the server tells everyone
(signalling ``recording``), not when the button is pressed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, ConnectionFailed, Forbidden, ServerError
from meetdesk.client.lobby import RoomInfo
from meetdesk.client.session import MeetingSession
from meetdesk.core.signalling import RecordingState
from meetdesk.ui.meeting.model import MeetingModel
from meetdesk.ui.meeting.toolbar import elapsed_text
from meetdesk.ui.messages import as_sentence
from meetdesk.ui.theme.theming import VARIANT

logger = logging.getLogger(__name__)

#: the red of the recording dot: reads on light and dark backgrounds alike
RECORDING_RED = "#e53935"
#: the layouts a recording may be started with ("" is the room's own)
LAYOUTS = ("", "grid", "speaker", "single-speaker")
#: how long a stop may take to be answered (the server answers once the recorder has written the whole file)
STOP_TIMEOUT_S = 300.0


class RecordingIndicator(QLabel):
    """ "● Recording 1:23" while the meeting is recorded (the time since the recording started), "● Finishing the
    recording…" while it ends; hidden otherwise."""

    def __init__(self, model: MeetingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingIndicator")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setContentsMargins(0, 0, 12, 0)
        self.model = model
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        model.recordingChanged.connect(lambda _recording: self._tick())
        self._tick()

    def words(self) -> str:
        """What the indicator says, without its dot (tests and screen readers)."""
        recording = self.model.recording
        if recording is None:
            return ""
        if recording.status == "starting":
            return self.tr("Starting the recording…")
        if recording.status == "ending":
            return self.tr("Finishing the recording…")
        elapsed = max(0, int(time.time() - recording.startDate / 1000))
        return self.tr("Recording {time}").format(time=elapsed_text(elapsed))

    def _tick(self) -> None:
        recording = self.model.recording
        words = self.words()
        if recording is not None and recording.status == "active":
            self._ticker.start()
        else:
            self._ticker.stop()
        shown = f'<span style="color:{RECORDING_RED}">\u25cf</span>&nbsp;<b>{words}</b>' if words else ""
        if shown != self.text():
            self.setText(shown)
            self.setAccessibleName(words)
            self.setToolTip(self.tr("This meeting is being recorded.") if words else "")
        self.setVisible(bool(words))


class RecordingNotice(QWidget):
    """A line under the header about the recording, with an optional action ("Open") and "Dismiss".

    Signals:
        actionClicked(): the action button was pressed (the notice closes).
    """

    actionClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingNotice")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the theme's secondary colour
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.action = QPushButton()
        self.action.clicked.connect(self._act)
        self.dismiss = QPushButton(self.tr("Dismiss"))
        self.dismiss.clicked.connect(self.hide)
        row.addWidget(self.text, 1)
        row.addWidget(self.action)
        row.addWidget(self.dismiss)
        self.hide()

    def show_notice(self, text: str, action: str = "") -> None:
        self.text.setText(text)
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self.show()

    def _act(self) -> None:
        self.hide()
        self.actionClicked.emit()


class StartRecordingDialog(QDialog):
    """Start recording: everyone will be told; the layout is the room's unless another is chosen here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startRecording")
        self.setWindowTitle(self.tr("Record the meeting"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 32)
        column = QVBoxLayout(self)
        explain = QLabel(self.tr("Everyone in the meeting sees that it is recorded, and so does anyone who joins."))
        explain.setWordWrap(True)
        column.addWidget(explain)
        row = QHBoxLayout()
        label = QLabel(self.tr("Layout:"))
        self.layout_choice = QComboBox()
        names = {
            "": self.tr("The room's layout"),
            "grid": self.tr("Grid: everyone the same size"),
            "speaker": self.tr("Speaker: whoever speaks, large"),
            "single-speaker": self.tr("Single speaker: only whoever speaks"),
        }
        for value in LAYOUTS:
            self.layout_choice.addItem(names[value], value)
        label.setBuddy(self.layout_choice)
        row.addWidget(label)
        row.addWidget(self.layout_choice, 1)
        column.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start = buttons.addButton(self.tr("Start recording"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    @property
    def layout_value(self) -> str | None:
        """The layout chosen, or None for the room's own."""
        return str(self.layout_choice.currentData()) or None


class RecordingControls(QObject):
    """What the Record button does, and the notices about the recording, for one meeting page.

    ``run`` starts a task whose failure the page reports; ``say`` puts a sentence next to the toolbar.

    Signals:
        openRequested(str): "Open" on the ended-recording notice (the recording's id): the recording view.
    """

    openRequested = Signal(str)

    def __init__(
        self,
        model: MeetingModel,
        page: QWidget,
        notice: RecordingNotice,
        run: Callable[[Coroutine[Any, Any, Any]], None],
        say: Callable[[str], None],
    ) -> None:
        super().__init__(page)
        self.model = model
        self.page = page
        self.notice = notice
        self.run = run
        self.say = say
        self.info: RoomInfo | None = None
        self.session: MeetingSession | None = None
        self.start_dialog: StartRecordingDialog | None = None
        self.stop_box: QMessageBox | None = None
        #: the recording the "Open" of the notice opens
        self.ended: str = ""
        notice.actionClicked.connect(lambda: self.openRequested.emit(self.ended))

    def attach(self, info: RoomInfo, session: MeetingSession) -> None:
        self.info, self.session = info, session

    # the Record button -----------------------------------------------------------------------------

    def record_clicked(self) -> None:
        """Start (asking which layout) or, while recording, stop (asking first)."""
        if self.model.recording is None:
            self.ask_start()
        else:
            self.ask_stop()

    def ask_start(self) -> StartRecordingDialog:
        dialog = StartRecordingDialog(self.page)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.run(self.start(dialog.layout_value)))
        self.start_dialog = dialog
        dialog.open()
        return dialog

    def ask_stop(self) -> QMessageBox:
        box = QMessageBox(self.page)
        box.setObjectName("confirmStopRecording")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Stop recording"))
        box.setText(self.tr("Stop recording the meeting?"))
        box.setInformativeText(self.tr("What was recorded so far is kept. You can start a new recording later."))
        stop = box.addButton(self.tr("Stop recording"), QMessageBox.ButtonRole.AcceptRole)
        stop.setProperty(VARIANT, "danger")
        stop.style().unpolish(stop)  # the variant is read when the button is polished
        stop.style().polish(stop)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: box.clickedButton() is stop and self.run(self.stop()))
        self.stop_box = box
        box.open()
        return box

    def _api(self, timeout: float = 10.0) -> MeetDeskClient:
        info, session = self.info, self.session
        assert info is not None and session is not None and session.token is not None
        return MeetDeskClient(info.link.base_url, participant_token=session.token, pin=info.link.pin, timeout=timeout)

    async def start(self, layout: str | None) -> None:
        if self.info is None or self.session is None or self.session.token is None:
            return
        try:
            async with self._api() as api:
                await api.start_recording(self.info.link.room_id, layout=layout)
        except ApiError as exc:
            self.say(self.refusal(exc, starting=True))

    async def stop(self) -> None:
        recording = self.model.recording
        if recording is None or self.session is None or self.session.token is None:
            return
        try:
            # the stop is answered once the recorder has finished the file: the indicator says "Finishing…" meanwhile
            async with self._api(STOP_TIMEOUT_S) as api:
                await api.stop_recording(recording.recordingId)
        except ApiError as exc:
            self.say(self.refusal(exc, starting=False))

    def refusal(self, exc: ApiError, *, starting: bool) -> str:
        """The server's refusal in words, with what the user can do about it."""
        if isinstance(exc, ConnectionFailed):
            return self.tr("The server does not answer, so the recording was not changed. Try again in a moment.")
        if isinstance(exc, Forbidden):
            if starting:
                return self.tr("Recording is off for this room. An administrator can turn it on in its settings.")
            return self.tr("Your role may no longer stop recordings. Ask a moderator.")
        reason = as_sentence(exc.message)
        if isinstance(exc, ServerError) and exc.status == 503:  # no capacity left, the disk at its floor
            return self.tr("The recording did not start. {reason} Try again later.").format(reason=reason)
        if starting:
            return self.tr("The recording did not start. {reason}").format(reason=reason)
        return self.tr("The recording did not stop. {reason}").format(reason=reason)

    # what everyone is told -----------------------------------------------------------------------------

    def joined(self, recording: RecordingState | None) -> None:
        """On arrival: if the meeting is being recorded, say so (consent, as Zoom and Meet do)."""
        self.model.set_recording(recording)
        if recording is not None:
            self.notice.show_notice(
                self.tr("This meeting is being recorded. By staying in it, you agree to be recorded.")
            )

    def changed(self, recording: RecordingState) -> None:
        """The server told everyone the recording moved on (active, ending, ended)."""
        before = self.model.recording
        self.model.set_recording(recording)
        if recording.status == "active" and (before is None or before.status == "starting"):
            self.notice.show_notice(self.tr("This meeting is being recorded. Everyone in it has been told."))
        elif not recording.recording:
            self._ended(recording)

    def _ended(self, recording: RecordingState) -> None:
        self.ended = recording.recordingId
        if recording.status != "complete":
            self.notice.show_notice(self.tr("The recording stopped and could not be saved."))
        elif self.model.may("canRetrieveRecordings"):
            self.notice.show_notice(self.tr("The recording has ended and is ready to watch."), self.tr("Open"))
        else:
            self.notice.show_notice(self.tr("The meeting is no longer being recorded."))

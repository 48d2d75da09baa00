"""The player's state as a view-model: QtMultimedia's ``QMediaPlayer`` playing a recording streamed from the
server, and properties that notify only when they change (state, position, duration, volume, mute, error, note).

The recording is played from a loopback address of :class:`~meetdesk.client.recording_stream.RecordingStream`,
which forwards the player's byte-range requests to the server with the client's credentials and pinned TLS
(QMediaPlayer cannot send either): playing starts with the first bytes and a seek asks for that range only.
A failure is said as a sentence ("The recording could not be played: …"); where this computer has no sound
output the recording plays muted, with a note saying why, and sound comes as soon as an output appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from typing import Final

from PySide6.QtCore import QCoreApplication, QLoggingCategory, QObject, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer, QVideoSink

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ApiError, ConnectionFailed, Forbidden, NotFound, Unauthorized
from meetdesk.client.errors import Conflict as ClientConflict
from meetdesk.client.recording_stream import RecordingStream
from meetdesk.core.recordings import MeetRecording
from meetdesk.ui.messages import describe_error

logger = logging.getLogger(__name__)

#: ←/→ move by this much; ↑/↓ change the volume by this much (of 100)
SKIP_MS: Final = 5000
VOLUME_STEP: Final = 10
DEFAULT_VOLUME: Final = 80

#: QtMultimedia's own logging: optional libraries it looks for (PipeWire, VA-API) are not problems here, and
#: FFmpeg's info lines name the stream's address, whose path holds the loopback stream's key (a secret)
LOGGING_RULES: Final = "\n".join(
    (
        "qt.multimedia.symbolsresolver.warning=false",
        "qt.multimedia.ffmpeg*.info=false",
        "qt.multimedia.playbackengine*.info=false",
    )
)
_quiet = False


def quiet_multimedia_logs() -> None:
    """Install :data:`LOGGING_RULES` (once, before the first player is made)."""
    global _quiet
    if not _quiet:
        _quiet = True
        QLoggingCategory.setFilterRules(LOGGING_RULES)


class PlayerState(enum.Enum):
    EMPTY = "empty"
    LOADING = "loading"
    PLAYING = "playing"
    PAUSED = "paused"
    ENDED = "ended"
    FAILED = "failed"


def _tr(text: str) -> str:
    return QCoreApplication.translate("PlayerModel", text)


def failure_sentence(exc: BaseException | None, detail: str = "") -> str:
    """ "The recording could not be played: <why>." for what the server or the player said."""
    if isinstance(exc, NotFound):
        reason = _tr("it no longer exists; someone may have deleted it.")
    elif isinstance(exc, ClientConflict):
        reason = _tr("it is still being recorded. It can be watched once it ends.")
    elif isinstance(exc, Unauthorized):
        reason = _tr("the server no longer accepts your sign-in. Sign in again, then play it again.")
    elif isinstance(exc, Forbidden):
        reason = _tr("you are not allowed to watch the recordings of this room.")
    elif isinstance(exc, ConnectionFailed | ApiError):
        reason = describe_error(exc)
        reason = reason[:1].lower() + reason[1:]
    else:
        reason = detail.strip() or _tr("the video is damaged or in a format this computer cannot play")
        reason = reason[:1].lower() + reason[1:]
        if not reason.endswith((".", "!", "?")):
            reason += "."
    return _tr("The recording could not be played: {reason}").format(reason=reason)


class PlayerModel(QObject):
    """One recording playing (or not).

    Signals:
        stateChanged(object): the :class:`PlayerState`.
        positionChanged(int): where the playing is, in ms.
        durationChanged(int): the recording's length in ms (0 until known).
        volumeChanged(int): 0-100.
        mutedChanged(bool)
        errorChanged(str): the sentence saying why it cannot play ("" once it can).
        noteChanged(str): what the person should know that is no error (no sound output); "" when nothing.
        seekableChanged(bool)
        recordingChanged(object): the :class:`MeetRecording` opened (None when closed).
    """

    stateChanged = Signal(object)
    positionChanged = Signal(int)
    durationChanged = Signal(int)
    volumeChanged = Signal(int)
    mutedChanged = Signal(bool)
    errorChanged = Signal(str)
    noteChanged = Signal(str)
    seekableChanged = Signal(bool)
    recordingChanged = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        quiet_multimedia_logs()
        self.player = QMediaPlayer(self)
        self.sink = QVideoSink(self)
        self.player.setVideoSink(self.sink)
        self.devices = QMediaDevices(self)
        self.audio: QAudioOutput | None = None
        self._state = PlayerState.EMPTY
        self._position = 0
        self._duration = 0
        self._volume = DEFAULT_VOLUME
        self._muted = False
        self._error = ""
        self._note = ""
        self._seekable = False
        self.recording: MeetRecording | None = None
        self.client: MeetDeskClient | None = None
        self.stream: RecordingStream | None = None
        self._opening: asyncio.Task[None] | None = None
        self.player.positionChanged.connect(self._set_position)
        self.player.durationChanged.connect(self._set_duration)
        self.player.seekableChanged.connect(self._set_seekable)
        self.player.playbackStateChanged.connect(lambda _state: self._follow())
        self.player.mediaStatusChanged.connect(lambda _status: self._follow())
        self.player.errorOccurred.connect(self._failed)
        self.devices.audioOutputsChanged.connect(self._attach_audio)
        self._attach_audio()

    # properties ----------------------------------------------------------------------------------

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def position(self) -> int:
        return self._position

    @property
    def duration(self) -> int:
        return self._duration

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def error(self) -> str:
        return self._error

    @property
    def note(self) -> str:
        return self._note

    @property
    def seekable(self) -> bool:
        return self._seekable

    @property
    def has_sound_output(self) -> bool:
        return self.audio is not None

    def _set_state(self, state: PlayerState) -> None:
        if state is not self._state:
            self._state = state
            self.stateChanged.emit(state)

    def _set_position(self, position: int) -> None:
        if position != self._position:
            self._position = position
            self.positionChanged.emit(position)

    def _set_duration(self, duration: int) -> None:
        if duration != self._duration:
            self._duration = duration
            self.durationChanged.emit(duration)

    def _set_seekable(self, seekable: bool) -> None:
        if seekable != self._seekable:
            self._seekable = seekable
            self.seekableChanged.emit(seekable)

    def _set_error(self, error: str) -> None:
        if error != self._error:
            self._error = error
            self.errorChanged.emit(error)

    def _set_note(self, note: str) -> None:
        if note != self._note:
            self._note = note
            self.noteChanged.emit(note)

    # opening -------------------------------------------------------------------------------------

    def open(self, client: MeetDeskClient, recording: MeetRecording, *, autoplay: bool = True) -> asyncio.Task[None]:
        """Play ``recording`` from the server of ``client`` (with its credentials): the task ends once the
        player has the stream's address (playing then starts as the first bytes arrive)."""
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        self._opening = asyncio.ensure_future(self._open(client, recording, autoplay))
        return self._opening

    async def _open(self, client: MeetDeskClient, recording: MeetRecording, autoplay: bool) -> None:
        self.player.stop()
        self.player.setSource(QUrl())
        if self.client is not client and self.stream is not None:
            old, self.stream = self.stream, None
            await old.aclose()
        self.client = client
        if self.recording != recording:
            self.recording = recording
            self.recordingChanged.emit(recording)
        self._set_error("")
        self._set_position(0)
        self._set_duration(round((recording.duration or 0) * 1000))
        self._set_state(PlayerState.LOADING)
        if self.stream is None:
            self.stream = RecordingStream(client)
        url = await self.stream.url(recording.recordingId)
        self.stream.failures.pop(recording.recordingId, None)
        self.player.setSource(QUrl(url))
        if autoplay:
            self.player.play()

    async def close(self) -> None:
        """Stop, forget the recording and close the loopback stream."""
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._opening
        self.player.stop()
        self.player.setSource(QUrl())
        stream, self.stream = self.stream, None
        if stream is not None:
            await stream.aclose()
        self.recording = None
        self.recordingChanged.emit(None)
        self._set_error("")
        self._set_state(PlayerState.EMPTY)

    # controls ------------------------------------------------------------------------------------

    def play(self) -> None:
        if self.recording is None:
            return
        if self._state is PlayerState.FAILED and self.client is not None:
            self.open(self.client, self.recording)  # try again from the start
            return
        if self._state is PlayerState.ENDED:
            self.player.setPosition(0)
        self.player.play()

    def pause(self) -> None:
        self.player.pause()

    def toggle(self) -> None:
        """Space: pause while playing, play otherwise."""
        if self._state is PlayerState.PLAYING:
            self.pause()
        else:
            self.play()

    def seek(self, position_ms: int) -> None:
        if self.recording is None:
            return
        end = self._duration or position_ms
        target = max(0, min(position_ms, end))
        self.player.setPosition(target)
        self._set_position(target)  # the bar follows at once; the player confirms as it gets there

    def skip(self, delta_ms: int) -> None:
        """←/→: back or forward, within the recording."""
        self.seek(self._position + delta_ms)

    def set_volume(self, volume: int) -> None:
        volume = max(0, min(100, volume))
        if volume != self._volume:
            self._volume = volume
            if self.audio is not None:
                self.audio.setVolume(volume / 100)
            self.volumeChanged.emit(volume)
        if volume > 0 and self._muted:
            self.set_muted(False)

    def change_volume(self, delta: int) -> None:
        """↑/↓."""
        self.set_volume(self._volume + delta)

    def set_muted(self, muted: bool) -> None:
        if muted != self._muted:
            self._muted = muted
            if self.audio is not None:
                self.audio.setMuted(muted)
            self.mutedChanged.emit(muted)

    # following the player ------------------------------------------------------------------------

    def _attach_audio(self) -> None:
        """A sound output when this computer has one; otherwise play muted and say why (not an error)."""
        outputs = QMediaDevices.audioOutputs()
        if not outputs:
            if self.audio is not None:
                self.player.setAudioOutput(None)  # type: ignore[arg-type]
                self.audio.deleteLater()
                self.audio = None
            self._set_note(_tr("No sound output was found on this computer: the recording plays without sound."))
            return
        if self.audio is None:
            self.audio = QAudioOutput(QMediaDevices.defaultAudioOutput(), self)
            self.player.setAudioOutput(self.audio)
        else:
            self.audio.setDevice(QMediaDevices.defaultAudioOutput())
        self.audio.setVolume(self._volume / 100)
        self.audio.setMuted(self._muted)
        self._set_note("")

    def _follow(self) -> None:
        if self._state is PlayerState.FAILED or self.recording is None:
            return
        status = self.player.mediaStatus()
        playing = self.player.playbackState()
        if status is QMediaPlayer.MediaStatus.EndOfMedia:
            self._set_state(PlayerState.ENDED)
        elif status in (QMediaPlayer.MediaStatus.LoadingMedia, QMediaPlayer.MediaStatus.NoMedia):
            self._set_state(PlayerState.LOADING)
        elif playing is QMediaPlayer.PlaybackState.PlayingState:
            self._set_state(PlayerState.PLAYING)
        elif playing is QMediaPlayer.PlaybackState.PausedState or status is QMediaPlayer.MediaStatus.LoadedMedia:
            self._set_state(PlayerState.PAUSED)

    def _failed(self, error: QMediaPlayer.Error, detail: str) -> None:
        if error is QMediaPlayer.Error.NoError or self.recording is None:
            return
        refused = None
        if self.stream is not None:
            refused = self.stream.failures.get(self.recording.recordingId)
            detail = self.stream.redact(detail)
        logger.info("Player(%s): could not play: %s (%s)", self.recording.recordingId, detail, refused)
        self._set_error(failure_sentence(refused, detail))
        self._set_state(PlayerState.FAILED)

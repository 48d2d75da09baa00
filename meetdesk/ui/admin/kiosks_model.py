"""The Kiosks page's table model: every kiosk of the server, read once and then kept live by the server's
``KioskUpdated`` / ``KioskRemoved`` events (``kiosks_live.KiosksFollower``) applied in place.

Each row says in words what a person at the admin desk needs: online or offline (with an icon whose shape, not
only its colour, tells them apart), what the kiosk is doing, which of its devices are missing, when it was last
heard from ("12 s ago", counted on by a one-second timer that repaints that column only) and its version. A
failed read keeps the rows last seen and sets :attr:`KiosksModel.error`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import Conflict, NotFound
from meetdesk.core.kiosks import Kiosk, KioskState
from meetdesk.ui.icons import with_selected_colour
from meetdesk.ui.messages import as_sentence, describe_error
from meetdesk.ui.table_model import Column, ItemRole, TableModel

logger = logging.getLogger(__name__)

COL_NAME, COL_ROOM, COL_STATUS, COL_STATE, COL_DEVICES, COL_LAST_SEEN, COL_VERSION = range(7)
#: the kiosk of a row, for views
KioskRole = ItemRole
#: what a column sorts by (the times and counts behind the words)
SortRole = Qt.ItemDataRole.UserRole + 2
TICK_MS = 1000
REFRESH_MS = 15_000


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("KiosksModel", text, None, n)


def state_text(state: KioskState) -> str:
    texts = {
        "home": _tr("On the home screen"),
        "meeting": _tr("In the meeting"),
        "reconnecting": _tr("Reconnecting…"),
        "starting": _tr("Starting…"),
    }
    return texts.get(state, _tr("Not known yet"))


def code_expired(kiosk: Kiosk, now_ms: int) -> bool:
    return not kiosk.enrolled and kiosk.enrolmentExpiresAt is not None and kiosk.enrolmentExpiresAt <= now_ms


def status_text(kiosk: Kiosk, now_ms: int) -> str:
    if code_expired(kiosk, now_ms):
        return _tr("Enrolment code expired")
    if not kiosk.enrolled:
        return _tr("Waiting to be enrolled")
    return _tr("Online") if kiosk.online else _tr("Offline")


def devices_text(kiosk: Kiosk) -> str:
    """The missing devices in words ("Camera missing"), "All found", or "" before the first heartbeat."""
    if kiosk.lastSeenAt is None:
        return ""
    devices = kiosk.devices
    missing = [
        label
        for label, device in (
            (_tr("Camera missing"), devices.camera),
            (_tr("Microphone missing"), devices.microphone),
            (_tr("Speaker missing"), devices.speaker),
        )
        if not device.found
    ]
    return ", ".join(missing) if missing else _tr("All found")


def devices_tooltip(kiosk: Kiosk) -> str:
    lines = []
    for label, device in (
        (_tr("Camera"), kiosk.devices.camera),
        (_tr("Microphone"), kiosk.devices.microphone),
        (_tr("Speaker"), kiosk.devices.speaker),
    ):
        name = device.name or _tr("the first one found")
        found = _tr("found") if device.found else _tr("missing")
        lines.append(f"{label}: {name} ({found})")
    return "\n".join(lines)


def ago_text(last_seen_ms: int | None, now_ms: int) -> str:
    """ "12 s ago", "5 min ago", "3 h ago", "2 days ago"; "Never" without any heartbeat."""
    if last_seen_ms is None:
        return _tr("Never")
    seconds = max(0, (now_ms - last_seen_ms) // 1000)
    if seconds < 60:
        return _tr("{n} s ago").format(n=seconds)
    if seconds < 3600:
        return _tr("{n} min ago").format(n=seconds // 60)
    if seconds < 86400:
        return _tr("{n} h ago").format(n=seconds // 3600)
    return _tr("%n day(s) ago", seconds // 86400)


def kiosk_error_text(exc: BaseException) -> str:
    """A refusal in words: the server's own sentence for what only it knows about a kiosk (offline, removed),
    the general words otherwise (``describe_error`` would call a missing kiosk a room)."""
    if isinstance(exc, Conflict | NotFound) and exc.message:
        return as_sentence(exc.message)
    return describe_error(exc)


def format_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


class KiosksModel(TableModel[Kiosk]):
    """The kiosks of one server, sorted by name.

    Signals:
        loadingChanged(bool): the list is being read (True) or not (False).
        loaded(): the list was read and its rows are in the model.
        errorChanged(object): the list could not be read (the exception; the rows last seen are kept), or
            None once it could again.
        kioskChanged(str): a kiosk's row changed or appeared (its id), from an event or an answer.
    """

    loaded = Signal()
    kioskChanged = Signal(str)

    def __init__(
        self, client: MeetDeskClient | None = None, parent: Any = None, clock: Callable[[], float] = time.time
    ) -> None:
        columns = [
            Column(self.tr("Kiosk")),
            Column(self.tr("Room")),
            Column(self.tr("Status")),
            Column(self.tr("State")),
            Column(self.tr("Devices")),
            Column(self.tr("Last seen")),
            Column(self.tr("Version")),
        ]
        super().__init__(columns, key=lambda kiosk: kiosk.kioskId, parent=parent)
        self.client = client
        self._clock = clock
        self._generation = 0
        self._icons: dict[tuple[str, int], QIcon] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._last_seen_moved_on)
        # the server announces a kiosk's changes, not each heartbeat: "Last seen" of a kiosk that stays as it was
        # is read again now and then, so that an online kiosk is not shown as silent for minutes
        self._refresh = QTimer(self)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._refresh_quietly)

    @property
    def kiosks(self) -> list[Kiosk]:
        return self.rows

    # --- Qt model API ---------------------------------------------------------------------------------------

    def cell(self, kiosk: Kiosk, column: int, role: int) -> Any:
        if role == SortRole:
            return self._sort_value(kiosk, column)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_STATUS:
            # shapes, not only colours, tell them apart; on the highlighted row, in the highlighted text's colour
            name = "clock" if not kiosk.enrolled else "check" if kiosk.online else "error"
            return self._status_icon(name, QGuiApplication.palette().color(QPalette.ColorRole.HighlightedText))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(kiosk, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATE and not kiosk.online:
            # what an offline kiosk last said: greyed, since it may no longer be true
            return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return super().cell(kiosk, column, role)

    def _status_icon(self, name: str, selected: QColor) -> QIcon:
        key = (name, selected.rgba())
        if key not in self._icons:  # drawn once per theme, not at each repaint
            self._icons[key] = with_selected_colour(name, selected)
        return self._icons[key]

    def text(self, kiosk: Kiosk, column: int) -> str:
        if column == COL_NAME:
            return kiosk.name
        if column == COL_ROOM:
            return kiosk.roomName or kiosk.roomId
        if column == COL_STATUS:
            return status_text(kiosk, self.now_ms())
        if column == COL_STATE:
            if kiosk.lastSeenAt is None:
                return ""
            text = state_text(kiosk.state)
            return self.tr("{state} (new settings waiting)").format(state=text) if kiosk.pendingSettings else text
        if column == COL_DEVICES:
            return devices_text(kiosk)
        if column == COL_LAST_SEEN:
            return ago_text(kiosk.lastSeenAt, self.now_ms())
        if column == COL_VERSION:
            return kiosk.version or ""
        return ""

    def _sort_value(self, kiosk: Kiosk, column: int) -> Any:
        if column == COL_STATUS:  # online first, then offline, then not enrolled
            return 0 if kiosk.online else 1 if kiosk.enrolled else 2
        if column == COL_DEVICES:
            found = (kiosk.devices.camera.found, kiosk.devices.microphone.found, kiosk.devices.speaker.found)
            return -1 if kiosk.lastSeenAt is None else 3 - sum(found)
        if column == COL_LAST_SEEN:  # the most recently heard from first, never heard from last
            return -(kiosk.lastSeenAt or 0)
        return self.text(kiosk, column).casefold()

    def _tooltip(self, kiosk: Kiosk, column: int) -> str | None:
        if column == COL_NAME:
            return self.tr("{name}\nKiosk ID: {id}").format(name=kiosk.name, id=kiosk.kioskId)
        if column == COL_STATUS:
            if code_expired(kiosk, self.now_ms()):
                return self.tr("The kiosk was not enrolled in time. Re-enrol… gives it a new code.")
            if not kiosk.enrolled:
                return self.tr("Type its enrolment code on the kiosk (Re-enrol… shows a new one).")
            if kiosk.lastError:
                return self.tr("Last error: {error}").format(error=kiosk.lastError)
            return None
        if column == COL_STATE and kiosk.pendingSettings:
            return self.tr("The kiosk applies the new settings when it is not in a meeting.")
        if column == COL_DEVICES and kiosk.lastSeenAt is not None:
            return devices_tooltip(kiosk)
        if column == COL_LAST_SEEN and kiosk.lastSeenAt is not None:
            return format_time(kiosk.lastSeenAt)
        return self.text(kiosk, column) or None

    # --- contents -------------------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def set_client(self, client: MeetDeskClient | None) -> None:
        self._generation += 1
        self.client = client
        self.beginResetModel()
        self.rows = []
        self.loaded_once = False
        self.endResetModel()
        self._set_error(None)
        self._tick.stop()
        self._refresh.stop()

    async def reload(self) -> None:
        """Read the whole list again (raises what the request raised, after setting :attr:`error`)."""
        client = self.client
        if client is None:
            return
        generation = self._generation
        self._set_loading(True)
        try:
            kiosks = await client.list_kiosks()
        except Exception as exc:
            if generation == self._generation:
                logger.info("Kiosks page: the list could not be read: %r", exc)
                self._set_error(exc)
            raise
        finally:
            if generation == self._generation:
                self._set_loading(False)
        if generation != self._generation:
            return  # another server meanwhile: this answer is not about what is shown
        if self.loaded_once:
            # in place, so that the view keeps its highlighted row and scroll position
            for gone in {k.kioskId for k in self.kiosks} - {k.kioskId for k in kiosks}:
                self.remove(gone)
            for kiosk in kiosks:
                self.upsert(kiosk)
        else:
            self.beginResetModel()
            self.rows = sorted(kiosks, key=_order)
            self.loaded_once = True
            self.endResetModel()
        self._set_error(None)
        self._tick.start()
        self._refresh.start()
        self.loaded.emit()

    def upsert(self, kiosk: Kiosk) -> None:
        """A kiosk new or changed: its row updated in place, or inserted (or moved) where its name sorts."""
        row = self.row_of(kiosk.kioskId)
        if row is not None and _order(self.kiosks[row]) == _order(kiosk):
            if self.kiosks[row] != kiosk:
                self.kiosks[row] = kiosk
                self._row_changed(row)
            self.kioskChanged.emit(kiosk.kioskId)
            return
        if row is not None:
            self.remove(kiosk.kioskId)
        at = next((i for i, other in enumerate(self.kiosks) if _order(kiosk) < _order(other)), len(self.kiosks))
        self.beginInsertRows(QModelIndex(), at, at)
        self.kiosks.insert(at, kiosk)
        self.endInsertRows()
        self.kioskChanged.emit(kiosk.kioskId)

    def pause(self) -> None:
        """Stop counting "Last seen" on and reading the list now and then (the view is not on screen); the next
        :meth:`reload` starts both again."""
        self._tick.stop()
        self._refresh.stop()

    def _refresh_quietly(self) -> None:
        if self.client is not None and not self.loading:
            self._spawn(self.reload(), reported=True)  # a failure is shown through errorChanged

    def _last_seen_moved_on(self) -> None:
        self._columns_changed(COL_LAST_SEEN, COL_LAST_SEEN, [Qt.ItemDataRole.DisplayRole])


def _order(kiosk: Kiosk) -> tuple[str, str]:
    return kiosk.name.casefold(), kiosk.kioskId

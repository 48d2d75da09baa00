"""The meeting as a kiosk shows it: the participant's meeting page with large tiles and few controls (mic,
camera, hand, reactions, volume, leave), and "Reconnecting in N s" over the tiles while the session gets back in.

The session behind it never gives up (:func:`kiosk_session`): resume, then rejoin with a new token, retried
forever at a short pace, so a server restart or an expired token ends with the kiosk back in the meeting. With
``MEETDESK_MEDIA_RELAY`` set (tests and benches), its media goes through the relay service there
(:mod:`meetdesk.rtc.relay_service`), which can cut it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from meetdesk.client.recovery import ReconnectAttempt, RetryPolicy
from meetdesk.client.session import MeetingSession
from meetdesk.core.signalling import Joined
from meetdesk.kiosk.stages import SESSION_RETRY_DELAYS_S
from meetdesk.rtc.relay_service import relayed_network_from_env
from meetdesk.ui.kiosk.volume import VolumeControl, VolumeModel
from meetdesk.ui.meeting.meeting_page import MeetingPage

#: the session's own recovery, with no end
FOREVER = RetryPolicy(delays=SESSION_RETRY_DELAYS_S, give_up_after=math.inf)


def kiosk_session(*args: Any, **kwargs: Any) -> MeetingSession:
    """A :class:`MeetingSession` that keeps trying to get back in for as long as it takes."""
    network = relayed_network_from_env()
    if network is not None:
        kwargs.setdefault("peer_connection", network.peer_connection)
    return MeetingSession(*args, retry=FOREVER, **kwargs)


class KioskMeetingPage(MeetingPage):
    """The meeting page with only the controls a room needs; Leave leaves at once (no "End for all" menu). The
    volume control (before Leave) shows and sets :attr:`volume`, which the window applies to the speaker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskMeetingPage")
        bar = self.toolbar
        self.volume = VolumeModel(parent=self)
        self.volume_control = VolumeControl(self.volume)
        row = bar.layout()
        row.insertWidget(row.indexOf(bar.leave_button), self.volume_control)
        row.insertSpacing(row.indexOf(bar.leave_button), 24)
        self._extras = (
            bar.share_button,
            bar.chat_button,
            bar.people_button,
            bar.layout_button,
            bar.fullscreen_button,
            bar.settings_button,
            bar.more_button,
        )
        self._hide_extras()
        # the toolbar shows buttons again as the model changes (permissions, chat...): hidden again after it
        model = self.model
        for signal in (
            model.micOnChanged,
            model.cameraOnChanged,
            model.handRaisedChanged,
            model.devicesChanged,
            model.sharingChanged,
            model.unreadChanged,
            model.roleChanged,
            model.canChatChanged,
            model.permissionsChanged,
            model.layoutChanged,
        ):
            signal.connect(self._hide_extras)
        for name in ("chat", "participants", "fullscreen"):
            self.shortcuts[name].setEnabled(False)
        bar.leave_button.clicked.disconnect()
        bar.leave_button.clicked.connect(bar.leaveRequested.emit)
        bar.leave_button.setText(self.tr("Leave"))
        self._retry_at = 0.0
        self._countdown = QTimer(self)
        self._countdown.setInterval(250)
        self._countdown.timeout.connect(self._tick)
        self.model.connectionChanged.connect(lambda _state: self._tick())

    async def start(self, *args: Any, **kwargs: Any) -> Joined:
        """As the participant's page, without chat (nobody types at a kiosk)."""
        joined = await super().start(*args, **kwargs)
        self.model.set_can_chat(False)
        return joined

    def _hide_extras(self, *_: object) -> None:
        for button in self._extras:
            button.hide()
            button.setEnabled(False)

    @property
    def reconnect_in(self) -> float | None:
        """Seconds until the next try to get back in (None: not reconnecting)."""
        if not self.overlay.isVisible() and not self._countdown.isActive():
            return None
        return max(0.0, self._retry_at - time.monotonic())

    def _handle(self, event: object) -> None:
        if isinstance(event, ReconnectAttempt):
            self._retry_at = time.monotonic() + event.delay
            self._countdown.start()
            self._tick()
            return
        super()._handle(event)

    def _tick(self) -> None:
        if not self.overlay.isVisible():
            self._countdown.stop()
            return
        left = math.ceil(self._retry_at - time.monotonic())
        text = self.tr("Reconnecting in %n s", "", left) if left > 0 else self.tr("Reconnecting…")
        if self.overlay.text() != text:
            self.overlay.setText(text)

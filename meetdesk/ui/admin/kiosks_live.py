"""Keeps the kiosks table in step with the server: its ``KioskUpdated`` / ``KioskRemoved`` events
(``MeetDeskClient.events()``) applied to the ``KiosksModel`` as they come, so that a kiosk coming online, going
offline (the server says so within seconds of its 60 s of silence), joining, leaving or losing its camera shows
without a Refresh.

The socket's life (reading the list again when it drops and when it is back) is ``live_follower``'s.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from meetdesk.core.events import KioskRemoved, KioskUpdated, ServerEvent
from meetdesk.ui.admin.kiosks_model import KiosksModel
from meetdesk.ui.admin.live_follower import LiveFollower


class KiosksFollower(LiveFollower):
    """Applies a server's kiosk events to ``model`` while it follows that server (signals: see
    ``LiveFollower``)."""

    name = "Kiosks page"
    model: KiosksModel

    def __init__(self, model: KiosksModel, parent: QObject | None = None) -> None:
        super().__init__(model, parent)

    def apply(self, event: ServerEvent) -> None:
        if isinstance(event, KioskUpdated):
            self.model.upsert(event.kiosk)
        elif isinstance(event, KioskRemoved):
            self.model.remove(event.kioskId)

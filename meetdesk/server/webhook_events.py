"""Which events go to which webhook, and the participant events (OpenVidu Meet 3.9).

:func:`receivers` answers the dispatcher: the global webhook (when enabled) takes every event; a registered one
takes those it :func:`~meetdesk.core.webhooks.wants`. :func:`announce_participants` turns the engine's joins and
departures into ``participantJoined`` / ``participantLeft``.
"""

from __future__ import annotations

from meetdesk.core.meetings import MeetParticipantDeparture, upstream_leave_reason
from meetdesk.core.models import now_ms
from meetdesk.core.signalling import LeftReason
from meetdesk.core.webhooks import wants
from meetdesk.server.meeting.engine import LiveMeeting, MeetingEngine, Participant
from meetdesk.server.store.accounts import AccountStore
from meetdesk.server.store.webhooks import WebhookStore
from meetdesk.server.webhooks import Receiver, Receivers, WebhookDispatcher

GLOBAL = "global"


def receivers(accounts: AccountStore, registered: WebhookStore) -> Receivers:
    async def find(event: str, room_id: str | None) -> list[Receiver]:
        found: list[Receiver] = []
        config = await accounts.config("webhooks") or {}
        if config.get("enabled") and config.get("url"):
            found.append(Receiver(GLOBAL, str(config["url"])))
        found += [Receiver(w.webhookId, w.url) for w in await registered.all() if wants(w, event, room_id)]
        return found

    return find


def announce_participants(meetings: MeetingEngine, webhooks: WebhookDispatcher) -> None:
    def tell(meeting: LiveMeeting, participant: Participant, reason: LeftReason | None) -> None:
        payload = participant.payload()
        room = {"roomId": meeting.room_id, "roomName": meeting.room_name}
        if reason is None:
            webhooks.emit("participantJoined", {**room, "participant": payload.model_dump()})
            return
        left = now_ms()
        departure = MeetParticipantDeparture(
            **payload.model_dump(),
            leaveDate=left,
            durationSeconds=round(max(0, left - participant.joined_at) / 1000, 3),
            leaveReason=upstream_leave_reason(reason),
        )
        webhooks.emit("participantLeft", {**room, "participant": departure.model_dump()})

    meetings.on_participant(tell)

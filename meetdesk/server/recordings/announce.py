"""Telling the world a recording moved: the meeting's participants (signalling, and the join state of late
joiners) and the webhooks ``recordingStarted`` / ``recordingUpdated`` / ``recordingEnded`` (data: the
MeetRecording, signed and retried by the webhook dispatcher like the meeting events).

It listens to the recordings store, where every status change is made (the service's start and stop, the
recorder's finishing, the repair after a restart), so no change goes untold whoever makes it.
"""

from __future__ import annotations

import logging

from meetdesk.core.recordings import FINAL, RecordingStatus
from meetdesk.core.signalling import RecordingChanged, RecordingState
from meetdesk.core.webhooks import WebhookEvent
from meetdesk.server.meeting.engine import MeetingEngine
from meetdesk.server.store.recordings import RecordingRecord
from meetdesk.server.webhooks import WebhookDispatcher

logger = logging.getLogger(__name__)

#: the webhook each status sends (upstream: started ∈ {starting, active}, updated ∈ {active, ending}, ended
#: ∈ the final ones); a recording just added as ``starting`` is told once it is ``active``
WEBHOOK_EVENTS: dict[RecordingStatus, WebhookEvent] = {
    RecordingStatus.ACTIVE: WebhookEvent.RECORDING_STARTED,
    RecordingStatus.ENDING: WebhookEvent.RECORDING_UPDATED,
    **{status: WebhookEvent.RECORDING_ENDED for status in FINAL},
}


class RecordingAnnouncer:
    """Call :meth:`changed` with every recording whose status was just stored."""

    def __init__(self, meetings: MeetingEngine, webhooks: WebhookDispatcher) -> None:
        self._meetings = meetings
        self._webhooks = webhooks

    def changed(self, record: RecordingRecord) -> None:
        status = RecordingStatus(record.status)
        event = WEBHOOK_EVENTS.get(status)
        if event is not None:
            self._webhooks.emit(event.value, record.model().model_dump(mode="json", exclude_none=True))
        meeting = self._meetings.live(record.room_id)
        if meeting is None:
            return  # the meeting is over: nobody to tell
        state = RecordingState(recordingId=record.recording_id, status=status.value, startDate=record.start_date)
        if status in FINAL:
            if meeting.recording is not None and meeting.recording.recordingId != record.recording_id:
                return  # an older recording repaired late: the meeting's current one is another
            meeting.recording = None
        else:
            meeting.recording = state
        meeting.broadcast(RecordingChanged(recording=state))
        logger.info("Room(%s) recording %s: participants told it is %s", record.room_id, record.recording_id, status)

"""A change of the room's roles during a meeting, with real aiortc peers: what a speaker may no longer send
stops reaching the others at once (the server stops forwarding it and the speaker's session stops it), a
screen share is refused while not allowed, and what is allowed again is sent again."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.client.publisher import PublishError
from meetdesk.client.session import MeetingSession, SessionEvent
from meetdesk.core.signalling import ParticipantUpdated, RoleChanged
from tests.conftest import API_KEY, LiveServer
from tests.integration.meeting_helpers import SessionLog, create_room, frames_from, until

CAMERA, SCREEN = 2, 9


async def change_speaker(live: LiveServer, room_id: str, **permissions: bool) -> None:
    async with live.http(**{"X-API-KEY": API_KEY}) as api:
        answer = await api.put(
            f"/api/v1/rooms/{room_id}/roles", json={"roles": {"speaker": {"permissions": permissions}}}
        )
        assert answer.status_code == 200, answer.text


async def test_withdrawn_permissions_stop_media_live(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", publish_video=False, publish_audio=False)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=CAMERA)
    ana_log, bo_log = SessionLog(ana), SessionLog(bo)
    await ana.join()
    await bo.join()
    assert bo.joined is not None
    bo_id = bo.joined.you.identity
    try:
        await bo.share_screen(SyntheticCamera(SCREEN, width=320, height=240, fps=15))
        await until(lambda: frames_from(ana, bo_id, "screen") >= 5 and frames_from(ana, bo_id) >= 5)

        def bo_sends(sources: set[str]) -> Callable[[SessionEvent], bool]:
            def match(event: SessionEvent) -> bool:
                return (
                    isinstance(event, ParticipantUpdated)
                    and event.participant.identity == bo_id
                    and set(event.participant.tracks.values()) == sources
                )

            return match

        start = len(ana_log.events)
        await change_speaker(live_server, room["roomId"], canShareScreen=False, canPublishVideo=False)
        # Ana sees Bo's screen and camera go (the server stopped forwarding them)...
        await ana_log.next(bo_sends({"microphone"}), after=start)
        # ...and Bo's session was told, and stopped sharing
        await bo_log.next(lambda e: isinstance(e, RoleChanged) and not e.permissions.openvidu.canShareScreen)
        await until(lambda: not bo.sharing_screen)  # the share stops after the message, in a task of its own
        assert bo.permissions.canShareScreen is False and bo.permissions.canPublishVideo is False
        with pytest.raises(PublishError, match="Your role may not share a screen in this room"):
            await bo.share_screen(SyntheticCamera(SCREEN, width=320, height=240, fps=15))

        # the camera allowed again: Bo sends it again, and Ana gets it
        start = len(ana_log.events)
        await change_speaker(live_server, room["roomId"], canPublishVideo=True)
        await ana_log.next(bo_sends({"microphone", "camera"}), after=start)
        frames = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= frames + 10)
    finally:
        await bo.leave()
        await ana.leave()

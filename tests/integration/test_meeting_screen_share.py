"""Screen share: a second video track on the publisher connection, with the source "screen".

A real server and real aiortc peers; the "screen" is a synthetic camera with its own source id, so
the receiver can tell by the content which track is which.
"""

from __future__ import annotations

from collections.abc import Callable

from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.client.session import MeetingSession, SessionEvent, SessionState
from meetdesk.core.signalling import ParticipantUpdated
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import SessionLog, create_room, frames_from, until

CAMERA, SCREEN, SECOND_SCREEN = 2, 9, 10


def markers(session: MeetingSession, identity: str, source: str) -> set[int]:
    return {m for r in session.remote.values() if r.identity == identity and r.source == source for m in r.markers_seen}


def screen_tracks(session: MeetingSession, identity: str) -> list[str]:
    """The m-lines that carry ``identity``'s screen now."""
    return [r.mid for r in session.remote.values() if r.identity == identity and r.source == "screen" and r.active]


async def test_screen_share_starts_stops_and_starts_again(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", publish_video=False, publish_audio=False)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=CAMERA)
    ana_log = SessionLog(ana)
    await ana.join()
    await bo.join()
    assert bo.joined is not None
    bo_id = bo.joined.you.identity
    try:
        await until(lambda: frames_from(ana, bo_id) >= 10)
        publisher = bo._publisher.pc

        def screen_announced(shared: bool) -> Callable[[SessionEvent], bool]:
            def match(event: SessionEvent) -> bool:
                return (
                    isinstance(event, ParticipantUpdated)
                    and event.participant.identity == bo_id
                    and event.participant.screen is shared
                    and ("screen" in event.participant.tracks.values()) is shared
                )

            return match

        # share: Ana gets a second video track from Bo, tagged "screen", with the screen's content
        start = len(ana_log.events)
        await bo.share_screen(SyntheticCamera(SCREEN, width=320, height=240, fps=15))
        await until(lambda: frames_from(ana, bo_id, "screen") >= 10)
        assert markers(ana, bo_id, "screen") == {SCREEN} and markers(ana, bo_id, "camera") == {CAMERA}
        assert len(screen_tracks(ana, bo_id)) == 1
        await ana_log.next(screen_announced(True), after=start)
        # the camera went on on the same connection: renegotiated, not rebuilt
        assert bo._publisher.pc is publisher and bo.sharing_screen
        camera_frames = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= camera_frames + 10)

        # stop: the screen track goes away for Ana (renegotiation); the camera keeps coming
        start = len(ana_log.events)
        await bo.stop_screen_share()
        await until(lambda: not screen_tracks(ana, bo_id))
        await ana_log.next(screen_announced(False), after=start)
        camera_frames = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= camera_frames + 10)
        assert not bo.sharing_screen and bo._publisher.pc is publisher

        # share again (another window): the idle transceiver carries it; Ana sees the new content
        start = len(ana_log.events)
        await bo.share_screen(SyntheticCamera(SECOND_SCREEN, width=320, height=240, fps=15))
        await until(lambda: SECOND_SCREEN in markers(ana, bo_id, "screen"))
        screen_frames = frames_from(ana, bo_id, "screen")
        await until(lambda: frames_from(ana, bo_id, "screen") >= screen_frames + 10)
        assert len(screen_tracks(ana, bo_id)) == 1
        await ana_log.next(screen_announced(True), after=start)
        assert bo._publisher.pc is publisher and len(publisher.getTransceivers()) == 4  # camera (2 layers), mic, screen
        assert bo.state is SessionState.CONNECTED and ana.state is SessionState.CONNECTED
    finally:
        ana_log.close()
        await bo.leave()
        await ana.leave()


async def test_a_screen_source_that_ends_stops_the_share(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", publish_video=False, publish_audio=False)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=CAMERA, publish_audio=False)
    await ana.join()
    await bo.join()
    assert bo.joined is not None
    bo_id = bo.joined.you.identity
    try:
        screen = SyntheticCamera(SCREEN, width=320, height=240, fps=15)
        await bo.share_screen(screen)
        await until(lambda: frames_from(ana, bo_id, "screen") >= 5)
        screen.stop()  # the shared window was closed
        await until(lambda: not bo.sharing_screen and not screen_tracks(ana, bo_id))
        camera_frames = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= camera_frames + 10)
    finally:
        await bo.leave()
        await ana.leave()

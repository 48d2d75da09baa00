"""Two-layer simulcast on loopback: a publisher sends its camera full and as a low layer; each subscriber
gets the layer its tiles call for, on one camera track whatever the layer.

A real server, real aiortc peers, synthetic 640x480 cameras (their marker says whose picture arrives).
"""

from __future__ import annotations

from meetdesk.client.session import MeetingSession
from meetdesk.core.simulcast import Layer
from meetdesk.server.meeting.media import MediaRouter
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until

BO_CAMERA = 7


def camera(session: MeetingSession, identity: str) -> list[tuple[int, int] | None]:
    """The size of the last frame of every camera track ``session`` gets from ``identity`` now."""
    return [r.size for r in session.remote.values() if r.identity == identity and r.source == "camera" and r.active]


async def test_a_small_tile_gets_the_low_layer_and_a_large_one_the_full_layer(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    bo = MeetingSession(room["moderatorUrl"], "Bo", source_id=BO_CAMERA, publish_audio=False)
    ana = MeetingSession(room["speakerUrl"], "Ana", publish_video=False, publish_audio=False)
    cy = MeetingSession(room["speakerUrl"], "Cy", publish_video=False, publish_audio=False)
    await bo.join()
    await ana.join()
    await cy.join()
    assert bo.joined is not None
    bo_id = bo.joined.you.identity
    router = live_server.ctx.meetings.media
    assert isinstance(router, MediaRouter)
    try:
        # both layers reach the server, tied to one camera: the others are told of one camera track
        await until(lambda: frames_from(ana, bo_id) >= 10 and frames_from(cy, bo_id) >= 10)
        stats = router.forwarder_stats(room["roomId"], bo_id)
        assert stats["camera"].frames_received > 0 and stats["camera_low"].frames_received > 0
        assert list(bo.joined.you.tracks.values()).count("camera_low") == 0
        info = live_server.ctx.meetings.participant(room["roomId"], bo_id).info()
        assert sorted(info.tracks.values()) == ["camera"]
        # no tiles reported: the full picture
        assert camera(ana, bo_id) == [(640, 480)]
        assert router.layer(room["roomId"], ana.joined.you.identity, bo_id) is Layer.FULL  # type: ignore[union-attr]

        # Ana shows Bo in a small tile: the low layer, on the same track (no new m-line), still Bo's picture
        tracks_before = {r.mid for r in ana.remote.values() if r.identity == bo_id}
        await ana.report_tiles({bo_id: (240, 180)})
        await until(lambda: camera(ana, bo_id) == [(320, 240)], timeout=10)
        received = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= received + 10)
        assert camera(ana, bo_id) == [(320, 240)]
        assert {r.mid for r in ana.remote.values() if r.identity == bo_id} == tracks_before
        remote = next(r for r in ana.remote.values() if r.identity == bo_id and r.source == "camera")
        assert remote.last_marker is not None and remote.last_marker[0] == BO_CAMERA

        # Cy, who reported nothing, is not affected: the full picture all along
        assert camera(cy, bo_id) == [(640, 480)]

        # a large tile again: back to the full layer
        await ana.report_tiles({bo_id: (1280, 720)})
        await until(lambda: camera(ana, bo_id) == [(640, 480)], timeout=10)
        received = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= received + 10)
        assert camera(ana, bo_id) == [(640, 480)]
        assert camera(cy, bo_id) == [(640, 480)]
    finally:
        for session in (cy, ana, bo):
            await session.leave()


async def test_a_publisher_without_the_low_layer_is_forwarded_full_to_a_small_tile(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    bo = MeetingSession(room["moderatorUrl"], "Bo", source_id=BO_CAMERA, publish_audio=False, simulcast=False)
    ana = MeetingSession(room["speakerUrl"], "Ana", publish_video=False, publish_audio=False)
    await bo.join()
    await ana.join()
    assert bo.joined is not None
    bo_id = bo.joined.you.identity
    try:
        await ana.report_tiles({bo_id: (160, 120)})
        await until(lambda: frames_from(ana, bo_id) >= 30)
        assert camera(ana, bo_id) == [(640, 480)]
        router = live_server.ctx.meetings.media
        assert isinstance(router, MediaRouter)
        assert "camera_low" not in router.forwarder_stats(room["roomId"], bo_id)
    finally:
        await ana.leave()
        await bo.leave()

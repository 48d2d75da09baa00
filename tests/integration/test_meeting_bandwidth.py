"""Congestion control towards each subscriber, through the impairment harness: P's downlink is capped; the SFU
learns it from P's own receivers (REMB), gives P the low layer, pauses P's video when even that does not fit
(P is told, audio goes on), and brings the full layer back once the cap is lifted (probing the link). A and B,
on clean links, are not affected.

Real server, real aiortc peers, synthetic 640x480 cameras with their low layers.
"""

from __future__ import annotations

import logging

from meetdesk.client.session import MeetingSession
from meetdesk.core.simulcast import Layer
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.server.meeting.media import MediaRouter
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until

logger = logging.getLogger(__name__)


async def test_a_capped_downlink_gets_the_low_layer_then_a_pause_then_the_full_layer_back(
    live_server: LiveServer,
) -> None:
    room = await create_room(live_server)
    network = ImpairedNetwork(seed=3)
    a = MeetingSession(room["moderatorUrl"], "A", source_id=2)
    b = MeetingSession(room["speakerUrl"], "B", publish_video=False, publish_audio=False)
    p = MeetingSession(
        room["speakerUrl"], "P", source_id=1, publish_video=False, peer_connection=network.peer_connection
    )
    router = live_server.ctx.meetings.media
    assert isinstance(router, MediaRouter)
    try:
        for session in (a, b, p):
            await session.join()
        a_id, p_id = (s.joined.you.identity for s in (a, p))  # type: ignore[union-attr]
        room_id = room["roomId"]
        await until(lambda: frames_from(p, a_id) >= 30 and frames_from(b, a_id) >= 30, timeout=30)
        assert router.layer(room_id, p_id, a_id) is Layer.FULL
        assert p.paused_video == frozenset()

        # 320 kbit/s: A's full layer (~250 kbit/s of this synthetic camera) and microphone (32 kbit/s Opus, ~55 with
        # headers) barely fit and A's encoder overshoots (overuse shows as a fifth of the packets lost); the low
        # layer (~60-120) fits
        network.set("down", rate_kbps=320, queue_ms=100)
        # (the first estimate may be low enough to pause the video for a while: probes bring the low layer)
        await until(lambda: router.layer(room_id, p_id, a_id) is Layer.LOW and not p.paused_video, timeout=45)
        await until(lambda: p.downlink_limited and not p.paused_video, timeout=10)  # P is told
        assert p.downlink_bps is not None and p.downlink_bps < 320_000
        received = frames_from(p, a_id)
        await until(lambda: frames_from(p, a_id) >= received + 30, timeout=20)
        b_before = frames_from(b, a_id)
        # offered to P's link no more than a little over what it carries (no storm; probes and retransmissions
        # included), counted at the relay over some seconds of the link's own packets
        down = network.total("down")
        offered, carried = down.received, down.sent
        await until(lambda: network.total("down").sent >= carried + 600, timeout=40)
        down = network.total("down")
        assert down.received - offered <= 1.2 * (down.sent - carried) + 10
        # B is not slowed by P's weak link: its video of A keeps coming
        await until(lambda: frames_from(b, a_id) >= b_before + 30, timeout=20)

        # 90 kbit/s: not even the low layer, with the microphone (~55 with its headers): P's video of A pauses (P is
        # told; the estimate falls by half at most per step), audio goes on
        network.set("down", rate_kbps=90, queue_ms=100)
        await until(lambda: a_id in p.paused_video, timeout=40)
        audio = frames_from(p, a_id, "microphone")
        await until(lambda: frames_from(p, a_id, "microphone") >= audio + 50, timeout=20)
        b_before = frames_from(b, a_id)
        await until(lambda: frames_from(b, a_id) >= b_before + 30, timeout=20)

        # the cap lifted: the video comes back, at the full layer
        network.set("down", rate_kbps=None)
        await until(lambda: a_id not in p.paused_video, timeout=20)
        # (probing up step by step from the paused estimate; a safety net, not a figure: bench/network_bench.py)
        await until(lambda: router.layer(room_id, p_id, a_id) is Layer.FULL, timeout=60)
        received = frames_from(p, a_id)
        await until(lambda: frames_from(p, a_id) >= received + 30, timeout=20)
        camera = [r.size for r in p.remote.values() if r.identity == a_id and r.source == "camera" and r.active]
        assert camera == [(640, 480)]
    finally:
        for session in (p, b, a):
            await session.leave()
        network.close()

"""Loss recovery on a lossy link (issue 13): the SFU answers a subscriber's NACKs from its own retransmission
history, and the video of a participant behind a lossy link keeps coming, while the others are unaffected.

The link's own packet counts are the clock here: a bound is "while so many packets crossed the lossy link",
and rates are compared with a clean receiver of the same camera over the same span, never with seconds."""

from __future__ import annotations

from meetdesk.client.session import MeetingSession
from meetdesk.rtc.impair import Impairment
from meetdesk.rtc.impaired_path import ImpairedNetwork
from meetdesk.server.sfu.history import HistoryStats
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until


def retransmissions(live_server: LiveServer, room_id: str, publisher: str, subscriber: str) -> HistoryStats:
    stats = live_server.ctx.meetings.media.forwarder_stats(room_id, publisher)["camera"].subscribers[subscriber]
    assert stats.retransmissions is not None, "the subscriber's sender has no retransmission history"
    return stats.retransmissions


async def test_at_10_percent_loss_the_sfu_retransmits_and_video_keeps_coming(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    network = ImpairedNetwork(seed=3)
    # A publishes; P (behind the lossy link) and B (clean: the reference) only receive
    a = MeetingSession(room["speakerUrl"], "A", source_id=2, publish_audio=False)
    p = MeetingSession(
        room["moderatorUrl"], "P", publish_video=False, publish_audio=False, peer_connection=network.peer_connection
    )
    b = MeetingSession(room["speakerUrl"], "B", publish_video=False, publish_audio=False)
    try:
        for session in (a, p, b):
            await session.join()
        a_id, p_id, b_id = (s.joined.you.identity for s in (a, p, b))  # type: ignore[union-attr]
        await until(lambda: frames_from(p, a_id) >= 30 and frames_from(b, a_id) >= 30, timeout=30)

        network.set("down", Impairment(loss=0.10))
        start_sent = network.total("down").sent
        start_p, start_b = frames_from(p, a_id), frames_from(b, a_id)
        await until(lambda: network.total("down").sent >= start_sent + 600, timeout=60)
        got_p, got_b = frames_from(p, a_id) - start_p, frames_from(b, a_id) - start_b
        history = retransmissions(live_server, room["roomId"], a_id, p_id)
        down = network.total("down")
        # the SFU answered P's NACKs: packets lost on the way to P were sent again, from its own history
        assert history.retransmitted >= 0.5 * down.lost > 0
        # and no storm: what it sent again is of the order of what was lost, not a multiple
        assert history.retransmitted <= 3 * down.lost
        # P, behind 10% loss, decoded most of what B, on a clean path, decoded over the same span
        assert got_p >= 0.8 * got_b > 0
        # B lost nothing, so its sender had nothing to send again
        assert retransmissions(live_server, room["roomId"], a_id, b_id).retransmitted == 0
    finally:
        for session in (a, p, b):
            await session.leave()
        network.close()

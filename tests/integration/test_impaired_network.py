"""A participant behind the impairment harness (meetdesk.rtc.impaired_path): its media really crosses the
impaired link, both ways, and what the link does reaches the meeting while the others are unaffected. The same
with the harness as a service another process asks for its links (meetdesk.rtc.relay_service)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from meetdesk.client.publisher import PeerConnectionFactory
from meetdesk.client.session import MeetingSession
from meetdesk.rtc.impaired_path import ImpairedNetwork, LinkGroup
from meetdesk.rtc.relay_service import RelayedNetwork, RelayService, parse_control_address
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room, frames_from, until


@pytest.fixture(params=["in-process", "relay-service"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[tuple[PeerConnectionFactory, LinkGroup]]:
    """P's peer connections and the links they go through: in this process, or asked of a relay service."""
    if request.param == "in-process":
        network = ImpairedNetwork(seed=1)
        yield network.peer_connection, network
        network.close()
    else:
        service = await RelayService(seed=1).start()
        yield RelayedNetwork(parse_control_address(service.address)).peer_connection, service
        await service.close()


async def test_a_participant_behind_the_harness_meets_through_it_and_a_cut_stops_only_its_media(
    live_server: LiveServer, harness: tuple[PeerConnectionFactory, LinkGroup]
) -> None:
    room = await create_room(live_server)
    peer_connection, network = harness
    p = MeetingSession(room["moderatorUrl"], "P", source_id=1, peer_connection=peer_connection)
    a = MeetingSession(room["speakerUrl"], "A", source_id=2)
    try:
        for session in (p, a):
            await session.join()
        p_id, a_id = (s.joined.you.identity for s in (p, a))  # type: ignore[union-attr]
        await until(lambda: frames_from(p, a_id) >= 30 and frames_from(a, p_id) >= 30, timeout=20)
        # publisher and subscriber connections each have their own link, and the media crossed them
        assert len(network.links) == 2
        assert network.total("up").sent >= 30 and network.total("down").sent >= 30
        assert all(link.participant is not None and link.server is not None for link in network.links)

        network.set("both", cut=True)
        cut_at = network.total("down").cut
        await until(lambda: network.total("down").cut >= cut_at + 30, timeout=10)
        p_before, a_before = frames_from(p, a_id), frames_from(a, p_id)
        await until(lambda: network.total("down").cut >= cut_at + 90, timeout=10)
        # nothing crosses a cut: P gets no new frame and A none from P
        assert frames_from(p, a_id) <= p_before + 1 and frames_from(a, p_id) <= a_before + 1

        network.set("both", cut=False)
        await until(lambda: frames_from(p, a_id) >= p_before + 10 and frames_from(a, p_id) >= a_before + 10, 30)
    finally:
        for session in (p, a):
            await session.leave()


async def test_after_a_cut_video_comes_back_within_a_second_of_the_network_returning(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    network = ImpairedNetwork(seed=2)
    p = MeetingSession(room["moderatorUrl"], "P", source_id=1, peer_connection=network.peer_connection)
    a = MeetingSession(room["speakerUrl"], "A", source_id=2)
    try:
        for session in (p, a):
            await session.join()
        p_id, a_id = (s.joined.you.identity for s in (p, a))  # type: ignore[union-attr]
        await until(lambda: frames_from(p, a_id) >= 30 and frames_from(a, p_id) >= 30, timeout=20)
        network.set("both", cut=True)
        # a cut longer than the SFU's retransmission history (the last second of each stream): without asking
        # for a keyframe at the gap, P's jitter buffer waited for 512 packets
        await until(lambda: network.total("down").cut >= 450, timeout=15)
        p_before, a_before = frames_from(p, a_id), frames_from(a, p_id)
        network.set("both", cut=False)
        # issue 13's figure is 1 s: bench/network_bench.py measures it (0.3-0.6 s both ways on a quiet machine;
        # with this test's server and both participants' real VP8 encoders in one process on a machine at load
        # 15, a keyframe can take over a second to be encoded and sent). The bound is a safety net that still
        # tells the fix from the stalls it replaces (5-20 s: the receiver's fresh jitter buffer starting on a
        # retransmission of the cut's last second; the SFU waiting out the cut's holes one by one)
        await until(lambda: frames_from(p, a_id) >= p_before + 5 and frames_from(a, p_id) >= a_before + 5, 8.0)
    finally:
        for session in (p, a):
            await session.leave()
        network.close()

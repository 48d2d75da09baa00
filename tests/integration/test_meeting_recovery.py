"""A participant gets back into its meeting after trouble, on a real server with real aiortc peers.

- a publisher or subscriber peer connection that closes under it (its other end closed it, or the
  client's own transport died) is rebuilt, under the same identity, and media flows again;
- a signalling outage longer than the server's grace period (the signalling goes through a TCP
  proxy the test cuts; media keeps its own path) ends in a full rejoin with a new token;
- a server restart ends in a full rejoin once the server is back;
- a server that does not come back ends the session as a network disconnect, within the retry policy;
- a resume refused for its token (expired, or signed by a server that forgot its key) becomes a rejoin.

Receivers (``Ana``) publish nothing, so that the two shared cores decode one stream, not several.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from meetdesk.client.api import parse_room_link
from meetdesk.client.recovery import ReconnectAttempt, RetryPolicy, reconnect
from meetdesk.client.session import MeetingSession, SessionState, StateChanged
from meetdesk.core.signalling import ParticipantJoined, ParticipantLeft
from meetdesk.server.main import MeetDeskServer
from meetdesk.server.meeting.media import MediaRouter
from tests.conftest import API_KEY, LiveServer, ServerProcess
from tests.integration.meeting_helpers import SessionLog, SignallingProxy, create_room, frames_from, until

FAST_RETRY = RetryPolicy(delays=(0.1, 0.25, 0.5, 1.0), give_up_after=60.0)


async def receiving(session: MeetingSession, identity: str, frames: int = 10, source: str = "camera") -> int:
    """Wait until ``session`` has ``frames`` more video frames of ``identity``; returns the count."""
    start = frames_from(session, identity, source)
    await until(lambda: frames_from(session, identity, source) >= start + frames)
    return frames_from(session, identity, source)


def markers(session: MeetingSession, identity: str, source: str = "camera") -> set[int]:
    return {m for r in session.remote.values() if r.identity == identity and r.source == source for m in r.markers_seen}


def identity(session: MeetingSession) -> str:
    assert session.joined is not None
    return session.joined.you.identity


@dataclass
class Pair:
    """Ana (receives only) and Bo (synthetic camera 2 and microphone) in a meeting, their events logged."""

    ana: MeetingSession
    bo: MeetingSession
    ana_log: SessionLog
    bo_log: SessionLog

    @classmethod
    async def join(cls, ana_link: str, bo_link: str) -> Pair:
        ana = MeetingSession(ana_link, "Ana", publish_video=False, publish_audio=False, retry=FAST_RETRY)
        bo = MeetingSession(bo_link, "Bo", source_id=2, retry=FAST_RETRY)
        pair = cls(ana, bo, SessionLog(ana), SessionLog(bo))
        await ana.join()
        await bo.join()
        await receiving(ana, identity(bo))
        return pair

    async def leave(self) -> None:
        self.ana_log.close()
        self.bo_log.close()
        await self.bo.leave()
        await self.ana.leave()


@pytest.mark.parametrize("broken", ["server side", "client side"])
async def test_a_publisher_connection_that_closes_is_rebuilt_and_republished(
    live_server: LiveServer, broken: str
) -> None:
    room = await create_room(live_server)
    meeting = await Pair.join(room["moderatorUrl"], room["speakerUrl"])
    ana, bo, log = meeting.ana, meeting.bo, meeting.bo_log
    router = live_server.ctx.meetings.media
    assert isinstance(router, MediaRouter)
    try:
        bo_id = identity(bo)
        server_pc, _ = router.peer_connections(room["roomId"], bo_id)
        client_pc = bo._publisher.pc
        assert server_pc is not None and client_pc is not None
        assert SessionState.RECONNECTING.value not in log.states
        if broken == "server side":
            await server_pc.close()  # its DTLS close_notify reaches Bo: aiortc closes Bo's connection
        else:
            # Bo's own ICE transport dies (as when its network interface goes away); nothing reaches the server
            await client_pc.getTransceivers()[0].sender.transport.transport.stop()
        lost = await log.state(SessionState.RECONNECTING)
        before = frames_from(ana, bo_id)
        await log.state(SessionState.CONNECTED, after=lost)
        # same participant, new connections on both sides
        assert identity(bo) == bo_id and bo.state is SessionState.CONNECTED
        new_server_pc, _ = router.peer_connections(room["roomId"], bo_id)
        assert bo._publisher.pc is not client_pc and new_server_pc is not server_pc
        assert client_pc.connectionState == "closed" and server_pc.connectionState == "closed"
        # Ana sees Bo's camera again: more frames than before the failure, still drawn by source 2
        await until(lambda: frames_from(ana, bo_id) >= before + 20)
        assert markers(ana, bo_id) == {2}
        assert "reconnecting" not in meeting.ana_log.states
    finally:
        await meeting.leave()


async def test_a_subscriber_connection_that_closes_is_offered_again(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", publish_video=False, publish_audio=False)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2)
    log = SessionLog(ana)
    await ana.join()
    await bo.join()
    router = live_server.ctx.meetings.media
    assert isinstance(router, MediaRouter)
    try:
        bo_id = identity(bo)
        await receiving(ana, bo_id)
        _, server_pc = router.peer_connections(room["roomId"], identity(ana))
        client_pc = ana._subscriber.pc
        assert server_pc is not None and client_pc is not None
        await server_pc.close()  # the server's side of Ana's subscriber connection goes away
        lost = await log.state(SessionState.RECONNECTING)
        before = frames_from(ana, bo_id)
        await log.state(SessionState.CONNECTED, after=lost)
        assert ana._subscriber.pc is not client_pc and client_pc.connectionState == "closed"
        await until(lambda: frames_from(ana, bo_id) >= before + 20)
        assert markers(ana, bo_id) == {2}
    finally:
        log.close()
        await bo.leave()
        await ana.leave()


async def test_a_subscriber_connection_that_fails_on_the_client_side_only_is_offered_again(
    live_server: LiveServer,
) -> None:
    room = await create_room(live_server)
    meeting = await Pair.join(room["moderatorUrl"], room["speakerUrl"])
    ana, bo, log = meeting.ana, meeting.bo, meeting.ana_log
    router = live_server.ctx.meetings.media
    assert isinstance(router, MediaRouter)
    try:
        ana_id, bo_id = identity(ana), identity(bo)
        _, server_pc = router.peer_connections(room["roomId"], ana_id)
        client_pc = ana._subscriber.pc
        assert server_pc is not None and client_pc is not None
        # Ana's own ICE transport dies (as when its network interface goes away): nothing reaches the server,
        # whose side stays "connected" until ICE consent expires (~30 s). Ana asks for a new connection.
        await client_pc.getTransceivers()[0].receiver.transport.transport.stop()
        async with asyncio.timeout(10):
            lost = await log.state(SessionState.RECONNECTING)
            before = frames_from(ana, bo_id)
            await log.state(SessionState.CONNECTED, after=lost)
            # new connections on both sides: the server dropped its side long before its ICE consent expired
            _, new_server_pc = router.peer_connections(room["roomId"], ana_id)
            assert ana._subscriber.pc is not client_pc and new_server_pc is not server_pc
            assert client_pc.connectionState == "closed" and server_pc.connectionState == "closed"
            await until(lambda: frames_from(ana, bo_id) >= before + 20)
        assert identity(ana) == ana_id and markers(ana, bo_id) == {2}
        assert "reconnecting" not in meeting.bo_log.states  # Bo's connections were not touched
    finally:
        await meeting.leave()


async def test_after_the_grace_period_the_session_rejoins_with_a_new_identity(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    proxy = SignallingProxy(urlsplit(live_server.url).port or 0)
    await proxy.start()
    ana = MeetingSession(room["moderatorUrl"], "Ana", publish_video=False, publish_audio=False)
    ana_log = SessionLog(ana)
    await ana.join()
    ana_log_start = len(ana_log.events)
    bo = MeetingSession(proxy.link(room["speakerUrl"]), "Bo", source_id=2, retry=FAST_RETRY)
    log = SessionLog(bo)
    await bo.join()
    try:
        old_id = identity(bo)
        await receiving(ana, old_id)
        proxy.drop_all()
        lost = await log.state(SessionState.RECONNECTING)
        # the server's grace (2 s here) runs out: the others see Bo leave
        await ana_log.next(
            lambda e: isinstance(e, ParticipantLeft) and e.identity == old_id and e.reason == "network_disconnect",
            after=ana_log_start,
        )
        # Bo gives up resuming: its next attempt is a rejoin with a new token; the network comes back
        await log.next(lambda e: isinstance(e, ReconnectAttempt) and e.rejoin, after=lost)
        proxy.cut = False
        back = await log.state(SessionState.CONNECTED, after=lost)
        assert log.states[-3:] == ["connected", "reconnecting", "connected"]
        assert not any(isinstance(e, StateChanged) and e.state is SessionState.DISCONNECTED for e in log.events[lost:])
        assert bo.joined is not None and not bo.joined.resumed
        new_id = identity(bo)
        assert new_id != old_id and bo.joined.you.name == "Bo"
        await ana_log.next(
            lambda e: (
                isinstance(e, ParticipantJoined) and e.participant.identity == new_id and e.participant.name == "Bo"
            ),
            after=ana_log_start,
        )
        await receiving(ana, new_id, frames=20)
        assert markers(ana, new_id) == {2}
        assert back > lost
    finally:
        log.close()
        ana_log.close()
        await bo.leave()
        await ana.leave()
        await proxy.close()


async def _room(url: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-KEY": API_KEY}) as api:
        response = await api.post("/api/v1/rooms", json={"roomName": "Restart"})
        assert response.status_code == 201
        room: dict[str, str] = response.json()
        return room


@pytest.mark.slow
async def test_after_a_server_restart_everyone_rejoins(server_process: ServerProcess) -> None:
    room = await _room(server_process.url)
    meeting = await Pair.join(room["moderatorUrl"], room["speakerUrl"])
    ana, bo = meeting.ana, meeting.bo
    try:
        # SIGTERM: a graceful stop tells everyone "server_shutdown", then the same data dir comes back up
        await asyncio.to_thread(server_process.stop)
        lost = await meeting.bo_log.state(SessionState.RECONNECTING)
        ana_lost = await meeting.ana_log.state(SessionState.RECONNECTING)
        await asyncio.to_thread(server_process.start)
        await meeting.bo_log.state(SessionState.CONNECTED, after=lost)
        await meeting.ana_log.state(SessionState.CONNECTED, after=ana_lost)
        assert bo.joined is not None and not bo.joined.resumed and bo.joined.you.name == "Bo"
        assert ana.joined is not None and [p.name for p in ana.joined.participants] in ([], ["Bo"])
        await receiving(ana, identity(bo), frames=20)
        assert markers(ana, identity(bo)) == {2}
        assert "disconnected" not in meeting.bo_log.states + meeting.ana_log.states
    finally:
        await meeting.leave()


async def test_a_server_that_does_not_come_back_ends_the_session(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    policy = RetryPolicy(delays=(0.1, 0.3), give_up_after=2.0)
    bo = MeetingSession(room["speakerUrl"], "Bo", publish_video=False, publish_audio=False, retry=policy)
    log = SessionLog(bo)
    await bo.join()
    try:
        assert isinstance(live_server.server, MeetDeskServer)
        live_server.server.should_exit = True  # stops for good
        end = await log.state(SessionState.DISCONNECTED)
        final = log.events[end]
        assert isinstance(final, StateChanged) and final.reason == "network_disconnect"
        assert final.detail is not None and "Could not get back into the meeting" in final.detail
        attempts = [e for e in log.events if isinstance(e, ReconnectAttempt)]
        assert len(attempts) >= 2 and all(e.rejoin for e in attempts)  # the server said it shut down
        assert log.states[-2:] == ["reconnecting", "disconnected"]
        assert bo.end_reason == "network_disconnect"
    finally:
        log.close()
        await bo.leave()


async def test_a_resume_the_server_refuses_for_its_token_becomes_a_rejoin(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    attempts: list[ReconnectAttempt] = []
    back = await reconnect(
        parse_room_link(room["speakerUrl"]),
        "Bo",
        "an-expired-token",
        session_id="a-session-the-server-forgot",
        grace=20.0,
        policy=FAST_RETRY,
        announce=attempts.append,
    )
    try:
        assert [a.rejoin for a in attempts] == [False, True]
        joined = back.signalling.joined
        assert back.rejoined and back.token != "an-expired-token"
        assert joined is not None and not joined.resumed and joined.you.name == "Bo"
    finally:
        await back.signalling.close()

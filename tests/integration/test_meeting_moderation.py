"""Moderation enforced by the server, with real participants: mute one, mute everyone, lock, a deleted room.

A muted microphone is held by the SFU (its frames no longer reach anyone, counted at the receivers),
only its owner can unmute it, and both signalling and REST refuse these actions to a speaker.
"""

from __future__ import annotations

import pytest

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.errors import Conflict, Forbidden, NotFound
from meetdesk.client.session import MeetingSession
from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.core.signalling import Leave, LockMeeting, MediaState, MuteEveryone, MuteParticipant
from meetdesk.server.meeting.media import MediaRouter
from tests.conftest import API_KEY, LiveServer
from tests.integration.meeting_helpers import Peer, SessionLog, api_as, create_room, frames_from, join, token, until


def audio_from(session: MeetingSession, identity: str) -> int:
    return frames_from(session, identity, "microphone")


def identity(session: MeetingSession) -> str:
    assert session.joined is not None
    return session.joined.you.identity


async def room_status(live: LiveServer, room_id: str) -> str:
    async with live.http(**{"X-API-KEY": API_KEY}) as api:
        status: str = (await api.get(f"/api/v1/rooms/{room_id}")).json()["status"]
        return status


async def test_muted_audio_stops_reaching_the_others_until_the_participant_unmutes(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2)
    cy = MeetingSession(room["speakerUrl"], "Cy", source_id=3)
    bo_log = SessionLog(bo)
    for session in (ana, bo, cy):
        await session.join()
    bo_id = identity(bo)
    try:
        await until(lambda: audio_from(ana, bo_id) >= 20 and audio_from(cy, bo_id) >= 20)

        await ana.mute(bo_id)
        muted = await bo_log.next(lambda e: getattr(e, "type", None) == "muted")
        assert bo_log.events[muted].byName == "Ana"  # type: ignore[union-attr]
        assert not bo.audio_enabled  # the session turned its microphone off as told
        # a client that ignores the mute and sends anyway is still not heard: the server holds its audio
        bo._publisher.set_enabled(audio=True, video=True)
        # from the mute on, the server forwards none of Bo's audio, though Bo's client keeps sending it
        router = live_server.ctx.meetings.media
        assert isinstance(router, MediaRouter)
        before = router.forwarder_stats(room["roomId"], bo_id)["microphone"]
        video = frames_from(ana, bo_id)
        await until(lambda: frames_from(ana, bo_id) >= video + 60)  # two seconds of Bo's video (~100 audio frames)
        after = router.forwarder_stats(room["roomId"], bo_id)["microphone"]
        assert after.frames_received > before.frames_received + 20
        sent = {who: s.frames_forwarded + s.queued for who, s in before.subscribers.items()}  # queued before it
        assert {who: s.frames_forwarded for who, s in after.subscribers.items()} == sent
        # so nobody hears more of Bo than what left the server before the mute
        ana_id, cy_id = identity(ana), identity(cy)
        assert audio_from(ana, bo_id) <= sent[ana_id] and audio_from(cy, bo_id) <= sent[cy_id]

        # only Bo can unmute; it resumes forwarding to everyone
        await bo.set_media(audio=True, video=True)
        await until(lambda: audio_from(ana, bo_id) >= sent[ana_id] + 40 and audio_from(cy, bo_id) >= sent[cy_id] + 40)
    finally:
        bo_log.close()
        for session in (ana, bo, cy):
            await session.leave()


async def test_mute_everyone_spares_the_moderator_and_the_others_see_mics_off(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    cy = await join(live_server, room, "speaker", "Cy")
    for peer in (ana, bo, cy):
        await peer.client.send(MediaState(audio=True, video=False))
    for peer in (bo, cy):
        await ana.expect("participant_updated", participant=_any_with(peer.identity, audio=True))
    await ana.client.send(MuteEveryone())
    for peer in (bo, cy):
        told = await peer.expect("muted")
        assert (told.by, told.byName) == (ana.identity, "Ana")  # type: ignore[union-attr]
        update = await ana.expect("participant_updated", participant=_any_with(peer.identity, audio=False))
        assert not update.participant.audio  # type: ignore[union-attr]
    assert not any(m.type == "muted" for m in ana.seen)
    meeting = live_server.ctx.meetings.live(room["roomId"])
    assert meeting is not None and meeting.participants[ana.identity].audio


def _any_with(identity: str, **fields: object) -> object:
    """Matches a ParticipantInfo of ``identity`` with ``fields`` (for Peer.expect)."""

    class Match:
        def __eq__(self, other: object) -> bool:
            return getattr(other, "identity", None) == identity and all(
                getattr(other, k, None) == v for k, v in fields.items()
            )

    return Match()


async def test_a_speaker_cannot_mute_or_lock_over_signalling_or_rest(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    for message in (MuteParticipant(identity=ana.identity), MuteEveryone(), LockMeeting(locked=True)):
        await bo.client.send(message)
        error = await bo.expect("error")
        assert (error.code, error.ref) == ("forbidden", message.type)  # type: ignore[union-attr]
        assert error.message == "Only moderators can do this"  # type: ignore[union-attr]
    base = f"/internal-api/v1/meetings/{room['roomId']}"
    async with await api_as(live_server, bo.token) as as_speaker:
        for method, path, body in [
            ("POST", f"{base}/participants/{ana.identity}/mute", None),
            ("POST", f"{base}/mute", None),
            ("PUT", f"{base}/lock", {"locked": True}),
        ]:
            response = await as_speaker.request(method, path, json=body)
            assert response.status_code == 403, path
            assert response.json() == {"error": "Authorization Error", "message": "Only moderators can do this"}
    async with live_server.http(**{"X-API-KEY": API_KEY}) as with_key:
        assert (await with_key.post(f"{base}/mute")).status_code == 401
    assert not any(m.type in ("muted", "meeting_locked") for m in ana.seen)
    assert await room_status(live_server, room["roomId"]) == "active_meeting"


async def test_moderator_rest_mutes_and_locks_through_the_client_library(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    await bo.client.send(MediaState(audio=True, video=True))
    await ana.expect("participant_updated", participant=_any_with(bo.identity, audio=True))
    async with MeetDeskClient(live_server.url, participant_token=ana.token) as api:
        info = await api.mute_participant(room["roomId"], bo.identity)
        assert (info.identity, info.audio, info.video) == (bo.identity, False, True)
        assert (await bo.expect("muted")).byName == "Ana"  # type: ignore[union-attr]
        assert await api.mute_everyone(room["roomId"]) == []  # nobody's microphone is on any more
        with pytest.raises(NotFound):
            await api.mute_participant(room["roomId"], "nobody")
        await api.lock_meeting(room["roomId"], True)
        for peer in (ana, bo):
            locked = await peer.expect("meeting_locked")
            assert (locked.locked, locked.byName) == (True, "Ana")  # type: ignore[union-attr]
        assert await room_status(live_server, room["roomId"]) == "closed"
        await api.lock_meeting(room["roomId"], False)
        assert (await bo.expect("meeting_locked")).locked is False  # type: ignore[union-attr]
        assert await room_status(live_server, room["roomId"]) == "active_meeting"


async def test_a_locked_meeting_refuses_new_joins_with_the_closed_room_reason(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    early_token = await token(live_server, room, "speaker", "Early")  # taken before the lock
    await ana.client.send(LockMeeting(locked=True))
    assert (await ana.expect("meeting_locked")).locked  # type: ignore[union-attr]
    assert await room_status(live_server, room["roomId"]) == "closed"

    link = parse_room_link(room["speakerUrl"])
    async with MeetDeskClient(live_server.url) as api:
        with pytest.raises(Conflict) as closed:
            await api.participant_token(link.room_id, link.secret, "Late")
    assert "is closed and cannot be joined" in closed.value.message
    with pytest.raises(SignallingError) as refused:
        await SignallingClient.connect(live_server.url, early_token)
    assert refused.value.code == "room_closed"

    # someone inside who drops comes back (a resume is not a new join)
    session = ana.client.joined.sessionId  # type: ignore[union-attr]
    ana.client.abort()
    again = await SignallingClient.connect(live_server.url, ana.token, resume=session)
    assert again.joined is not None and again.joined.resumed and again.joined.locked

    # unlocked: joins are welcome again
    back = Peer(again, ana.token).start()
    await again.send(LockMeeting(locked=False))
    assert (await back.expect("meeting_locked")).locked is False  # type: ignore[union-attr]
    late = await join(live_server, room, "speaker", "Late")
    assert late.client.joined is not None and not late.client.joined.locked
    await again.close()


async def test_a_lock_ends_with_its_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    await ana.client.send(LockMeeting(locked=True))
    await ana.expect("meeting_locked")
    await ana.client.send(Leave())
    await ana.closed()
    assert await room_status(live_server, room["roomId"]) == "open"  # the next meeting may be joined
    again = await join(live_server, room, "speaker", "Bo")
    assert again.client.joined is not None and not again.client.joined.locked


async def test_an_admin_reopening_the_room_unlocks_its_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    await ana.client.send(LockMeeting(locked=True))
    await ana.expect("meeting_locked")
    async with MeetDeskClient(live_server.url, api_key=API_KEY) as admin:
        assert (await admin.set_room_status(room["roomId"], "open")).status == 200
    assert await room_status(live_server, room["roomId"]) == "active_meeting"
    told = await ana.expect("meeting_locked")  # those inside learn it
    assert (told.locked, told.by) == (False, "")  # type: ignore[union-attr]
    late = await join(live_server, room, "speaker", "Late")
    assert late.client.joined is not None


async def test_locking_without_a_meeting_is_refused(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana_token = await token(live_server, room, "moderator", "Ana")
    async with MeetDeskClient(live_server.url, participant_token=ana_token) as api:
        with pytest.raises(NotFound):
            await api.lock_meeting(room["roomId"], True)
    assert await room_status(live_server, room["roomId"]) == "open"


async def test_deleting_the_room_during_its_meeting_says_so(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    ana = await join(live_server, room, "moderator", "Ana")
    bo = await join(live_server, room, "speaker", "Bo")
    async with live_server.http(**{"X-API-KEY": API_KEY}) as api:
        response = await api.delete(f"/api/v1/rooms/{room['roomId']}", params={"withMeeting": "force"})
        assert response.json()["successCode"] == "room_with_active_meeting_deleted"
    for peer in (ana, bo):
        assert (await peer.expect("left")).reason == "room_deleted"  # type: ignore[union-attr]


async def test_forbidden_is_what_the_client_library_raises_for_a_speaker(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    await join(live_server, room, "moderator", "Ana")
    bo_token = await token(live_server, room, "speaker", "Bo")
    async with MeetDeskClient(live_server.url, participant_token=bo_token) as api:
        with pytest.raises(Forbidden):
            await api.mute_everyone(room["roomId"])

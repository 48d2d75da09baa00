"""Media through the SFU with real aiortc peers: everyone sees and hears everyone, with verifiable content."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from meetdesk.client.session import MeetingSession, SessionState
from tests.conftest import LiveServer
from tests.integration.meeting_helpers import create_room


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for a condition on media counters (frames arrive on aiortc's schedule, not as events we own)."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - frame counters have no event to await
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


def video_from(session: MeetingSession, identity: str) -> list[int]:
    return [r.frames for r in session.remote.values() if r.identity == identity and r.kind == "video"]


def audio_from(session: MeetingSession, identity: str) -> list[int]:
    return [r.frames for r in session.remote.values() if r.identity == identity and r.kind == "audio"]


async def test_three_party_meeting(live_server: LiveServer) -> None:
    room = await create_room(live_server)
    sessions = [
        MeetingSession(room["moderatorUrl"], "Ana", source_id=1),
        MeetingSession(room["speakerUrl"], "Bo", source_id=2),
        MeetingSession(room["speakerUrl"], "Cy", source_id=3),
    ]
    for session in sessions:
        await session.join()
    ids = {s.source_id: s.joined.you.identity for s in sessions}  # type: ignore[union-attr]
    try:
        for me in sessions:
            others = [s for s in sessions if s is not me]
            await until(
                lambda me=me, others=others: all(  # type: ignore[misc]
                    sum(video_from(me, ids[o.source_id])) >= 15 and sum(audio_from(me, ids[o.source_id])) >= 15
                    for o in others
                )
            )
            for other in others:
                [track] = [r for r in me.remote.values() if r.identity == ids[other.source_id] and r.kind == "video"]
                # the content is the sender's: its colour code is drawn into every frame
                assert track.markers_seen == {other.source_id}
                assert track.source == "camera"
        # late joiner: sees the others within a second or so, and they see it
        late = MeetingSession(room["speakerUrl"], "Late", source_id=4)
        await late.join()
        await until(lambda: all(sum(video_from(late, ids[s.source_id])) >= 5 for s in sessions))
        late_id = late.joined.you.identity  # type: ignore[union-attr]
        await until(lambda: all(sum(video_from(s, late_id)) >= 5 for s in sessions))
        # one leaves: the others keep receiving each other without a freeze
        before = sum(video_from(sessions[0], ids[2]))
        await late.leave()
        await until(lambda: sum(video_from(sessions[0], ids[2])) >= before + 20)
        assert late.state is SessionState.DISCONNECTED and late.end_reason == "voluntary_leave"
    finally:
        for session in sessions:
            await session.leave()


async def test_join_command_prints_a_summary(live_server: LiveServer) -> None:
    import json
    import sys

    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=7)
    await ana.join()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "meetdesk", "--log-level", "WARNING", "join", room["speakerUrl"],
            "--name", "Bot", "--synthetic", "--duration", "4", "--json",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0
        summary = json.loads(out)
        assert summary["name"] == "Bot" and summary["endReason"] == "voluntary_leave"
        video = [t for t in summary["tracks"] if t["kind"] == "video"]
        audio = [t for t in summary["tracks"] if t["kind"] == "audio"]
        assert [(t["name"], t["source"]) for t in video] == [("Ana", "camera")]
        assert video[0]["frames"] >= 30 and 0 < video[0]["firstFrameMs"] < 4000
        assert audio[0]["audioFrames"] >= 50
        await until(lambda: sum(r.frames for r in ana.remote.values() if r.kind == "video") >= 30)
    finally:
        await ana.leave()


async def test_join_command_explains_a_bad_link(live_server: LiveServer) -> None:
    import sys

    room = await create_room(live_server)
    bad_secret = room["speakerUrl"].split("secret=")[0] + "secret=wrong"
    for link, code, words in [("not a link", 2, "room link"), (bad_secret, 1, "not recognized")]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "meetdesk", "join", link, "--name", "Bot", stderr=asyncio.subprocess.PIPE
        )
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == code and words in err.decode(), err.decode()


async def test_the_one_who_speaks_becomes_active_speaker(live_server: LiveServer) -> None:
    from meetdesk.core.signalling import ActiveSpeaker

    room = await create_room(live_server)
    quiet = MeetingSession(room["moderatorUrl"], "Quiet", source_id=1, publish_audio=False)
    talker = MeetingSession(room["speakerUrl"], "Talker", source_id=2)
    await quiet.join()
    await talker.join()
    try:

        async def first_active_speaker() -> str | None:
            async for event in quiet.events():
                if isinstance(event, ActiveSpeaker) and event.identity:
                    return event.identity
            return None

        speaker = await asyncio.wait_for(first_active_speaker(), timeout=15)
        assert speaker == talker.joined.you.identity  # type: ignore[union-attr]
    finally:
        await talker.leave()
        await quiet.leave()


async def test_session_resumes_after_a_signalling_drop_and_media_keeps_flowing(live_server: LiveServer) -> None:
    from meetdesk.client.session import StateChanged

    room = await create_room(live_server)
    ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
    bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2)
    await ana.join()
    await bo.join()
    try:
        bo_id = bo.joined.you.identity  # type: ignore[union-attr]
        await until(lambda: sum(video_from(ana, bo_id)) >= 10)
        states: list[str] = []

        async def watch() -> None:
            async for event in bo.events():
                if isinstance(event, StateChanged):
                    states.append(event.state.value)
                    if event.state is SessionState.CONNECTED and "reconnecting" in states:
                        return

        watcher = asyncio.create_task(watch())
        assert bo._signalling is not None
        bo._signalling.abort()  # the network drops the socket
        await asyncio.wait_for(watcher, timeout=15)
        assert states[-2:] == ["reconnecting", "connected"]
        assert bo.joined is not None and bo.joined.resumed and bo.joined.you.identity == bo_id
        before = sum(video_from(ana, bo_id))
        await until(lambda: sum(video_from(ana, bo_id)) >= before + 20)  # same identity, media never stopped
    finally:
        await bo.leave()
        await ana.leave()

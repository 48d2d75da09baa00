"""``meetdesk join``: a headless participant for tests, demos and load generation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

from meetdesk.client.api import ApiError, ConnectionFailed
from meetdesk.client.session import MeetingSession, SessionState, StateChanged
from meetdesk.client.signalling import SignallingError


async def _run(
    link: str, name: str, duration: float, source_id: int, synthetic: bool, camera: str | None, microphone: str | None
) -> MeetingSession:
    # like the participant window, the microphone and the camera start as the room says (initialAudioEnabled...)
    session = MeetingSession(
        link, name, source_id=source_id, synthetic=synthetic, camera=camera, microphone=microphone, room_defaults=True
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await session.join()

    async def until_disconnected() -> None:
        async for event in session.events():
            if isinstance(event, StateChanged) and event.state is SessionState.DISCONNECTED:
                return

    waiters = [asyncio.ensure_future(until_disconnected()), asyncio.ensure_future(stop.wait())]
    if duration > 0:
        waiters.append(asyncio.ensure_future(asyncio.sleep(duration)))
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    if session.state is not SessionState.DISCONNECTED:
        await session.leave()
    return session


def summary(session: MeetingSession) -> dict[str, Any]:
    """Per remote track: frames received and time to the first one; the end reason; whether the microphone
    and the camera were on at the end."""
    participants = {p.identity: p.name for p in (session.joined.participants if session.joined else [])}
    return {
        "name": session.name,
        "identity": session.joined.you.identity if session.joined else None,
        "endReason": session.end_reason.value if session.end_reason else None,
        "devices": session.device_notes,
        "microphoneOn": session.audio_enabled,
        "cameraOn": session.video_enabled,
        "tracks": [
            {
                "identity": r.identity,
                "name": participants.get(r.identity, r.identity),
                "source": r.source,
                "kind": r.kind,
                "active": r.active,
                "frames" if r.kind == "video" else "audioFrames": r.frames,
                "firstFrameMs": round((r.first_frame_at - session.started_at) * 1000) if r.first_frame_at else None,
            }
            for r in session.remote.values()
        ],
    }


def run_bot(
    link: str,
    name: str,
    *,
    duration: float,
    as_json: bool,
    source_id: int,
    synthetic: bool = True,
    camera: str | None = None,
    microphone: str | None = None,
) -> int:
    """Join, stay ``duration`` seconds (0: until the meeting ends), leave, print a summary.

    Without ``synthetic``, the real camera and microphone when present; the session logs a note for
    each one it replaced with a synthetic source. The microphone and the camera start on unless the room's
    ``initialAudioEnabled`` / ``initialVideoEnabled`` say off.
    """
    try:
        session = asyncio.run(_run(link, name, duration, source_id, synthetic, camera, microphone))
    except ValueError as exc:  # a link that is not a room link
        print(f"meetdesk join: {exc}", file=sys.stderr)
        return 2
    except (ApiError, ConnectionFailed, SignallingError) as exc:
        print(f"meetdesk join: cannot join: {exc}", file=sys.stderr)
        return 1
    result = summary(session)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{name}: left ({result['endReason']}); received {len(result['tracks'])} track(s)")
    return 0

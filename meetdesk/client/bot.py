"""``meetdesk join``: a headless participant for tests, demos and load generation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys

from meetdesk.client.api import ApiError, ConnectionFailed
from meetdesk.client.session import MeetingSession, SessionState, StateChanged
from meetdesk.client.signalling import SignallingError


async def _run(
    link: str, name: str, duration: float, source_id: int, synthetic: bool, camera: str | None, microphone: str | None
) -> MeetingSession:
    session = MeetingSession(link, name, source_id=source_id, synthetic=synthetic, camera=camera, microphone=microphone)
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
    each one it replaced with a synthetic source.
    """
    try:
        session = asyncio.run(_run(link, name, duration, source_id, synthetic, camera, microphone))
    except ValueError as exc:  # a link that is not a room link
        print(f"meetdesk join: {exc}", file=sys.stderr)
        return 2
    except (ApiError, ConnectionFailed, SignallingError) as exc:
        print(f"meetdesk join: cannot join: {exc}", file=sys.stderr)
        return 1
    summary = session.summary()
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{name}: left ({summary['endReason']}); received {len(summary['tracks'])} track(s)")
    return 0

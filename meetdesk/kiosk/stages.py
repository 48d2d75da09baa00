"""The kiosk's stages and what moves it between them, as one pure function and a retry schedule.

::

    home ──join (touch, remote, start-up when "always")──> joining ──joined──> meeting
      ^                                                     │  ^                  │
      │                                            failed   v  │ retry due         │ lost (network, server,
      │                                                  waiting <─────────────────┘ refused; "always": any end)
      └──── left (touch, remote), alone too long, ended/kicked when "one-touch" ─────┘
    home ──maintenance due──> restarting (only from home: a meeting is never cut for maintenance)

``waiting`` shows "Reconnecting in N s" and retries forever on :func:`retry_delay`'s schedule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from meetdesk.kiosk.config import JoinPolicy


class Stage(StrEnum):
    HOME = "home"
    JOINING = "joining"
    MEETING = "meeting"
    WAITING = "waiting"  # to try again: "Reconnecting in N s"
    RESTARTING = "restarting"


class Event(StrEnum):
    STARTED = "started"  # the kiosk came up (or its settings were applied)
    JOIN = "join"  # a touch on Join, or the admin's remote join
    JOINED = "joined"
    JOIN_FAILED = "join_failed"  # could not get in (server away, room closed...)
    RETRY_DUE = "retry_due"
    LEAVE = "leave"  # a touch on Leave, or the admin's remote leave
    ALONE = "alone"  # nobody else in the meeting for the configured minutes
    ENDED = "ended"  # the meeting was ended, or the kiosk was removed, by a moderator
    LOST = "lost"  # the session could not get back in by itself
    MAINTENANCE_DUE = "maintenance_due"
    RESTART = "restart"  # the admin's remote restart


def next_stage(stage: Stage, event: Event, policy: JoinPolicy) -> Stage:
    """Where ``event`` takes the kiosk from ``stage`` (the same stage: the event does not apply there)."""
    always = policy == "always"
    match stage, event:
        case Stage.HOME, Event.STARTED:
            return Stage.JOINING if always else Stage.HOME
        case Stage.HOME, Event.JOIN:
            return Stage.JOINING
        case Stage.HOME, Event.MAINTENANCE_DUE | Event.RESTART:
            return Stage.RESTARTING
        case Stage.JOINING, Event.JOINED:
            return Stage.MEETING
        case Stage.JOINING, Event.JOIN_FAILED:
            return Stage.WAITING
        case Stage.WAITING, Event.RETRY_DUE | Event.JOIN:
            return Stage.JOINING
        case Stage.WAITING | Stage.JOINING, Event.LEAVE:
            return Stage.HOME
        case Stage.MEETING, Event.LEAVE | Event.ALONE:
            return Stage.HOME
        case Stage.MEETING, Event.ENDED:
            return Stage.WAITING if always else Stage.HOME
        case Stage.MEETING, Event.LOST:
            return Stage.WAITING
        case Stage.MEETING | Stage.WAITING | Stage.JOINING, Event.RESTART:
            return Stage.RESTARTING
    return stage


#: seconds before the n-th try again (the last repeats: retried forever at that pace). Short on purpose: a
#: kiosk is back in the meeting within a couple of seconds of its server coming back.
RETRY_DELAYS_S: Final = (1.0, 2.0, 3.0, 5.0)
#: the in-meeting recovery (resume, then rejoin) of the session itself, never giving up: every second at most,
#: so that the kiosk tries again within a second of its server being back (bench/kiosk_soak.py: with a 2 s cap,
#: server back -> media took up to 3.8 s at load 15 on 2 cores)
SESSION_RETRY_DELAYS_S: Final = (0.25, 0.5, 1.0)


def retry_delay(attempt: int) -> float:
    """Seconds to wait before try number ``attempt`` (0-based) to get back in."""
    return RETRY_DELAYS_S[min(max(attempt, 0), len(RETRY_DELAYS_S) - 1)]

"""The kiosk's stage machine, one row per case (a reviewer can check it line by line)."""

from __future__ import annotations

import pytest

from meetdesk.kiosk.config import JoinPolicy
from meetdesk.kiosk.stages import RETRY_DELAYS_S, Event, Stage, next_stage, retry_delay

H, J, M, W, R = Stage.HOME, Stage.JOINING, Stage.MEETING, Stage.WAITING, Stage.RESTARTING

TABLE: list[tuple[Stage, Event, JoinPolicy, Stage]] = [
    # starting: "always" joins by itself, "one-touch" waits for a touch
    (H, Event.STARTED, "always", J),
    (H, Event.STARTED, "one-touch", H),
    (H, Event.JOIN, "one-touch", J),
    (H, Event.JOIN, "always", J),
    # joining
    (J, Event.JOINED, "always", M),
    (J, Event.JOIN_FAILED, "always", W),
    (J, Event.JOIN_FAILED, "one-touch", W),  # a person pressed Join: keep trying
    (J, Event.LEAVE, "always", H),
    # waiting to try again, forever
    (W, Event.RETRY_DUE, "always", J),
    (W, Event.JOIN, "one-touch", J),
    (W, Event.LEAVE, "one-touch", H),
    # in the meeting
    (M, Event.LEAVE, "always", H),
    (M, Event.ALONE, "always", H),
    (M, Event.ALONE, "one-touch", H),
    (M, Event.LOST, "always", W),
    (M, Event.LOST, "one-touch", W),  # trouble is never the end of the meeting
    (M, Event.ENDED, "always", W),  # always in the meeting: a new one
    (M, Event.ENDED, "one-touch", H),
    # maintenance: only when idle at home; the admin's restart from anywhere
    (H, Event.MAINTENANCE_DUE, "always", R),
    (M, Event.MAINTENANCE_DUE, "always", M),
    (J, Event.MAINTENANCE_DUE, "always", J),
    (W, Event.MAINTENANCE_DUE, "always", W),
    (H, Event.RESTART, "always", R),
    (M, Event.RESTART, "always", R),
    (W, Event.RESTART, "one-touch", R),
    # what does not apply where it happens changes nothing
    (M, Event.JOIN, "always", M),
    (M, Event.STARTED, "always", M),
    (H, Event.LEAVE, "always", H),
    (H, Event.LOST, "always", H),
    (R, Event.JOIN, "always", R),
    (R, Event.STARTED, "always", R),
]


@pytest.mark.parametrize(("stage", "event", "policy", "expected"), TABLE)
def test_next_stage(stage: Stage, event: Event, policy: JoinPolicy, expected: Stage) -> None:
    assert next_stage(stage, event, policy) is expected


def test_retrying_backs_off_to_a_cap_and_goes_on_forever() -> None:
    delays = [retry_delay(n) for n in range(50)]
    assert delays[: len(RETRY_DELAYS_S)] == list(RETRY_DELAYS_S)
    assert delays == sorted(delays)
    assert set(delays[len(RETRY_DELAYS_S) :]) == {RETRY_DELAYS_S[-1]}

"""The retry schedule of a session that lost its server, against a loopback port where nothing listens."""

from __future__ import annotations

import pytest

from meetdesk.client.api import parse_room_link
from meetdesk.client.recovery import GiveUp, ReconnectAttempt, RetryPolicy, reconnect
from tests.conftest import free_port


def test_the_last_delay_repeats() -> None:
    policy = RetryPolicy(delays=(0.1, 0.5, 2.0))
    assert [policy.delay(n) for n in range(5)] == [0.1, 0.5, 2.0, 2.0, 2.0]


async def test_resume_while_the_grace_lasts_then_rejoin_then_give_up() -> None:
    link = parse_room_link(f"http://127.0.0.1:{free_port()}/room/r-1?secret=s3cr3t")
    attempts: list[ReconnectAttempt] = []
    policy = RetryPolicy(delays=(0.05, 0.2), give_up_after=2.0)
    with pytest.raises(GiveUp, match="Could not get back into the meeting for 2 s") as gave_up:
        await reconnect(link, "Bo", "token", session_id="s-1", grace=0.1, policy=policy, announce=attempts.append)
    assert "Cannot reach" in str(gave_up.value)  # the last problem, for the person
    # resuming first (within the grace and its margin), rejoining with a new token after; never back again
    assert not attempts[0].rejoin and attempts[-1].rejoin
    kinds = [a.rejoin for a in attempts]
    assert kinds == sorted(kinds)
    assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1))
    assert sum(a.delay for a in attempts) <= policy.give_up_after


async def test_without_a_session_to_resume_every_attempt_is_a_rejoin() -> None:
    link = parse_room_link(f"http://127.0.0.1:{free_port()}/room/r-1?secret=s3cr3t")
    attempts: list[ReconnectAttempt] = []
    with pytest.raises(GiveUp):
        await reconnect(
            link, "Bo", "token", session_id=None, grace=20, policy=RetryPolicy((0.05,), 0.5), announce=attempts.append
        )
    assert attempts and all(a.rejoin for a in attempts)

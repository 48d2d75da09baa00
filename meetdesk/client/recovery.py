"""Getting a participant back into its meeting after the signalling socket was lost.

Two ways back, tried on a bounded backoff schedule (:class:`RetryPolicy`):

- **resume**: within the server's grace period (a little longer, to allow for the two ends noticing
  the drop at different times), reconnect with the same token and the old session id; the server
  keeps the seat, the identity and the media connections. If the server no longer knows the session
  (its grace ran out first, or it restarted) it answers with a fresh join instead.
- **rejoin**: after that, or when the server said it shut down, or the token is no longer accepted,
  exchange the room link's secret for a new token (a new identity, under the same name) and join
  from scratch.

Refusals that waiting will not fix (room deleted or closed, link revoked) end the attempt at once;
so does running out of time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from meetdesk.client.api import MeetDeskClient, RoomLink
from meetdesk.client.errors import ApiError, ConnectionFailed, ServerError, TooManyRequests
from meetdesk.client.signalling import LinkFailure, SignallingClient, SignallingError
from meetdesk.core.errors import ErrorCode

#: a participant token fetched another way than with a room link's secret (an enrolled kiosk's server)
TokenSource = Callable[[], Awaitable[str]]

logger = logging.getLogger(__name__)

#: extra seconds of resume attempts past the server's grace period
RESUME_MARGIN_S: Final = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again, and when to stop trying: ``delays`` between attempts (the last one repeats),
    ``give_up_after`` seconds since the connection was lost."""

    delays: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
    give_up_after: float = 120.0

    def delay(self, attempt: int) -> float:
        return self.delays[min(attempt, len(self.delays) - 1)] if self.delays else 0.0


@dataclass(frozen=True)
class ReconnectAttempt:
    """A session event: about to try again (``rejoin``: with a new token, else resuming) after ``delay`` s."""

    attempt: int
    rejoin: bool
    delay: float


class GiveUp(Exception):
    """No way back: the sentence says why (for the person who was in the meeting)."""


@dataclass
class Reconnected:
    signalling: SignallingClient
    token: str
    rejoined: bool


async def reconnect(
    link: RoomLink,
    name: str,
    token: str,
    *,
    session_id: str | None,
    grace: float,
    policy: RetryPolicy,
    announce: Callable[[ReconnectAttempt], None],
    new_token: TokenSource | None = None,
) -> Reconnected:
    """Try until back in (resumed or rejoined) or until ``policy`` gives up (raises :class:`GiveUp`).

    ``session_id`` is None when resuming is pointless (the server ended the meeting for us). ``new_token``: where
    a rejoin's token comes from (default: the link's secret).
    """
    started = time.monotonic()
    resume_until = started + grace + RESUME_MARGIN_S if session_id is not None else started
    attempt = 0
    last_problem = "no answer"
    while True:
        delay = policy.delay(attempt)
        elapsed = time.monotonic() - started
        if elapsed + delay > policy.give_up_after:
            raise GiveUp(f"Could not get back into the meeting for {policy.give_up_after:g} s ({last_problem})")
        rejoin = time.monotonic() + delay >= resume_until
        announce(ReconnectAttempt(attempt + 1, rejoin, delay))
        attempt += 1
        await asyncio.sleep(delay)
        try:
            if not rejoin:
                signalling = await SignallingClient.connect(link.base_url, token, resume=session_id, pin=link.pin)
                _back(name, "resumed", attempt, started)
                return Reconnected(signalling, token, rejoined=False)
            fresh = await new_token() if new_token is not None else await _new_token(link, name)
            signalling = await SignallingClient.connect(link.base_url, fresh, pin=link.pin)
            _back(name, "rejoined", attempt, started)
            return Reconnected(signalling, fresh, rejoined=True)
        except (ConnectionFailed, ServerError, TooManyRequests) as exc:
            last_problem = str(exc)
        except ApiError as exc:  # the room is gone or closed, the link no longer works...
            raise GiveUp(str(exc)) from exc
        except SignallingError as exc:
            if exc.code is LinkFailure.NETWORK:
                last_problem = str(exc)
            elif exc.code is ErrorCode.UNAUTHORIZED and not rejoin:
                logger.info("Session(%s) the server no longer accepts its token: rejoining", name)
                resume_until = time.monotonic()
            else:
                raise GiveUp(str(exc)) from exc


def _back(name: str, how: str, attempts: int, started: float) -> None:
    """One line per way back: when a reconnection is slow, the log says whether the tries were late or many."""
    took = time.monotonic() - started
    logger.info("Session(%s) signalling %s after %.1f s, attempt %d", name, how, took, attempts)


async def _new_token(link: RoomLink, name: str) -> str:
    async with MeetDeskClient(link.base_url, pin=link.pin) as api:
        return await api.participant_token(link.room_id, link.secret, name)

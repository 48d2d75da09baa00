"""The wake-up flag of tracks' recv(): waited on from one loop, then from another (one test's, then the next's)."""

from __future__ import annotations

import asyncio

from meetdesk.rtc.wakeup import Wakeup


def test_a_flag_waited_on_in_one_loop_can_be_waited_on_in_the_next() -> None:
    flag = Wakeup()

    async def first() -> None:
        waiter = asyncio.create_task(flag.wait())
        await asyncio.sleep(0)
        flag.set()
        await asyncio.wait_for(waiter, 5)
        flag.clear()
        left = asyncio.create_task(flag.wait())  # still waiting when this loop ends (asyncio.run cancels it)
        assert not left.done()

    asyncio.run(first())

    async def second() -> None:
        waiter = asyncio.create_task(flag.wait())
        await asyncio.sleep(0)
        assert not waiter.done() and not flag.is_set()
        flag.set()  # an asyncio.Event bound to the first loop raises RuntimeError in wait() instead
        await asyncio.wait_for(waiter, 5)

    asyncio.run(second())


def test_a_flag_set_in_one_loop_is_seen_at_once_in_the_next() -> None:
    flag = Wakeup()

    async def set_then_wait() -> None:
        flag.set()
        await flag.wait()

    asyncio.run(set_then_wait())
    asyncio.run(asyncio.wait_for(flag.wait(), 5))  # still set: no waiting in the second loop


def test_a_wait_stepped_with_no_loop_running_is_cancelled() -> None:
    """qasync can step a task of a stopped loop when Qt dispatches an event between two tests' loops: the waiter
    ends cancelled (a cancelled task is not logged), not with "no running event loop"."""
    waiting = Wakeup().wait()
    try:
        waiting.send(None)
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the wait went on with no loop running")
    finally:
        waiting.close()

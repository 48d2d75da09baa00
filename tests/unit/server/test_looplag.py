"""LoopLagProbe: a callback that keeps the loop busy is measured; a machine busy elsewhere is not."""

from __future__ import annotations

import asyncio
import time

from meetdesk.server.looplag import LoopLagProbe, runqueue_wait_s


class CountingProbe(LoopLagProbe):
    """Tells the test each time it has measured."""

    def __init__(self) -> None:
        super().__init__(interval=0.005)
        self.measured = asyncio.Event()

    def _tick(self) -> None:
        super()._tick()
        self.measured.set()


async def stall_of(block: float, spin: bool) -> float:
    probe = CountingProbe()
    probe.start(asyncio.get_running_loop())
    await probe.measured.wait()
    assert probe.longest < block / 2  # nothing stalled yet

    def busy() -> None:
        if spin:
            # computing on the loop, as a huge SDP or JSON would: this much CPU time, however busy the machine
            end = time.thread_time() + block
            while time.thread_time() < end:
                pass
        else:
            time.sleep(block)  # blocking on the loop, as a synchronous file or lock would

    probe.measured.clear()
    asyncio.get_running_loop().call_soon(busy)
    await probe.measured.wait()  # the first tick after the stall
    return probe.stop()


async def test_computing_on_the_loop_is_a_stall() -> None:
    assert await stall_of(0.15, spin=True) >= 0.1


async def test_blocking_the_loop_is_a_stall() -> None:
    assert await stall_of(0.15, spin=False) >= 0.1


def test_this_machine_reports_cpu_waits() -> None:
    """Without it the probe would count another process's CPU time as the loop's stall."""
    waited = runqueue_wait_s()
    assert waited is not None and waited >= 0

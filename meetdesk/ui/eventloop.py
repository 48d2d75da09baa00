"""The app's asyncio loop on Qt's: qasync's ``QEventLoop`` with asyncio's own way of running callbacks.

qasync runs every ``call_soon`` as a Qt timer of its own (``startTimer(0)``, a timer event, ``killTimer``)
after checking with ``inspect`` that the callback is not a coroutine function, and every socket readiness
as a Qt signal that schedules the reader through ``call_soon`` again: several crossings between Qt and
Python for each callback. A meeting receiving nine cameras runs a few thousand callbacks a second (every
datagram wakes the transport, then aioice's queue, then aiortc's receiver task), which made the loop the
meeting window's largest cost (``bench/render_bench.py``: the window went from 88% of a core to 71% with
this loop alone).

:class:`QtAsyncLoop` keeps qasync's run/stop machinery, executor and Qt integration, and does the rest the
way asyncio's ``BaseEventLoop`` does, driven by three Qt objects:

- ``call_soon``: the handle goes on a ready queue; one zero-interval single-shot ``QTimer`` runs the queue
  when Qt's loop gets to it. Callbacks run in the order they were scheduled; those scheduled while the
  queue runs wait for the next round, so Qt's own events (painting, input) get their turn between rounds.
- ``call_later`` / ``call_at``: ``TimerHandle``s on a heap; one precise ``QTimer`` is armed for the earliest,
  and when it fires the handles that are due join the ready queue. A cancelled handle is skipped (and
  the heap is cleaned when more than half of it is cancelled). Closing the loop stops both timers: no
  Qt timer outlives the loop (qasync leaves one per pending ``call_later``, which Qt complains about when
  the loop is collected on another thread).
- ``call_soon_threadsafe``: the handle goes on a second queue (``deque.append`` is atomic) and one queued
  signal wakes the loop's thread, which moves what arrived meanwhile to the ready queue: frames decoded in
  eighteen decoder threads share wake-ups instead of sending a Qt event each.

Readers and writers: the ``QSocketNotifier`` calls the transport's callback directly, instead of disabling
itself and scheduling the call (the callback still sees the notifier it was registered with: one removed
or replaced meanwhile is not called). An exception goes to the loop's exception handler, as from a handle.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import heapq
import math
import sys
from collections.abc import Callable
from typing import Any

import qasync  # type: ignore[import-untyped]
from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer, Signal

#: as asyncio: clean the timer heap when this share of it is cancelled handles (and it holds enough of them)
CANCELLED_SHARE = 0.5
MIN_CANCELLED_TO_CLEAN = 100


class _Waker(QObject):
    """Lives in the loop's thread; ``wake`` emitted from any thread runs its slot there."""

    wake = Signal()


class QtAsyncLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop with asyncio's ready queue, timer heap and thread hand-off (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._ready_handles: collections.deque[asyncio.Handle] = collections.deque()
        self._ready_timer = QTimer()
        self._ready_timer.setSingleShot(True)
        self._ready_timer.setInterval(0)
        self._ready_timer.timeout.connect(self._run_ready)
        self._scheduled_handles: list[asyncio.TimerHandle] = []
        self._due_timer = QTimer()
        self._due_timer.setSingleShot(True)
        self._due_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._due_timer.timeout.connect(self._take_due)
        self._armed_for = math.inf  # when the due timer fires (loop time)
        self._from_threads: collections.deque[asyncio.Handle] = collections.deque()
        self._wake_pending = False
        self._waker = _Waker()
        self._waker.wake.connect(self._take_from_threads, Qt.ConnectionType.QueuedConnection)
        self._outer_asyncgen_hooks: Any = None
        super().__init__(*args, **kwargs)

    # --- running -----------------------------------------------------------------------------------

    def _before_run_forever(self) -> None:
        """As asyncio's loops do while they run: an async generator left unfinished (an HTTP response's body
        that a media player hung up on) is closed by a task on this loop, where its ``finally`` may await;
        qasync does not, and Python then reports "async generator ignored GeneratorExit" when it is collected."""
        self._outer_asyncgen_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook)
        super()._before_run_forever()

    def _after_run_forever(self) -> None:
        super()._after_run_forever()
        if self._outer_asyncgen_hooks is not None:
            sys.set_asyncgen_hooks(*self._outer_asyncgen_hooks)
            self._outer_asyncgen_hooks = None

    # --- callbacks ---------------------------------------------------------------------------------

    def call_soon(
        self, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._make_ready(handle)
        return handle

    def _make_ready(self, handle: asyncio.Handle) -> None:
        self._ready_handles.append(handle)
        if not self._ready_timer.isActive():
            self._ready_timer.start()

    def _run_ready(self) -> None:
        """Run the callbacks ready now; the ones they schedule run in the next round."""
        ready = self._ready_handles
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()  # asyncio's Handle reports what the callback raises to the exception handler
        if ready and not self._ready_timer.isActive():
            self._ready_timer.start()

    # --- timers ------------------------------------------------------------------------------------

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if delay <= 0:
            return self.call_soon(callback, *args, context=context)
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.TimerHandle:
        self._check_closed()
        handle = asyncio.TimerHandle(when, callback, args, self, context=context)
        heapq.heappush(self._scheduled_handles, handle)
        handle._scheduled = True  # type: ignore[attr-defined]  # BaseEventLoop counts its cancellations
        if when < self._armed_for:
            self._arm(when)
        return handle

    def _arm(self, when: float) -> None:
        self._armed_for = when
        self._due_timer.start(max(0, math.ceil((when - self.time()) * 1000)))

    def _take_due(self) -> None:
        """The due timer fired: what is due joins the ready queue; the timer is armed for the next one."""
        self._armed_for = math.inf
        scheduled = self._scheduled_handles
        cancelled = self._timer_cancelled_count
        if cancelled > MIN_CANCELLED_TO_CLEAN and cancelled > CANCELLED_SHARE * len(scheduled):
            for handle in scheduled:
                if handle._cancelled:
                    handle._scheduled = False  # type: ignore[attr-defined]
            scheduled[:] = [handle for handle in scheduled if not handle._cancelled]
            heapq.heapify(scheduled)
            self._timer_cancelled_count = 0
        now = self.time() + self._clock_resolution
        while scheduled and scheduled[0].when() <= now:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False  # type: ignore[attr-defined]
            if handle._cancelled:
                self._timer_cancelled_count = max(0, self._timer_cancelled_count - 1)
            else:
                self._make_ready(handle)
        while scheduled and scheduled[0]._cancelled:  # do not wake up for a cancelled one
            heapq.heappop(scheduled)._scheduled = False  # type: ignore[attr-defined]
            self._timer_cancelled_count = max(0, self._timer_cancelled_count - 1)
        if scheduled:
            self._arm(scheduled[0].when())

    # --- threads -----------------------------------------------------------------------------------

    def call_soon_threadsafe(
        self, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._from_threads.append(handle)
        # appended before the flag is read, and the loop clears the flag before it takes the queue: a handle
        # is either taken by a wake-up still to come or makes one
        if not self._wake_pending:
            self._wake_pending = True
            self._waker.wake.emit()
        return handle

    def _take_from_threads(self) -> None:
        self._wake_pending = False
        arrived = self._from_threads
        for _ in range(len(arrived)):
            self._make_ready(arrived.popleft())

    def close(self) -> None:
        if not self.is_running():  # (closing a running loop raises, below)
            self._ready_timer.stop()
            self._due_timer.stop()
            self._ready_handles.clear()
            self._scheduled_handles.clear()
            self._from_threads.clear()
        super().close()

    # --- sockets -----------------------------------------------------------------------------------

    def _add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        self._watch(self._read_notifiers, QSocketNotifier.Type.Read, fd, callback, args)

    def _add_writer(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        self._watch(self._write_notifiers, QSocketNotifier.Type.Write, fd, callback, args)

    def _watch(
        self,
        notifiers: dict[Any, QSocketNotifier],
        kind: QSocketNotifier.Type,
        fd: Any,
        callback: Callable[..., object],
        args: tuple[Any, ...],
    ) -> None:
        self._check_closed()
        existing = notifiers.pop(fd, None)
        if existing is not None:
            existing.setEnabled(False)
            existing.activated["int"].disconnect()
        notifier = QSocketNotifier(qasync._fileno(fd), kind)
        # the int overload, as qasync's _remove_reader / close disconnect it
        notifier.activated["int"].connect(functools.partial(self._ready_fd, notifiers, notifier, fd, callback, args))
        notifiers[fd] = notifier
        notifier.setEnabled(True)

    def _ready_fd(
        self,
        notifiers: dict[Any, QSocketNotifier],
        notifier: QSocketNotifier,
        fd: Any,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        *_signal_args: Any,
    ) -> None:
        if notifiers.get(fd) is not notifier:
            return  # removed or replaced since Qt queued this activation
        try:
            callback(*args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # as asyncio's Handle does: to the loop's exception handler
            self.call_exception_handler(
                {"message": f"Exception in callback {callback!r}", "exception": exc, "handle": None}
            )

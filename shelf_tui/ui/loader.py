"""One background thread that does all of the console's reading (Toolong's LineReader idea).

The UI thread never runs SQL: a query that takes 0.2-2 s at a million rows (a substring
filter, a count over a predicate) would freeze every keystroke, and the browser's connection is
lock-guarded, so even a quick read would queue behind a slow one. Instead the UI submits
`Task`s; the thread runs the most urgent first (visible rows before counts before prefetch),
drops duplicates, and posts each result back as a message that the UI thread applies.

When the seller moves on (a new filter, a sync), a running query for the old view is
interrupted (`sqlite3.Connection.interrupt`), so a slow filter never delays the next one.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import sqlite3
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from shelf_tui import logs

log = logs.get("ui.loader")

#: Priorities: lower runs first.
MARKS = 0
VISIBLE = 1
COUNT = 2
DETAIL = 2
PREFETCH = 3
BACKGROUND = 4


@dataclass(eq=False)
class Task:
    """Work for the loader thread. `run` executes there; `done(result)` or `failed(exc)` on
    the UI thread. `stale()` (evaluated on the loader thread, so it must only read simple
    attributes) lets a queued task be skipped and a running one interrupted."""

    run: Callable[[], Any]
    done: Callable[[Any], None] | None = None
    priority: int = VISIBLE
    key: Hashable | None = None
    stale: Callable[[], bool] | None = None
    failed: Callable[[BaseException], None] | None = None
    interruptible: bool = True
    view_key: Any = None
    retries: int = field(default=0)
    yielded: bool = field(default=False)
    #: Rows missing from the screen: a running count steps aside for it.
    urgent: bool = False


class Finished(Message):
    """A task finished on the loader thread."""

    def __init__(self, task: Task, result: Any, error: BaseException | None) -> None:
        super().__init__()
        self.task = task
        self.result = result
        self.error = error


class Loader:
    """The reading thread. `owner` receives `Finished` messages (see `dispatch`)."""

    def __init__(self, owner: MessagePump, interrupt: Callable[[], None]) -> None:
        self._owner = owner
        self._interrupt = interrupt
        self._heap: list[tuple[int, int, Task]] = []
        self._queued: dict[Hashable, Task] = {}
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running: Task | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="shelf-loader", daemon=True)
        self._outstanding = 0
        self._inflight: dict[Hashable, int] = {}
        self._idle: asyncio.Event | None = None

    def start(self) -> None:
        self._idle = asyncio.Event()
        self._idle.set()
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._queued.clear()
            self._cond.notify_all()
        self.interrupt_if(lambda task: True)
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    # -- UI thread ----------------------------------------------------------------------

    def submit(self, task: Task) -> None:
        """Queue a task; a queued task with the same key is replaced (counted once)."""
        with self._cond:
            if self._stopped:
                return
            if task.key is not None:
                old = self._queued.pop(task.key, None)
                if old is not None:
                    old.stale = _always
                    self._outstanding -= 1
                    self._release(old)
                self._queued[task.key] = task
            heapq.heappush(self._heap, (task.priority, next(self._seq), task))
            self._outstanding += 1
            if task.key is not None:
                self._inflight[task.key] = self._inflight.get(task.key, 0) + 1
            if self._idle is not None:
                self._idle.clear()
            running = self._running
            if (
                task.urgent
                and running is not None
                and running.interruptible
                and running.priority > VISIBLE
            ):
                # Rows the seller is looking at go first: a count (up to a second at a
                # million rows) steps aside and runs again afterwards.
                running.yielded = True
                self._interrupt()
            self._cond.notify()

    def pending(self, key: Hashable) -> bool:
        """Whether a task with this key is queued, running, or finished but not yet applied."""
        with self._cond:
            return key in self._inflight

    def _release(self, task: Task) -> None:
        if task.key is not None and task.key in self._inflight:
            left = self._inflight[task.key] - 1
            if left > 0:
                self._inflight[task.key] = left
            else:
                del self._inflight[task.key]

    def interrupt_if(self, predicate: Callable[[Task], bool]) -> None:
        """Interrupt the running query if its task is one the seller no longer waits for."""
        with self._cond:
            running = self._running
            if running is not None and running.interruptible and predicate(running):
                self._interrupt()

    def dispatch(self, message: Finished) -> None:
        """Apply a finished task's result (call from the owner's message handler)."""
        task = message.task
        try:
            if message.error is None:
                if task.done is not None and not (task.stale and task.stale()):
                    task.done(message.result)
            elif _interrupted(message.error):
                if task.stale and task.stale():
                    pass
                elif task.yielded:
                    task.yielded = False
                    self.submit(task)
                elif task.retries < 3:
                    task.retries += 1
                    self.submit(task)
            elif task.failed is not None:
                task.failed(message.error)
            else:
                log.error("loader task failed", exc_info=message.error)
        finally:
            self._finish_one(task)

    def _finish_one(self, task: Task) -> None:
        with self._cond:
            self._outstanding -= 1
            self._release(task)
            idle = self._outstanding <= 0
        if idle and self._idle is not None:
            self._idle.set()

    @property
    def idle(self) -> bool:
        with self._cond:
            return self._outstanding <= 0

    async def wait_idle(self) -> None:
        """Until every submitted task has run and been applied (tests, benches)."""
        if self._idle is not None:
            await self._idle.wait()

    # -- loader thread ------------------------------------------------------------------

    def _finish_running(self) -> bool:
        """Clear the running task; True when the loader was stopped meanwhile."""
        with self._cond:
            self._running = None
            return self._stopped

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                _, _, task = heapq.heappop(self._heap)
                if task.key is not None and self._queued.get(task.key) is task:
                    del self._queued[task.key]
                if task.stale is _always:
                    continue  # replaced by a newer task with the same key (already counted)
                self._running = task
            result: Any = None
            error: BaseException | None = None
            try:
                if task.stale is not None and task.stale():
                    error = sqlite3.OperationalError("interrupted")
                else:
                    result = task.run()
            except Exception as exc:
                error = exc
            if self._finish_running():
                return
            try:
                self._owner.post_message(Finished(task, result, error))
            except Exception:  # the app is gone
                return


def _always() -> bool:
    return True


def _interrupted(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error)

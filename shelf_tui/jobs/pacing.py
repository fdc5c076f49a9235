"""The waits of a running job: bans every worker honours, backoff with jitter, sleeps a stop
interrupts, and the grace period after which a call that does not answer is abandoned.

All of it on the engine's injectable Timer (tests move a sandbox's clock instead of
sleeping), except the grace period, which is real time: its purpose is that a process never
hangs on a call, whatever the clocks say.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shelf_tui.jobs.timing import Timer

T = TypeVar("T")


class Abandoned(Exception):
    """The job stopped and this call did not answer within the grace period."""


class Pacer:
    """One job run's waits. `stopped` is set when the run must stop (cancel, pause, ...)."""

    def __init__(
        self,
        timer: Timer,
        *,
        backoff_base: float,
        backoff_max: float,
        grace: float,
        rng: random.Random,
        on_wait: Callable[[str], None],
    ) -> None:
        self.timer = timer
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.grace_seconds = grace
        self.rng = rng
        self.on_wait = on_wait
        self.stopped = asyncio.Event()
        self.abandon = asyncio.Event()
        self.ban_until = 0.0

    async def wait(self, seconds: float, *, interruptible: bool = True) -> bool:
        """Sleep, unless the run is stopped first (False)."""
        if seconds <= 0:
            return not (interruptible and self.stopped.is_set())
        if not interruptible:
            await self.timer.sleep(seconds)
            return True
        if self.stopped.is_set():
            return False
        sleeper = asyncio.ensure_future(self.timer.sleep(seconds))
        stopper = asyncio.ensure_future(self.stopped.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (sleeper, stopper):
                if not t.done():
                    t.cancel()
        return not self.stopped.is_set()

    def ban(self, seconds: float) -> None:
        """A server asked every caller of this shop to wait."""
        self.ban_until = max(self.ban_until, self.timer.clock() + seconds)

    async def through_ban(self, *, interruptible: bool = True) -> bool:
        """Wait out the current ban (False if the run stopped meanwhile)."""
        while True:
            left = self.ban_until - self.timer.clock()
            if left <= 0:
                self.on_wait("")
                return True
            self.on_wait(f"rate limited: waiting {left:.0f}s")
            if not await self.wait(left, interruptible=interruptible):
                return False

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter in its upper half, capped."""
        base = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return base / 2 + self.rng.random() * base / 2

    async def abandonable(self, aw: Awaitable[T], *, limit: float | None = None) -> T:
        """Await a connector call unless the grace period after a stop runs out first (or
        `limit` real seconds pass): then the call is cancelled and Abandoned raised."""
        if self.abandon.is_set() and limit is None:
            raise Abandoned
        task = asyncio.ensure_future(aw)
        if limit is not None:
            await asyncio.wait({task}, timeout=limit)
        else:
            waiter: asyncio.Future[Any] = asyncio.ensure_future(self.abandon.wait())
            pending: set[asyncio.Future[Any]] = {task, waiter}
            try:
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise Abandoned

    async def grace(self) -> None:
        """After a stop, give calls in flight the grace period, then abandon them."""
        await self.stopped.wait()
        await asyncio.sleep(self.grace_seconds)
        self.abandon.set()

"""A per-shop async token bucket, shared by sync and jobs within a process.

Why virtual scheduling rather than an asyncio.Lock and a refill task: a reservation is plain
arithmetic on a "theoretical arrival time" (GCRA), so the bucket is bound to no event loop
(the CLI runs several `asyncio.run`s, tests one loop each) and costs nothing when idle.

Every wait a server asks for is honoured for the whole bucket: a RateLimited answer calls
`penalize(seconds)`, which holds every caller of this shop, those already waiting included,
until the ban is over, and shifts the queued reservations by the same amount so they keep
their spacing instead of bursting when the ban ends.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Throttle:
    """`rate` requests per second with a burst of `burst` (None: unlimited, still honouring
    penalties). `clock`/`sleep` are injectable so tests never really sleep."""

    def __init__(
        self,
        rate: float | None,
        *,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._tat = 0.0  # theoretical arrival time of the next request
        self._blocked_until = 0.0
        self._shift = 0.0  # total penalty time added since creation
        self.waited = 0.0  # seconds callers spent waiting (bench and tests read it)
        self.penalties = 0
        self.set_rate(rate, burst=burst)

    @property
    def rate(self) -> float | None:
        return self._rate

    def set_rate(self, rate: float | None, *, burst: float = 1.0) -> None:
        """Change the rate (config reloads, a shop's own setting)."""
        if rate is not None and rate <= 0:
            rate = None
        self._rate = rate
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._tolerance = max(0.0, burst - 1.0) * self._interval

    @property
    def blocked_until(self) -> float:
        """Until when (on this throttle's clock) a server-imposed ban holds every caller."""
        return self._blocked_until

    def penalize(self, seconds: float) -> None:
        """A server asked us to wait `seconds` (TOP code 7, ML 429 Retry-After, Temu 4000004):
        no request of this shop leaves before then."""
        if seconds <= 0:
            return
        now = self._clock()
        until = now + seconds
        if until <= self._blocked_until:
            return
        delta = until - max(self._blocked_until, now)
        self._blocked_until = until
        self._shift += delta
        self._tat = max(self._tat, now) + delta
        self.penalties += 1

    def _reserve(self, now: float) -> float:
        """Book the next slot; return the seconds to wait for it."""
        start = max(now, self._blocked_until)
        if self._rate is None:
            return start - now
        tat = max(self._tat, start)
        allowed = tat - self._tolerance
        self._tat = tat + self._interval
        return max(0.0, allowed - now)

    async def acquire(self) -> None:
        """Wait for a slot. Cancellation-safe: a cancelled waiter just loses its slot."""
        now = self._clock()
        wait = self._reserve(now)
        shift = self._shift
        while wait > 0:
            self.waited += wait
            await self._sleep(wait)
            # A penalty arrived while we slept: our slot moved by the same amount.
            wait = self._shift - shift
            shift = self._shift
            now = self._clock()
            if wait <= 0 and self._blocked_until > now:
                wait = self._blocked_until - now

    async def __aenter__(self) -> Throttle:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


_shared: dict[str, Throttle] = {}
_shared_lock = threading.Lock()


def shared(shop: str, rate: float | None) -> Throttle:
    """The process-wide throttle of a shop (sync and jobs share it, so together they never
    exceed the shop's rate). A later call with another rate updates it."""
    with _shared_lock:
        bucket = _shared.get(shop)
        if bucket is None:
            bucket = _shared[shop] = Throttle(rate)
        elif bucket.rate != rate:
            bucket.set_rate(rate)
        return bucket


def forget(shop: str) -> None:
    """Drop a shop's shared throttle (the shop was removed)."""
    with _shared_lock:
        _shared.pop(shop, None)


def reset_shared() -> None:
    """Forget every shared throttle (tests that reuse shop names in one process, where a ban
    learnt in one test must not hold the next)."""
    with _shared_lock:
        _shared.clear()

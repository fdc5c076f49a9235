"""Progress of a job as a stream of immutable snapshots, at most `hz` a second.

Why snapshots and conflation: the console's job pane and the CLI progress line only ever need
the latest state. A subscriber that falls behind (a busy terminal over SSH) skips to the newest
snapshot instead of queueing thousands, and the engine never waits for a subscriber.

`ProgressHub` lives beside a running job in this process. `watch()` polls the store for a job
run by another process (a `shelf down` in another terminal), yielding the same snapshots.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

from shelf_tui.domain import JobState
from shelf_tui.store import Store
from shelf_tui.store.jobs import Job


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed item with what the platform said."""

    item_id: str
    code: str
    message: str
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    """One job at one moment. `waiting` says why nothing is moving right now (a rate-limit
    ban, a retry backoff); `pause_reason` why a paused job stopped."""

    job_id: int
    shop: str
    action: str
    state: JobState
    total: int
    ok: int = 0
    already: int = 0
    skipped: int = 0
    failed: int = 0
    in_flight: int = 0
    rate: float = 0.0
    eta: float | None = None
    elapsed: float = 0.0
    waiting: str = ""
    pause_reason: str = ""
    cancelling: bool = False
    failures: tuple[Failure, ...] = ()
    at: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.ok + self.already + self.skipped + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def finished(self) -> bool:
        """No more progress will come from this run (done, cancelled, paused, interrupted)."""
        return self.state is not JobState.RUNNING

    def line(self) -> str:
        """The one-line form the CLI prints on stderr; the most telling parts first, so a
        narrow terminal (80 columns over SSH) cuts only the tail."""
        parts = [f"job {self.job_id} {self.shop} {self.action} {self.done:,}/{self.total:,}"]
        running = self.state is JobState.RUNNING
        if self.eta is not None and running:
            parts.append(f"ETA {_duration(self.eta)}")
        if self.rate:
            parts.append(f"{self.rate:,.1f}/s")
        parts.append(
            f"ok {self.ok:,} already {self.already:,} skipped {self.skipped:,} "
            f"failed {self.failed:,}"
        )
        if self.cancelling and running:
            parts.append("cancelling")
        elif self.waiting and running:
            parts.append(self.waiting)
        if not running:
            parts.append(self.state.value + (f": {self.pause_reason}" if self.pause_reason else ""))
        return " · ".join(parts)


def _duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class RateMeter:
    """Items finished per second over a sliding window, for the rate and the ETA."""

    def __init__(self, window: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._marks: deque[tuple[float, int]] = deque()
        self._count = 0

    def add(self, n: int = 1) -> None:
        self._count += n
        now = self._clock()
        self._marks.append((now, self._count))
        while len(self._marks) > 2 and now - self._marks[0][0] > self._window:
            self._marks.popleft()

    def rate(self) -> float:
        if len(self._marks) < 2:
            return 0.0
        (t0, c0), (t1, c1) = self._marks[0], self._marks[-1]
        span = max(t1 - t0, self._clock() - t1 if c1 == c0 else 0.0)
        return (c1 - c0) / span if span > 0 else 0.0


Listener = Callable[[Progress], None]


class ProgressHub:
    """The latest Progress of one job, published at most `hz` times a second.

    `update(**changes)` is cheap and may be called for every item; subscribers get a snapshot
    at most every 1/hz seconds, plus the final one at once. `subscribe()` is an async iterator
    that always starts with the current snapshot and ends after a finished one.
    """

    def __init__(self, initial: Progress, *, hz: float = 10.0) -> None:
        self._latest = initial
        self._interval = 1.0 / max(0.1, min(hz, 10.0))
        self._version = 0
        self._changed = asyncio.Event()
        self._listeners: list[Listener] = []
        self._last_publish = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._pending: dict[str, object] = {}

    @property
    def latest(self) -> Progress:
        return self._latest

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(progress)` on each publication (in the event loop's thread); returns
        a function that removes it. The CLI progress line is such a listener."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def update(self, *, final: bool = False, **changes: object) -> None:
        """Record changes; publish now if due (or final), else schedule one publication."""
        self._pending.update(changes)
        now = time.monotonic()
        if final or now - self._last_publish >= self._interval:
            self._publish()
        elif self._timer is None:
            delay = self._interval - (now - self._last_publish)
            self._timer = asyncio.get_running_loop().call_later(delay, self._publish)

    def _publish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._latest = replace(self._latest, at=time.monotonic(), **self._pending)  # type: ignore[arg-type]
        self._pending = {}
        self._last_publish = time.monotonic()
        self._version += 1
        self._changed.set()
        self._changed = asyncio.Event()
        for listener in list(self._listeners):
            listener(self._latest)

    async def subscribe(self) -> AsyncIterator[Progress]:
        """Snapshots from now on, newest only, ending with a finished one."""
        seen = -1
        while True:
            if self._version != seen:
                seen = self._version
                snap = self._latest
                yield snap
                if snap.finished:
                    return
                # Look again before waiting: a publication made while the subscriber held
                # `snap` set an Event this loop no longer waits on (each publication makes a
                # fresh one); waiting now would miss it, the final one included, for ever.
                continue
            await self._changed.wait()


def from_job(job: Job, *, rate: float = 0.0, failures: tuple[Failure, ...] = ()) -> Progress:
    """A snapshot from a job row (a job not running in this process)."""
    remaining = job.total - job.done
    return Progress(
        job_id=job.id,
        shop=job.shop,
        action=job.action,
        state=job.state,
        total=job.total,
        ok=job.ok,
        already=job.already,
        skipped=job.skipped,
        failed=job.failed,
        in_flight=job.sending,
        rate=rate,
        eta=remaining / rate if rate > 0 else None,
        pause_reason=job.pause_reason,
        cancelling=job.cancel_requested,
    )


async def watch(store: Store, job_id: int, *, hz: float = 2.0) -> AsyncIterator[Progress]:
    """Follow a job run by another process by polling its row (off the event loop), until it
    is no longer running. The rate is measured from the polls."""
    meter = RateMeter()
    last_done: int | None = None
    interval = 1.0 / max(0.1, min(hz, 10.0))
    while True:
        job = await asyncio.to_thread(store.jobs.get, job_id)
        if job is None:
            return
        if last_done is not None and job.done > last_done:
            meter.add(job.done - last_done)
        last_done = job.done
        failed = await asyncio.to_thread(_recent_failures, store, job_id)
        snap = from_job(job, rate=meter.rate(), failures=failed)
        yield snap
        if snap.finished:
            return
        await asyncio.sleep(interval)


def _recent_failures(store: Store, job_id: int, limit: int = 20) -> tuple[Failure, ...]:
    rows = store.conn.query(
        "SELECT item_id, code, message, request_id FROM job_items WHERE job_id = ? "
        "AND state = 'failed' ORDER BY updated_at DESC, seq DESC LIMIT ?",
        (job_id, limit),
    )
    return tuple(Failure(r[0], r[1], r[2], r[3]) for r in rows)

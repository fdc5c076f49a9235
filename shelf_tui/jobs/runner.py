"""Running one job: read, judge, send, journal; pause, cancel, settle.

The order of a job's life, and why:
1. The caller has claimed the job (store.jobs.claim): no second process can run it.
2. A reader walks the pending items (`queued`, and `sending` ones left by a crash or a lost
   answer) in journal order, in batches of the platform's read size, and reads each batch
   from the platform (check-before-act). An item found `sending` that is already in the
   target state was applied: it ends `ok` without a second call. An item already in the target
   state ends `already`; one the fresh state blocks ends `skipped` with the reason.
3. Workers (bounded by `concurrency`) take the rest: the connector's preflight (promotion
   locks...), then `mark_sending` (committed, fenced to this owner and to "no cancel asked")
   BEFORE the call leaves, then the call, then `finish_item` (outcome + event + row).
4. Transient -> backoff with jitter, READ BACK, resend only if not applied. RateLimited ->
   every worker waits the ban. QuotaExhausted / AuthExpired -> the whole job pauses; an item
   whose call may have applied stays `sending` for the read-back at resume. Rejected -> the
   item fails with the platform's code and message.
5. Cancel: no new call leaves; in-flight calls finish; an item with a lost answer is read back;
   never-sent items end `skipped` ("cancelled before sending").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from shelf_tui import logs
from shelf_tui.domain import (
    Action,
    Item,
    ItemState,
    JobState,
    Outcome,
    OutcomeKind,
    Platform,
    from_epoch,
)
from shelf_tui.jobs.journal import Journal
from shelf_tui.jobs.pacing import Abandoned, Pacer
from shelf_tui.jobs.progress import Failure, ProgressHub, RateMeter
from shelf_tui.jobs.records import (
    CANCELLED_BEFORE_SENDING,
    NOT_FOUND,
    abandoned_record,
    call_record,
    message_of,
    outcome_event,
    stored_row,
)
from shelf_tui.jobs.timing import Timer
from shelf_tui.jobs.verdicts import Verdict, judge
from shelf_tui.marketplaces.base import Marketplace
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MarketplaceError,
    QuotaExhausted,
    RateLimited,
    Rejected,
)
from shelf_tui.store import Store
from shelf_tui.store.jobs import Job, JobCall, JobItem

T = TypeVar("T")
_log = logs.get("jobs.runner")

PAGE = 500


@dataclass(frozen=True, slots=True)
class Settings:
    """How a job runs (config.toml [jobs], plus the knobs tests turn)."""

    concurrency: int = 4
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 60.0
    read_batch: int | None = None
    hz: float = 10.0
    cancel_poll: float = 0.5
    heartbeat_every: float = 5.0
    #: A rate-limit ban longer than this pauses the job (resume_at = its end) instead of
    #: holding the process: a daily quota in disguise (ML 429, Temu 4000004) lasts hours.
    max_wait: float = 900.0
    #: Once a job stops, calls still waiting after this many (real) seconds are abandoned:
    #: a worker stuck behind a connector's hour-long ban must not hold the process. An
    #: abandoned call's item stays `sending` and is read back before anything is resent.
    stop_grace: float = 10.0


@dataclass(slots=True)
class _Halt:
    """Why the run stops early: "cancel", "pause" (with reason/resume_at), "interrupt" or
    "lost"."""

    kind: str
    reason: str = ""
    resume_at: int | None = None
    sign_in: bool = False


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended. `job` is the row afterwards."""

    job: Job
    sign_in_needed: bool = False
    lost: bool = False

    @property
    def state(self) -> JobState:
        return self.job.state


class _Unsettled(Exception):
    """A read-back could not be done (the platform keeps failing, or the job must pause)."""


class Runner:
    """One run of one claimed job against one shop's connector."""

    def __init__(
        self,
        *,
        store: Store,
        journal: Journal,
        job: Job,
        market: Marketplace,
        platform: Platform,
        owner: str,
        settings: Settings,
        hub: ProgressHub,
        timer: Timer,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.journal = journal
        self.job = job
        self.market = market
        self.platform = platform
        self.owner = owner
        self.settings = settings
        self.hub = hub
        self.timer = timer
        self.rng = rng or random.Random()
        self.action = Action(job.action)
        self.target = self.action.target
        self.read_batch = max(1, settings.read_batch or market.capabilities.read_batch or 20)
        self.halt: _Halt | None = None
        self.pace = Pacer(
            timer,
            backoff_base=settings.backoff_base,
            backoff_max=settings.backoff_max,
            grace=settings.stop_grace,
            rng=self.rng,
            on_wait=lambda text: self.hub.update(waiting=text),
        )
        self.stopped = self.pace.stopped
        self._counts = {
            OutcomeKind.OK: job.ok,
            OutcomeKind.ALREADY: job.already,
            OutcomeKind.SKIPPED: job.skipped,
            OutcomeKind.FAILED: job.failed,
        }
        self._failures: deque[Failure] = deque(maxlen=20)
        self._meter = RateMeter()
        self._in_flight = 0
        self._started = timer.clock()

    # -- control ---------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop sending; in-flight calls finish; the rest ends skipped."""
        if self.halt is None or self.halt.kind == "pause":
            self.halt = _Halt("cancel")
        self.stopped.set()
        self.hub.update(cancelling=True, final=True)

    def interrupt(self, reason: str = "") -> None:
        """Stop sending (a hang-up, SIGTERM, the console quitting): in-flight calls finish,
        the job is left `interrupted` to resume; nothing is skipped."""
        if self.halt is None:
            self.halt = _Halt(
                "interrupt", reason or f"stopped on request: `shelf jobs resume {self.job.id}`"
            )
        self.stopped.set()

    def _pause(self, reason: str, *, resume_at: int | None = None, sign_in: bool = False) -> None:
        if self.halt is None:
            self.halt = _Halt("pause", reason, resume_at, sign_in)
        self.stopped.set()

    def _lost(self) -> None:
        if self.halt is None or self.halt.kind != "lost":
            self.halt = _Halt("lost", "another process took the job over")
        self.stopped.set()

    def _pause_for(self, exc: MarketplaceError) -> None:
        shop, job_id = self.job.shop, self.job.id
        if isinstance(exc, AuthExpired):
            self._pause(
                f"sign-in needed for {shop} ({exc.message}): run `shelf login {shop}`, then "
                f"`shelf jobs resume {job_id}`",
                sign_in=True,
            )
        elif isinstance(exc, QuotaExhausted):
            when = exc.reset_at
            at = f" until {when.strftime('%Y-%m-%d %H:%M UTC')}" if when else ""
            self._pause(
                f"the shop's daily API quota is used up{at}: `shelf jobs resume {job_id}` then",
                resume_at=int(when.timestamp()) if when else None,
            )
        else:
            self._pause(f"{exc.message}: fix it, then `shelf jobs resume {job_id}`")

    # -- waits -----------------------------------------------------------------------------

    def _rate_limited(self, exc: RateLimited) -> bool:
        """Honour a ban for every worker; a ban too long to sit through pauses the job until
        it ends (False)."""
        if exc.retry_after > self.settings.max_wait:
            until = int(self.timer.wall() + exc.retry_after)
            stamp = _now(self.timer) + timedelta(seconds=exc.retry_after)
            self._pause(
                f"rate-limited by the platform for {int(exc.retry_after)} s (until "
                f"{stamp:%Y-%m-%d %H:%M} UTC): `shelf jobs resume {self.job.id}` then",
                resume_at=until,
            )
            return False
        self.pace.ban(exc.retry_after)
        return True

    # -- reads -----------------------------------------------------------------------------

    async def _read(self, ids: list[str], *, settling: bool = False) -> dict[str, Item]:
        """Fresh state of `ids`, retrying what can be retried; raises _Unsettled when the
        job must stop (pause) or the platform keeps failing. `settling` reads go on after
        a cancel (they settle an item whose answer was lost)."""
        attempt = 0
        while True:
            if not settling and self.stopped.is_set():
                raise _Unsettled("stopped")
            if not await self.pace.through_ban(interruptible=not settling):
                raise _Unsettled("stopped")
            try:
                limit = self.settings.stop_grace if settling else None
                return await self.pace.abandonable(self.market.get_items(ids), limit=limit)
            except Abandoned:
                raise _Unsettled("no answer after the job stopped") from None
            except RateLimited as exc:
                if not self._rate_limited(exc):
                    raise _Unsettled(exc.message) from None
            except (AuthExpired, QuotaExhausted) as exc:
                self._pause_for(exc)
                raise _Unsettled(exc.message) from None
            except Rejected as exc:
                self._pause(
                    f"the platform refused to read items ({exc.code or 'rejected'}: "
                    f"{exc.message}); `shelf jobs resume {self.job.id}` once fixed"
                )
                raise _Unsettled(exc.message) from None
            except Exception as exc:  # Transient, MalformedResponse, a connector bug
                attempt += 1
                if not isinstance(exc, MarketplaceError):
                    _log.warning("get_items raised %r", exc, exc_info=True)
                if attempt >= self.settings.max_attempts:
                    if not settling:
                        self._pause(
                            f"the platform keeps failing ({message_of(exc)}); "
                            f"`shelf jobs resume {self.job.id}` later"
                        )
                    raise _Unsettled(message_of(exc)) from None
                if not await self.pace.wait(self.pace.backoff(attempt), interruptible=not settling):
                    raise _Unsettled("stopped") from None

    async def _known(self, ids: list[str]) -> dict[str, Item]:
        return await self.journal.run(self.store.items.get_many, self.job.shop, ids)

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> None:
        self._publish()
        helpers = [asyncio.ensure_future(self._poll()), asyncio.ensure_future(self.pace.grace())]
        try:
            await self._pipeline()
        finally:
            for task in helpers:
                task.cancel()
            for task in helpers:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _pipeline(self) -> None:
        queue: asyncio.Queue[tuple[JobItem, Item, Item | None] | None] = asyncio.Queue(
            maxsize=max(2, self.settings.concurrency * 2)
        )
        workers = [
            asyncio.ensure_future(self._worker(queue))
            for _ in range(max(1, self.settings.concurrency))
        ]
        try:
            await self._reader(queue)
        except _Unsettled:
            pass
        finally:
            for _ in workers:
                await queue.put(None)
            results = await asyncio.gather(*workers, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r

    async def _reader(self, queue: asyncio.Queue[tuple[JobItem, Item, Item | None] | None]) -> None:
        after = -1
        while not self.stopped.is_set():
            page = await self.journal.run(
                self.store.jobs.items,
                self.job.id,
                states=[ItemState.QUEUED, ItemState.SENDING],
                after_seq=after,
                limit=PAGE,
            )
            if not page:
                return
            after = page[-1].seq
            for start in range(0, len(page), self.read_batch):
                chunk = page[start : start + self.read_batch]
                ids = [ji.item_id for ji in chunk]
                fresh = await self._read(ids)
                known = await self._known(ids)
                for ji in chunk:
                    if self.stopped.is_set():
                        return
                    await self._triage(ji, fresh.get(ji.item_id), known.get(ji.item_id), queue)

    async def _triage(
        self,
        ji: JobItem,
        item: Item | None,
        known: Item | None,
        queue: asyncio.Queue[tuple[JobItem, Item, Item | None] | None],
    ) -> None:
        if item is None:
            await self._finish(ji, Outcome.failed("not_found", NOT_FOUND), None, known)
            return
        if item.status is self.target:
            if ji.state is ItemState.SENDING and ji.prev_status != self.target.value:
                msg = "applied before the interruption (confirmed by read-back)"
                await self._finish(ji, _ok(msg), item, known, calls=[self._call(ji, "read_back")])
            else:
                await self._finish(ji, Outcome.already(f"already {self.target.value}"), item, known)
            return
        if ji.state is ItemState.SENDING:  # the evidence: read back, not applied
            await self.journal.run(
                self.store.jobs.record_calls, [self._call(ji, "read_back", found=item)]
            )
        j = judge(item, self.action, self.platform, _now(self.timer), locks=False)
        if j.verdict is Verdict.ALREADY:
            await self._finish(ji, Outcome.already(j.detail), item, known)
        elif j.verdict is Verdict.BLOCKED:
            await self._finish(ji, Outcome.skipped(f"{j.block}: {j.detail}"), item, known)
        else:
            await queue.put((ji, item, known))

    async def _worker(self, queue: asyncio.Queue[tuple[JobItem, Item, Item | None] | None]) -> None:
        while True:
            entry = await queue.get()
            if entry is None:
                return
            if self.stopped.is_set():
                continue  # never sent: stays queued (cancel sweeps it, resume takes it)
            ji, item, known = entry
            self._in_flight += 1
            try:
                await self._process(ji, item, known)
            finally:
                self._in_flight -= 1

    async def _guarded(self, what: str, fn: Callable[[], Awaitable[T]]) -> T | None:
        """A non-changing call (preflight) with the read policy: None when the job stops."""
        attempt = 0
        while True:
            if not await self.pace.through_ban():
                return None
            try:
                return await fn()
            except (Abandoned, Rejected):
                raise
            except RateLimited as exc:
                if not self._rate_limited(exc):
                    return None
            except (AuthExpired, QuotaExhausted) as exc:
                self._pause_for(exc)
                return None
            except Exception as exc:
                attempt += 1
                if not isinstance(exc, MarketplaceError):
                    _log.warning("%s raised %r", what, exc, exc_info=True)
                if attempt >= self.settings.max_attempts:
                    self._pause(f"{what} keeps failing ({message_of(exc)})")
                    return None
                if not await self.pace.wait(self.pace.backoff(attempt)):
                    return None

    async def _process(self, ji: JobItem, item: Item, known: Item | None) -> None:
        try:
            reason = await self._guarded(
                "preflight", lambda: self.pace.abandonable(self.market.preflight(item, self.action))
            )
        except Abandoned:
            return  # nothing was sent: the item stays as it was
        except Rejected as exc:  # e.g. the rule lookup says the item does not exist
            failed = Outcome.failed(exc.code or "rejected", exc.message, exc.request_id)
            await self._finish(ji, failed, item, known)
            return
        if self.stopped.is_set():
            return
        if reason:
            await self._finish(ji, Outcome.skipped(reason), item, known)
            return
        calls: list[JobCall] = []
        transient = 0
        attempt = ji.attempts
        while True:
            if not await self.pace.through_ban():
                # Stopped while banned: the last call (if any) was refused, nothing applied;
                # the item stays as it is (a `sending` one is read back before any resend).
                await self.journal.run(self.store.jobs.record_calls, calls)
                return
            sent = await self.journal.run(
                self.store.jobs.mark_sending, self.job.id, ji.item_id, owner=self.owner
            )
            if not sent:
                await self.journal.run(self.store.jobs.record_calls, calls)
                await self._fenced()
                return
            attempt += 1
            t0 = self.timer.clock()
            try:
                outcome = await self.pace.abandonable(self.market.set_status(item, self.action))
            except Abandoned:
                # Maybe sent, maybe applied: stays `sending`, read back before any resend.
                calls.append(
                    abandoned_record(self.job.id, ji.item_id, at=self.timer.wall(), attempt=attempt)
                )
                await self.journal.run(self.store.jobs.record_calls, calls)
                return
            except RateLimited as exc:
                calls.append(self._call(ji, "set_status", exc, attempt, t0))
                if self._rate_limited(exc):
                    continue
                # Refused, so not applied: back to the queue for the resume.
                await self.journal.run(self.store.jobs.record_calls, calls)
                await self.journal.run(
                    self.store.jobs.requeue, self.job.id, [ji.item_id], owner=self.owner
                )
                return
            except (AuthExpired, QuotaExhausted) as exc:
                calls.append(self._call(ji, "set_status", exc, attempt, t0))
                await self.journal.run(self.store.jobs.record_calls, calls)
                await self.journal.run(
                    self.store.jobs.requeue, self.job.id, [ji.item_id], owner=self.owner
                )
                self._pause_for(exc)
                return
            except Rejected as exc:
                calls.append(self._call(ji, "set_status", exc, attempt, t0))
                outcome = Outcome.failed(exc.code or "rejected", exc.message, exc.request_id)
            except Exception as exc:  # Transient (5xx, timeout, malformed) or a connector bug
                if not isinstance(exc, MarketplaceError):
                    _log.warning("set_status raised %r", exc, exc_info=True)
                calls.append(self._call(ji, "set_status", exc, attempt, t0))
                transient += 1
                settled = await self._after_transient(ji, item, known, calls, transient, exc)
                if settled is None:
                    return
                if isinstance(settled, Item):
                    item = settled
                    continue
                outcome = settled
            else:
                calls.append(self._call(ji, "set_status", outcome, attempt, t0))
            await self._finish(ji, outcome, outcome.item or item, known, calls=calls)
            return

    async def _after_transient(
        self,
        ji: JobItem,
        item: Item,
        known: Item | None,
        calls: list[JobCall],
        transient: int,
        exc: Exception,
    ) -> Outcome | Item | None:
        """After a call that may or may not have applied: back off, read back, and say what
        next: an Outcome (settled), a fresh Item (not applied: send again), or None (the job
        stops; the item stays `sending` for the read-back at resume)."""
        cancelling = self.halt is not None and self.halt.kind == "cancel"
        if transient < self.settings.max_attempts and not cancelling:
            await self.journal.run(self.store.jobs.record_calls, calls)
            calls.clear()
            await self.pace.wait(self.pace.backoff(transient))
        settling = self.halt is not None and self.halt.kind == "cancel"
        if self.stopped.is_set() and not settling:
            await self.journal.run(self.store.jobs.record_calls, calls)
            calls.clear()
            return None
        t0 = self.timer.clock()
        try:
            fresh = await self._read([ji.item_id], settling=settling)
        except _Unsettled as why:
            if settling:
                return Outcome.failed(
                    "unknown",
                    f"cancelled with an unanswered call (it may have applied) and the "
                    f"read-back failed ({why}): check the item on the platform",
                )
            await self.journal.run(self.store.jobs.record_calls, calls)
            calls.clear()
            return None
        now = fresh.get(ji.item_id)
        calls.append(self._call(ji, "read_back", None, transient, t0, found=now))
        if now is None:
            return Outcome.failed("not_found", NOT_FOUND)
        if now.status is self.target:
            return _ok(
                f"applied; the answer was lost ({message_of(exc)}) and the read-back confirms it",
                item=now,
            )
        if settling:
            return Outcome.skipped("cancelled before resending (the lost call did not apply)")
        if transient >= self.settings.max_attempts:
            code = getattr(exc, "code", "") or "transient"
            return Outcome.failed(
                code,
                f"gave up after {transient} attempts: {message_of(exc)} (read back: unchanged)",
            )
        return now

    async def _fenced(self) -> None:
        """mark_sending refused: a cancel was asked through the database, or the job is no
        longer ours."""
        cancel = await self.journal.run(self.store.jobs.cancel_requested, self.job.id)
        if cancel:
            self.cancel()
        else:
            self._lost()

    # -- journal steps ---------------------------------------------------------------------

    def _call(
        self,
        ji: JobItem,
        call: str,
        result: Outcome | BaseException | None = None,
        attempt: int = 0,
        t0: float | None = None,
        *,
        found: Item | None = None,
    ) -> JobCall:
        ms = int((self.timer.clock() - t0) * 1000) if t0 is not None else None
        return call_record(
            self.job.id,
            ji.item_id,
            at=self.timer.wall(),
            call=call,
            attempt=attempt,
            ms=ms,
            result=result,
            target=self.target,
            found=found,
        )

    async def _finish(
        self,
        ji: JobItem,
        outcome: Outcome,
        fresh: Item | None,
        known: Item | None,
        *,
        calls: list[JobCall] | None = None,
    ) -> None:
        row = stored_row(self.action, outcome, fresh, known, _now(self.timer))
        event = outcome_event(self.job, ji, outcome, row, known, at=int(self.timer.wall()))
        done = await self.journal.run(
            self.store.jobs.finish_item,
            self.job.id,
            ji.item_id,
            dataclasses.replace(outcome, item=row),
            event=event,
            calls=calls or (),
            owner=self.owner,
        )
        if not done:
            await self._fenced()
            return
        self._counts[outcome.kind] += 1
        self._meter.add()
        if outcome.kind is OutcomeKind.FAILED:
            self._failures.appendleft(
                Failure(ji.item_id, outcome.code, outcome.message, outcome.request_id)
            )
        self._publish()

    def _publish(self, *, final: bool = False, state: JobState = JobState.RUNNING) -> None:
        c = self._counts
        done = sum(c.values())
        rate = self._meter.rate()
        remaining = self.job.total - done
        self.hub.update(
            final=final,
            state=state,
            ok=c[OutcomeKind.OK],
            already=c[OutcomeKind.ALREADY],
            skipped=c[OutcomeKind.SKIPPED],
            failed=c[OutcomeKind.FAILED],
            in_flight=self._in_flight,
            rate=rate,
            eta=remaining / rate if rate > 0 else None,
            elapsed=self.timer.clock() - self._started,
            failures=tuple(self._failures),
        )

    # -- housekeeping ----------------------------------------------------------------------

    async def _poll(self) -> None:
        """Heartbeat, and notice a cancel asked from another process (real time: this is
        wall-clock housekeeping, not a wait the platform asked for)."""
        beats = max(1, round(self.settings.heartbeat_every / self.settings.cancel_poll))
        n = 0
        while True:
            await asyncio.sleep(self.settings.cancel_poll)
            n += 1
            if await self.journal.run(self.store.jobs.cancel_requested, self.job.id):
                self.cancel()
            if n % beats == 0 and not await self.journal.run(
                self.store.jobs.heartbeat, self.job.id, self.owner
            ):
                self._lost()

    async def settle_and_sweep(self) -> None:
        """After a cancel: read back items still `sending` (a crash or lost answer before the
        cancel), then end every never-sent item `skipped`. Reads only: nothing is sent."""
        pending = await self.journal.run(
            self.store.jobs.items, self.job.id, states=[ItemState.SENDING]
        )
        for start in range(0, len(pending), self.read_batch):
            chunk = pending[start : start + self.read_batch]
            ids = [ji.item_id for ji in chunk]
            try:
                fresh: dict[str, Item] | None = await self._read(ids, settling=True)
            except _Unsettled as why:
                fresh, reason = None, str(why)
            known = await self._known(ids)
            for ji in chunk:
                if fresh is None:
                    outcome = Outcome.failed(
                        "unknown",
                        f"cancelled after a call whose answer was lost; the read-back failed "
                        f"({reason}): check the item on the platform",
                    )
                    await self._finish(ji, outcome, None, known.get(ji.item_id))
                    continue
                item = fresh.get(ji.item_id)
                if item is None:
                    outcome = Outcome.failed("not_found", NOT_FOUND)
                elif item.status is self.target:
                    outcome = _ok("applied before the cancel (confirmed by read-back)")
                else:
                    outcome = Outcome.skipped(f"{CANCELLED_BEFORE_SENDING} (read back: unchanged)")
                await self._finish(
                    ji, outcome, item, known.get(ji.item_id), calls=[self._call(ji, "read_back")]
                )
        await self.journal.run(self._sweep_queued)
        self._counts_from(await self.journal.run(self.store.jobs.get, self.job.id))

    def _sweep_queued(self) -> None:
        """One transaction: every queued item ends skipped with its one outcome event."""
        wall = int(self.timer.wall())
        with self.store.conn.transaction():
            for ji in self.store.jobs.items(self.job.id, states=[ItemState.QUEUED]):
                self.store.jobs.finish_item(
                    self.job.id,
                    ji.item_id,
                    Outcome.skipped(CANCELLED_BEFORE_SENDING),
                    event=outcome_event(
                        self.job,
                        ji,
                        Outcome.skipped(CANCELLED_BEFORE_SENDING),
                        None,
                        None,
                        at=wall,
                    ),
                    owner=self.owner,
                )

    def _counts_from(self, job: Job | None) -> None:
        if job is None:
            return
        self._counts = {
            OutcomeKind.OK: job.ok,
            OutcomeKind.ALREADY: job.already,
            OutcomeKind.SKIPPED: job.skipped,
            OutcomeKind.FAILED: job.failed,
        }

    def publish_final(self, job: Job) -> None:
        self._counts_from(job)
        self._in_flight = 0
        self.hub.update(waiting="", pause_reason=job.pause_reason)
        self._publish(final=True, state=job.state)


def _ok(message: str, item: Item | None = None) -> Outcome:
    return Outcome(OutcomeKind.OK, message=message, item=item)


def _now(timer: Timer) -> datetime:
    when = from_epoch(timer.wall())
    assert when is not None
    return when

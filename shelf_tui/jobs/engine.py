"""`JobEngine`: the one door to bulk jobs for the CLI, the console and rules.

    engine = JobEngine(store, settings=Settings(...))          # or JobEngine.from_config
    plan = engine.plan_keys(Action.DELIST, marked_keys)         # review it (dialog, --dry-run)
    jobs = engine.submit(plan, reason="out of stock")          # journaled: one job per shop
    handle = await engine.start(jobs[0].id)                    # runs as an asyncio task
    async for p in handle.subscribe(): ...                      # <= 10 snapshots a second
    handle.cancel()  /  await engine.cancel(job_id)             # same or another process
    result = await handle.wait()
    engine.retry_failed(job_id); engine.undo(job_id)            # new jobs (parent_id)
    engine.recover()                                            # dead owners -> interrupted

Everything that would change a shop refuses in read-only mode (ReadOnlyError), here in the
core, so no face of shelf can forget to check.
"""

from __future__ import annotations

import asyncio
import getpass
import random
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shelf_tui import logs
from shelf_tui.domain import Action, BulkRequest, ItemState, JobState, Platform
from shelf_tui.errors import ReadOnlyError, ShelfError, UsageError
from shelf_tui.jobs import owner as owners
from shelf_tui.jobs.errors import JobBusy, Refused, UnknownJob
from shelf_tui.jobs.handle import JobHandle, Listener, Offline, Submission
from shelf_tui.jobs.journal import Journal
from shelf_tui.jobs.plan import Key, Plan, Refusal, plan_filter, plan_keys
from shelf_tui.jobs.progress import Progress, ProgressHub, from_job
from shelf_tui.jobs.runner import Runner, RunResult, Settings
from shelf_tui.jobs.timing import REAL, Timer
from shelf_tui.jobs.undo import UndoPlan, plan_undo, undo_refusal
from shelf_tui.marketplaces.base import Marketplace
from shelf_tui.marketplaces.errors import AuthExpired, MarketplaceError
from shelf_tui.store import Store
from shelf_tui.store.jobs import Job

if TYPE_CHECKING:
    from shelf_tui.config import Config

Connect = Callable[[str], AbstractAsyncContextManager[Marketplace]]
_log = logs.get("jobs.engine")

#: Jobs this process is running, whatever engine runs them (the console, a rule run): a job
#: owned by this process but absent here was orphaned and may be recovered.
_RUNNING_HERE: set[tuple[str, int]] = set()


def default_actor() -> str:
    """`user@host`: who did it, on every event of the timeline."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def settings_from_config(config: Config) -> Settings:
    j = config.jobs
    return Settings(
        concurrency=max(1, j.concurrency),
        max_attempts=max(1, j.max_attempts),
        backoff_base=j.backoff_base,
        backoff_max=j.backoff_max,
        hz=float(max(1, min(10, config.ui.refresh_hz))),
    )


def default_connect(store: Store, rates: Mapping[str, float] | None = None) -> Connect:
    """Connectors through auth.connect: keyring credentials, the shop's shared throttle at
    its configured rate (config.toml [rates])."""

    def connect(shop: str) -> AbstractAsyncContextManager[Marketplace]:
        from shelf_tui import auth

        return auth.connect(store, shop, rates=rates)

    return connect


class JobEngine:
    """Plans, journals, runs and controls bulk jobs over one store."""

    def __init__(
        self,
        store: Store,
        *,
        settings: Settings | None = None,
        connect: Connect | None = None,
        actor: str | None = None,
        read_only: bool = False,
        timer: Timer = REAL,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.connect = connect or default_connect(store)
        self.actor = actor or default_actor()
        self.read_only = read_only
        self.timer = timer
        self.rng = rng or random.Random()
        self.owner = str(owners.current())
        self.journal = Journal(store)
        self._handles: dict[int, JobHandle] = {}
        self._listeners: list[Listener] = []

    @classmethod
    def from_config(
        cls,
        store: Store,
        config: Config,
        *,
        read_only: bool = False,
        actor: str | None = None,
        connect: Connect | None = None,
    ) -> JobEngine:
        """The engine as config.toml says: [jobs] settings, [rates] per shop, read_only."""
        return cls(
            store,
            settings=settings_from_config(config),
            connect=connect or default_connect(store, config.rates),
            actor=actor,
            read_only=read_only or config.read_only,
        )

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(what)

    # -- planning (reads the store only; allowed in read-only mode) --------------------------

    def plan_keys(
        self,
        action: Action,
        keys: Iterable[Key],
        *,
        item_reasons: Mapping[Key, str] | None = None,
        refused: Sequence[Refusal] = (),
        now: datetime | None = None,
    ) -> Plan:
        return plan_keys(
            self.store, action, keys, item_reasons=item_reasons, refused=refused, now=now
        )

    def plan_filter(self, action: Action, flt: str, *, shops: Sequence[str] | None = None) -> Plan:
        return plan_filter(self.store, action, flt, shops=shops)

    def undo_plan(self, job_id: int) -> UndoPlan:
        try:
            return plan_undo(self.store, job_id)
        except KeyError:
            raise UnknownJob(job_id) from None

    # -- journaling ------------------------------------------------------------------------

    def submit(
        self,
        plan: Plan,
        reason: str,
        *,
        actor: str | None = None,
        source: str = "user",
        parent_id: int | None = None,
        note: str = "",
    ) -> Submission:
        """Journal one job per shop of the plan (all in one transaction), state `queued`.
        Refuses a plan with refusals, an empty reason (unless every item has its own), and
        read-only mode. Nothing is sent here: `start` each job."""
        self._writable(f"{plan.action.value} {plan.total:,} items")
        if plan.refused:
            raise Refused(plan.refused)
        reason = " ".join(reason.split())
        per_item = [i.item_reason for s in plan.shops for i in s.items]
        if not reason:
            if not per_item or not all(per_item):
                raise UsageError("a reason is required (why are these items changing?)")
            distinct = set(per_item)
            reason = per_item[0] if len(distinct) == 1 else "per-item reasons"
        jobs: list[Job] = []
        with self.store.conn.transaction():
            for shop_plan in plan.shops:
                request = BulkRequest(
                    shop_plan.shop,
                    plan.action,
                    shop_plan.item_ids,
                    reason,
                    actor or self.actor,
                    source,
                )
                reasons = {i.item_id: i.item_reason for i in shop_plan.items if i.item_reason}
                jobs.append(
                    self.store.jobs.create(
                        request,
                        parent_id=parent_id,
                        note=note or plan.source,
                        item_reasons=reasons,
                        snapshots=plan.action in (Action.DELIST, Action.CLOSE),
                    )
                )
        return Submission(tuple(jobs))

    def submit_requests(
        self, requests: Sequence[BulkRequest], *, parent_id: int | None = None, note: str = ""
    ) -> Submission:
        """Journal ready-made requests (rules produce BulkRequests), one job each."""
        if requests:
            self._writable(f"{requests[0].action.value} items")
        jobs: list[Job] = []
        with self.store.conn.transaction():
            for request in requests:
                jobs.append(
                    self.store.jobs.create(
                        request,
                        parent_id=parent_id,
                        note=note,
                        snapshots=request.action in (Action.DELIST, Action.CLOSE),
                    )
                )
        return Submission(tuple(jobs))

    def retry_failed(self, job_id: int, *, actor: str | None = None) -> Job | None:
        """A new job (parent_id = job_id) over the job's failed items; None if none failed."""
        self._writable("retry a job")
        job = self._job(job_id)
        failed = self.store.jobs.items(job_id, states=[ItemState.FAILED])
        if not failed:
            return None
        action = Action(job.action)
        request = BulkRequest(
            job.shop,
            action,
            tuple(ji.item_id for ji in failed),
            job.reason,
            actor or self.actor,
            job.source,
        )
        return self.store.jobs.create(
            request,
            parent_id=job_id,
            note=f"retry of job {job_id}",
            item_reasons={ji.item_id: ji.reason for ji in failed if ji.reason},
            snapshots=action in (Action.DELIST, Action.CLOSE),
        )

    def undo(
        self, job_id: int, reason: str | None = None, *, actor: str | None = None
    ) -> tuple[Job | None, UndoPlan]:
        """A new job (parent_id = job_id) restoring the items the job changed; also returns
        the undo plan, whose `cannot` lists what will not be restored and why."""
        self._writable("undo a job")
        job = self._job(job_id)
        refusal = undo_refusal(job)
        if refusal:
            raise UsageError(refusal)
        undo = self.undo_plan(job_id)
        if undo.plan is None or undo.plan.empty:
            return None, undo
        text = " ".join((reason or "").split())
        why = f"undo of job {job_id}" + (f": {text}" if text else f" ({job.reason})")
        sub = self.submit(
            undo.plan, why, actor=actor, source="undo", parent_id=job_id, note=f"undo of {job_id}"
        )
        return sub.jobs[0], undo

    # -- the same, off the event loop (the console: a big plan or journal takes a moment) ---

    async def aplan_keys(self, action: Action, keys: Iterable[Key], **kw: Any) -> Plan:
        """`plan_keys` in a thread, so the console's loop keeps drawing."""
        return await asyncio.to_thread(lambda: self.plan_keys(action, list(keys), **kw))

    async def aplan_filter(
        self, action: Action, flt: str, *, shops: Sequence[str] | None = None
    ) -> Plan:
        return await asyncio.to_thread(self.plan_filter, action, flt, shops=shops)

    async def asubmit(self, plan: Plan, reason: str, **kw: Any) -> Submission:
        """`submit` in a thread (journaling 100,000 items is one long transaction)."""
        return await asyncio.to_thread(lambda: self.submit(plan, reason, **kw))

    async def aretry_failed(self, job_id: int, *, actor: str | None = None) -> Job | None:
        return await asyncio.to_thread(lambda: self.retry_failed(job_id, actor=actor))

    async def aundo_plan(self, job_id: int) -> UndoPlan:
        return await asyncio.to_thread(self.undo_plan, job_id)

    async def aundo(
        self, job_id: int, reason: str | None = None, *, actor: str | None = None
    ) -> tuple[Job | None, UndoPlan]:
        return await asyncio.to_thread(lambda: self.undo(job_id, reason, actor=actor))

    # -- running ---------------------------------------------------------------------------

    def _job(self, job_id: int) -> Job:
        job = self.store.jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        return job

    def failed_keys(self, job_id: int) -> list[Key]:
        """(shop, item id) of a job's failed items: the pane's "mark failed in the browser"."""
        job = self._job(job_id)
        return [
            (job.shop, ji.item_id)
            for ji in self.store.jobs.items(job_id, states=[ItemState.FAILED])
        ]

    def handle(self, job_id: int) -> JobHandle | None:
        return self._handles.get(job_id)

    @property
    def running(self) -> list[JobHandle]:
        return [h for h in self._handles.values() if not h.done]

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Progress of every job this engine runs (the console's job pane)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _fan_out(self, progress: Progress) -> None:
        for listener in list(self._listeners):
            listener(progress)

    def progress(self, job_id: int) -> Progress:
        """The latest progress of a job: live if it runs here, else from the journal."""
        handle = self._handles.get(job_id)
        if handle is not None and not handle.done:
            return handle.progress
        return from_job(self._job(job_id))

    async def start(self, job_id: int, *, cancel: bool = False) -> JobHandle:
        """Claim the job for this process and run it as a task (resume is the same call).
        Raises JobBusy when another live process runs it."""
        self._writable("run a job")
        existing = self._handles.get(job_id)
        if existing is not None and not existing.done:
            if cancel:
                existing.cancel()
            return existing
        job = self._job(job_id)
        if job.state.final:
            raise UsageError(f"job {job_id} is {job.state.value}: there is nothing left to run")
        if job.state is JobState.RUNNING:
            self.recover()
            job = self._job(job_id)
        if not await asyncio.to_thread(self.store.jobs.claim, job_id, self.owner):
            job = self._job(job_id)
            if job.state is JobState.RUNNING:
                who = owners.Owner.parse(job.owner)
                where = who.describe() if who else job.owner or "another process"
                raise JobBusy(f"job {job_id} is running in {where}; it cannot run twice")
            raise UsageError(f"job {job_id} is {job.state.value}: there is nothing left to run")
        _RUNNING_HERE.add(self._here(job_id))
        job = self._job(job_id)
        hub = ProgressHub(from_job(job), hz=self.settings.hz)
        hub.add_listener(self._fan_out)
        handle = JobHandle(job_id, hub)
        if cancel:
            handle.cancel()
        self._handles[job_id] = handle
        handle.task = asyncio.ensure_future(self._run(job, handle))
        return handle

    async def run(self, job_id: int) -> RunResult:
        """Start (or resume) a job and wait for the run to end."""
        return await (await self.start(job_id)).wait()

    def _here(self, job_id: int) -> tuple[str, int]:
        return (str(self.store.path), job_id)

    async def _run(self, job: Job, handle: JobHandle) -> RunResult:
        try:
            return await self._run_claimed(job, handle)
        finally:
            _RUNNING_HERE.discard(self._here(job.id))

    async def _run_claimed(self, job: Job, handle: JobHandle) -> RunResult:
        shop = self.store.shops.find(job.shop)
        if shop is None:
            return self._release(job, JobState.PAUSED, f"shop {job.shop!r} no longer exists")
        try:
            try:
                async with self.connect(job.shop) as market:
                    return await self._drive(job, handle, market, shop.platform)
            except (AuthExpired, MarketplaceError, ShelfError) as exc:
                if handle.runner is not None:
                    raise
                if handle.cancel_requested:
                    return await self._drive(job, handle, Offline(exc), shop.platform)
                message = exc.message if isinstance(exc, MarketplaceError) else str(exc)
                if isinstance(exc, AuthExpired) or exc.exit_code == 3:
                    return self._release(
                        job,
                        JobState.PAUSED,
                        f"sign-in needed for {job.shop} ({message}): run `shelf login "
                        f"{job.shop}`, then `shelf jobs resume {job.id}`",
                        sign_in=True,
                        hub=handle.hub,
                    )
                return self._release(
                    job, JobState.PAUSED, f"cannot reach {job.shop}: {message}", hub=handle.hub
                )
        except asyncio.CancelledError:
            # The app is going away mid-run: calls in flight may or may not apply, so the
            # job is left `interrupted` and its `sending` items are read back at resume.
            self.store.jobs.release(job.id, self.owner, JobState.INTERRUPTED)
            raise
        except BaseException:
            _log.exception("job %s stopped on an internal error", job.id)
            self.store.jobs.release(
                job.id,
                self.owner,
                JobState.INTERRUPTED,
                pause_reason="stopped on an internal error (see the log); resume to continue",
            )
            raise

    async def _drive(
        self, job: Job, handle: JobHandle, market: Marketplace, platform: Platform
    ) -> RunResult:
        runner = Runner(
            store=self.store,
            journal=self.journal,
            job=job,
            market=market,
            platform=platform,
            owner=self.owner,
            settings=self.settings,
            hub=handle.hub,
            timer=self.timer,
            rng=self.rng,
        )
        handle.runner = runner
        if handle.cancel_requested or job.cancel_requested:
            runner.cancel()
        elif handle._interrupt:
            runner.interrupt()
        await runner.run()
        halt = runner.halt
        if halt is not None and halt.kind == "cancel":
            await runner.settle_and_sweep()
            result = self._release(job, JobState.CANCELLED, "", runner=runner)
        elif halt is not None and halt.kind == "pause":
            result = self._release(
                job,
                JobState.PAUSED,
                halt.reason,
                resume_at=halt.resume_at,
                sign_in=halt.sign_in,
                runner=runner,
            )
        elif halt is not None and halt.kind == "interrupt":
            result = self._release(job, JobState.INTERRUPTED, halt.reason, runner=runner)
        elif halt is not None and halt.kind == "lost":
            final = self._job(job.id)
            runner.publish_final(final)
            return RunResult(final, lost=True)
        else:
            row = self._job(job.id)
            if row.queued or row.sending:
                result = self._release(
                    job,
                    JobState.INTERRUPTED,
                    f"{row.queued + row.sending} items were left pending; resume to continue",
                    runner=runner,
                )
            else:
                result = self._release(job, JobState.DONE, "", runner=runner)
        return result

    def _release(
        self,
        job: Job,
        state: JobState,
        reason: str,
        *,
        resume_at: int | None = None,
        sign_in: bool = False,
        runner: Runner | None = None,
        hub: ProgressHub | None = None,
    ) -> RunResult:
        released = self.store.jobs.release(
            job.id, self.owner, state, pause_reason=reason, resume_at=resume_at
        )
        final = self._job(job.id)
        if runner is not None:
            runner.publish_final(final)
        elif hub is not None:
            hub.update(final=True, state=final.state, pause_reason=final.pause_reason)
        return RunResult(final, sign_in_needed=sign_in and released, lost=not released)

    # -- control ---------------------------------------------------------------------------

    async def cancel(self, job_id: int) -> Job:
        """Cancel a job wherever it is: here (stop now), in another live process (it is
        asked through the database and stops after its in-flight calls), or not running
        (paused/interrupted: unanswered calls are read back, the rest ends skipped).
        Returns the job row (for another process's job, as it is right after asking)."""
        self._writable("cancel a job")
        handle = self._handles.get(job_id)
        if handle is not None and not handle.done:
            handle.cancel()
            return (await handle.wait()).job
        job = self._job(job_id)
        if job.state.final:
            return job
        if job.state is JobState.RUNNING:
            self.recover()
            job = self._job(job_id)
            if job.state is JobState.RUNNING:
                await asyncio.to_thread(self.store.jobs.request_cancel, job_id)
                return self._job(job_id)
        return (await (await self.start(job_id, cancel=True)).wait()).job

    def recover(self) -> list[Job]:
        """Jobs left `running` by a process that is gone become `interrupted` (offered for
        resume). Returns the jobs it interrupted."""
        now = int(self.timer.wall())
        stale: list[Job] = []
        for job in self.store.jobs.all(states=[JobState.RUNNING], limit=10_000):
            if job.owner == self.owner:
                if self._here(job.id) not in _RUNNING_HERE:
                    stale.append(job)
                continue
            if not owners.is_alive(job.owner, job.heartbeat, now):
                stale.append(job)
        if stale:
            self.store.jobs.mark_interrupted([j.id for j in stale])
        return [self._job(j.id) for j in stale]

    def resumable(self) -> list[Job]:
        """Jobs waiting to be resumed: interrupted, paused, or journaled but never started."""
        return self.store.jobs.all(
            states=[JobState.INTERRUPTED, JobState.PAUSED, JobState.QUEUED], limit=10_000
        )

    async def resume_due(self) -> list[JobHandle]:
        """Resume paused jobs whose `resume_at` (a quota reset) has passed: the console calls
        this now and then."""
        now = time.time() if self.timer is REAL else self.timer.wall()
        handles = []
        for job in self.store.jobs.all(states=[JobState.PAUSED], limit=10_000):
            if job.resume_at is not None and job.resume_at <= now:
                try:
                    handles.append(await self.start(job.id))
                except ShelfError as exc:
                    _log.info("job %s not resumed: %s", job.id, exc)
        return handles

    async def aclose(self) -> None:
        """Wait for running jobs, then stop the journal thread."""
        for handle in list(self._handles.values()):
            if handle.task is not None and not handle.task.done():
                try:
                    await handle.wait()
                except Exception as exc:
                    _log.info("job %s ended with %r", handle.job_id, exc)
        await asyncio.to_thread(self.journal.close)

"""The console's door to the job engine: L/D -> plan -> confirm -> journal -> run, and the live
progress the job pane draws.

Why a service and not code in the screens: the browser, the detail, the failed-items view and
the job pane all start the same flows, and one object must own what they share — the engine
(one per console, so a job runs once), the "one flow at a time" latch that makes a double key
press queue one job, and the coalescing of progress (every job publishes up to 10 snapshots a
second; the pane and the browser refresh at most `ui.refresh_hz` times a second in total, from
a timer that re-arms only while something changed, Dolphie-style).

Jobs run as asyncio tasks on the console's loop; their SQLite writes go through the engine's
journal thread and their reads of the platform are network waits, so a keystroke never waits
for a job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from shelf_tui import logs
from shelf_tui.domain import Action, JobState
from shelf_tui.errors import ShelfError
from shelf_tui.jobs import JobEngine, JobHandle, Plan, Progress
from shelf_tui.jobs.plan import Key
from shelf_tui.store.jobs import Job
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import one_line

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from shelf_tui.marketplaces.base import Marketplace
    from shelf_tui.ui.screens.confirm import ConfirmRequest, ConfirmScreen

log = logs.get("ui.jobs")

#: How often paused jobs whose wait is over (a quota reset) are resumed, in seconds.
RESUME_DUE_EVERY = 30.0
#: The browser re-reads its rows at most this often while jobs change items, in seconds.
DATA_EVERY = 1.0
INTERRUPTED_BY_QUIT = "the console closed mid-job; resume to continue"


@dataclass(frozen=True, slots=True)
class Selection:
    """What an action acts on: the marks (with how many the filter hides), else one row."""

    keys: tuple[Key, ...]
    hidden: int = 0
    from_marks: bool = False


SelectionSource = Callable[[], Awaitable[Selection | None]]


class Pane(Protocol):
    """What the service tells the job pane (screens/jobs.py)."""

    def apply_progress(self, snapshots: Sequence[Progress]) -> None: ...

    def reload(self, select: int | None = None) -> None: ...


def verb(action: Action) -> str:
    return {Action.LIST: "List", Action.DELIST: "Delist", Action.CLOSE: "Close"}[action]


class JobsService:
    """One per console: the engine, the flows that end in a job, and the live progress."""

    def __init__(
        self,
        app: App[Any],
        session: Session,
        engine: JobEngine | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.session = session
        self._engine = engine
        self.monotonic = monotonic
        #: The newest snapshot of every job that ran in this console.
        self.live: dict[int, Progress] = {}
        self._pending: dict[int, Progress] = {}
        self._timer: Timer | None = None
        self._last_data = 0.0
        self._data_dirty = False
        self._unlisten: Callable[[], None] | None = None
        self.busy: str | None = None
        self._busy_since = 0.0
        #: Set while no flow runs; tests and scripts wait on it instead of sleeping.
        self.idle = asyncio.Event()
        self.idle.set()
        #: The last confirm dialog opened, and an event set when one opens.
        self.last_dialog: ConfirmScreen | None = None
        self.dialog_opened = asyncio.Event()
        self.pane: Pane | None = None
        #: Jobs offered for resume when the console opened (interrupted by a dead process).
        self.interrupted_at_start: list[Job] = []
        self.started = asyncio.Event()
        self.closed = False

    # -- the engine ------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.session.read_only or self.session.config.read_only

    @property
    def hz(self) -> float:
        return float(max(1, min(10, self.session.config.ui.refresh_hz)))

    @property
    def engine(self) -> JobEngine:
        if self._engine is None:
            self._engine = self._build_engine()
        return self._engine

    def _build_engine(self) -> JobEngine:
        """The engine as config.toml says, connecting with the same token store as the sync
        (`shelf demo` keeps its tokens in memory: a job must not look in the OS keyring)."""
        store = self.session.store
        config = self.session.config
        tokens = getattr(self.session.sync, "tokens", None)
        rates = dict(config.rates)

        def connect(shop: str) -> AbstractAsyncContextManager[Marketplace]:
            from shelf_tui.auth import connect as auth_connect

            return auth_connect(store, shop, rates=rates, tokens=tokens)

        return JobEngine.from_config(store, config, read_only=self.read_only, connect=connect)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """On console start: listen to progress, offer jobs a dead process left behind, and
        resume paused jobs whose wait is over now and then."""
        self._unlisten = self.engine.add_listener(self._on_progress)
        self.app.run_worker(self._startup(), group="jobs-start", exit_on_error=False)
        if not self.read_only:
            self.app.set_interval(RESUME_DUE_EVERY, self._resume_due)

    async def _startup(self) -> None:
        try:
            if not self.read_only:
                await asyncio.to_thread(self.engine.recover)
            store = self.session.store
            stopped = await asyncio.to_thread(
                store.jobs.all, states=[JobState.INTERRUPTED], limit=1000
            )
            self.interrupted_at_start = stopped
            if stopped:
                n = len(stopped)
                what = f"{n} job{'s' if n != 1 else ''} {'were' if n != 1 else 'was'}"
                hint = "J to review" + ("" if self.read_only else ", then s (or S for all) resumes")
                self.app.notify(
                    f"{what} interrupted when shelf last stopped: {hint}.",
                    severity="warning",
                    timeout=10,
                    markup=False,
                )
        except Exception:
            log.exception("job recovery at start failed")
        finally:
            self.started.set()

    def _resume_due(self) -> None:
        async def run() -> None:
            for handle in await self.engine.resume_due():
                self.app.notify(f"Job {handle.job_id} resumed: its wait is over.", markup=False)

        self.app.run_worker(run(), group="jobs-resume", exit_on_error=False)

    def close(self) -> None:
        """The console is going away (q, a lost terminal): running jobs stop sending and are
        journaled `interrupted` at once, so the next start offers them for resume. A call in
        flight leaves its item `sending`; the resume reads it back before anything is sent."""
        self.closed = True
        if self._unlisten is not None:
            self._unlisten()
        if self._timer is not None:
            self._timer.stop()
        engine = self._engine
        if engine is None:
            return
        for handle in engine.running:
            handle.interrupt()
            try:
                engine.store.jobs.release(
                    handle.job_id,
                    engine.owner,
                    JobState.INTERRUPTED,
                    pause_reason=INTERRUPTED_BY_QUIT,
                )
            except Exception:
                log.exception("job %s could not be marked interrupted", handle.job_id)
            if handle.task is not None:
                handle.task.cancel()

    # -- progress --------------------------------------------------------------------------

    def _on_progress(self, progress: Progress) -> None:
        """Every job's snapshots (engine listener): keep the newest, refresh on a timer."""
        previous = self.live.get(progress.job_id)
        self.live[progress.job_id] = progress
        self._pending[progress.job_id] = progress
        if previous is None or previous.done != progress.done:
            self._data_dirty = True
        if progress.finished:
            self._data_dirty = True
            self.app.call_later(self.flush, True)
        elif self._timer is None:
            self._timer = self.app.set_timer(1.0 / self.hz, self.flush)

    def flush(self, force_data: bool = False) -> None:
        """Hand the pane what changed since the last refresh; re-read the browser's rows at
        most every DATA_EVERY seconds (and when a job ends)."""
        self._timer = None
        if self.closed or not self.app.screen_stack:
            return  # the console is closing: nothing left to draw
        pending, self._pending = list(self._pending.values()), {}
        if pending and self.pane is not None:
            self.pane.apply_progress(pending)
        now = self.monotonic()
        if self._data_dirty and (force_data or now - self._last_data >= DATA_EVERY):
            self._data_dirty = False
            self._last_data = now
            self.session.data_changed()
        elif self._data_dirty and self._timer is None:
            self._timer = self.app.set_timer(DATA_EVERY, self.flush)
        screen = self.app.screen
        retitle = getattr(screen, "retitle", None)
        if callable(retitle) and screen.is_mounted:
            retitle()

    def status(self) -> str:
        """For the title bar: what runs here ("job 12 45%", "2 jobs running 61%")."""
        running = [p for p in self.live.values() if p.state is JobState.RUNNING]
        if not running:
            return ""
        done = sum(p.done for p in running)
        total = sum(p.total for p in running) or 1
        pct = int(100 * done / total)
        if len(running) == 1:
            return f"job {running[0].job_id} {pct}% (J)"
        return f"{len(running)} jobs {pct}% (J)"

    # -- the one-flow latch -----------------------------------------------------------------

    def _begin(self, what: str) -> bool:
        """Take the latch, or say why not: a second press while a flow runs does nothing."""
        if self.busy is not None:
            if self.monotonic() - self._busy_since > 1.0:
                self.app.notify(f"Still busy: {self.busy}…", timeout=3, markup=False)
            return False
        self.busy = what
        self._busy_since = self.monotonic()
        self.idle.clear()
        return True

    def _end(self) -> None:
        self.busy = None
        self.idle.set()

    def _refuse_read_only(self, what: str) -> bool:
        if self.read_only:
            self.app.notify(
                f"Read-only mode is on: cannot {what}.", severity="warning", markup=False
            )
            return True
        return False

    def _flow(self, what: str, coro: Awaitable[None]) -> None:
        """Run one flow as a worker, holding the latch; errors become one-line notices."""

        async def run() -> None:
            try:
                await coro
            except ShelfError as exc:
                self.app.notify(one_line(str(exc)), severity="error", timeout=8, markup=False)
            except Exception as exc:
                log.exception("%s failed", what)
                self.app.notify(
                    f"{what} failed: {one_line(str(exc)) or type(exc).__name__} (see the log)",
                    severity="error",
                    timeout=8,
                    markup=False,
                )
            finally:
                self._end()

        self.app.run_worker(run(), group="jobs-flow", exit_on_error=False)

    async def _confirm(self, request: ConfirmRequest) -> str | None:
        from shelf_tui.ui.screens.confirm import ConfirmScreen

        screen = ConfirmScreen(request, clock=self.monotonic)
        waiting = self.app.push_screen(screen, wait_for_dismiss=True)
        self.last_dialog = screen
        self.dialog_opened.set()
        return await waiting

    # -- L / D -----------------------------------------------------------------------------

    def request(self, action: Action, select: SelectionSource, *, key: str | None = None) -> None:
        """L/D pressed: plan what `select` names, confirm, journal, run. Debounced: while one
        such flow is open (planning, the dialog, journaling) another press does nothing."""
        if self._refuse_read_only(f"{action.value} items"):
            return
        if not self._begin(f"{action.value} in progress"):
            return
        self._flow(f"{verb(action)}", self._act(action, select, key))

    async def _act(self, action: Action, select: SelectionSource, key: str | None) -> None:
        from shelf_tui.ui.screens.confirm import ConfirmRequest

        selection = await select()
        if selection is None or not selection.keys:
            self.app.notify(
                f"Nothing to {action.value}: mark items (space, *) or put the cursor on one.",
                markup=False,
            )
            return
        plan = await self.engine.aplan_keys(action, selection.keys, now=self.session.clock())
        plan = _drop_vanished(plan).with_hidden(selection.hidden)
        if plan.empty:
            self.app.notify(f"Nothing to {action.value}.", markup=False)
            return
        request = ConfirmRequest(
            title=action.label.capitalize(),
            button=verb(action),
            plan=plan,
            accents=await self._accents(),
            type_count_above=self.session.config.ui.type_count_above,
            guard_key=key,
        )
        reason = await self._confirm(request)
        if reason is None:
            return
        submission = await self.engine.asubmit(plan, reason)
        if selection.from_marks:
            self.session.mark(MarkOp("clear"))
        await self._start_all(submission.ids)
        n = len(submission.ids)
        self.app.notify(
            f"{verb(action)}: {plan.total:,} items, {n} job{'s' if n != 1 else ''} "
            f"({', '.join(f'#{i}' for i in submission.ids)}) started.",
            markup=False,
        )
        self.show_pane(select=max(submission.ids))

    async def _accents(self) -> dict[str, str]:
        shops = await asyncio.to_thread(self.session.store.shops.all)
        return {s.name: s.accent for s in shops if s.accent}

    async def _start_all(self, job_ids: Sequence[int]) -> None:
        for job_id in job_ids:
            try:
                handle = await self.engine.start(job_id)
            except ShelfError as exc:
                self.app.notify(
                    f"Job {job_id}: {one_line(str(exc))}", severity="error", markup=False
                )
                continue
            self.app.run_worker(self._watch(handle), group="jobs-watch", exit_on_error=False)
        if self.pane is not None:
            self.pane.reload()

    async def _watch(self, handle: JobHandle) -> None:
        """When a run ends: say so, and a job paused for a sign-in opens the sign-in dialog
        (resuming it afterwards is offered there)."""
        try:
            result = await handle.wait()
        except Exception:
            log.exception("job %s ended on an internal error", handle.job_id)
            return
        job = result.job
        if result.sign_in_needed:
            accounts = getattr(self.app, "accounts", None)
            if accounts is not None:
                accounts.request_sign_in(job.shop, job.pause_reason)
        if job.state is JobState.DONE:
            failed = f", {job.failed:,} failed (J: r retries)" if job.failed else ""
            self.app.notify(
                f"Job {job.id} done: {job.ok:,} ok, {job.already:,} already, "
                f"{job.skipped:,} skipped{failed}.",
                severity="warning" if job.failed else "information",
                markup=False,
            )
        elif job.state is JobState.PAUSED and not result.sign_in_needed:
            self.app.notify(
                f"Job {job.id} paused: {one_line(job.pause_reason)}",
                severity="warning",
                timeout=10,
                markup=False,
            )

    # -- the pane's verbs ------------------------------------------------------------------

    def show_pane(self, select: int | None = None) -> None:
        """Open the job pane (or, when it is open, refresh it and select `select`)."""
        from shelf_tui.ui.screens.jobs import JobsScreen

        screen = self.app.screen
        if isinstance(screen, JobsScreen):
            screen.reload(select)
            return
        for below in self.app.screen_stack:
            if isinstance(below, JobsScreen):
                # Opened from the pane (detail, failed items): go back to it.
                while not isinstance(self.app.screen, JobsScreen):
                    self.app.pop_screen()
                below.reload(select)
                return
        self.app.push_screen(JobsScreen(self.session, self, select=select))

    def toggle_pane(self) -> None:
        """`J`: open the pane, or leave it when it is the screen on top."""
        from shelf_tui.ui.screens.jobs import JobsScreen

        if isinstance(self.app.screen, JobsScreen):
            self.app.pop_screen()
        else:
            self.show_pane()

    def resume_many(self, job_ids: Sequence[int]) -> None:
        """Resume several jobs (the shops screen, after a sign-in)."""
        if self._refuse_read_only("resume jobs") or not self._begin("resuming"):
            return

        async def run() -> None:
            await self._start_all(job_ids)
            n = len(job_ids)
            self.app.notify(f"Resumed {n} job{'s' if n != 1 else ''}.", markup=False)

        self._flow("Resume", run())

    def resume(self, job_id: int) -> None:
        if self._refuse_read_only("resume a job") or not self._begin("resuming"):
            return

        async def run() -> None:
            await self.engine.start(job_id)
            self.app.notify(f"Job {job_id} resumed.", markup=False)
            if self.pane is not None:
                self.pane.reload(job_id)

        self._flow("Resume", run())

    def cancel(self, job_id: int) -> None:
        if self._refuse_read_only("cancel a job") or not self._begin("cancelling"):
            return

        async def run() -> None:
            handle = self.engine.handle(job_id)
            if handle is not None and not handle.done:
                # Here: stop now; the run ends on its own and the pane hears it.
                handle.cancel()
                self.app.notify(
                    f"Cancelling job {job_id}: calls in flight finish, nothing new is sent.",
                    markup=False,
                )
                return
            job = await self.engine.cancel(job_id)
            word = "asked to stop" if job.state is JobState.RUNNING else job.state.value
            self.app.notify(f"Job {job_id} {word}.", markup=False)
            if self.pane is not None:
                self.pane.reload(job_id)

        self._flow("Cancel", run())

    def retry(self, job_id: int) -> None:
        """A new job over the failed items, after the same review as L/D (the original
        reason stands: it is shown, not asked again)."""
        if self._refuse_read_only("retry a job") or not self._begin("retrying"):
            return
        self._flow("Retry", self._retry(job_id))

    async def _retry(self, job_id: int) -> None:
        from shelf_tui.ui.screens.confirm import ConfirmRequest

        job = await asyncio.to_thread(self.session.store.jobs.get, job_id)
        if job is None:
            self.app.notify(f"No job {job_id}.", markup=False)
            return
        keys = await asyncio.to_thread(self.engine.failed_keys, job_id)
        if not keys:
            self.app.notify(f"Job {job_id} has no failed items to retry.", markup=False)
            return
        action = Action(job.action)
        plan = await self.engine.aplan_keys(action, keys, now=self.session.clock())
        plan = _drop_vanished(plan)
        request = ConfirmRequest(
            title=f"Retry job {job_id}: {action.label}",
            button="Retry",
            plan=plan,
            accents=await self._accents(),
            type_count_above=self.session.config.ui.type_count_above,
            fixed_reason=job.reason,
        )
        if await self._confirm(request) is None:
            return
        new = await self.engine.aretry_failed(job_id)
        if new is None:
            self.app.notify(f"Job {job_id} has no failed items any more.", markup=False)
            return
        await self._start_all([new.id])
        self.app.notify(f"Job {new.id} retries {new.total:,} items of job {job_id}.", markup=False)
        self.show_pane(select=new.id)

    def undo(self, job_id: int) -> None:
        """Undo after review: the plan, and up front what cannot be undone and why."""
        if self._refuse_read_only("undo a job") or not self._begin("undoing"):
            return
        self._flow("Undo", self._undo(job_id))

    async def _undo(self, job_id: int) -> None:
        from shelf_tui.jobs.undo import undo_refusal
        from shelf_tui.ui.screens.confirm import (
            UNDO_PRESETS,
            ConfirmRequest,
            ItemListScreen,
            ListedItem,
        )

        undo = await self.engine.aundo_plan(job_id)
        refusal = undo_refusal(undo.job)
        if refusal:
            self.app.notify(refusal, severity="warning", markup=False)
            return
        if undo.plan is None or undo.plan.empty:
            if not undo.cannot:
                self.app.notify(f"Job {job_id} changed nothing: nothing to undo.", markup=False)
                return
            rows = [
                ListedItem(undo.job.shop, r.item_id, "", "cannot undo", r.why) for r in undo.cannot
            ]
            await self.app.push_screen(
                ItemListScreen(
                    f"Nothing to undo in job {job_id}: {len(rows):,} cannot be undone", rows
                ),
                wait_for_dismiss=True,
            )
            return
        assert undo.action is not None
        request = ConfirmRequest(
            title=f"Undo job {job_id}: {undo.action.label}",
            button="Undo",
            plan=undo.plan,
            accents=await self._accents(),
            type_count_above=self.session.config.ui.type_count_above,
            cannot=undo.cannot,
            presets=UNDO_PRESETS,
            intro=(
                f"Job {job_id} ({undo.job.action} on {undo.job.shop}, reason: "
                f"{one_line(undo.job.reason)}) changed {undo.restorable + len(undo.cannot):,} "
                f"items; {undo.restorable:,} can be restored."
            ),
        )
        reason = await self._confirm(request)
        if reason is None:
            return
        new, _ = await self.engine.aundo(job_id, reason)
        if new is None:
            self.app.notify("Nothing left to undo.", markup=False)
            return
        await self._start_all([new.id])
        self.app.notify(f"Job {new.id} undoes job {job_id} ({new.total:,} items).", markup=False)
        self.show_pane(select=new.id)

    async def mark_failed(self, job_id: int) -> list[Key]:
        """Mark the job's failed items in the browser; returns them."""
        keys = await asyncio.to_thread(self.engine.failed_keys, job_id)
        if keys:
            self.session.mark(MarkOp("set", tuple(keys)))
        return keys


def _drop_vanished(plan: Plan) -> Plan:
    """Marked items the store no longer has (a sync removed them) leave the plan with a note:
    the rest can still go, and the dialog says what was left out."""
    if not plan.refused:
        return plan
    n = len(plan.refused)
    note = f"{n:,} marked item{'s are' if n != 1 else ' is'} no longer in the catalog: left out"
    return replace(plan, refused=(), notes=(*plan.notes, note))

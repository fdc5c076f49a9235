"""The live job pane (`J`): every job, running first, each with its bar, done/total, outcome
counts, rate, ETA and state; under it the selected job's story and its failures with what the
platform said. Keys act on the selected job: retry failed, mark failed, cancel, undo, resume,
open an item.

It never asks the store on a keystroke's path: live progress arrives from the engine through
the jobs service (coalesced to `ui.refresh_hz`), and the journal (jobs run by another `shelf`
process, jobs that ended) is polled once a second off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from shelf_tui.domain import ItemState, JobState
from shelf_tui.jobs import Progress
from shelf_tui.store.jobs import Job, JobItem
from shelf_tui.ui import fmt
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean, fit, one_line
from shelf_tui.ui.widgets.job_list import JobList, JobView, action_label
from shelf_tui.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from shelf_tui.ui.jobs_service import JobsService

#: How many jobs the pane lists (every unfinished job is among them: they sort first).
JOB_LIMIT = 200
#: Failures listed per job; the evidence CSV (`shelf jobs ID --csv`) has every one.
FAILURE_LIMIT = 500
POLL_SECONDS = 1.0
#: The failures' columns: (label, key).
FAILURE_COLUMNS = (("item id", "item"), ("code", "code"), ("platform said", "said"))
#: A failure's code and answer wrap to at most this many lines (`o` opens the item).
FAILURE_LINES = 3
CODE_MAX = 40


def failure_widths(rows: Sequence[JobItem], width: int) -> tuple[int, int, int]:
    """Widths of item id, code and "platform said" for `width` cells: the ids and codes as
    wide as the longest shown (a code up to CODE_MAX, then it wraps), the answer the rest.
    (A cell pads 1 on each side; 1 for the scrollbar.)"""
    item = max([14, *(cell_len(clean(r.item_id)) for r in rows)])
    code = min(CODE_MAX, max([20, *(cell_len(clean(r.code)) for r in rows)]))
    said = max(16, width - 1 - item - code - 6)
    return item, code, said


def explain(view: JobView) -> str:
    """The selected job's state in words, with what the seller can do about it."""
    state = view.state
    if state is JobState.RUNNING:
        text = "running"
        if view.in_flight:
            text += f" · {view.in_flight} in flight"
        if view.cancelling:
            text += " · cancelling: calls in flight finish, nothing new is sent"
        elif view.waiting:
            text += f" · {one_line(view.waiting)}"
        return text
    if state is JobState.PAUSED:
        return f"paused: {one_line(view.pause_reason) or 'waiting'} · s resumes"
    if state is JobState.INTERRUPTED:
        why = one_line(view.pause_reason) or "shelf stopped mid-job"
        return f"interrupted: {why} · s resumes (unanswered calls are read back first)"
    if state is JobState.QUEUED:
        return "queued: journaled, not started · s starts it"
    if state is JobState.CANCELLED:
        return (
            f"cancelled · {view.ok:,} changed, {view.failed:,} failed, {view.skipped:,} "
            "skipped (blocked or never sent)"
        )
    return "done"


class JobsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="jobs.back"),
        Binding("r", "retry", "Retry", id="jobs.retry"),
        Binding("m", "mark_failed", "Mark failed", id="jobs.mark_failed"),
        Binding("c", "cancel_job", "Cancel", id="jobs.cancel"),
        Binding("u", "undo", "Undo", id="jobs.undo"),
        Binding("s", "resume", "Resume", id="jobs.resume"),
        Binding("S", "resume_all", "Resume all", show=False, id="jobs.resume_all"),
        Binding("o", "open_item", "Open", id="jobs.open_item"),
    ]

    DEFAULT_CSS = """
    JobsScreen #job-list { height: 1fr; min-height: 4; }
    JobsScreen #job-info { height: auto; max-height: 4; background: $boost; }
    JobsScreen #failures { height: 8; overflow-x: hidden; scrollbar-size-vertical: 1; }
    """

    def __init__(self, session: Session, service: JobsService, *, select: int | None = None):
        super().__init__(id="jobs")
        self.session = session
        self.service = service
        self._select = select
        self._jobs: dict[int, Job] = {}
        self._poll: Timer | None = None
        self._loading = False
        self._failures_of: tuple[int, int] | None = None  # (job id, failed count) shown
        self.failure_rows: list[JobItem] = []
        self._failure_widths = failure_widths([], 80)
        self._keys_state: tuple[bool | None, ...] = ()
        #: The selected job's story as plain lines (what #job-info shows).
        self.info_lines: list[str] = []
        #: Every (done, state) the pane drew per job: tests read the progression here.
        self.drawn: dict[int, list[tuple[int, JobState]]] = {}

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield JobList(id="job-list")
        yield Static(id="job-info")
        table: DataTable[Text] = DataTable(id="failures", cursor_type="row", zebra_stripes=False)
        yield table
        yield Footer(compact=True, show_command_palette=False)

    @property
    def job_list(self) -> JobList:
        return self.query_one("#job-list", JobList)

    @property
    def failures(self) -> DataTable[Text]:
        return self.query_one("#failures", DataTable)

    def on_mount(self) -> None:
        table = self.failures
        for (label, key), width in zip(FAILURE_COLUMNS, self._failure_widths, strict=True):
            table.add_column(label, key=key, width=width)
        self.service.pane = self
        self.job_list.focus()
        self.reload(self._select)

    def on_unmount(self) -> None:
        if self.service.pane is self:
            self.service.pane = None

    def on_screen_resume(self) -> None:
        self.service.pane = self
        if self._poll is None:
            self._poll = self.set_interval(POLL_SECONDS, self._tick)
        self.reload()

    def on_screen_suspend(self) -> None:
        if self._poll is not None:
            self._poll.stop()
            self._poll = None

    def _tick(self) -> None:
        if not self._loading:
            self.reload()

    # -- data ------------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        """Read the journal again (off the loop) and redraw what changed."""
        if select is not None:
            self._select = select
        self._load()

    @work(exclusive=True, group="jobs-pane-load", exit_on_error=False)
    async def _load(self) -> None:
        self._loading = True
        try:
            store = self.session.store
            jobs = await asyncio.to_thread(store.jobs.all, limit=JOB_LIMIT)
        finally:
            self._loading = False
        self._jobs = {j.id: j for j in jobs}
        select, self._select = self._select, None
        self._redraw(select)

    def apply_progress(self, snapshots: Sequence[Progress]) -> None:
        """Live snapshots from the service (already coalesced): redraw those jobs."""
        if any(p.job_id not in self._jobs for p in snapshots):
            self.reload()
        self._redraw(None)

    def _views(self) -> list[JobView]:
        live = self.service.live
        engine = self.service._engine
        views = []
        for job_id in set(self._jobs) | set(live):
            handle = engine.handle(job_id) if engine is not None else None
            views.append(
                JobView.of(
                    self._jobs.get(job_id),
                    live.get(job_id),
                    running_here=handle is not None and not handle.done,
                )
            )
        views.sort(key=lambda v: v.rank)
        return views

    def _redraw(self, select: int | None) -> None:
        if not self.is_mounted:
            return
        views = self._views()
        for v in views:
            drawn = self.drawn.setdefault(v.job_id, [])
            if not drawn or drawn[-1] != (v.done, v.state):
                drawn.append((v.done, v.state))
        with self.app.batch_update():
            self.job_list.set_rows(views, select)
            self._show_selected()
        self.retitle()

    def retitle(self) -> None:
        views = self.job_list.rows
        counts: dict[JobState, int] = {}
        for v in views:
            counts[v.state] = counts.get(v.state, 0) + 1
        parts = []
        for state in (JobState.RUNNING, JobState.INTERRUPTED, JobState.PAUSED, JobState.QUEUED):
            if counts.get(state):
                parts.append(f"{counts[state]} {state.value}")
        parts.append(f"{len(views):,} job{'s' if len(views) != 1 else ''}")
        parts[0] = f"Jobs: {parts[0]}"
        status = getattr(self.app, "status_line", None)
        right = str(status()) if callable(status) else ""
        self.query_one("#title", TitleBar).show(" · ".join(parts), right)

    @on(JobList.Highlighted)
    def _highlighted(self, event: JobList.Highlighted) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        view = self.job_list.selected
        self._refresh_keys()
        info = self.query_one("#job-info", Static)
        if view is None:
            info.update(Text(" Nothing selected."))
            self.info_lines = []
            self._set_failures(None, [])
            return
        shown = self.info_lines
        story = self._info(view)
        if self.info_lines != shown:  # an unchanged story is not laid out again
            info.update(story)
        wanted = (view.job_id, view.failed)
        if wanted != self._failures_of:
            self._failures_of = wanted
            if view.failed:
                self._load_failures(view.job_id)
            else:
                self._set_failures(view.job_id, [])

    def _info(self, view: JobView) -> Group:
        now = self.session.now()
        head = Text(f" #{view.job_id} ", style="bold")
        head.append(f"{action_label(view.action)} on ")
        head.append(clean(view.shop), style="bold")
        head.append(f" · reason: {fit(one_line(view.reason), 40) or '-'}")
        if view.actor:
            head.append(f" · {fit(clean(view.actor), 24)}")
        if view.created_at:
            head.append(f" · {fmt.minute(view.created_at)} ({fmt.age(view.created_at, now)})")
        if view.parent_id is not None:
            head.append(f" · {view.source or 'from'} of #{view.parent_id}")
        head.no_wrap, head.overflow = True, "ellipsis"
        failures = Text(
            f" Failures {view.failed:,}: o opens the item · m marks them · r retries"
            if view.failed
            else " No failures.",
            style=alarm(self.app.no_color) if view.failed else "dim",
            no_wrap=True,
            overflow="ellipsis",
        )
        # The state line may wrap: a pause reason says what to do, it must not be cut.
        state = Text(f" {explain(view)}", style="yellow" if view.state.resumable else "")
        self.info_lines = [head.plain, state.plain, failures.plain]
        return Group(head, state, failures)

    @work(exclusive=True, group="jobs-pane-failures", exit_on_error=False)
    async def _load_failures(self, job_id: int) -> None:
        store = self.session.store
        rows = await asyncio.to_thread(
            store.jobs.items, job_id, states=[ItemState.FAILED], limit=FAILURE_LIMIT
        )
        selected = self.job_list.selected
        if selected is not None and selected.job_id == job_id:
            self._set_failures(job_id, rows)

    def _set_failures(self, job_id: int | None, rows: list[JobItem], width: int = 0) -> None:
        """Diff the failures table: new failures are added, gone ones removed, the rest
        stay where the seller's cursor is. The columns fit the codes shown: when they change
        (a longer code, another width), the rows are drawn again, the cursor kept."""
        table = self.failures
        old_job = self.failure_rows[0].job_id if self.failure_rows else None
        widths = failure_widths(rows, width or self.size.width or self.app.size.width)
        if job_id != old_job or widths != self._failure_widths:
            keep = self._failure_key() if job_id == old_job else None
            table.clear(columns=True)
            for (label, key), width in zip(FAILURE_COLUMNS, widths, strict=True):
                table.add_column(label, key=key, width=width)
            self._failure_widths = widths
            self.failure_rows = []
        else:
            keep = None
        have = {r.item_id for r in self.failure_rows}
        want = {r.item_id for r in rows}
        for gone in have - want:
            table.remove_row(gone)
        console = self.app.console
        for row in rows:
            if row.item_id not in have:
                said = " · ".join(p for p in (one_line(row.message), clean(row.request_id)) if p)
                code = Text(clean(row.code))
                lines = max(
                    len(code.wrap(console, widths[1])), len(Text(said).wrap(console, widths[2]))
                )
                table.add_row(
                    Text(clean(row.item_id)),
                    code,
                    Text(fit(said, 200)),
                    key=row.item_id,
                    height=max(1, min(FAILURE_LINES, lines)),
                )
        self.failure_rows = [r for r in rows]
        if keep is not None and keep in want:
            table.move_cursor(row=table.get_row_index(keep))
        self._refresh_keys()

    def _failure_key(self) -> str | None:
        table = self.failures
        if not self.failure_rows or not 0 <= table.cursor_row < table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return str(key) if key is not None else None

    def on_resize(self, event: Resize) -> None:
        """The failures table spans the screen: its columns follow the screen's width."""
        rows, width = self.failure_rows, event.size.width
        if rows and failure_widths(rows, width) != self._failure_widths:
            self._set_failures(rows[0].job_id, list(rows), width)

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Verbs that change shops are hidden in read-only mode; the others are shown
        dimmed when they do not apply to the selected job."""
        writes = ("retry", "cancel_job", "undo", "resume", "resume_all")
        if action in writes and self.service.read_only:
            return False
        if not self.is_mounted:
            return True
        view = self.job_list.selected
        if action == "retry":
            return bool(view and view.failed and view.state not in _BUSY) or None
        if action == "mark_failed":
            return bool(view and view.failed) or None
        if action == "cancel_job":
            return bool(view and not view.state.final and not view.cancelling) or None
        if action == "undo":
            return bool(view and view.ok and view.state not in _BUSY) or None
        if action == "resume":
            return bool(view and view.state.resumable) or None
        if action == "resume_all":
            return bool(self._resumable_ids()) or None
        if action == "open_item":
            return bool(self.failure_rows) or None
        return True

    def _refresh_keys(self) -> None:
        """Redraw the footer only when a key turns on or off: a footer rebuild costs tens of
        milliseconds, too much to pay at every progress refresh."""
        verbs = ("retry", "mark_failed", "cancel_job", "undo", "resume", "resume_all", "open_item")
        state = tuple(self.check_action(v, ()) for v in verbs)
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    def _selected_id(self) -> int | None:
        view = self.job_list.selected
        return view.job_id if view is not None else None

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_retry(self) -> None:
        if (job_id := self._selected_id()) is not None:
            self.service.retry(job_id)

    def action_cancel_job(self) -> None:
        if (job_id := self._selected_id()) is not None:
            self.service.cancel(job_id)

    def action_undo(self) -> None:
        if (job_id := self._selected_id()) is not None:
            self.service.undo(job_id)

    def action_resume(self) -> None:
        if (job_id := self._selected_id()) is not None:
            self.service.resume(job_id)

    def _resumable_ids(self) -> list[int]:
        return [v.job_id for v in self.job_list.rows if v.state.resumable]

    def action_resume_all(self) -> None:
        """Every interrupted, paused or queued job listed (after a crash: all of them)."""
        if ids := self._resumable_ids():
            self.service.resume_many(ids)

    def action_mark_failed(self) -> None:
        view = self.job_list.selected
        if view is not None and view.failed:
            self._mark_failed(view.job_id)

    @work(group="jobs-pane-mark", exit_on_error=False)
    async def _mark_failed(self, job_id: int) -> None:
        from shelf_tui.ui.screens.failed_items import FailedItemsScreen

        keys = await self.service.mark_failed(job_id)
        if not keys:
            self.notify(f"Job {job_id} has no failed items.", markup=False)
            return
        self.notify(
            f"Marked {len(keys):,} failed items of job {job_id}: L/D acts on them, u unmarks.",
            markup=False,
        )
        self.app.push_screen(FailedItemsScreen(self.session, job_id))

    def action_open_item(self) -> None:
        from shelf_tui.ui.screens.detail import DetailScreen

        table = self.failures
        if not self.failure_rows:
            return
        row = table.cursor_row if 0 <= table.cursor_row < len(self.failure_rows) else 0
        key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        found = next((r for r in self.failure_rows if r.item_id == key), None)
        if found is not None:
            self.app.push_screen(DetailScreen(self.session, found.shop, found.item_id))

    @on(DataTable.RowSelected, "#failures")
    def _failure_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_item()


_BUSY = (JobState.RUNNING, JobState.QUEUED)

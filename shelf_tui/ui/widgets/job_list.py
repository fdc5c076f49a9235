"""The job pane's list: two lines per job (bar, done/total, state; then the counts, rate, ETA
and why it waits), running jobs first, the cursor kept on the same job when the order moves.

A line-API widget: a refresh redraws only the lines of the jobs whose snapshot changed (the
row values are frozen dataclasses compared for equality), so a job ticking at 10 Hz repaints
two lines, never the pane (Dolphie's diff-update).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from shelf_tui.domain import Action, JobState
from shelf_tui.jobs import Progress
from shelf_tui.store.jobs import Job
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.text import clean, one_line, pad

LINES = 2
#: Jobs that need the seller first: running, then stopped mid-way, then waiting.
RANK = {
    JobState.RUNNING: 0,
    JobState.INTERRUPTED: 1,
    JobState.PAUSED: 2,
    JobState.QUEUED: 3,
}
STATE_STYLE = {
    JobState.RUNNING: "bold",
    JobState.INTERRUPTED: "bold yellow",
    JobState.PAUSED: "yellow",
    JobState.QUEUED: "",
    JobState.CANCELLED: "dim",
    JobState.DONE: "green",
}


def duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def action_label(action: str) -> str:
    try:
        return Action(action).label
    except ValueError:
        return action


@dataclass(frozen=True, slots=True)
class JobView:
    """One job as the pane draws it: the journal row, overlaid with live progress when the
    job runs in this console (fresher than the row)."""

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
    waiting: str = ""
    pause_reason: str = ""
    cancelling: bool = False
    reason: str = ""
    actor: str = ""
    source: str = ""
    note: str = ""
    parent_id: int | None = None
    created_at: int = 0
    live: bool = False

    @property
    def done(self) -> int:
        return self.ok + self.already + self.skipped + self.failed

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0

    @property
    def rank(self) -> tuple[int, int]:
        return (RANK.get(self.state, 4), -self.job_id)

    @classmethod
    def of(cls, job: Job | None, progress: Progress | None, *, running_here: bool) -> JobView:
        """Merge a journal row and a live snapshot: the one further along wins (a job resumed
        by another process moves its row past our last snapshot); a live snapshot of a run
        that ended here keeps its final state."""
        if progress is None:
            assert job is not None
            return cls._from_job(job)
        if job is not None:
            newer_row = job.done > progress.done or (
                job.done == progress.done
                and progress.state is JobState.RUNNING
                and job.state is not JobState.RUNNING
                and not running_here
            )
            if newer_row:
                return cls._from_job(job)
        return cls(
            job_id=progress.job_id,
            shop=progress.shop,
            action=progress.action,
            state=progress.state,
            total=progress.total,
            ok=progress.ok,
            already=progress.already,
            skipped=progress.skipped,
            failed=progress.failed,
            in_flight=progress.in_flight,
            rate=progress.rate if progress.state is JobState.RUNNING else 0.0,
            eta=progress.eta if progress.state is JobState.RUNNING else None,
            waiting=progress.waiting,
            pause_reason=progress.pause_reason,
            cancelling=progress.cancelling,
            reason=job.reason if job else "",
            actor=job.actor if job else "",
            source=job.source if job else "",
            note=job.note if job else "",
            parent_id=job.parent_id if job else None,
            created_at=job.created_at if job else 0,
            live=running_here,
        )

    @classmethod
    def _from_job(cls, job: Job) -> JobView:
        return cls(
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
            pause_reason=job.pause_reason,
            cancelling=job.cancel_requested,
            reason=job.reason,
            actor=job.actor,
            source=job.source,
            note=job.note,
            parent_id=job.parent_id,
            created_at=job.created_at,
        )

    @property
    def state_word(self) -> str:
        if self.cancelling and self.state is JobState.RUNNING:
            return "cancelling"
        return self.state.value

    def first_line(self, width: int) -> Text:
        """`#12 delist 下架  tb-main   ████████░░░░  1,234/2,000  61%  running`"""
        head = Text(f" #{self.job_id:<4}", style="bold")
        head.append(pad(action_label(self.action), 11))
        head.append(" ")
        head.append(pad(clean(self.shop), 12), style="bold")
        tail = Text(f"  {self.done:,}/{self.total:,} {int(100 * self.fraction):>3}%  ")
        tail.append(f"{self.state_word:<11}", style=STATE_STYLE.get(self.state, ""))
        room = width - head.cell_len - tail.cell_len - 1
        line = head
        if room >= 6:
            filled = round(room * self.fraction)
            colour = {JobState.DONE: "green", JobState.RUNNING: "cyan"}.get(self.state, "yellow")
            line.append(" ")
            line.append("█" * filled, style=colour)
            line.append("░" * (room - filled), style="dim")
        line.append_text(tail)
        return line

    def second_line(self, width: int, *, no_color: bool = False) -> Text:
        """`     ok 1,200 · already 20 · skipped 4 · failed 10 · 48.5/s · ETA 16s · waiting…`"""
        line = Text("     ")
        line.append(f"ok {self.ok:,}", style="green" if self.ok else "")
        line.append(f" · already {self.already:,} · skipped {self.skipped:,} · ")
        line.append(f"failed {self.failed:,}", style=alarm(no_color) if self.failed else "")
        if self.state is JobState.RUNNING:
            if self.rate:
                line.append(f" · {self.rate:,.1f}/s")
            if self.eta is not None:
                line.append(f" · ETA {duration(self.eta)}")
            if self.cancelling:
                line.append(" · stopping: calls in flight finish", style="yellow")
            elif self.waiting:
                line.append(f" · {one_line(self.waiting)}", style="yellow")
        elif self.pause_reason:
            line.append(f" · {one_line(self.pause_reason)}", style="yellow")
        if cell_len(line.plain) > width:
            line.truncate(width - 1)
            line.append("…")
        return line


class JobList(ScrollView, can_focus=True, inherit_bindings=False):
    """The jobs, `LINES` lines each; `set_rows` diffs against what is drawn."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, id="jobs.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="jobs.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="jobs.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="jobs.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="jobs.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="jobs.last"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"job-list--cursor", "job-list--empty"}
    DEFAULT_CSS = """
    JobList { background: $background; scrollbar-size-vertical: 1; }
    JobList > .job-list--cursor { background: $accent 40%; }
    JobList:focus > .job-list--cursor { background: $accent 70%; }
    JobList > .job-list--empty { color: $text-muted; }
    """

    class Highlighted(Message):
        """The cursor moved to another job (or the job under it changed)."""

        def __init__(self, job_list: JobList, view: JobView | None) -> None:
            super().__init__()
            self.job_list = job_list
            self.view = view

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[JobView] = []
        self.cursor = 0
        self.empty_text = "No jobs yet. Mark items in the browser, then L lists or D delists them."
        self._strips: dict[tuple[int, int], tuple[JobView, int, bool, bool, Strip]] = {}

    @property
    def selected(self) -> JobView | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def set_rows(self, rows: list[JobView], select: int | None = None) -> None:
        """Show `rows` (already in order). The cursor stays on its job (or moves to the job
        `select`); only the lines of jobs that changed are redrawn."""
        before = self.selected
        keep = select if select is not None else (before.job_id if before else None)
        old, old_cursor = self.rows, self.cursor
        self.rows = rows
        index = next((n for n, r in enumerate(rows) if r.job_id == keep), None)
        self.cursor = index if index is not None else min(self.cursor, max(0, len(rows) - 1))
        self.virtual_size = Size(self.size.width, len(rows) * LINES)
        if self.cursor != old_cursor or [r.job_id for r in old] != [r.job_id for r in rows]:
            self.refresh()
            self._scroll_to_cursor()
        else:
            for n, (a, b) in enumerate(zip(old, rows, strict=True)):
                if a != b:
                    self.refresh_lines(n * LINES, LINES)
        if self.selected != before:
            self.post_message(self.Highlighted(self, self.selected))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        line = int(self.scroll_y) + y
        index, part = divmod(line, LINES)
        base = self.rich_style
        if not self.rows:
            if line != 0:
                return Strip.blank(width, base)
            empty = Text(
                f" {self.empty_text}", style=base + self.get_component_rich_style("job-list--empty")
            )
            return _strip(empty, self.app.console).adjust_cell_length(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        view = self.rows[index]
        cursor = index == self.cursor
        key = (index, part)
        cached = self._strips.get(key)
        focused = self.has_focus
        if cached is not None and cached[:4] == (view, width, cursor, focused):
            return cached[4]
        style: Style = base
        if cursor:
            style = base + self.get_component_rich_style("job-list--cursor")
        drawn = (
            view.first_line(width)
            if part == 0
            else view.second_line(width, no_color=self.app.no_color)
        )
        drawn.stylize_before(style)
        strip = _strip(drawn, self.app.console).adjust_cell_length(width, style)
        self._strips[key] = (view, width, cursor, focused, strip)
        return strip

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) * LINES)
        self._strips.clear()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        top = self.cursor * LINES
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif top + LINES > self.scroll_y + self.size.height:
            self.scroll_to(y=top + LINES - self.size.height, animate=False, immediate=True)

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        index = max(0, min(len(self.rows) - 1, index))
        if index == self.cursor:
            return
        self.refresh_lines(self.cursor * LINES, LINES)
        self.cursor = index
        self.refresh_lines(self.cursor * LINES, LINES)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self, self.selected))

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.size.height // LINES))

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self.rows) - 1)


def _strip(text: Text, console: Console) -> Strip:
    """`text` as one line of segments that all carry a style. Rich renders a Text without
    spans as bare segments (its own style dropped), which NO_COLOR's filter cannot take."""
    base = console.get_style(text.style) if text.style else Style.null()
    return Strip(
        [
            Segment(seg.text, seg.style if seg.style is not None else base, seg.control)
            for seg in text.render(console)
        ]
    )

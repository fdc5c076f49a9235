"""After a sign-in: the shop's jobs that stopped (paused on the expired token, or interrupted)
offered for resume. "Later" has the focus; `shelf jobs resume ID` works any time."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from shelf_tui.store import Job
from shelf_tui.ui.text import one_line

#: Jobs listed by name; more are counted.
SHOWN = 5


def job_line(job: Job) -> str:
    """'#3 delist · 2 of 3 left · paused'."""
    left = job.total - job.done
    return f"#{job.id} {job.action} · {left:,} of {job.total:,} left · {job.state}"


def job_lines(jobs: list[Job]) -> Group:
    """Each job on a line, and under it why it stopped, whole: wrapped (indented) in the
    dialog's width, never cut."""
    parts: list[RenderableType] = []
    for job in jobs[:SHOWN]:
        parts.append(Text(job_line(job)))
        if job.pause_reason:
            parts.append(Padding(Text(one_line(job.pause_reason)), (0, 0, 0, 2)))
    if len(jobs) > SHOWN:
        parts.append(Text(f"… and {len(jobs) - SHOWN} more"))
    return Group(*parts)


class ResumeJobsScreen(ModalScreen[bool | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "later", "Later", id="resume_jobs.later"),
    ]

    DEFAULT_CSS = """
    ResumeJobsScreen { align: center middle; }
    ResumeJobsScreen #resume-dialog {
        width: 78; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    ResumeJobsScreen #resume-title { text-style: bold; }
    ResumeJobsScreen #resume-jobs { margin: 1 0; }
    ResumeJobsScreen #resume-buttons { height: auto; align-horizontal: right; }
    ResumeJobsScreen #resume-buttons Button { margin-left: 2; }
    """

    def __init__(self, shop: str, jobs: list[Job]) -> None:
        super().__init__(id="resume-jobs")
        self.shop = shop
        self.jobs = jobs

    def compose(self) -> ComposeResult:
        n = len(self.jobs)
        with Vertical(id="resume-dialog"):
            yield Static(
                Text(f"{self.shop} is signed in. {n} stopped job{'s' * (n != 1)} can go on:"),
                id="resume-title",
            )
            yield Static(job_lines(self.jobs), id="resume-jobs")
            with Horizontal(id="resume-buttons"):
                yield Button("Later", id="resume-later", compact=True)
                yield Button("Resume", id="resume-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#resume-later", Button).focus()

    @on(Button.Pressed, "#resume-ok")
    def _resume(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#resume-later")
    def _later(self) -> None:
        self.dismiss(False)

    def action_later(self) -> None:
        self.dismiss(False)

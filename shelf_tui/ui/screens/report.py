"""The report (`I`, seed 001's 日巡检 daily inspection): a chart of list and delist events per
day over the last 30 days, split by who did them (you, rules, the platform), then `shelf
report`'s text: counts per shop by status and reason, what changed since the last report
and who did it, new violation delists with their deadlines, jobs that failed or wait.

Looking at the report in the console does not move "the last report" mark: that belongs to
`shelf report` (a cron job's daily mail would otherwise lose its window). Days and times
are UTC, like `shelf report` without `--tz`. The data is read in a worker thread on a
read-only connection of the screen's own, and read again after every sync or job.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from shelf_tui.rules import DayActivity, Report, build_report, daily_activity
from shelf_tui.ui.rulesio import Reader
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean
from shelf_tui.ui.widgets.chart import DAYS_SHOWN, ActivityChart, numbers
from shelf_tui.ui.widgets.title_bar import TitleBar

TZ = "UTC"


@dataclass(frozen=True, slots=True)
class ReportData:
    report: Report
    days: list[DayActivity]


def chart_rows(height: int) -> int:
    """Rows per half so the chart, its legend and the day's numbers fit the screen with a
    few lines of the report under them (5 at 24 lines, 8 at 30)."""
    return max(3, min(8, (height - 14) // 2))


class ReportScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="report.back"),
    ]

    DEFAULT_CSS = """
    ReportScreen #report-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ReportScreen #report-body Static { height: auto; }
    ReportScreen #chart-title { text-style: bold; }
    ReportScreen #chart-numbers { text-style: bold; }
    ReportScreen #report-text { margin-top: 1; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__(id="report")
        self.session = session
        self.reader = Reader(session.store.path)
        self.data: ReportData | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with VerticalScroll(id="report-body"):
            yield Static(
                Text(f"List and delist events per day, last {DAYS_SHOWN} days ({TZ})"),
                id="chart-title",
            )
            yield ActivityChart(id="chart")
            yield Static(id="chart-numbers")
            yield Static(Text("reading the report…"), id="report-text")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def chart(self) -> ActivityChart:
        return self.query_one("#chart", ActivityChart)

    def on_mount(self) -> None:
        self.chart.focus()
        self.session.listen(self)
        self.retitle()
        self.load()

    def on_unmount(self) -> None:
        self.reader.close()

    def on_resize(self) -> None:
        if self.data is not None:
            self.chart.show(self.data.days, chart_rows(self.size.height))

    def data_changed(self) -> None:
        if self.is_mounted:
            self.load()

    def marks_changed(self, *_: object) -> None:
        pass

    def _read(self) -> ReportData:
        store = self.reader.get()
        now = self.session.clock()
        return ReportData(
            build_report(store, now, tz=TZ), daily_activity(store, now, days=DAYS_SHOWN, tz=TZ)
        )

    @work(exclusive=True, group="report", exit_on_error=False)
    async def load(self) -> None:
        data = await asyncio.to_thread(self._read)
        self.data = data
        self.chart.show(data.days, chart_rows(self.size.height))
        text = "\n".join(clean(line) for line in data.report.to_text().splitlines())
        self.query_one("#report-text", Static).update(Text(text))
        self.retitle()

    @on(ActivityChart.Moved)
    def _moved(self, event: ActivityChart.Moved) -> None:
        chart = event.chart
        day = chart.day
        if day is not None:
            today = chart.cursor == len(chart.days) - 1
            lines = numbers(day, chart.days, today)
            self.query_one("#chart-numbers", Static).update(Text("\n".join(lines)))

    def retitle(self) -> None:
        left = "Report"
        if self.data is not None:
            r = self.data.report
            left += f" · changes since {r.when(r.since)} ({r.since_source})"
        status = getattr(self.app, "status_line", None)
        right = str(status()) if callable(status) else ""
        self.query_one("#title", TitleBar).show(clean(left), right)

    def action_back(self) -> None:
        self.app.pop_screen()

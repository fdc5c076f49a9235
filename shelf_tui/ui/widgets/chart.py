"""The 30-day chart of list and delist events, drawn with Unicode block characters.

One column per day (two cells per day with a gap at 80 columns, three at 100), listings
stacked above a middle axis and delistings hanging below it, each stack split by who did it:

    █ you (people)   ▒ rules   ░ the platform (what syncs saw)

The series differ by glyph, not only by colour, so the chart reads the same over SSH at 256
colours and with NO_COLOR. Both halves share one scale (`unit` events per cell, the smallest
that fits the busiest day), and every series with events on a day gets at least one cell of
its glyph, so a single violation delist next to 500 relists is never drawn as nothing. A
cursor (`^`) picks a day; the table under the chart gives its exact numbers and the span's.

`chart_lines` is a pure function of its inputs (the snapshot and pilot tests read its output
off the screen); `ActivityChart` is the widget around it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from shelf_tui.rules import DayActivity

#: Who did it, in stacking order from the axis outwards, with the glyph that draws it.
SERIES: tuple[tuple[str, str, str], ...] = (
    ("user", "you", "█"),
    ("rule", "rules", "▒"),
    ("platform", "platform", "░"),
)
GLYPHS = {key: glyph for key, _, glyph in SERIES}
DAYS_SHOWN = 30
#: Rows per half (above / below the axis) the chart never goes under or over.
MIN_ROWS, MAX_ROWS = 3, 8


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where things go across: the y label gutter, then one slot per day."""

    label: int
    bar: int
    slot: int

    def column(self, index: int) -> int:
        """The first cell of day `index`'s bar."""
        return self.label + 2 + index * self.slot

    @property
    def width(self) -> int:
        return self.label + 2


def geometry(width: int, days: int, top: int) -> Geometry:
    """Bars as wide as the width allows (1 to 3 cells, each followed by a one-cell gap)."""
    label = max(len(f"{top:,}"), 1)
    room = width - label - 2
    slot = max(2, min(4, room // max(days, 1)))
    return Geometry(label=label, bar=slot - 1, slot=slot)


def unit_for(peak: int, rows: int) -> int:
    """Events per cell: the smallest whole number that fits `peak` in `rows` cells."""
    return max(1, math.ceil(peak / max(rows, 1)))


def split_cells(values: Sequence[int], cells: int) -> list[int]:
    """Share `cells` among the series in proportion to `values` (largest remainder), every
    non-zero series getting at least one cell when there are cells enough for that."""
    total = sum(values)
    if total <= 0 or cells <= 0:
        return [0 for _ in values]
    exact = [v * cells / total for v in values]
    out = [math.floor(x) for x in exact]
    nonzero = [i for i, v in enumerate(values) if v > 0]
    if len(nonzero) <= cells:
        for i in nonzero:
            if out[i] == 0:
                out[i] = 1
    while sum(out) > cells:  # the minimum-one rule overshot: take from a share of 2 or more
        i = max((k for k in range(len(out)) if out[k] > 1), key=lambda k: out[k] - exact[k])
        out[i] -= 1
    order = sorted(range(len(values)), key=lambda k: exact[k] - out[k], reverse=True)
    n = 0
    while sum(out) < cells:
        out[order[n % len(order)]] += 1
        n += 1
    return out


def day_values(day: DayActivity, kind: str) -> list[int]:
    """The (you, rules, platform) counts of one day for `list` or `delist`."""
    return [int(getattr(day, f"{kind}_{key}")) for key, _, _ in SERIES]


def stack(day: DayActivity, kind: str, unit: int, rows: int) -> list[str]:
    """The glyphs of one day's bar for `kind`, from the axis outwards (at most `rows`)."""
    values = day_values(day, kind)
    total = sum(values)
    if total == 0:
        return []
    # Every series with events gets a cell, even when that makes the bar a little taller
    # than its share: one violation delist must never vanish beside 500 relists.
    nonzero = sum(1 for v in values if v)
    cells = min(rows, max(math.ceil(total / unit), nonzero))
    out: list[str] = []
    for (key, _, _), n in zip(SERIES, split_cells(values, cells), strict=True):
        out.extend([GLYPHS[key]] * n)
    return out


def numbers(day: DayActivity, days: Sequence[DayActivity], today: bool = False) -> list[str]:
    """The exact counts under the chart: the cursor's day and the whole span, listed and
    delisted, each split by who (columns headed by the series' glyphs, as in the legend):

                          ▲ listed  █  ▒  ░   ▼ delisted  █  ▒  ░
        2026-11-24 Tue           0  0  0  0            4  2  1  1
        last 30 days            11  4  5  2           12  3  6  3
    """
    rows = [
        (f"{day.day:%Y-%m-%d %a}" + (" today" if today else ""), [day]),
        (f"last {len(days)} days", list(days)),
    ]
    table = []
    for label, picked in rows:
        halves = []
        for kind in ("list", "delist"):
            per = [sum(day_values(d, kind)[k] for d in picked) for k in range(len(SERIES))]
            halves.append([sum(per), *per])
        table.append((label, halves))
    width = max(len(f"{n:,}") for _, halves in table for half in halves for n in half)
    head = max(len(label) for label, _ in table)
    titles = ("▲ listed", "▼ delisted")
    total_w = [max(len(t), width) for t in titles]
    glyphs = [g for _, _, g in SERIES]

    def line(label: str, cells: list[list[str]]) -> str:
        parts = [
            f"{half[0]:>{total_w[n]}} " + " ".join(f"{c:>{width}}" for c in half[1:])
            for n, half in enumerate(cells)
        ]
        return f"{label:<{head}}  " + "   ".join(parts)

    out = [line("", [[titles[0], *glyphs], [titles[1], *glyphs]])]
    for label, halves in table:
        out.append(line(label, [[f"{n:,}" for n in half] for half in halves]))
    return out


def chart_lines(
    days: Sequence[DayActivity], width: int, rows: int, cursor: int | None = None
) -> list[Text]:
    """The chart as lines of Text: `rows` lines of listings, the axis, `rows` lines of
    delistings, the cursor line, the date labels, the legend. Glyph cells carry a style name
    (`chart--user` ...) the widget maps to theme colours."""
    peak = max((max(d.listed, d.delisted) for d in days), default=0)
    unit = unit_for(peak, rows)
    top = unit * rows
    geo = geometry(width, len(days), top)
    ups = [stack(d, "list", unit, rows) for d in days]
    downs = [stack(d, "delist", unit, rows) for d in days]
    lines: list[Text] = []

    def row(label: str, edge: str, cells: list[str]) -> Text:
        line = Text(f"{label:>{geo.label}} {edge}", style="chart--axis", no_wrap=True)
        for index, glyph in enumerate(cells):
            line.append(" " * (geo.slot - geo.bar) if index else "")
            style = _STYLE.get(glyph, "")
            line.append(glyph * geo.bar, style=style)
        return line

    def gap() -> str:
        return " "

    for level in range(rows, 0, -1):
        label = f"{top:,}" if level == rows else ""
        cells = [s[level - 1] if len(s) >= level else gap() for s in ups]
        lines.append(row(label, "┤" if level == rows else "│", cells))
    axis = Text(f"{'0':>{geo.label}} ┼", style="chart--axis", no_wrap=True)
    axis.append("─" * (len(days) * geo.slot - (geo.slot - geo.bar)), style="chart--axis")
    lines.append(axis)
    for level in range(1, rows + 1):
        label = f"{top:,}" if level == rows else ""
        cells = [s[level - 1] if len(s) >= level else gap() for s in downs]
        lines.append(row(label, "┤" if level == rows else "│", cells))
    marker = Text(no_wrap=True)
    if cursor is not None and 0 <= cursor < len(days):
        marker.append(" " * geo.column(cursor))
        marker.append("^" * geo.bar, style="chart--cursor")
    lines.append(marker)
    lines.append(Text(_date_labels(days, geo), style="chart--axis", no_wrap=True))
    lines.append(legend(unit))
    return lines


def _date_labels(days: Sequence[DayActivity], geo: Geometry) -> str:
    """MM-DD under every seventh day counting back from the last (today), each label ending
    at its day's column."""
    cells = [" "] * (geo.column(len(days)) + 1)
    n = len(days)
    for index in range(n - 1, -1, -7):
        label = f"{days[index].day:%m-%d}"
        end = geo.column(index) + geo.bar - 1
        start = max(0, end - len(label) + 1)
        if any(c != " " for c in cells[max(0, start - 1) : end + 1]):
            continue
        for k, ch in enumerate(label):
            if start + k < len(cells):
                cells[start + k] = ch
    return "".join(cells).rstrip()


_STYLE = {glyph: f"chart--{key}" for key, _, glyph in SERIES}


def legend(unit: int) -> Text:
    """The key under the chart, each glyph in its series' style."""
    out = Text("▲ listed  ▼ delisted ·", style="chart--axis", no_wrap=True)
    for _, label, glyph in SERIES:
        out.append(" ")
        out.append(glyph, style=_STYLE[glyph])
        out.append(f" {label} ", style="chart--axis")
    per = "1 event" if unit == 1 else f"{unit:,} events"
    out.append(f"· one cell = {per}", style="chart--axis")
    return out


class ActivityChart(Widget, can_focus=True):
    """The chart widget: `show(days)`, a day cursor moved with ←/→ (h/l), home/end."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Day", key_display="←/→", id="chart.left"),
        Binding("right,l", "move(1)", "Day after", show=False, id="chart.right"),
        Binding("home", "jump(0)", "First day", show=False, id="chart.first"),
        Binding("end", "jump(-1)", "Today", show=False, id="chart.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chart--user",
        "chart--rule",
        "chart--platform",
        "chart--axis",
        "chart--cursor",
    }

    DEFAULT_CSS = """
    ActivityChart { height: auto; }
    ActivityChart > .chart--user { color: $primary-lighten-1; }
    ActivityChart > .chart--rule { color: $warning; }
    ActivityChart > .chart--platform { color: $error; }
    ActivityChart > .chart--axis { color: $text-muted; }
    ActivityChart > .chart--cursor { color: $accent; text-style: bold; }
    ActivityChart:focus > .chart--cursor { text-style: bold reverse; }
    """

    cursor: reactive[int] = reactive(-1)

    class Moved(Message):
        """The day cursor moved (the screen shows that day's numbers)."""

        def __init__(self, chart: ActivityChart) -> None:
            super().__init__()
            self.chart = chart

    def __init__(self, *, rows: int = 6, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days: list[DayActivity] = []
        self.rows = rows

    def show(self, days: Sequence[DayActivity], rows: int | None = None) -> None:
        keep = self.cursor >= 0 and len(days) == len(self.days)
        self.days = list(days)
        if rows is not None:
            self.rows = max(MIN_ROWS, min(MAX_ROWS, rows))
        self.cursor = self.cursor if keep else len(self.days) - 1
        self.refresh(layout=True)
        self.post_message(self.Moved(self))

    @property
    def unit(self) -> int:
        peak = max((max(d.listed, d.delisted) for d in self.days), default=0)
        return unit_for(peak, self.rows)

    @property
    def day(self) -> DayActivity | None:
        return self.days[self.cursor] if 0 <= self.cursor < len(self.days) else None

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 2 * self.rows + 4 if self.days else 1

    def render(self) -> Text:
        if not self.days:
            return Text("loading…")
        lines = chart_lines(self.days, self.size.width or 80, self.rows, self.cursor)
        out = Text(no_wrap=True, overflow="crop")
        for n, line in enumerate(lines):
            if n:
                out.append("\n")
            for span_text, style in _pieces(line):
                out.append(span_text, style=self._style(style))
        return out

    def _style(self, name: str) -> Style | str:
        if not name:
            return ""
        return self.get_component_rich_style(name, partial=True)

    def action_move(self, delta: int) -> None:
        if self.days:
            self.cursor = max(0, min(len(self.days) - 1, self.cursor + delta))
            self.post_message(self.Moved(self))

    def action_jump(self, index: int) -> None:
        if self.days:
            self.cursor = index % len(self.days)
            self.post_message(self.Moved(self))


def _pieces(line: Text) -> list[tuple[str, str]]:
    """(text, style name) runs of a chart line: the spans, and the line's own style between."""
    plain = line.plain
    base = str(line.style) if line.style else ""
    styles = [base] * len(plain)
    for span in line.spans:
        for i in range(span.start, min(span.end, len(plain))):
            styles[i] = str(span.style)
    runs: list[tuple[str, str]] = []
    for ch, st in zip(plain, styles, strict=True):
        if runs and runs[-1][1] == st:
            runs[-1] = (runs[-1][0] + ch, st)
        else:
            runs.append((ch, st))
    return runs

"""The rules screen (`R`): every rule of rules.toml with what it does, its shops, whether it is
on, when it last ran and when it is next due; `space` turns one on or off (rules.toml is
rewritten in place, comments kept: it is the file cron reads), `enter` previews what it would
do now, item by item, and from there applies it through the confirm dialog.

A rules.toml that does not validate shows its problems, each as `path:LINE: message`, instead
of the list; nothing can be previewed or applied until it is fixed (`l` reloads; the screen
also reloads by itself when the file changes on disk).

Reading and planning run in worker threads on a read-only connection of the screen's own
(`ui/rulesio.py`), so a 500,000-item catalog costs the seller no keystroke.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from shelf_tui.rules import RulesError, RuleStatus, set_enabled
from shelf_tui.ui import fmt
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.rulesio import (
    Reader,
    RulesPlace,
    book,
    file_stamp,
    read_only,
    short_lines,
    short_path,
)
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean, fit, one_line
from shelf_tui.ui.widgets.title_bar import TitleBar

#: How often the screen looks at rules.toml's mtime (a stat: free) to reload an edited file.
WATCH_SECONDS = 2.0
COLUMNS = ("", "rule", "kind", "shops", "next due", "last run")


@dataclass
class Loaded:
    """One read of rules.toml and the rule state: the statuses, or the file's problems."""

    statuses: list[RuleStatus] = field(default_factory=list)
    error: RulesError | None = None
    stamp: tuple[int, int] | None = None


def span(seconds: int) -> str:
    """'2d 5h', '3h 10m', '45m', '<1m'."""
    if seconds < 60:
        return "<1m"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {rest // 60}m" if rest // 60 else f"{hours}h"
    return f"{rest // 60}m"


def next_short(st: RuleStatus, now: int) -> str:
    """The next-due column: 'every sync', 'due now', 'in 2h 5m', 'none'; 'off' first when
    the rule is disabled (what it would do still shows)."""
    text = st.next_due_text.removeprefix("disabled (").removesuffix(")")
    if text.startswith("every run"):
        short = "every sync"
    elif text == "due now":
        short = "due now"
    elif st.next_due is not None:
        short = f"in {span(max(0, int(st.next_due.timestamp()) - now))}"
    else:
        short = "none"
    return short if st.enabled else f"off · {short}"


def last_short(st: RuleStatus, now: int) -> str:
    if st.last_run_at is None:
        return "never"
    return fmt.age(int(st.last_run_at.timestamp()), now)


def when(at: datetime | None, now: int) -> str:
    return fmt.stamp(at, now) if at is not None else "never"


def detail_lines(st: RuleStatus, now: int, plan_line: str | None, path: str) -> Group:
    """The panel under the list: the highlighted rule in words (labels left, values folded
    under their own column so a long note stays readable at 80 columns)."""
    state = "on" if st.enabled else "off"
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(clean(st.name), style="bold")
    head.append(f" · {st.kind} · {st.action} · {state} · {clean(', '.join(st.shops))}")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    grid.add_row(" what", Text(clean(st.what)))
    grid.add_row(" file", Text(f"{clean(path)}:{st.line}"))
    grid.add_row(" next due", Text(clean(st.next_due_text)))
    last = when(st.last_run_at, now)
    if st.last_note:
        last += f": {one_line(st.last_note)}"
    grid.add_row(" last run", Text(last))
    if st.last_applied_at is not None:
        grid.add_row(
            " applied", Text(f"{when(st.last_applied_at, now)}, {st.last_sent:,} item(s) sent")
        )
    if plan_line is None:
        grid.add_row(" now", Text("planning…", style="dim"))
    else:
        grid.add_row(" now", Text(f"{one_line(plan_line)} (enter: item by item)"))
    return Group(head, grid)


class RulesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="rules.back"),
        Binding("enter", "preview", "Preview", id="rules.preview", priority=True),
        Binding("space,e", "toggle_rule", "On/off", id="rules.toggle"),
        Binding("l,f5", "reload", "Reload", id="rules.reload"),
    ]

    DEFAULT_CSS = """
    RulesScreen #rules-table { height: auto; max-height: 60%; }
    RulesScreen #rule-detail { height: 1fr; border-top: solid $panel-lighten-2; }
    RulesScreen #rules-error { height: 1fr; padding: 0 1; }
    RulesScreen #rules-error Static { height: auto; }
    RulesScreen .problem { color: $error; }
    RulesScreen #rules-empty { height: auto; padding: 1 1; }
    """

    def __init__(self, session: Session, place: RulesPlace | None) -> None:
        super().__init__(id="rules")
        self.session = session
        self.place = place
        self.reader = Reader(session.store.path)
        self.loaded: Loaded | None = None
        #: What each enabled rule would do now (its plan's one-line summary), planned in the
        #: background; None while planning.
        self.summaries: dict[str, str] | None = None
        self._toggling: asyncio.Lock | None = None

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        table: DataTable[Text] = DataTable(id="rules-table", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static(id="rules-empty")
        with VerticalScroll(id="rules-error"):
            yield Static(id="rules-problems")
        yield Static(id="rule-detail")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#rules-table", DataTable)

    def on_mount(self) -> None:
        self._toggling = asyncio.Lock()
        self.query_one("#rules-error").display = False
        self.query_one("#rules-empty").display = False
        self.table.focus()
        self.session.listen(self)
        self.retitle()
        self.load()
        self.set_interval(WATCH_SECONDS, self._watch_file)

    def on_unmount(self) -> None:
        self.reader.close()

    def on_screen_resume(self) -> None:
        self.load()

    def on_resize(self) -> None:
        self._fill()

    # -- session listener ------------------------------------------------------------------

    def data_changed(self) -> None:
        """A sync or a job changed the store: last runs and the plan move."""
        if self.is_mounted:
            self.load()

    def marks_changed(self, *_: object) -> None:
        pass

    # -- reading ---------------------------------------------------------------------------

    def _read(self) -> Loaded:
        assert self.place is not None
        stamp = file_stamp(self.place.rules_file)
        rules = book(self.place, self.reader, self.session.clock)
        try:
            rules.load()
            return Loaded(rules.statuses(), stamp=stamp)
        except RulesError as exc:
            return Loaded(error=exc, stamp=stamp)

    def _plan(self) -> dict[str, str]:
        assert self.place is not None
        rules = book(self.place, self.reader, self.session.clock)
        rules.load()
        return {rp.name: rp.summary() for rp in rules.preview().rules}

    @work(exclusive=True, group="rules-load", exit_on_error=False)
    async def load(self) -> None:
        """Read rules.toml and the rules' state, show them, then plan in the background."""
        if self.place is None:
            self._show(Loaded())
            return
        loaded = await asyncio.to_thread(self._read)
        self._show(loaded)
        if loaded.error is None and loaded.statuses:
            try:
                summaries = await asyncio.to_thread(self._plan)
            except RulesError:
                return  # the file changed under us: the watcher reloads it
            self.summaries = summaries
            self._show_detail()

    def _watch_file(self) -> None:
        if self.place is None or self.loaded is None:
            return
        if file_stamp(self.place.rules_file) != self.loaded.stamp:
            self.load()

    # -- drawing ---------------------------------------------------------------------------

    def _show(self, loaded: Loaded) -> None:
        before = self.loaded
        self.loaded = loaded
        if loaded.error or not loaded.statuses or before is None or before.stamp != loaded.stamp:
            self.summaries = None  # from another rules.toml: "planning…" until the new one
        error = self.query_one("#rules-error")
        empty = self.query_one("#rules-empty", Static)
        problems = loaded.error is not None
        error.display = problems
        nothing = not problems and not loaded.statuses
        empty.display = nothing
        self.table.display = not problems and not nothing
        if loaded.error is not None:
            self.query_one("#rules-problems", Static).update(self._problems(loaded.error))
        if nothing:
            empty.update(self._empty_text())
        self._fill()
        self.retitle()
        self.refresh_bindings()

    def _problems(self, error: RulesError) -> Text:
        out = Text()
        out.append(
            "rules.toml does not validate: no rule is planned or applied until it is fixed.\n\n",
            style="bold",
        )
        assert self.place is not None
        for line in error.lines():
            problem = clean(short_lines(line, self.place.rules_file))
            out.append(problem + "\n", style=alarm(self.app.no_color))
        out.append(
            "\nFix the file in your editor; this screen reloads when it changes (l reloads now)."
            "\n`shelf rules check` prints the same from a shell."
        )
        return out

    def _empty_text(self) -> Text:
        if self.place is None:
            return Text("This console was opened without a home directory: no rules.toml.")
        return Text(
            f"No rules yet. Write {short_path(self.place.rules_file)} (the README's rules "
            "cookbook has "
            "examples: delist at 0 stock, relist on restock, schedules, campaigns, price "
            "bands), then press l. `shelf rules check` validates it from a shell."
        )

    def _widths(self) -> tuple[int, ...]:
        width = max(40, self.size.width or 80) - 2
        fixed = 3 + 8 + 17 + 9  # on, kind, next due, last run
        rest = width - fixed - 2 * len(COLUMNS)
        name = max(10, min(24, rest * 55 // 100))
        shops = max(8, rest - name)
        return (3, name, 8, shops, 17, 9)

    def _fill(self) -> None:
        """(Re)build the rows for the current width, keeping the cursor on its rule."""
        table = self.table
        statuses = self.loaded.statuses if self.loaded else []
        keep = self.current.name if self.current else None
        table.clear(columns=True)
        widths = self._widths()
        for label, w in zip(COLUMNS, widths, strict=True):
            table.add_column(Text(label, style="bold"), width=w, key=label or "on")
        now = self.session.now()
        for st in statuses:
            on_text = Text("on", style="green") if st.enabled else Text("off", style="dim")
            style = "" if st.enabled else "dim"
            cells = (
                clean(st.name),
                st.kind,
                clean(",".join(st.shops)),
                next_short(st, now),
                last_short(st, now),
            )
            table.add_row(
                on_text,
                *(Text(fit(c, w), style=style) for c, w in zip(cells, widths[1:], strict=True)),
                key=st.name,
            )
        if keep is not None:
            index = next((n for n, st in enumerate(statuses) if st.name == keep), 0)
            table.move_cursor(row=index, animate=False)
        self._show_detail()

    @property
    def current(self) -> RuleStatus | None:
        if self.loaded is None or not self.loaded.statuses:
            return None
        row = self.table.cursor_row
        if 0 <= row < len(self.loaded.statuses):
            return self.loaded.statuses[row]
        return None

    def _show_detail(self) -> None:
        detail = self.query_one("#rule-detail", Static)
        st = self.current
        detail.display = st is not None and self.loaded is not None and not self.loaded.error
        if st is None or self.place is None:
            return
        line: str | None = None
        if self.summaries is not None:
            line = self.summaries.get(st.name, "off: enter previews what it would do")
        path = short_path(self.place.rules_file)
        detail.update(detail_lines(st, self.session.now(), line, path))

    def retitle(self) -> None:
        left = "Rules"
        if self.loaded is not None:
            if self.loaded.error is not None:
                n = len(self.loaded.error.problems)
                left += f" · rules.toml has {n} problem{'s' if n != 1 else ''}"
            elif self.loaded.statuses:
                total = len(self.loaded.statuses)
                on = sum(1 for s in self.loaded.statuses if s.enabled)
                left += f" {total} · {on} on"
        status = getattr(self.app, "status_line", None)
        right = str(status()) if callable(status) else ""
        self.query_one("#title", TitleBar).show(clean(left), right)

    @on(DataTable.RowHighlighted, "#rules-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#rules-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_preview()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        ok = self.loaded is not None and self.loaded.error is None and bool(self.loaded.statuses)
        if action == "preview":
            return ok
        if action == "toggle_rule":
            return ok and not read_only(self.session)
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_preview(self) -> None:
        from shelf_tui.ui.screens.rule_preview import RulePreviewScreen

        st = self.current
        if st is None or self.place is None or not self.check_action("preview", ()):
            return
        self.app.push_screen(RulePreviewScreen(self.session, self.place, st.name))

    def action_toggle_rule(self) -> None:
        st = self.current
        if st is None or self.place is None:
            return
        if read_only(self.session):
            self.notify("Read-only mode is on: rules.toml is not changed.", markup=False)
            return
        if self.loaded is None or self.loaded.error is not None:
            return
        self._toggle(st.name, not st.enabled)

    @work(group="rules-toggle", exit_on_error=False)
    async def _toggle(self, name: str, enabled: bool) -> None:
        """One write at a time, in key order: two quick presses flip twice, never race."""
        assert self.place is not None and self._toggling is not None
        path = self.place.rules_file
        async with self._toggling:
            try:
                await asyncio.to_thread(set_enabled, path, name, enabled)
            except RulesError as exc:
                self.notify(one_line(str(exc)), severity="error", markup=False, timeout=8)
            except OSError as exc:
                self.notify(
                    f"Cannot write {path}: {exc.strerror or exc}", severity="error", markup=False
                )
            else:
                self.notify(f"{name}: {'on' if enabled else 'off'} (rules.toml)", markup=False)
            loaded = await asyncio.to_thread(self._read)
            self._show(loaded)
        self.load()

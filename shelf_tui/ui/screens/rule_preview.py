"""A rule's preview (enter on the rules screen): what the rule would do now, from the store as
last synced, item by item, and `A` to apply it.

The head says what would be sent (one job per shop and action, with the rule's own reason
`rule:NAME: text`), the notes (a slot not due yet, a shop left out), the skips counted by
reason, and, when the rule is over its cap, the refusal in full: nothing is sent for a
refused rule. The list below holds every item the rule looked at (planned first, then the
skipped, grouped by reason); enter opens an item's detail and timeline.

Applying goes through the confirm dialog with the rule's reason fixed, Cancel the default;
the jobs and the rule's run record are written in one transaction under the lock `shelf rules
run` takes (ui/rulesio.py), then the jobs start in the console's job engine. A disabled rule
can be previewed, never applied; read-only mode hides apply.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from shelf_tui.errors import ShelfError
from shelf_tui.rules import Busy, Plan, PlanItem, RulePlan, RulesError, Skip, describe_rule
from shelf_tui.rules.timespec import format_duration
from shelf_tui.store.jobs import Job
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.rulejobs import RuleJobs
from shelf_tui.ui.rulesio import (
    Reader,
    RulesPlace,
    Stale,
    apply_rule,
    book,
    last_run_of,
    read_only,
    short_lines,
)
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean, one_line
from shelf_tui.ui.widgets.plan_list import PlanList, ordered, why
from shelf_tui.ui.widgets.title_bar import TitleBar

#: A preview older than this (console clock) is planned again before it can be applied.
MAX_AGE = 600


@dataclass(frozen=True, slots=True)
class Preview:
    """One planning of one rule, with what it needs to be applied safely later."""

    plan: Plan
    rule_plan: RulePlan
    enabled: bool
    ran_at: int | None
    planned_at: int  # the console's clock, epoch seconds
    sync_seen: object  # the app's last sync when planning began: another one means stale
    generation: int  # the session's data generation when planning began
    items: list[PlanItem]  # the rule's items in display order (sorted off the UI thread)
    head: Text  # the lines above the list (counted off the UI thread)


def head_text(preview: Preview, *, no_color: bool = False) -> Text:
    """The lines above the item list (literal Text: a shop name cannot smuggle markup)."""
    rp = preview.rule_plan
    rule = rp.rule
    out = Text()
    out.append(f"{clean(rule.name)}", style="bold")
    out.append(f" ({rule.kind.value}): {clean(describe_rule(rule))}\n")
    if not preview.enabled:
        out.append(
            "This rule is off: this is what it would do. Turn it on (space on the rules "
            "screen) to apply it.\n",
            style="bold",
        )
    if rp.refused:
        out.append(
            f"REFUSED, nothing will be sent: {one_line(rp.refused)}\n", style=alarm(no_color)
        )
    elif rp.requests:
        for request in rp.requests:
            out.append(
                f"{request.action.value} {len(request.item_ids):,} in {clean(request.shop)}",
                style="bold",
            )
            out.append(f' · reason "{one_line(request.reason)}"\n')
    else:
        out.append("Nothing to send now.\n", style="bold")
    for note in rp.notes:
        out.append(f"note: {one_line(note)}\n")
    skips = rp.skip_counts()
    if skips:
        out.append(
            "skipped: " + " · ".join(f"{n:,} {skip.label}" for skip, n in skips.items()) + "\n"
        )
    if Skip.GRACE in skips:
        out.append(
            f"grace: the condition must hold for {format_duration(rule.grace)} across runs of "
            "`shelf rules run` (cron) or applies; a preview does not start the clock.\n",
            style="dim",
        )
    out.append(
        f"Planned {preview.plan.at:%Y-%m-%d %H:%M} UTC from the store as last synced; "
        "nothing is sent before A.",
        style="dim",
    )
    return out


class RulePreviewScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="preview.back"),
        Binding("A", "apply", "Apply", id="preview.apply"),
        Binding("enter", "open", "Item", id="preview.open"),
        Binding("l,f5", "refresh", "Plan again", id="preview.refresh"),
    ]

    DEFAULT_CSS = """
    RulePreviewScreen #preview-head { height: auto; max-height: 9; padding: 0 1; }
    RulePreviewScreen #preview-head Static { height: auto; }
    RulePreviewScreen #plan-items { height: 1fr; border-top: solid $panel-lighten-2; }
    RulePreviewScreen #plan-item { height: 2; padding: 0 1; background: $boost; }
    """

    def __init__(self, session: Session, place: RulesPlace, name: str) -> None:
        super().__init__(id="rule-preview")
        self.session = session
        self.place = place
        self.rule_name = name
        self.reader = Reader(session.store.path)
        self.preview: Preview | None = None
        self.error: str = ""
        self.applying = False

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with VerticalScroll(id="preview-head"):
            yield Static(Text("planning…"), id="preview-summary")
        yield PlanList(id="plan-items")
        yield Static(id="plan-item")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def items(self) -> PlanList:
        return self.query_one("#plan-items", PlanList)

    def on_mount(self) -> None:
        self.items.focus()
        self.retitle()
        self.load()

    def on_unmount(self) -> None:
        self.reader.close()

    def on_screen_resume(self) -> None:
        """Back from the job pane or an item: plan again if the store changed meanwhile (a
        job ended, a sync), so the preview never shows a finished job as "waiting"."""
        if self.preview is not None and self.preview.generation != self.session.generation:
            self.load()
        self.retitle()

    # -- planning --------------------------------------------------------------------------

    def _plan(self, sync_seen: object, generation: int) -> Preview:
        """Plan every enabled rule (so an earlier rule's claim shows as a conflict, as in a
        real run), or just this one when it is off."""
        rules = book(self.place, self.reader, self.session.clock)
        ruleset = rules.load()
        rule = ruleset.get(self.rule_name)
        planned_at = self.session.now()
        ran_at = last_run_of(self.reader.get(), self.rule_name)
        plan = rules.preview() if rule.enabled else rules.preview(names=[self.rule_name])
        rp = plan.get(self.rule_name)
        preview = Preview(
            plan,
            rp,
            rule.enabled,
            ran_at,
            planned_at,
            sync_seen,
            generation,
            ordered(rp.items),
            Text(),
        )
        return replace(preview, head=head_text(preview, no_color=self.app.no_color))

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def load(self) -> None:
        self.preview = None
        self.refresh_bindings()
        try:
            preview = await asyncio.to_thread(
                self._plan, getattr(self.app, "last_sync", None), self.session.generation
            )
        except RulesError as exc:
            self._fail("\n".join(short_lines(line, self.place.rules_file) for line in exc.lines()))
            return
        except KeyError:
            self._fail(f"{self.rule_name} is no longer in rules.toml.")
            return
        self.error = ""
        self.preview = preview
        rp = preview.rule_plan
        self.query_one("#preview-summary", Static).update(preview.head)
        self.items.show(preview.items, refused=bool(rp.refused))
        self.retitle()
        self.refresh_bindings()

    def _fail(self, message: str) -> None:
        self.error = message
        self.query_one("#preview-summary", Static).update(
            Text(
                f"Cannot plan: {clean(message)}\nNothing can be applied.",
                style=alarm(self.app.no_color),
            )
        )
        self.items.show([], empty="no plan")
        self.retitle()
        self.refresh_bindings()

    @on(PlanList.Moved)
    def _moved(self, event: PlanList.Moved) -> None:
        """The cursor item whole under the list: the why column is cut at 80 columns."""
        item = event.plan_list.cursor_item
        text = Text()
        if item is not None:
            text.append(f"{clean(item.shop)} {clean(item.item_id)} ", style="bold")
            text.append(f"{clean(item.title)}\n")
            what = item.action.value if item.planned else "skip"
            text.append(f"{what}: {why(item)}")
        self.query_one("#plan-item", Static).update(text)

    def retitle(self) -> None:
        left = f"{clean(self.rule_name)} preview"
        if self.preview is not None:
            rp = self.preview.rule_plan
            if rp.refused:
                left += " · REFUSED (cap)"
            left += f" · {len(rp.planned):,} to send · {len(rp.skipped):,} skipped"
        elif not self.error:
            left += " · planning…"
        status = getattr(self.app, "status_line", None)
        right = str(status()) if callable(status) else ""
        self.query_one("#title", TitleBar).show(left, right)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return not read_only(self.session) and self.can_apply
        return True

    @property
    def can_apply(self) -> bool:
        p = self.preview
        return (
            p is not None
            and p.enabled
            and not p.rule_plan.refused
            and bool(p.rule_plan.requests)
            and not self.applying
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.load()

    def _stale(self, preview: Preview) -> str:
        """Why the preview must be planned again before it is applied ("" when it is fresh):
        a sync finished since (the store now says something else), or it is old."""
        if getattr(self.app, "last_sync", None) != preview.sync_seen:
            return "The shops were synced since this preview"
        if self.session.now() - preview.planned_at > MAX_AGE:
            return f"This preview is more than {MAX_AGE // 60} minutes old"
        return ""

    def action_open(self) -> None:
        from shelf_tui.ui.screens.detail import DetailScreen

        item = self.items.cursor_item
        if item is not None:
            self.app.push_screen(DetailScreen(self.session, item.shop, item.item_id))

    def action_apply(self) -> None:
        """Confirm (Cancel is the default; the reason is the rule's), then journal and start."""
        if read_only(self.session):
            self.notify("Read-only mode is on: nothing is sent.", markup=False)
            return
        preview = self.preview
        if preview is None or not self.can_apply:
            return
        stale = self._stale(preview)
        if stale:
            self.notify(f"{stale}: planned again; review it and press A again.", markup=False)
            self.load()
            return
        self.applying = True  # one press, one dialog, one set of jobs
        self.refresh_bindings()
        self._confirm_and_apply(preview)

    @work(group="apply", exit_on_error=False)
    async def _confirm_and_apply(self, preview: Preview) -> None:
        from shelf_tui.ui.rulejobs import jobs_door

        door = jobs_door(self.app)
        try:
            confirmed = await door.confirm(
                preview.rule_plan, type_count_above=self.session.config.ui.type_count_above
            )
            if not confirmed:
                self.notify("Not applied: nothing was sent.", markup=False)
                return
            jobs = await self._apply(preview, door)
        finally:
            self.applying = False
            self.refresh_bindings()
        if jobs is None:
            return
        total = sum(job.total for job in jobs)
        ids = ", ".join(f"#{job.id}" for job in jobs)
        self.notify(
            f"{self.rule_name}: {len(jobs)} job(s) started ({ids}), {total:,} item(s).",
            markup=False,
            timeout=6,
        )
        self.load()

    async def _apply(self, preview: Preview, door: RuleJobs) -> list[Job] | None:
        """Journal + record under the lock (a thread), then hand the jobs to the engine."""
        try:
            jobs = await asyncio.to_thread(
                apply_rule,
                self.session.store,
                self.place,
                preview.plan,
                preview.rule_plan,
                door.submit,
                ran_at_preview=preview.ran_at,
            )
        except Busy as exc:
            self.notify(one_line(str(exc)), severity="warning", markup=False, timeout=8)
            return None
        except Stale as exc:
            self.notify(
                f"Not applied: {one_line(str(exc))}. Planned again: review and press A again.",
                severity="warning",
                markup=False,
                timeout=8,
            )
            self.load()
            return None
        except RulesError as exc:
            self.notify(f"Not applied: {one_line(str(exc))}", severity="error", markup=False)
            return None
        except ShelfError as exc:  # the engine's refusals (read-only, ...) are one line
            self.notify(f"Not applied: {one_line(str(exc))}", severity="error", markup=False)
            return None
        self.session.data_changed()
        await door.start(jobs)
        return jobs

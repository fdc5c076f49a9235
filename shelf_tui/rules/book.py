"""The rules as the console and the CLI use them: load, list with last run and next due,
toggle enabled, preview, and commit what a run observed.

    book = RuleBook(paths.rules_file, store)        # clock defaults to utcnow
    ruleset = book.load()                           # RulesError: one message with the line
    for st in book.statuses(): st.name, st.enabled, st.last_run_at, st.next_due_text
    plan = book.preview()                           # every enabled rule; names=[...] for some
    plan.get("zero-stock").items                    # item by item: planned or skipped + why
    book.set_enabled("zero-stock", False)           # edits rules.toml in place
    book.commit(plan, applied={"zero-stock"})       # after the requests went to the job engine

`enabled` lives in rules.toml, the one source of truth cron reads: toggling rewrites that one
line (comments and layout kept), never a shadow copy in the database.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shelf_tui.domain import Shop, from_epoch, utcnow
from shelf_tui.rules.loader import Locator, Problem, RulesError, load_file, load_text
from shelf_tui.rules.model import (
    CampaignSpec,
    PriceSpec,
    Rule,
    RuleSet,
    ScheduleSpec,
    StockSpec,
)
from shelf_tui.rules.plan import Plan
from shelf_tui.rules.planner import plan as make_plan
from shelf_tui.rules.planner import shop_zone
from shelf_tui.rules.slots import campaign_due, schedule_due
from shelf_tui.rules.state import RuleState
from shelf_tui.rules.timespec import WEEKDAYS, describe, format_duration
from shelf_tui.store import Store


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """One row of the rules screen."""

    name: str
    kind: str
    enabled: bool
    shops: tuple[str, ...]
    action: str
    what: str
    line: int
    last_run_at: datetime | None
    last_applied_at: datetime | None
    last_sent: int
    last_note: str
    next_due: datetime | None
    next_due_text: str


def describe_rule(rule: Rule) -> str:
    """What the rule does, in one line (for lists and help)."""
    spec = rule.spec
    act = rule.action.value
    if isinstance(spec, StockSpec):
        parts = []
        if spec.at_or_below is not None:
            parts.append(f"delist at stock <= {spec.at_or_below}")
        if spec.relist_above is not None:
            parts.append(f"relist above {spec.relist_above}")
        text = ", ".join(parts)
    elif isinstance(spec, PriceSpec):
        side = "outside" if spec.outside else "inside"
        text = f"{act} when the price is {side} {spec.band.text}"
        if spec.restore:
            text += ", undo when it comes back"
    elif isinstance(spec, ScheduleSpec):
        tz = spec.timezone or "the shop's zone"
        if spec.at is not None:
            text = f"{act} once at {spec.at:%Y-%m-%d %H:%M} ({tz})"
        else:
            assert spec.recurrence is not None
            times = ", ".join(t.strftime("%H:%M") for t in spec.recurrence.times)
            days = (
                ""
                if len(spec.recurrence.weekdays) == 7
                else " on " + ",".join(WEEKDAYS[d] for d in sorted(spec.recurrence.weekdays))
            )
            text = f"{act} at {times}{days} ({tz})"
            if spec.until is not None:
                text += f" until {spec.until:%H:%M}, then {rule.action.inverse}"
    else:
        assert isinstance(spec, CampaignSpec)
        inverse = rule.action.inverse
        tz = spec.timezone or "the shop's zone"
        text = (
            f"{act} at {spec.start:%Y-%m-%d %H:%M}, {inverse.value if inverse else ''} at "
            f"{spec.end:%Y-%m-%d %H:%M} ({tz})"
        )
    if rule.grace:
        text += f" after {format_duration(rule.grace)} of grace"
    return text


def commit(store: Store, plan: Plan, ruleset: RuleSet, *, applied: Collection[str]) -> None:
    """Remember what a run saw: grace observations for every planned rule; fired slots and the
    apply time for the rules in `applied` (their requests went to the job engine)."""
    state = RuleState(store.conn)
    at = int(plan.at.timestamp())
    for rp in plan.rules:
        state.observe(rp.name, rp.shops, rp.holding)
        done = rp.name in applied and not rp.refused
        if done:
            state.mark_fired(rp.name, rp.slots, at)
        state.record_run(rp.name, at, applied=done, sent=rp.total if done else 0, note=rp.summary())
    state.forget_others(ruleset.names())


def statuses(store: Store, ruleset: RuleSet, now: datetime) -> list[RuleStatus]:
    state = RuleState(store.conn)
    runs = state.runs()
    shops = {s.name: s for s in store.shops.all()}
    out = []
    for rule in ruleset.rules:
        run = runs.get(rule.name)
        last = from_epoch(run.last_run_at) if run and run.last_run_at else None
        next_due, text = _next_due(rule, shops, state.fired(rule.name), now, last)
        out.append(
            RuleStatus(
                name=rule.name,
                kind=rule.kind.value,
                enabled=rule.enabled,
                shops=rule.shops,
                action=rule.action.value,
                what=describe_rule(rule),
                line=rule.line,
                last_run_at=from_epoch(run.last_run_at) if run else None,
                last_applied_at=from_epoch(run.last_applied_at) if run else None,
                last_sent=run.last_sent if run else 0,
                last_note=run.last_note if run else "",
                next_due=next_due,
                next_due_text=text if rule.enabled else f"disabled ({text})",
            )
        )
    return out


def _next_due(
    rule: Rule,
    shops: dict[str, Shop],
    fired: set[tuple[str, str]],
    now: datetime,
    last_run: datetime | None,
) -> tuple[datetime | None, str]:
    spec = rule.spec
    if not isinstance(spec, ScheduleSpec | CampaignSpec):
        return None, "every run (after each sync)"
    best: datetime | None = None
    best_text = "no further slot"
    for name in rule.resolve_shops(list(shops)):
        shop = shops[name]
        tz = shop_zone(spec.timezone, shop)
        mine = {slot for s, slot in fired if s == name}
        due = (
            schedule_due(spec, tz, now, mine, last_run)
            if isinstance(spec, ScheduleSpec)
            else campaign_due(spec, tz, now, mine)
        )
        when = now if due.slot else due.next_at
        if when is not None and (best is None or when < best):
            best = when
            best_text = "due now" if due.slot else describe(when, tz)
    return best, best_text


def set_enabled(path: Path, name: str, enabled: bool) -> None:
    """Flip one rule's `enabled` in rules.toml, keeping every other byte of the file."""
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    names = [r.get("name") for r in data.get("rule", [])]
    if name not in names:
        raise RulesError(str(path), [Problem(0, f'no rule named "{name}"')])
    index = names.index(name)
    where = Locator(text)
    start, end = where.blocks[index]
    lines = text.splitlines(keepends=True)
    value = "true" if enabled else "false"
    pattern = re.compile(r"^(\s*enabled\s*=\s*)(true|false)(.*)$", re.DOTALL)
    for i in range(start + 1, end):
        match = pattern.match(lines[i])
        if match:
            lines[i] = f"{match.group(1)}{value}{match.group(3)}"
            break
    else:
        at = where.key_line(index, "name")  # 1-based: insert right after the name
        newline = "\r\n" if lines[at - 1].endswith("\r\n") else "\n"
        lines.insert(at, f"enabled = {value}{newline}")
    new_text = "".join(lines)
    check = load_text(new_text, str(path))
    if check.get(name).enabled is not enabled:  # pragma: no cover - the edit is exact
        raise RulesError(str(path), [Problem(start + 1, "could not edit enabled")])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new_text, encoding="utf-8")
    os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)


class RuleBook:
    """rules.toml plus the store plus a clock: everything the rules screen needs."""

    def __init__(self, path: Path, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self.path = path
        self.store = store
        self.clock = clock
        self._ruleset: RuleSet | None = None

    def load(self) -> RuleSet:
        """Read and validate rules.toml against the store's shops (RulesError if bad)."""
        self._ruleset = load_file(self.path, known_shops=self.store.shops.names())
        return self._ruleset

    @property
    def ruleset(self) -> RuleSet:
        return self._ruleset if self._ruleset is not None else self.load()

    def statuses(self) -> list[RuleStatus]:
        return statuses(self.store, self.ruleset, self.clock())

    def preview(self, names: Collection[str] | None = None) -> Plan:
        """What the rules would do now, from what the store knows (no sync, nothing sent,
        nothing written). `names` previews those rules even when disabled."""
        return make_plan(self.store, self.ruleset, self.clock(), names=names)

    def set_enabled(self, name: str, enabled: bool) -> RuleSet:
        set_enabled(self.path, name, enabled)
        return self.load()

    def commit(self, plan: Plan, applied: Collection[str]) -> None:
        commit(self.store, plan, self.ruleset, applied=applied)

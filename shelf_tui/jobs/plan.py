"""The plan: what a bulk action would do, per shop, from what the store knows, before anything
is sent. The confirm dialog and `shelf down|up --dry-run` render it; `JobEngine.submit` turns
it into one journaled job per shop.

Selections come in three shapes and all end here: the console's marks (shop, item id keys),
ids typed or read from a CSV for some shops (`resolve_ids`: every id must belong to exactly one
of those shops, no duplicates), and a filter (`plan_filter`). Refusals (unknown ids, another
shop's ids, duplicates, bad CSV rows) are collected, never silently dropped, so the caller can
list them all and send nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from shelf_tui.domain import Action, Item, Platform, Reason, Status, from_epoch
from shelf_tui.jobs.verdicts import Block, Verdict, judge
from shelf_tui.store import Store

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Refusal:
    """One id (or CSV row) that cannot be part of the action, and why."""

    item_id: str
    why: str
    line: int | None = None
    shop: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        what = f"{self.item_id}: " if self.item_id else ""
        return f"{where}{what}{self.why}"


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One item of the plan as the store knows it, with the verdict."""

    shop: str
    item_id: str
    title: str
    status: Status
    reason: Reason
    stock: int
    verdict: Verdict
    block: Block | None = None
    detail: str = ""
    item_reason: str = ""


@dataclass(frozen=True, slots=True)
class ShopPlan:
    """The part of a plan for one shop: it becomes one job (one token, one throttle)."""

    shop: str
    platform: Platform
    action: Action
    items: tuple[PlanItem, ...]

    @property
    def total(self) -> int:
        return len(self.items)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for i in self.items if i.verdict is verdict)

    @property
    def change(self) -> int:
        return self.count(Verdict.CHANGE)

    @property
    def already(self) -> int:
        return self.count(Verdict.ALREADY)

    @property
    def blocked(self) -> int:
        return self.count(Verdict.BLOCKED)

    @property
    def blocked_counts(self) -> dict[Block, int]:
        """Blocked items by reason, most frequent first."""
        counts = Counter(i.block for i in self.items if i.block is not None)
        return dict(counts.most_common())

    def blocked_items(self, block: Block | None = None) -> list[PlanItem]:
        return [
            i
            for i in self.items
            if i.verdict is Verdict.BLOCKED and (block is None or i.block is block)
        ]

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.item_id for i in self.items)


@dataclass(frozen=True, slots=True)
class Plan:
    """A bulk action over one or more shops, reviewed before anything is sent.

    `hidden` is the number of marked items the current filter hides (the console computes it
    with `hidden_count`); `refused` lists what cannot be sent at all: a plan with refusals must
    not be submitted.
    """

    action: Action
    shops: tuple[ShopPlan, ...]
    refused: tuple[Refusal, ...] = ()
    hidden: int = 0
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        return sum(s.total for s in self.shops)

    @property
    def change(self) -> int:
        return sum(s.change for s in self.shops)

    @property
    def already(self) -> int:
        return sum(s.already for s in self.shops)

    @property
    def blocked(self) -> int:
        return sum(s.blocked for s in self.shops)

    @property
    def blocked_counts(self) -> dict[Block, int]:
        total: Counter[Block] = Counter()
        for s in self.shops:
            total.update(s.blocked_counts)
        return dict(total.most_common())

    @property
    def empty(self) -> bool:
        return self.total == 0

    @property
    def needs_reason_per_item(self) -> bool:
        return any(i.item_reason for s in self.shops for i in s.items)

    def shop(self, name: str) -> ShopPlan | None:
        return next((s for s in self.shops if s.shop == name), None)

    def with_hidden(self, hidden: int) -> Plan:
        return replace(self, hidden=hidden)

    def summary_lines(self, *, blocked_limit: int = 10) -> list[str]:
        """The plan as plain text lines (CLI confirmation and --dry-run)."""
        n_shops = len(self.shops)
        lines = [
            f"{self.action.label} · {n_shops} shop{'s' if n_shops != 1 else ''} · "
            f"{self.total:,} item{'s' if self.total != 1 else ''}"
        ]
        width = max((len(s.shop) for s in self.shops), default=0)
        for s in self.shops:
            line = (
                f"  {s.shop:<{width}}  {s.total:>7,}: {s.change:,} will change · "
                f"{s.already:,} already {self.action.target.value} · {s.blocked:,} blocked"
            )
            if s.blocked:
                line += " (" + ", ".join(f"{n:,} {b.value}" for b, n in s.blocked_counts.items())
                line += ")"
            lines.append(line)
        if self.hidden:
            lines.append(f"  {self.hidden:,} marked items are hidden by the current filter")
        lines.extend(f"  {note}" for note in self.notes)
        blocked = [i for s in self.shops for i in s.blocked_items()]
        if blocked and blocked_limit:
            lines.append("blocked (sent nothing for these; they end `skipped`):")
            for i in blocked[:blocked_limit]:
                lines.append(f"  {i.shop} {i.item_id}  {i.block}: {i.detail}")
            if len(blocked) > blocked_limit:
                lines.append(f"  ... and {len(blocked) - blocked_limit:,} more (see --dry-run)")
        return lines


def _now(now: datetime | None) -> datetime:
    return now if now is not None else from_epoch(time.time())  # type: ignore[return-value]


def _plan_item(item: Item, action: Action, platform: Platform, now: datetime) -> PlanItem:
    j = judge(item, action, platform, now)
    return PlanItem(
        shop=item.shop,
        item_id=item.item_id,
        title=item.title,
        status=item.status,
        reason=item.reason,
        stock=item.stock,
        verdict=j.verdict,
        block=j.block,
        detail=j.detail,
    )


def plan_keys(
    store: Store,
    action: Action,
    keys: Iterable[Key],
    *,
    item_reasons: Mapping[Key, str] | None = None,
    refused: Sequence[Refusal] = (),
    now: datetime | None = None,
    source: str = "",
) -> Plan:
    """A plan over (shop, item id) keys, e.g. the console's marks: one ShopPlan per shop in
    the order shops first appear; keys the store does not know are refused."""
    when = _now(now)
    by_shop: dict[str, list[str]] = {}
    seen: set[Key] = set()
    problems = list(refused)
    for shop, item_id in keys:
        if (shop, item_id) in seen:
            problems.append(Refusal(item_id, "listed twice", shop=shop))
            continue
        seen.add((shop, item_id))
        by_shop.setdefault(shop, []).append(item_id)
    shops: list[ShopPlan] = []
    reasons = item_reasons or {}
    for shop_name, ids in by_shop.items():
        found = store.shops.find(shop_name)
        if found is None:
            problems.extend(Refusal(i, f"unknown shop {shop_name!r}", shop=shop_name) for i in ids)
            continue
        known = store.items.get_many(shop_name, ids)
        items: list[PlanItem] = []
        for item_id in ids:
            item = known.get(item_id)
            if item is None:
                problems.append(
                    Refusal(
                        item_id,
                        f"not in shop {shop_name} as far as the store knows "
                        f"(run `shelf sync {shop_name}`)",
                        shop=shop_name,
                    )
                )
                continue
            p = _plan_item(item, action, found.platform, when)
            reason = reasons.get((shop_name, item_id), "")
            items.append(replace(p, item_reason=reason) if reason else p)
        if items:
            shops.append(ShopPlan(shop_name, found.platform, action, tuple(items)))
    return Plan(action, tuple(shops), tuple(problems), source=source)


def plan_filter(
    store: Store,
    action: Action,
    flt: str,
    *,
    shops: Sequence[str] | None = None,
    now: datetime | None = None,
) -> Plan:
    """A plan over every item matching a filter (`--all-matching`, the console's `*`), in the
    given shops or in all shops the filter matches; one ShopPlan per shop."""
    when = _now(now)
    keys = store.items.keys(flt, shops=list(shops) if shops else None, now=int(when.timestamp()))
    return plan_keys(store, action, keys, now=when, source=f"filter: {flt}")


@dataclass(frozen=True, slots=True)
class IdRow:
    """An id to act on, with where it came from (a CSV line) and an optional per-row reason
    and shop (a CSV's shop column pins the row to that shop)."""

    item_id: str
    line: int | None = None
    reason: str = ""
    shop: str = ""


def resolve_ids(
    store: Store, shops: Sequence[str], rows: Sequence[IdRow]
) -> tuple[list[Key], dict[Key, str], list[Refusal]]:
    """Map typed or imported ids to (shop, id) keys within `shops`.

    Refused, each with the reason: an id no given shop has (named when it is another shop's:
    seed 003's "A's delist touched B's items"), an id two given shops share (ambiguous), a
    duplicate, a row whose shop column disagrees. Returns (keys, per-key reasons, refusals).
    """
    given = list(dict.fromkeys(shops))
    found: dict[str, list[str]] = {}
    ids = [r.item_id for r in rows]
    for shop in given:
        for item_id in store.items.get_many(shop, ids):
            found.setdefault(item_id, []).append(shop)
    missing = [i for i in dict.fromkeys(ids) if i not in found]
    elsewhere: dict[str, list[str]] = {}
    if missing:
        for shop in store.shops.names():
            if shop in given:
                continue
            for item_id in store.items.get_many(shop, missing):
                elsewhere.setdefault(item_id, []).append(shop)
    keys: list[Key] = []
    reasons: dict[Key, str] = {}
    refusals: list[Refusal] = []
    first_line: dict[str, int | None] = {}
    for row in rows:
        item_id = row.item_id
        if item_id in first_line:
            prev = first_line[item_id]
            where = f" (first on line {prev})" if prev is not None else ""
            refusals.append(Refusal(item_id, f"duplicate{where}", line=row.line))
            continue
        first_line[item_id] = row.line
        owners = found.get(item_id, [])
        if row.shop:
            if row.shop not in given:
                refusals.append(
                    Refusal(
                        item_id,
                        f"the row names shop {row.shop!r}, which is not among "
                        f"--shop {', '.join(given)}",
                        line=row.line,
                    )
                )
                continue
            if row.shop not in owners:
                other = owners or elsewhere.get(item_id, [])
                why = f"belongs to shop {', '.join(other)}" if other else "unknown id"
                refusals.append(
                    Refusal(item_id, f"{why}, but the row says {row.shop}", line=row.line)
                )
                continue
            owners = [row.shop]
        if len(owners) > 1:
            refusals.append(
                Refusal(
                    item_id,
                    f"ambiguous: shops {', '.join(owners)} both have it; act on one shop",
                    line=row.line,
                )
            )
            continue
        if not owners:
            theirs = elsewhere.get(item_id)
            if theirs:
                why = (
                    f"belongs to shop {', '.join(theirs)}, not --shop {', '.join(given)} "
                    "(never sent with another shop's token)"
                )
            else:
                why = (
                    f"unknown id: not in shop {', '.join(given)} as far as the store knows "
                    f"(run `shelf sync {' '.join(given)}`?)"
                )
            refusals.append(Refusal(item_id, why, line=row.line))
            continue
        key = (owners[0], item_id)
        keys.append(key)
        if row.reason:
            reasons[key] = row.reason
    return keys, reasons, refusals


def hidden_count(
    store: Store, marked: Iterable[Key], flt: str | None, *, now: int | None = None
) -> int:
    """How many marked items the current filter hides ("N marked items are hidden by the
    current filter"): marked keys that do not match `flt`."""
    marks = list(dict.fromkeys(marked))
    if not flt or not flt.strip() or not marks:
        return 0
    sql = store.items.where(flt, now=now)
    visible = 0
    for start in range(0, len(marks), 400):
        chunk = marks[start : start + 400]
        values = ",".join("(?, ?)" for _ in chunk)
        params = [v for key in chunk for v in key]
        visible += int(
            store.conn.scalar(
                f"SELECT count(*) FROM items WHERE (shop, item_id) IN (VALUES {values}) "
                f"AND ({sql.where})",
                [*params, *sql.params],
            )
        )
    return len(marks) - visible

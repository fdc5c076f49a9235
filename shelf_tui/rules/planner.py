"""The planner: store + clock -> a Plan of BulkRequests. It never calls a marketplace.

For each enabled rule, in rules.toml order, and each of its shops: find the items whose
condition holds (stock at or below a threshold, price in a band, a schedule slot or campaign
edge due), then pass each through the same gates, in order:

1. a list must be reason-aware (rules/relist.py) and needs stock (TOP `num` > 0, gotcha 1;
   ML activation needs stock, gotcha 11);
2. a promotion lock blocks the item (gotcha 3);
3. the item already waits in an unfinished job (paused on a quota, interrupted): no twice;
4. an earlier rule already acts on the item in this run (first rule in the file wins);
5. grace: the condition must have held that long across syncs.

Finally the cap: a rule that would change more items in a shop than its cap does nothing at
all this run and says why, because a bad sync must never delist a catalog.

Planning reads only. What a run should remember (grace observations, fired slots) travels in
the plan and is written by `commit` (rules/book.py) when the caller decides to.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shelf_tui.domain import Action, BulkRequest, Reason, Shop, Status, from_epoch, to_epoch
from shelf_tui.rules.model import (
    DEFAULT_CAP_ITEMS,
    DEFAULT_CAP_SHARE,
    CampaignSpec,
    PriceSpec,
    Rule,
    RuleSet,
    ScheduleSpec,
    StockSpec,
)
from shelf_tui.rules.plan import Plan, PlanItem, RulePlan, Skip
from shelf_tui.rules.relist import Verdict, decide, listed_by
from shelf_tui.rules.slots import campaign_due, schedule_due
from shelf_tui.rules.state import RuleState, RunRecord
from shelf_tui.rules.timespec import describe, format_duration
from shelf_tui.store import Sql, Store

_COLS = "item_id, title, status, reason, stock, price, locked_until, lock_message"
_VERDICT_SKIPS = {
    Verdict.SELLER: Skip.SELLER,
    Verdict.OTHER_RULE: Skip.OTHER_RULE,
    Verdict.VIOLATION: Skip.VIOLATION,
    Verdict.PLATFORM: Skip.PLATFORM,
    Verdict.UNKNOWN: Skip.NOT_OURS,
    Verdict.SOLD_OUT: Skip.NOT_OURS,
}


@dataclass(frozen=True, slots=True)
class Cand:
    """The columns of an item a rule decides on."""

    item_id: str
    title: str
    status: Status
    reason: Reason
    stock: int
    price: float
    locked_until: int | None
    lock_message: str


@dataclass(frozen=True, slots=True)
class Want:
    """A rule wants `action` on `cand` (before the gates)."""

    cand: Cand
    action: Action
    detail: str
    relist: bool = False
    sold_out_ok: bool = True
    include_seller: bool = False


@dataclass
class _Run:
    store: Store
    now: datetime
    epoch: int
    shops: dict[str, Shop]
    state: RuleState
    skip_shops: Mapping[str, str]
    runs: dict[str, RunRecord] = field(default_factory=dict)
    claimed: dict[tuple[str, str], str] = field(default_factory=dict)
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)

    def in_jobs(self, shop: str) -> dict[str, int]:
        """Items of `shop` still waiting in an unfinished job (queued, running, paused on a
        quota, interrupted) -> the job id: planning them again would send them twice."""
        if shop not in self.waiting:
            rows = self.store.conn.query(
                "SELECT ji.item_id, ji.job_id FROM job_items ji JOIN jobs j ON j.id = ji.job_id "
                "WHERE ji.shop = ? AND ji.state IN ('queued', 'sending') "
                "AND j.state IN ('queued', 'running', 'paused', 'interrupted')",
                (shop,),
            )
            self.waiting[shop] = {r[0]: int(r[1]) for r in rows}
        return self.waiting[shop]


def default_cap(shop_items: int) -> int:
    """200 items or 10% of the shop, whichever is smaller (at least 1)."""
    return min(DEFAULT_CAP_ITEMS, max(1, math.ceil(shop_items * DEFAULT_CAP_SHARE)))


def shop_zone(rule_zone: str | None, shop: Shop) -> str:
    """A rule's explicit zone, else the shop's platform zone (TOP: Asia/Shanghai)."""
    return rule_zone or shop.platform.zone


def plan(
    store: Store,
    ruleset: RuleSet,
    now: datetime,
    *,
    names: Collection[str] | None = None,
    skip_shops: Mapping[str, str] | None = None,
) -> Plan:
    """Plan the enabled rules (or exactly the rules in `names`, enabled or not: a preview)
    at instant `now`. `skip_shops` maps shops to leave out to why (their sync failed: acting
    on stale data is how tools delist catalogs)."""
    if now.tzinfo is None:
        raise ValueError("plan() needs an aware datetime")
    epoch = to_epoch(now)
    assert epoch is not None
    run = _Run(
        store=store,
        now=now,
        epoch=epoch,
        shops={s.name: s for s in store.shops.all()},
        state=RuleState(store.conn),
        skip_shops=skip_shops or {},
    )
    run.runs = run.state.runs()
    selected = (
        [r for r in ruleset.rules if r.name in names]
        if names is not None
        else list(ruleset.enabled)
    )
    result = Plan(at=now)
    for rule in selected:
        result.rules.append(_plan_rule(run, rule))
    return result


def _plan_rule(run: _Run, rule: Rule) -> RulePlan:
    rp = RulePlan(rule)
    pending = run.state.pending(rule.name) if rule.grace else {}
    fired = run.state.fired(rule.name)
    for name in rule.shops:
        if name != "*" and name not in run.shops:
            rp.notes.append(f"{name}: unknown shop (see `shelf shop list`); left out")
    shops = rule.resolve_shops(list(run.shops))
    planned: dict[str, list[PlanItem]] = {}
    for shop in shops:
        if shop in run.skip_shops:
            rp.notes.append(f"{shop}: left out: {run.skip_shops[shop]}")
            continue
        rp.shops.append(shop)
        fired_here = {slot for s, slot in fired if s == shop}
        wants, note, slot = _wants(run, rule, run.shops[shop], fired_here)
        if note:
            rp.notes.append(f"{shop}: {note}" if len(shops) > 1 else note)
        if slot:
            rp.slots.append((shop, slot))
        items = _gate(run, rule, shop, wants, pending, rp)
        planned[shop] = items
        rp.items.extend(items)
    _missing_items(run, rule, rp)
    over = _over_cap(run, rule, planned)
    if over:
        rp.refused = over
        rp.items = [
            PlanItem(i.shop, i.item_id, i.title, i.action, "the rule is over its cap", Skip.CAP)
            if i.planned
            else i
            for i in rp.items
        ]
        return rp
    for shop, items in planned.items():
        for action in (Action.DELIST, Action.LIST):
            ids = tuple(i.item_id for i in items if i.planned and i.action is action)
            if ids:
                rp.requests.append(
                    BulkRequest(
                        shop=shop,
                        action=action,
                        item_ids=ids,
                        reason=rule.request_reason(action),
                        actor=rule.actor,
                        source="rule",
                    )
                )
                for item_id in ids:
                    run.claimed[(shop, item_id)] = rule.name
    return rp


# -- conditions per kind --------------------------------------------------------------------


def _where(run: _Run, rule: Rule, shop: str) -> Sql:
    sql = run.store.items.where(rule.filter or None, now=run.epoch, shops=[shop])
    if rule.items:
        sql = sql.and_(Sql(f"item_id IN ({','.join('?' * len(rule.items))})", rule.items))
    return sql


def _fetch(run: _Run, where: Sql, extra: str, params: Sequence[Any] = ()) -> list[Cand]:
    rows = run.store.conn.query(
        f"SELECT {_COLS} FROM items WHERE ({where.where}) AND ({extra}) ORDER BY item_id",
        (*where.params, *params),
    )
    return [
        Cand(r[0], r[1], Status(r[2]), Reason(r[3]), int(r[4]), float(r[5]), r[6], r[7])
        for r in rows
    ]


def _ours(shop: str, actor: str, *, sold_out_ok: bool) -> tuple[str, tuple[Any, ...]]:
    """SQL narrowing a relist to items this rule ever delisted (or sold out): the rest are
    not this rule's business, so they are not even listed as skipped. A correlated EXISTS, so
    each candidate costs one probe of the events_item index, whatever the history's size."""
    mine = (
        "EXISTS (SELECT 1 FROM events e WHERE e.shop = items.shop AND e.item_id = items.item_id "
        "AND e.actor = ? AND e.action = 'delist')"
    )
    if sold_out_ok:
        return f"(reason = 'sold_out' OR {mine})", (actor,)
    return mine, (actor,)


def _wants(
    run: _Run, rule: Rule, shop: Shop, fired: set[str]
) -> tuple[list[Want], str, str | None]:
    """(what the rule wants in this shop, a note, the slot to mark fired)."""
    where = _where(run, rule, shop.name)
    spec = rule.spec
    if isinstance(spec, StockSpec):
        return _stock(run, rule, spec, shop.name, where), "", None
    if isinstance(spec, PriceSpec):
        return _price(run, rule, spec, shop.name, where), "", None
    if isinstance(spec, ScheduleSpec):
        record = run.runs.get(rule.name)
        last = from_epoch(record.last_run_at) if record and record.last_run_at else None
        due = schedule_due(spec, shop_zone(spec.timezone, shop), run.now, fired, last)
        if due.slot is None:
            return [], due.note, None
        action = rule.action if due.role == "at" else rule.action.inverse
        assert action is not None
        detail = due.note.removeprefix("due: ")
        return _edge(run, rule, shop.name, where, action, detail), due.note, due.slot
    assert isinstance(spec, CampaignSpec)
    due = campaign_due(spec, shop_zone(spec.timezone, shop), run.now, fired)
    if due.slot is None:
        return [], due.note, None
    action = rule.action if due.role == "start" else rule.action.inverse
    assert action is not None
    detail = f"campaign {due.role}"
    return _edge(run, rule, shop.name, where, action, detail), due.note, due.slot


def _stock(run: _Run, rule: Rule, spec: StockSpec, shop: str, where: Sql) -> list[Want]:
    wants: list[Want] = []
    if rule.action is Action.DELIST and spec.at_or_below is not None:
        for c in _fetch(run, where, "status = 'active' AND stock <= ?", (spec.at_or_below,)):
            wants.append(Want(c, Action.DELIST, f"stock {c.stock} <= {spec.at_or_below}"))
    if spec.relist_above is not None:
        ours, params = _ours(shop, rule.actor, sold_out_ok=True)
        for c in _fetch(
            run,
            where,
            f"status = 'inactive' AND stock > ? AND {ours}",
            (spec.relist_above, *params),
        ):
            wants.append(
                Want(c, Action.LIST, f"stock {c.stock} > {spec.relist_above}", relist=True)
            )
    return wants


def _band_sql(spec: PriceSpec) -> tuple[str, tuple[Any, ...]]:
    band = spec.band
    parts: list[str] = []
    params: list[Any] = []
    if band.low is not None:
        parts.append("price >= ?" if band.low_inclusive else "price > ?")
        params.append(band.low)
    if band.high is not None:
        parts.append("price <= ?" if band.high_inclusive else "price < ?")
        params.append(band.high)
    clause = " AND ".join(parts) or "1"
    if spec.outside:
        clause = f"NOT ({clause})"
    return f"({clause})", tuple(params)


def _price(run: _Run, rule: Rule, spec: PriceSpec, shop: str, where: Sql) -> list[Want]:
    holds, params = _band_sql(spec)
    side = "outside" if spec.outside else "in"
    back = "back inside" if spec.outside else "out of"
    band = spec.band.text
    wants: list[Want] = []
    if rule.action is Action.DELIST:
        for c in _fetch(run, where, f"status = 'active' AND {holds}", params):
            wants.append(Want(c, Action.DELIST, f"price {c.price:g} {side} {band}"))
        if spec.restore:
            ours, more = _ours(shop, rule.actor, sold_out_ok=False)
            for c in _fetch(
                run, where, f"status = 'inactive' AND NOT {holds} AND {ours}", (*params, *more)
            ):
                wants.append(
                    Want(
                        c, Action.LIST, f"price {c.price:g} {back} {band}", True, sold_out_ok=False
                    )
                )
        return wants
    ours, more = _ours(shop, rule.actor, sold_out_ok=True)
    for c in _fetch(run, where, f"status = 'inactive' AND {holds} AND {ours}", (*params, *more)):
        wants.append(Want(c, Action.LIST, f"price {c.price:g} {side} {band}", relist=True))
    if spec.restore:
        active = _fetch(run, where, f"status = 'active' AND NOT {holds}", params)
        mine = listed_by(run.store, shop, [c.item_id for c in active], rule.actor)
        for c in active:
            if c.item_id in mine:
                wants.append(Want(c, Action.DELIST, f"price {c.price:g} {back} {band}"))
    return wants


def _edge(run: _Run, rule: Rule, shop: str, where: Sql, action: Action, detail: str) -> list[Want]:
    """A schedule slot or a campaign edge: `action` on every matching item not yet there."""
    if action is Action.DELIST:
        return [Want(c, action, detail) for c in _fetch(run, where, "status = 'active'")]
    primary = action is rule.action
    include = primary and rule.include_seller_delisted
    sold_out_ok = primary
    extra, params = ("1", ()) if include else _ours(shop, rule.actor, sold_out_ok=sold_out_ok)
    return [
        Want(c, action, detail, relist=True, sold_out_ok=sold_out_ok, include_seller=include)
        for c in _fetch(run, where, f"status = 'inactive' AND {extra}", params)
    ]


# -- gates ----------------------------------------------------------------------------------


def _gate(
    run: _Run,
    rule: Rule,
    shop: str,
    wants: list[Want],
    pending: Mapping[tuple[str, str, str], int],
    rp: RulePlan,
) -> list[PlanItem]:
    relists = [w for w in wants if w.relist]
    decisions = {}
    if relists:
        include = any(w.include_seller for w in relists)
        decisions = decide(
            run.store,
            shop,
            [(w.cand.item_id, w.cand.reason) for w in relists],
            rule.actor,
            include_seller=include,
        )
    out: list[PlanItem] = []
    for want in wants:
        c = want.cand

        def item(detail: str, skip: Skip | None = None, c: Cand = c, w: Want = want) -> PlanItem:
            return PlanItem(shop, c.item_id, c.title, w.action, detail, skip)

        if want.relist:
            decision = decisions[c.item_id]
            if not decision.allowed or (
                decision.verdict is Verdict.SOLD_OUT and not want.sold_out_ok
            ):
                out.append(item(decision.detail, _VERDICT_SKIPS[decision.verdict]))
                continue
        if want.action is Action.LIST and c.stock <= 0:
            out.append(item("no stock to list (TOP needs num > 0; ML needs stock)", Skip.NO_STOCK))
            continue
        key = (shop, c.item_id, want.action.value)
        if rule.grace:
            rp.holding[key] = pending.get(key, run.epoch)
        if c.locked_until is not None and c.locked_until > run.epoch:
            until = describe(from_epoch(c.locked_until), "UTC")
            message = f": {c.lock_message}" if c.lock_message else ""
            out.append(item(f"promotion lock until {until}{message}", Skip.LOCKED))
            continue
        job = run.in_jobs(shop).get(c.item_id)
        if job is not None:
            out.append(item(f"already waiting in job {job} (`shelf jobs {job}`)", Skip.IN_JOB))
            continue
        other = run.claimed.get((shop, c.item_id))
        if other is not None:
            out.append(item(f"rule {other} already acts on it in this run", Skip.CONFLICT))
            continue
        if rule.grace:
            held = run.epoch - rp.holding[key]
            if held < rule.grace:
                out.append(
                    item(
                        f"{want.detail} for {format_duration(held)} "
                        f"of {format_duration(rule.grace)}",
                        Skip.GRACE,
                    )
                )
                continue
        out.append(item(want.detail))
    return out


def _over_cap(run: _Run, rule: Rule, planned: Mapping[str, list[PlanItem]]) -> str:
    for shop, items in planned.items():
        count = sum(1 for i in items if i.planned)
        if not count:
            continue
        if rule.cap is not None:
            cap, why = rule.cap, "cap in rules.toml"
        else:
            size = run.store.items.count(shops=[shop])
            cap = default_cap(size)
            why = f"default cap: 200 items or 10% of the shop's {size:,}, whichever is smaller"
        if count > cap:
            return (
                f"would change {count} items in {shop}, over the cap of {cap} ({why}); nothing "
                "was planned for this rule. If the store is right, raise cap in rules.toml"
            )
    return ""


def _missing_items(run: _Run, rule: Rule, rp: RulePlan) -> None:
    if not rule.items or not rp.shops:
        return
    rows = run.store.conn.query(
        f"SELECT DISTINCT item_id FROM items WHERE shop IN ({','.join('?' * len(rp.shops))}) "
        f"AND item_id IN ({','.join('?' * len(rule.items))})",
        (*rp.shops, *rule.items),
    )
    found = {r[0] for r in rows}
    missing = [i for i in rule.items if i not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        rp.notes.append(f"{len(missing)} listed item(s) not in the store: {shown} (sync first?)")

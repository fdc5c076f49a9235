"""Helpers for the rules tests: a real SQLite store with three shops, an injected clock, and
helpers that play the parts of sync (the store row changes) and of the job engine (a request's
items change state, with the outcome event the engine journals)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from shelf_tui.domain import Action, BulkRequest, Item, Platform, Reason, Shop, Status
from shelf_tui.rules import Plan, RuleSet, commit, load_text, plan
from shelf_tui.store import Event, Store

SHOPS = (
    Shop("tb-main", Platform.TAOBAO),
    Shop("ml-mx", Platform.MERCADOLIBRE, site="MLM"),
    Shop("temu-us", Platform.TEMU, region="US"),
)


def open_store(path: Path) -> Store:
    s = Store.open(path)
    for shop in SHOPS:
        s.shops.add(shop)
    return s


def local(zone: str, text: str) -> datetime:
    """A wall-clock time in `zone` -> the aware UTC instant the clock reads."""
    wall = datetime.strptime(text, "%Y-%m-%d %H:%M")
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


class Clock:
    """The injected clock: tests move it, nothing sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def add_items(
    store: Store, shop: str, count: int, *, start: int = 0, **fields: object
) -> list[str]:
    """Items `shop`-N: active, stock 10, price 20 unless told otherwise."""
    defaults: dict[str, object] = {"status": Status.ACTIVE, "stock": 10, "price": 20.0}
    defaults.update(fields)
    title = str(defaults.pop("title", "item"))
    items = [
        Item(shop=shop, item_id=str(n), title=f"{title} {n}", **defaults)  # type: ignore[arg-type]
        for n in range(start, start + count)
    ]
    store.items.upsert(items)
    return [i.item_id for i in items]


def sync(store: Store, shop: str, item_id: str, **changes: object) -> Item:
    """What a sync does to one row: the platform's new values replace the store's."""
    item = store.items.get(shop, item_id)
    assert item is not None
    new = dataclasses.replace(item, **changes)  # type: ignore[arg-type]
    store.items.upsert([new])
    return new


def journal(
    store: Store, shop: str, item_id: str, actor: str, action: str, at: datetime, **kw: object
) -> None:
    store.events.append(
        Event(
            shop=shop,
            item_id=item_id,
            actor=actor,
            action=action,
            outcome=str(kw.pop("outcome", "ok")),
            at=int(at.timestamp()),
            **kw,  # type: ignore[arg-type]
        )
    )


def run_jobs(store: Store, requests: Iterable[BulkRequest], at: datetime) -> None:
    """The job engine's effect, as the store sees it: each item's new state and its event."""
    for request in requests:
        for item_id in request.item_ids:
            listed = request.action is Action.LIST
            store.items.set_state(
                request.shop,
                item_id,
                status=Status.ACTIVE if listed else Status.INACTIVE,
                reason=Reason.NONE if listed else Reason.SELLER,
                modified=int(at.timestamp()),
            )
            journal(
                store,
                request.shop,
                item_id,
                request.actor,
                request.action.value,
                at,
                reason=request.reason,
                job_id=None,
            )


def rules(text: str, store: Store) -> RuleSet:
    return load_text(text, "rules.toml", known_shops=store.shops.names())


def run_rules(store: Store, ruleset: RuleSet, now: datetime, *, apply: bool = True) -> Plan:
    """One `shelf rules run [--apply]` minus the sync: plan, (apply), commit."""
    result = plan(store, ruleset, now)
    if apply:
        run_jobs(store, result.requests, now)
    commit(store, result, ruleset, applied={rp.name for rp in result.rules} if apply else set())
    return result


def ids(result: Plan, action: Action | None = None, shop: str | None = None) -> set[str]:
    return {
        i
        for r in result.requests
        if (action is None or r.action is action) and (shop is None or r.shop == shop)
        for i in r.item_ids
    }


def status(store: Store, shop: str, item_id: str) -> Status:
    item = store.items.get(shop, item_id)
    assert item is not None
    return item.status

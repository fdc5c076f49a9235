"""Pull a shop's catalog into the store (full and incremental).

    result = await sync_shop(store, market)             # incremental when a sync completed
    result = await sync_shop(store, market, full=True)  # everything, and mark what vanished

How it stays consistent:
* Items are written in batches, each batch (rows + its timeline events) in ONE transaction, so
  an interrupted sync (Ctrl-C, a dropped SSH link, an error) leaves whole batches or nothing.
* `last_sync_at` moves only when a sync completes, to the time it *started*; the next
  incremental sync asks for changes since then minus a margin (clock skew, TOP's one-second
  granularity), so nothing changed during a sync is missed. An interrupted sync leaves a note in
  the shop's `sync_cursor`; the next sync repeats the interrupted mode (an interrupted full sync
  is resumed as a full sync), which is idempotent: unchanged rows are not even rewritten.
* A sync that sees a change shelf did not make appends a `platform` event to the item's
  timeline: a platform or violation delist (with the item's snapshot before it), a relist or
  delist by another tool, stock reaching 0 or coming back, a price change, a new item.
* Deletions: only a *complete full* sync can tell that an item is gone (no platform reports
  deletions in its listings, §1.9, §2.7, §3.7). Items it did not see are marked `deleted`
  (reason `unknown`) with a `disappeared` event; they stay in the store for their history. A
  full sync that saw nothing at all marks nothing (an empty answer is more likely a fault than
  a shop that deleted everything).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shelf_tui import logs
from shelf_tui.domain import Item, Reason, Status, from_epoch, to_epoch
from shelf_tui.marketplaces import Marketplace
from shelf_tui.store import Event, Store
from shelf_tui.store.items import COLUMNS, item_to_row, row_to_item

#: Items per write transaction (a first sync of a shop uses bigger ones).
BATCH = 2_000
FIRST_BATCH = 20_000
#: Incremental syncs ask for changes since the last start minus this (clock skew between this
#: machine and the platform, and TOP's whole-second `modified`).
MARGIN = timedelta(minutes=5)
ACTOR = "platform"
_SYNCED = COLUMNS.index("synced_at")
_LOCKED = COLUMNS.index("locked_until")
_LOCK_MESSAGE = COLUMNS.index("lock_message")
_SELECT_ROWS = f"SELECT {', '.join(COLUMNS)} FROM items WHERE shop = ? AND item_id IN"

log = logs.get("sync")


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """What a progress callback is told after each page (`written` moves per batch)."""

    shop: str
    full: bool
    fetched: int
    written: int
    changed: int
    elapsed: float


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The summary of one shop's sync."""

    shop: str
    full: bool
    since: datetime | None
    seen: int
    new: int
    changed: int
    deleted: int
    events: int
    seconds: float
    finished_at: datetime

    @property
    def rate(self) -> float:
        return self.seen / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        kind = "full" if self.full else "incremental"
        parts = [
            f"{self.seen:,} items seen ({kind})",
            f"{self.new:,} new",
            f"{self.changed:,} changed",
        ]
        if self.deleted:
            parts.append(f"{self.deleted:,} gone")
        parts.append(f"{self.events:,} timeline events")
        return f"{self.shop}: " + ", ".join(parts) + f" in {self.seconds:.1f}s"


Progress = Callable[[SyncProgress], None]


def _now(market: Marketplace) -> float:
    clock = getattr(market, "now", None)
    return float(clock()) if callable(clock) else time.time()


def _cursor(store: Store, shop: str) -> dict[str, Any]:
    raw = store.shops.meta(shop, "sync_cursor")
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def sync_shop(
    store: Store,
    market: Marketplace,
    *,
    full: bool | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Sync one shop. `full=None` decides: full on the first sync (or after an interrupted full
    one), incremental otherwise. Raises the connector's typed errors (AuthExpired,
    QuotaExhausted, ...) after committing every batch written so far."""
    name = market.shop.name
    shop = store.shops.get(name)
    cursor = _cursor(store, name)
    if full is None:
        full = shop.last_sync_at is None or bool(cursor.get("full"))
    since = None if full or shop.last_sync_at is None else shop.last_sync_at - MARGIN
    started = _now(market)
    clock0 = time.monotonic()
    quiet = shop.last_sync_at is None  # a first sync records the catalog, not changes
    first = quiet and store.items.count(shops=[name]) == 0
    store.shops.update(name, sync_cursor=json.dumps({"full": full, "started": int(started)}))
    state = _Run(store, name, quiet=quiet, bulk=first, now=started)
    limit = FIRST_BATCH if first else BATCH
    batch: list[Item] = []

    def report() -> None:
        if progress is not None:
            progress(
                SyncProgress(
                    name,
                    full,
                    len(state.seen),
                    state.written,
                    state.changed,
                    time.monotonic() - clock0,
                )
            )

    agen = market.iter_items(since)
    try:
        async for page in agen:
            for item in page:
                if item.item_id not in state.seen:
                    state.seen.add(item.item_id)
                    batch.append(item)
            if len(batch) >= limit:
                state.write(batch)
                batch = []
            report()
        state.write(batch)
        batch = []
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            await aclose()
    deleted = state.mark_missing() if full else 0
    finished = from_epoch(_now(market))
    assert finished is not None
    store.shops.update(name, last_sync_at=from_epoch(started), sync_cursor="")
    report()
    result = SyncResult(
        shop=name,
        full=full,
        since=since,
        seen=len(state.seen),
        new=state.new,
        changed=state.changed,
        deleted=deleted,
        events=state.events,
        seconds=time.monotonic() - clock0,
        finished_at=finished,
    )
    log.info("%s", result.summary())
    return result


class _Run:
    """One sync's bookkeeping and its writes."""

    def __init__(self, store: Store, shop: str, *, quiet: bool, bulk: bool, now: float) -> None:
        self.store = store
        self.shop = shop
        self.quiet = quiet
        self.bulk = bulk
        self.synced_epoch = int(now)
        self.now = int(now)
        self.seen: set[str] = set()
        self.written = 0
        self.new = 0
        self.changed = 0
        self.events = 0

    def _rows(self, items: Sequence[Item]) -> list[tuple[Any, ...]]:
        """Rows stamped with this sync's time (a tuple splice: dataclasses.replace on every
        item cost more than writing it)."""
        at = self.synced_epoch
        return [(*row[:_SYNCED], at, *row[_SYNCED + 1 :]) for row in map(item_to_row, items)]

    def write(self, items: Sequence[Item]) -> None:
        if not items:
            return
        rows = self._rows(items)
        if self.bulk:
            # A shop's first sync: nothing to compare with, nothing to tell.
            self.store.items.upsert_rows(rows, bulk=False)
            self.written += len(items)
            self.new += len(items)
            return
        events: list[Event] = []
        with self.store.conn.transaction():
            before = self._stored_rows([row[1] for row in rows])
            todo = []
            for item, row in zip(items, rows, strict=True):
                old = before.get(row[1])
                if old is not None:
                    row = self._keep(row, old)
                    if _same(old, row):
                        continue  # a daily resync rewrites nothing and decodes nothing
                todo.append(row)
                old_item = None if old is None else row_to_item(old)
                if old_item is None:
                    self.new += 1
                elif _differs(old_item, item):
                    self.changed += 1
                if not self.quiet:
                    event = change_event(old_item, item)
                    if event is not None:
                        events.append(event)
            self.store.items.upsert_rows(todo, bulk=False)
            self.store.events.append_many(events)
        self.events += len(events)
        self.written += len(items)

    def _stored_rows(self, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """The stored rows of these items, as the raw tuples `item_to_row` makes: comparing
        tuples is what keeps a resync of unchanged items cheap."""
        out: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = self.store.conn.query(
                f"{_SELECT_ROWS} ({','.join('?' * len(chunk))})", (self.shop, *chunk)
            )
            for row in found:
                values = tuple(row)
                out[values[1]] = values
        return out

    def _keep(self, row: tuple[Any, ...], old: tuple[Any, ...]) -> tuple[Any, ...]:
        """What a listing cannot know but the store learnt: a promotion lock found by a
        preflight stays until it ends (TOP lists no locks, §1.5)."""
        if row[_LOCKED] is not None or old[_LOCKED] is None or old[_LOCKED] <= self.now:
            return row
        out = list(row)
        out[_LOCKED], out[_LOCK_MESSAGE] = old[_LOCKED], old[_LOCK_MESSAGE]
        return tuple(out)

    def mark_missing(self) -> int:
        """After a complete full sync: items the platform no longer lists are deleted."""
        if not self.seen:
            log.warning("%s: a full sync saw no items; nothing is marked deleted", self.shop)
            return 0
        stored = {
            key[1] for key in self.store.items.keys(shops=[self.shop]) if key[1] not in self.seen
        }
        if not stored:
            return 0
        gone = [
            item
            for item in self.store.items.get_many(self.shop, sorted(stored)).values()
            if item.status is not Status.DELETED
        ]
        if not gone:
            return 0
        events = [
            Event(
                shop=self.shop,
                item_id=item.item_id,
                actor=ACTOR,
                action="disappeared",
                reason=Reason.UNKNOWN.value,
                message="no longer listed by the platform (deleted, or moved to another account)",
                before=_state(item),
                after={"status": Status.DELETED.value, "reason": Reason.UNKNOWN.value},
                snapshot=_snapshot(item),
            )
            for item in gone
        ]
        with self.store.conn.transaction():
            for item in gone:
                self.store.items.set_state(
                    self.shop, item.item_id, status=Status.DELETED, reason=Reason.UNKNOWN
                )
            self.store.events.append_many(events)
        self.events += len(events)
        return len(gone)


def _same(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Equal rows but for the sync time."""
    return old[:_SYNCED] == new[:_SYNCED] and old[_SYNCED + 1 :] == new[_SYNCED + 1 :]


def _differs(old: Item, new: Item) -> bool:
    return (old.status, old.reason, old.stock, old.price) != (
        new.status,
        new.reason,
        new.stock,
        new.price,
    )


def _state(item: Item) -> dict[str, Any]:
    return {
        "status": item.status.value,
        "reason": item.reason.value,
        "stock": item.stock,
        "price": item.price,
        "raw_status": item.raw_status,
        "raw_sub_status": item.raw_sub_status,
    }


def _snapshot(item: Item) -> dict[str, Any]:
    """The item as it was before a delist: evidence for an appeal (seed 003)."""
    out = _state(item)
    out.update(
        {
            "title": item.title,
            "outer_id": item.outer_id,
            "currency": item.currency,
            "skus": [
                {"sku_id": s.sku_id, "stock": s.stock, "price": s.price, "outer_id": s.outer_id}
                for s in item.skus
            ],
            "modified": to_epoch(item.modified),
        }
    )
    return out


def change_event(old: Item | None, new: Item) -> Event | None:
    """The timeline event for a change a sync saw, or None when nothing worth telling changed.

    One event per item and sync, named for the most telling change."""
    if old is None:
        return Event(
            shop=new.shop,
            item_id=new.item_id,
            actor=ACTOR,
            action="appeared",
            reason=new.reason.value,
            after=_state(new),
            message="new on the platform since the last sync",
        )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in ("status", "reason", "stock", "price"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            before[name] = a.value if isinstance(a, Status | Reason) else a
            after[name] = b.value if isinstance(b, Status | Reason) else b
    if not before:
        return None
    message = ""
    snapshot = None
    status_changed = old.status is not new.status or old.reason is not new.reason
    if status_changed and new.status is Status.ACTIVE:
        action, message = "relisted", "listed outside shelf"
    elif status_changed and new.status is Status.INACTIVE:
        snapshot = _snapshot(old) if old.status is Status.ACTIVE else None
        if new.reason in (Reason.VIOLATION, Reason.PLATFORM):
            action = "platform_delist"
            message = _violation_text(new)
        elif new.reason is Reason.SOLD_OUT:
            action, message = "sold_out", "the platform delisted it at 0 stock"
        else:
            action, message = "delisted", "delisted outside shelf"
    elif status_changed:
        action = "status"
        message = f"{old.status.value} -> {new.status.value}"
    elif old.stock > 0 and new.stock == 0:
        action, message = "stock_zero", "stock reached 0"
    elif old.stock == 0 and new.stock > 0:
        action, message = "restocked", f"stock back at {new.stock}"
    elif "price" in before:
        action = "price"
    else:
        action = "stock"
    if status_changed:
        before.setdefault("raw_status", old.raw_status)
        after.setdefault("raw_status", new.raw_status)
        if old.raw_sub_status != new.raw_sub_status:
            before["raw_sub_status"] = old.raw_sub_status
            after["raw_sub_status"] = new.raw_sub_status
    if new.deadline is not None and new.deadline != old.deadline:
        after["deadline"] = to_epoch(new.deadline)
    return Event(
        shop=new.shop,
        item_id=new.item_id,
        actor=ACTOR,
        action=action,
        reason=new.reason.value,
        message=message,
        before=before,
        after=after,
        snapshot=snapshot,
    )


def _violation_text(item: Item) -> str:
    violation = item.extra.get("violation")
    words = "delisted by the platform"
    if isinstance(violation, dict) and violation.get("reason"):
        words += f": {violation['reason']}"
    if item.deadline is not None:
        words += f" (rectify by {item.deadline:%Y-%m-%d %H:%M} UTC)"
    return words

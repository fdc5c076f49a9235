"""Deterministic data, a fixed clock, a fake sync and pilot helpers for the console tests."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from shelf_tui.domain import Item, Platform, Reason, Shop, Sku, Status
from shelf_tui.store import Event, Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.services import SyncResult
from shelf_tui.ui.widgets.item_table import ItemTable

FIXTURES = Path(__file__).parent / "fixtures"
#: The console's "now" in every test: 2026-11-24 08:00 UTC.
NOW = 1_795_507_200
NOW_DT = datetime.fromtimestamp(NOW, UTC)
SHOPS = (("tb-main", Platform.TAOBAO), ("ml-mx", Platform.MERCADOLIBRE), ("temu-us", Platform.TEMU))
STATES = (
    (Status.ACTIVE, Reason.NONE, "onsale", ""),
    (Status.ACTIVE, Reason.NONE, "onsale", ""),
    (Status.INACTIVE, Reason.SELLER, "instock", "regular_shelved"),
    (Status.INACTIVE, Reason.SOLD_OUT, "instock", "sold_out"),
    (Status.INACTIVE, Reason.VIOLATION, "instock", "violation_off_shelf"),
    (Status.INACTIVE, Reason.PLATFORM, "4001", "compliance"),
    (Status.REVIEW, Reason.NONE, "under_review", ""),
    (Status.DRAFT, Reason.NONE, "instock", "never_on_shelf"),
    (Status.CLOSED, Reason.NONE, "closed", ""),
)
WORDS = ("red", "dress", "blue", "case", "phone", "vestido", "连衣裙", "耳机", "sapato", "lamp")


def clock() -> datetime:
    return NOW_DT


def ts(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def catalog(n: int = 60, seed: int = 11) -> list[Item]:
    """n items over three shops with every status, reason, stock level, deadline and lock."""
    rnd = random.Random(seed)
    items = []
    taken_down = 0
    for i in range(n):
        shop = SHOPS[i % 3][0]
        # (i // 3 * 4 + i % 3) % 9: every shop gets every state
        status, reason, raw, sub = STATES[(i // 3 * 4 + i % 3) % len(STATES)]
        deadline = None
        if reason in (Reason.VIOLATION, Reason.PLATFORM):
            offsets = (-7200, 3600, 20 * 3600, None, 30 * 3600, 70 * 3600)
            offset = offsets[taken_down % len(offsets)]
            deadline = None if offset is None else NOW + offset + taken_down * 60
            taken_down += 1
        locked = (
            NOW + 86400 if rnd.random() < 0.1 else (NOW - 86400 if rnd.random() < 0.1 else None)
        )
        prefix = {"tb-main": "6", "ml-mx": "MLM", "temu-us": "60"}[shop]
        title = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(1, 5)))
        items.append(
            Item(
                shop=shop,
                item_id=f"{prefix}{100_000 + i}",
                title=f"{title} {i}",
                outer_id=rnd.choice(("", f"SKU-{i:03d}", "dress-9")),
                status=status,
                reason=reason,
                stock=rnd.choice((0, 0, 1, 3, 12, 250)),
                price=rnd.choice((0.5, 9.99, 100.0, 250.0, 1299.0)),
                currency={"tb-main": "CNY", "ml-mx": "MXN", "temu-us": "USD"}[shop],
                raw_status=raw,
                raw_sub_status=sub,
                skus=(Sku(f"{i}-1", "颜色:红色;尺码:M", 2, 9.99, f"O-{i}"),) if i % 4 == 0 else (),
                deadline=ts(deadline),
                locked_until=ts(locked),
                lock_message="在促销活动中" if locked else "",
                modified=ts(NOW - rnd.randrange(0, 20 * 86400)),
            )
        )
    return items


def add_shops(store: Store) -> None:
    for name, platform in SHOPS:
        if store.shops.find(name) is None:
            store.shops.add(Shop(name, platform))


def populate(path: Path, items: Iterable[Item] | None = None) -> Store:
    store = Store.open(path)
    add_shops(store)
    store.items.upsert(list(catalog() if items is None else items))
    return store


def hostile_items() -> list[Item]:
    """Titles a marketplace could send that must not break the console (fixtures file)."""
    rows = json.loads((FIXTURES / "hostile_titles.json").read_text(encoding="utf-8"))
    return [
        Item(
            shop="tb-main",
            item_id=f"6{900 + n}",
            title=row["title"],
            status=Status(row.get("status", "active")),
            reason=Reason(row.get("reason", "")),
            stock=n,
            price=9.9 + n,
            modified=ts(NOW - 3600 * (n + 1)),
        )
        for n, row in enumerate(rows)
    ]


class FakeSync:
    """A SyncService whose sync applies `changes(store)` to the store; it can be held at a
    gate (threading.Event) to prove the UI answers keys while a sync runs."""

    def __init__(
        self,
        store: Store,
        changes: Callable[[Store, str], int] | None = None,
        *,
        shops: Sequence[str] = ("tb-main", "ml-mx", "temu-us"),
        fail: dict[str, Exception] | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.changes = changes
        self._shops = list(shops)
        self.fail = fail or {}
        self.gate = gate
        self.calls: list[str] = []
        self.started = threading.Event()

    def shops(self) -> Sequence[str]:
        return self._shops

    async def sync_shop(self, shop: str) -> SyncResult:
        self.calls.append(shop)
        self.started.set()
        if self.gate is not None:
            await asyncio.to_thread(self.gate.wait, 30)
        if shop in self.fail:
            raise self.fail[shop]
        changed = self.changes(self.store, shop) if self.changes else 0
        return SyncResult(shop, changed)


def restock_and_touch(store: Store, shop: str) -> int:
    """A resync: every item of `shop` gets new stock and a new modified time (so the sort
    order changes), and a new item appears at the top."""
    items = [i for i in store.items.iter_all(shop)]
    changed = [
        replace(i, stock=i.stock + 7, modified=ts(NOW - (n * 977) % (19 * 86400)))
        for n, i in enumerate(items)
    ]
    changed.append(Item(shop=shop, item_id=f"{shop}-new", title="brand new", modified=ts(NOW)))
    store.items.upsert(changed)
    return len(changed)


async def settle(pilot: Pilot[Any]) -> None:
    """Until the loader has nothing left to do and the screen has been redrawn."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    for _ in range(50):
        await app.wait_idle()
        await pilot.pause()
        if app.session.loader is not None and app.session.loader.idle:
            await pilot.pause()
            if app.session.loader.idle:
                return
    raise AssertionError("the loader never settled")


def table(app: Any) -> ItemTable:
    return app.screen.query_one("#items", ItemTable)


async def all_rows(pilot: Pilot[Any]) -> list[tuple[str, str]]:
    """Every row of the focused table, read off the screen page by page (home, then page
    down until the last row has been drawn)."""
    t = table(pilot.app)
    if t.cursor or t.scroll_y:
        await pilot.press("home")
        await settle(pilot)
    seen: list[tuple[str, str]] = []
    while True:
        top = int(t.scroll_y)
        for n, item in enumerate(t.visible_items()):
            if top + n >= len(seen):
                seen.append(item.key)
        if t.row_count == 0 or top + t.size.height >= t.row_count:
            break
        await pilot.press("pagedown")
        await settle(pilot)
    return seen


async def apply_filter(pilot: Pilot[Any], text: str) -> None:
    """Open the filter bar with `/`, put `text` in it, press enter."""
    await pilot.press("slash")
    bar = pilot.app.screen.query_one("#filter")
    bar.input.value = text
    await pilot.press("enter")
    await settle(pilot)


def reference(
    store: Store, where: str, order: str = "modified DESC, rowid DESC"
) -> list[tuple[str, str]]:
    rows = store.conn.query(f"SELECT shop, item_id FROM items WHERE {where} ORDER BY {order}")
    return [(r[0], r[1]) for r in rows]


def count(store: Store, where: str) -> int:
    return int(store.conn.scalar(f"SELECT count(*) FROM items WHERE {where}"))


def add_timeline(store: Store, item: Item) -> None:
    """Three events, oldest first: a sync that saw it, a delist by a user with a snapshot,
    a failed relist with the platform's message."""
    store.events.append_many(
        [
            Event(
                shop=item.shop,
                item_id=item.item_id,
                actor="platform",
                action="sync",
                at=NOW - 3 * 86400,
                outcome="ok",
            ),
            Event(
                shop=item.shop,
                item_id=item.item_id,
                actor="lin@shop-box",
                action="delist",
                reason="IP complaint (TRO)",
                job_id=7,
                outcome="ok",
                request_id="req-1a2b",
                at=NOW - 2 * 86400,
                snapshot={"title": item.title, "status": "active", "stock": 12, "price": 99.0},
            ),
            Event(
                shop=item.shop,
                item_id=item.item_id,
                actor="rule:restock",
                action="list",
                reason="restocked",
                job_id=9,
                outcome="failed",
                code="isv.item-is-delete:invalid-numIid-or-iid",
                message="商品已被删除 [bold]x[/]",
                request_id="req-3c4d",
                at=NOW - 3600,
            ),
        ]
    )


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())

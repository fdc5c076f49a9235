"""sync_shop: full and incremental, batches, platform events, deletions, interruptions."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from connkit import EXPECTED, FIXED_NOW, Tap, json_response, market, shop_of

import shelf_tui.sync as sync_mod
from shelf_tui.domain import Reason, Status
from shelf_tui.marketplaces import AuthExpired
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store
from shelf_tui.sync import SyncProgress, sync_shop


def idx_id(sb: Sandbox, shop: str, idx: int) -> str:
    cat = sb.catalog.shops[shop]
    return f"MLM{cat.id_of(idx)}" if cat.platform == "mercadolibre" else str(cat.id_of(idx))


async def run(sb: Sandbox, store: Store, name: str, **kw: Any) -> sync_mod.SyncResult:
    if store.shops.find(name) is None:
        store.shops.add(shop_of(sb, name))
    client = kw.pop("client", None)
    conn = market(sb, name, client=client)
    try:
        return await sync_shop(store, conn, **kw)
    finally:
        await conn.aclose()


@pytest.mark.parametrize(
    ("name", "platform"), [("tb-main", "taobao"), ("ml-mx", "mercadolibre"), ("temu-us", "temu")]
)
async def test_a_first_sync_stores_the_catalog_without_events(
    sb: Sandbox, store: Store, name: str, platform: str
) -> None:
    result = await run(sb, store, name)
    assert result.full and result.seen == result.new == 60 and result.events == 0
    for item in store.items.iter_all(name):
        assert (item.status, item.reason) == EXPECTED[platform][sb.state(item.item_id)]
        assert item.synced_at == datetime.fromtimestamp(FIXED_NOW, UTC)
    shop = store.shops.get(name)
    assert shop.last_sync_at == datetime.fromtimestamp(FIXED_NOW, UTC)
    assert store.shops.meta(name, "sync_cursor") == ""
    assert store.events.count() == 0


async def test_an_incremental_sync_records_exactly_the_platforms_changes(
    sb: Sandbox, store: Store
) -> None:
    await run(sb, store, "tb-main")
    sb.advance(60)
    onsale, off, off2, sold = (idx_id(sb, "tb-main", i) for i in (0, 7, 11, 1))
    sb.violate(int(onsale), severity="serious", reason="侵犯知识产权")  # a platform delist
    sb.set_status(int(off), "onsale")  # listed by another tool
    sb.set_price(int(off2), "12.34")
    sb.set_stock(int(sold), 0, auto=True)  # sold out: TOP moves it to sold_out
    progress: list[SyncProgress] = []
    result = await run(sb, store, "tb-main", progress=progress.append)
    assert not result.full and result.since is not None
    assert result.since == datetime.fromtimestamp(FIXED_NOW, UTC) - timedelta(minutes=5)
    assert (result.seen, result.changed, result.new, result.events) == (4, 4, 0, 4)
    assert progress and progress[-1].fetched == 4
    events = {e.item_id: e for e in store.events.since(0, shop="tb-main")}
    assert set(events) == {onsale, off, off2, sold}
    assert all(e.actor == "platform" for e in events.values())
    delist = events[onsale]
    assert (delist.action, delist.reason) == ("platform_delist", "violation")
    assert "侵犯知识产权" in delist.message and "rectify by" in delist.message
    assert delist.snapshot is not None and delist.snapshot["status"] == "active"
    assert delist.after is not None and delist.after["deadline"] == int(FIXED_NOW + 60 + 24 * 3600)
    assert events[off].action == "relisted"
    assert events[off2].action == "price" and events[off2].after == {"price": 12.34}
    assert events[sold].action == "sold_out"
    stored = store.items.get("tb-main", onsale)
    assert stored is not None and stored.reason is Reason.VIOLATION and stored.deadline is not None
    again = await run(sb, store, "tb-main")  # nothing changed since: nothing recorded
    assert (again.changed, again.events) == (0, 0)


async def test_ml_and_temu_changes_are_picked_up_incrementally(sb: Sandbox, store: Store) -> None:
    await run(sb, store, "ml-mx")
    await run(sb, store, "temu-us")
    sb.advance(60)
    ml_item, temu_item = idx_id(sb, "ml-mx", 0), idx_id(sb, "temu-us", 0)
    sb.set_stock(ml_item, 0, auto=True)
    sb.violate(int(temu_item))
    ml = await run(sb, store, "ml-mx")
    temu = await run(sb, store, "temu-us")
    assert (ml.seen, ml.changed, temu.seen, temu.changed) == (1, 1, 1, 1)
    (ml_event,) = store.events.since(0, shop="ml-mx")
    assert (ml_event.item_id, ml_event.action) == (ml_item, "sold_out")
    (temu_event,) = store.events.since(0, shop="temu-us")
    assert (temu_event.item_id, temu_event.action) == (temu_item, "platform_delist")


async def test_a_full_sync_marks_what_disappeared(sb: Sandbox, store: Store) -> None:
    await run(sb, store, "temu-us")
    gone = idx_id(sb, "temu-us", 7)

    async def hide(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        doc = json.loads(response.content)
        result = doc.get("result")
        if isinstance(result, dict) and isinstance(result.get("goodsList"), list):
            result["goodsList"] = [g for g in result["goodsList"] if str(g["goodsId"]) != gone]
        return json_response(doc)

    client = httpx.AsyncClient(transport=Tap(after=hide))
    result = await run(sb, store, "temu-us", full=True, client=client)
    await client.aclose()
    assert result.deleted == 1
    item = store.items.get("temu-us", gone)
    assert item is not None and (item.status, item.reason) == (Status.DELETED, Reason.UNKNOWN)
    (event,) = store.events.since(0, shop="temu-us")
    assert (event.item_id, event.action) == (gone, "disappeared") and event.snapshot
    assert (await run(sb, store, "temu-us", full=True, client=None)).deleted == 0  # it's back


async def test_a_full_sync_that_sees_nothing_deletes_nothing(sb: Sandbox, store: Store) -> None:
    await run(sb, store, "temu-us")

    async def empty(request: httpx.Request) -> httpx.Response | None:
        return json_response(
            {
                "success": True,
                "errorCode": 1000000,
                "errorMsg": "",
                "requestId": "x",
                "result": {"goodsList": [], "total": 0, "pageNo": 1},
            }
        )

    client = httpx.AsyncClient(transport=Tap(before=empty))
    result = await run(sb, store, "temu-us", full=True, client=client)
    await client.aclose()
    assert (result.seen, result.deleted) == (0, 0)
    assert store.items.count("status:deleted", shops=["temu-us"]) == len(
        sb.ids("temu-us", "6001")
    ) + len(sb.ids("temu-us", "6002"))


async def test_an_interrupted_sync_leaves_whole_batches_and_the_next_one_continues(
    sb: Sandbox, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_mod, "FIRST_BATCH", 20)
    monkeypatch.setattr(sync_mod, "BATCH", 20)
    store.shops.add(shop_of(sb, "tb-main"))
    conn = market(sb, "tb-main")
    conn.page_size = 10  # type: ignore[attr-defined]
    conn.concurrency = 1
    written = asyncio.Event()

    def progress(p: SyncProgress) -> None:
        if p.written >= 20:
            written.set()

    task = asyncio.ensure_future(sync_shop(store, conn, progress=progress))
    await written.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await conn.aclose()
    count = store.items.count(shops=["tb-main"])
    assert 0 < count < 60 and count % 20 == 0  # whole batches only
    assert store.conn.scalar("PRAGMA integrity_check") == "ok"
    assert store.shops.get("tb-main").last_sync_at is None
    assert json.loads(store.shops.meta("tb-main", "sync_cursor"))["full"] is True
    result = await run(sb, store, "tb-main")  # continues: a full sync again, quietly
    assert result.full and result.seen == 60 and result.events == 0
    assert store.items.count(shops=["tb-main"]) == 60
    assert store.shops.meta("tb-main", "sync_cursor") == ""


async def test_an_error_keeps_what_was_written_and_the_last_sync_time(
    sb: Sandbox, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run(sb, store, "tb-main")
    last = store.shops.get("tb-main").last_sync_at
    sb.expire_token("tb-main")
    with pytest.raises(AuthExpired):
        await run(sb, store, "tb-main")
    assert store.shops.get("tb-main").last_sync_at == last
    assert store.items.count(shops=["tb-main"]) == 60


async def test_a_known_promotion_lock_survives_a_sync(sb: Sandbox, store: Store) -> None:
    await run(sb, store, "tb-main")
    target = idx_id(sb, "tb-main", 2)
    item = store.items.get("tb-main", target)
    assert item is not None
    until = datetime.fromtimestamp(FIXED_NOW + 86400, UTC)
    store.items.upsert([replace(item, locked_until=until, lock_message="聚划算")])
    sb.set_stock(int(target), 5)
    await run(sb, store, "tb-main")
    after = store.items.get("tb-main", target)
    assert after is not None and after.stock == 5
    assert (after.locked_until, after.lock_message) == (until, "聚划算")

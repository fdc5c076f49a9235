"""Helpers for the console's job tests: waiting on the app's own events (never sleeping),
typing, and a fixed store with jobs in every state for the snapshots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from shelf_tui.domain import (
    Action,
    BulkRequest,
    Item,
    JobState,
    Outcome,
    OutcomeKind,
    Platform,
    Reason,
    Shop,
    Status,
)
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.confirm import ConfirmScreen
from shelf_tui.ui.widgets.item_table import ItemTable

DEMO_ITEMS = 24
#: The snapshots' "now": 2026-11-24 08:00 UTC.
NOW = 1_795_507_200
TIMEOUT = 60.0


def clock() -> datetime:
    return datetime.fromtimestamp(NOW, UTC)


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


async def workers_done(pilot: Pilot[Any]) -> None:
    """Until no worker runs (one finishing may start the next: a list read, then its
    failures)."""
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return
    raise AssertionError("workers kept running")


async def waited(awaitable: Any) -> Any:
    return await asyncio.wait_for(awaitable, TIMEOUT)


async def open_dialog(pilot: Pilot[Any], *keys: str) -> ConfirmScreen:
    """Press `keys` (L or D, maybe twice) and wait until the confirm dialog is up."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    app.jobs.dialog_opened.clear()
    await pilot.press(*keys)
    await waited(app.jobs.dialog_opened.wait())
    screen = app.jobs.last_dialog
    assert screen is not None
    await waited(screen.shown.wait())
    await pilot.pause()
    return screen


def keys_of(text: str) -> list[str]:
    """The key names that type `text` into a focused input."""
    names = {" ": "space", ":": "colon", "(": "left_parenthesis", ")": "right_parenthesis"}
    return [names.get(ch, ch) for ch in text]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*keys_of(text))


async def flow_done(pilot: Pilot[Any]) -> None:
    """Until the L/D (retry, undo) flow has journaled and started its jobs."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    await waited(app.jobs.idle.wait())
    await pilot.pause()


async def jobs_finished(pilot: Pilot[Any]) -> None:
    """Until every job running in this console has ended and the pane has heard it."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    engine = app.jobs.engine
    for handle in list(engine.running):
        await waited(handle.wait())
    await pilot.pause()
    await workers_done(pilot)
    await settle(pilot)


def table(app: Any) -> ItemTable:
    return app.screen.query_one("#items", ItemTable)


def counts(store: Store) -> tuple[int, int, int]:
    """(jobs, job items, events): what a refused or cancelled action must leave unchanged."""
    return (
        int(store.conn.scalar("SELECT count(*) FROM jobs")),
        int(store.conn.scalar("SELECT count(*) FROM job_items")),
        int(store.conn.scalar("SELECT count(*) FROM events")),
    )


def active_ids(store: Store, shop: str, n: int) -> list[str]:
    """`n` items of `shop` on sale with stock and no lock (a delist will change them)."""
    rows = store.conn.query(
        "SELECT item_id FROM items WHERE shop = ? AND status = 'active' AND stock > 0 "
        "AND locked_until IS NULL ORDER BY item_id LIMIT ?",
        (shop, n),
    )
    assert len(rows) == n, f"{shop} has only {len(rows)} such items"
    return [r[0] for r in rows]


# -- a fixed store for the snapshots --------------------------------------------------------

SNAP_SHOPS = (
    ("tb-main", Platform.TAOBAO, "#ff6a00"),
    ("ml-mx", Platform.MERCADOLIBRE, "#ffe600"),
    ("temu-us", Platform.TEMU, ""),
)


def _ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def snap_items() -> list[Item]:
    titles = ("连衣裙 夏季新款", "Vestido de verano", "USB-C cable 2m", "耳机 蓝牙", "Lamp")
    states = (
        (Status.ACTIVE, Reason.NONE, 12, None),
        (Status.ACTIVE, Reason.NONE, 3, NOW + 3650 * 86_400),  # locked by a promotion
        (Status.INACTIVE, Reason.SELLER, 5, None),
        (Status.INACTIVE, Reason.SOLD_OUT, 0, None),
        (Status.INACTIVE, Reason.VIOLATION, 8, None),
        (Status.ACTIVE, Reason.NONE, 40, None),
    )
    items = []
    for s, (shop, _, _) in enumerate(SNAP_SHOPS):
        prefix = {"tb-main": "6100", "ml-mx": "MLM200", "temu-us": "6015"}[shop]
        for n, (status, reason, stock, locked) in enumerate(states):
            items.append(
                Item(
                    shop=shop,
                    item_id=f"{prefix}{n:04d}",
                    title=f"{titles[(n + s) % len(titles)]} #{n}",
                    status=status,
                    reason=reason,
                    stock=stock,
                    price=9.9 + n,
                    locked_until=_ts(locked) if locked else None,
                    lock_message="618大促: 活动期间禁止下架" if locked else "",
                    modified=_ts(NOW - 3600 * (n + 1) - 60 * s),
                )
            )
    return items


def fixed_store(path: Path) -> Store:
    """Three shops (two with accents), 18 items, and four jobs: done with a failure, paused
    for a sign-in, interrupted mid-way, cancelled."""
    store = Store.open(path)
    for name, platform, accent in SNAP_SHOPS:
        store.shops.add(Shop(name, platform, accent=accent))
    store.items.upsert(snap_items())
    actor = "seller@shop-pc"

    def job(shop: str, action: Action, ids: list[str], reason: str, at: int) -> int:
        request = BulkRequest(shop, action, tuple(ids), reason, actor, "user")
        return store.jobs.create(request, now=at).id

    done = job(
        "tb-main",
        Action.DELIST,
        ["61000000", "61000001", "61000002", "61000005"],
        "out of stock",
        NOW - 7200,
    )
    store.jobs.set_state(done, JobState.RUNNING, now=NOW - 7200)
    for item_id, outcome in (
        ("61000000", Outcome.ok(request_id="0bb1f2e3")),
        ("61000002", Outcome.already()),
        ("61000005", Outcome.ok(request_id="0bb1f2e4")),
        (
            "61000001",
            Outcome(
                OutcomeKind.FAILED,
                "活动期间禁止下架 (618大促)",
                "isv.item-delist-locked",
                "0bb1f2e5",
            ),
        ),
    ):
        store.jobs.finish_item(done, item_id, outcome, now=NOW - 7190)
    store.jobs.set_state(done, JobState.DONE, now=NOW - 7180)

    paused = job(
        "ml-mx",
        Action.LIST,
        ["MLM2000002", "MLM2000003", "MLM2000004"],
        "promotion ended",
        NOW - 3600,
    )
    store.jobs.set_state(paused, JobState.RUNNING, now=NOW - 3600)
    store.jobs.finish_item(paused, "MLM2000002", Outcome.ok(), now=NOW - 3590)
    store.jobs.set_state(
        paused,
        JobState.PAUSED,
        pause_reason="sign-in needed for ml-mx (invalid_token): run `shelf login ml-mx`",
        now=NOW - 3580,
    )

    stopped = job("temu-us", Action.DELIST, ["60150000", "60150005"], "compliance fix", NOW - 600)
    store.jobs.set_state(stopped, JobState.RUNNING, now=NOW - 600)
    store.jobs.finish_item(stopped, "60150000", Outcome.ok(), now=NOW - 590)
    store.jobs.set_state(
        stopped,
        JobState.INTERRUPTED,
        pause_reason="shelf stopped mid-job; resume to continue",
        now=NOW - 580,
    )

    cancelled = job("tb-main", Action.LIST, ["61000002", "61000003"], "seasonal", NOW - 300)
    store.jobs.set_state(cancelled, JobState.RUNNING, now=NOW - 300)
    store.jobs.finish_item(cancelled, "61000002", Outcome.ok(), now=NOW - 290)
    store.jobs.finish_item(
        cancelled, "61000003", Outcome.skipped("cancelled before sending"), now=NOW - 280
    )
    store.jobs.set_state(cancelled, JobState.CANCELLED, now=NOW - 270)
    return store

"""Regenerate the README's screenshots: one SVG per console screen.

    python screenshots/generate.py [--out DIR]      # DIR defaults to screenshots/

Every picture comes from the real console (`make_app`, driven by Textual's pilot and saved
with `App.save_screenshot`) over data built here: three shops, a fixed catalog, a timeline,
finished jobs, a month of activity and a rules.toml, in a throwaway home, on a fixed clock
(2026-11-24 08:00 UTC), with secrets in an in-memory keyring. Nothing varies between runs or
machines, so tests/screenshots/test_screenshots.py can regenerate them and compare byte for
byte. Run it after a change to a screen and commit the SVGs it writes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import keyring  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402
from textual.worker import WorkerCancelled, WorkerFailed  # noqa: E402

from shelf_tui.auth import TokenStore  # noqa: E402
from shelf_tui.config import Config  # noqa: E402
from shelf_tui.domain import (  # noqa: E402
    Action,
    BulkRequest,
    Item,
    JobState,
    Outcome,
    OutcomeKind,
    Platform,
    Reason,
    Shop,
    Sku,
    Status,
)
from shelf_tui.paths import Paths  # noqa: E402
from shelf_tui.rules import RuleBook  # noqa: E402
from shelf_tui.store import Event, Store  # noqa: E402
from shelf_tui.ui.app import ShelfApp, make_app  # noqa: E402
from shelf_tui.ui.marks import MarkOp  # noqa: E402
from shelf_tui.ui.screens.signin import SignInScreen  # noqa: E402
from shelf_tui.ui.widgets.filter_bar import FilterBar  # noqa: E402

#: The console's "now" in every picture: 2026-11-24 08:00 UTC (16:00 in Shanghai).
NOW = 1_795_507_200
NOW_DT = datetime.fromtimestamp(NOW, UTC)
HOUR = 3600
DAY = 86_400
#: Workers that wait on the seller (a dialog), not on data: never waited for.
WAITS_ON_SELLER = frozenset({"apply", "jobs-flow"})


def clock() -> datetime:
    return NOW_DT


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class MemoryKeyring(KeyringBackend):
    """The OS keyring stand-in: this process only, nothing written anywhere."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


# -- the data ------------------------------------------------------------------------------

SHOPS = (
    Shop(
        "tb-main",
        Platform.TAOBAO,
        app_key="12345678",
        redirect_uri="https://shop.example.com/shelf/callback",
        seller_id="2200000001",
        seller_nick="小林的服装店",
        token_expires_at=at(NOW + 200 * DAY),
        accent="#ff6a00",
        last_sync_at=at(NOW - 12 * 60),
        created_at=at(NOW - 90 * DAY),
    ),
    Shop(
        "ml-mx",
        Platform.MERCADOLIBRE,
        site="MLM",
        app_key="4410012345678901",
        seller_id="1500000001",
        seller_nick="MODA_LIN_MX",
        scopes="offline_access,read,write",
        token_expires_at=at(NOW + 5 * HOUR),
        accent="#ffe600",
        last_sync_at=at(NOW - 12 * 60),
        created_at=at(NOW - 60 * DAY),
    ),
    Shop(
        "temu-us",
        Platform.TEMU,
        region="us",
        app_key="f48af02cdacadd9c939055cdae4e2d5a",
        seller_id="634418210001",
        seller_nick="Lin Home US",
        token_expires_at=at(NOW + 2 * DAY + 4 * HOUR),
        last_sync_at=at(NOW - 3 * HOUR),
        created_at=at(NOW - 30 * DAY),
    ),
)

TITLES = {
    "tb-main": (
        "夏季新款碎花连衣裙 雪纺 M码",
        "蓝牙耳机 无线降噪 长续航",
        "纯棉短袖T恤 男女同款 白色",
        "复古帆布包 大容量 通勤",
        "儿童防晒衣 轻薄透气",
        "真丝睡衣套装 女 夏季",
        "手机壳 iPhone 16 透明防摔",
        "不锈钢保温杯 500ml",
        "北欧风台灯 卧室床头",
        "运动跑鞋 男 减震 42码",
        "羊毛围巾 秋冬 格子",
        "双12预售 羽绒服 加厚",
    ),
    "ml-mx": (
        "Vestido de verano floral talla M",
        "Audífonos Bluetooth inalámbricos",
        "Funda para iPhone 16 transparente",
        "Tenis para correr hombre 27 cm",
        "Lámpara de escritorio LED",
        "Bolsa de mano de piel sintética",
        "Termo de acero inoxidable 1 L",
        "Playera de algodón unisex",
        "Mochila escolar impermeable",
        "Sandalias de playa mujer",
        "Reloj deportivo resistente al agua",
        "Cable USB-C trenzado 2 m",
    ),
    "temu-us": (
        "USB-C Cable 6ft Braided Fast Charge",
        "LED Desk Lamp Dimmable 3 Modes",
        "Silicone Kitchen Utensil Set 12 pcs",
        "Wireless Earbuds with Charging Case",
        "Phone Stand Adjustable Aluminum",
        "Reusable Shopping Bags 5 Pack",
        "Stainless Steel Water Bottle 32oz",
        "Bamboo Drawer Organizer",
        "Car Phone Mount Magnetic",
        "Yoga Mat Non Slip 6mm",
        "Mini Portable Fan USB",
        "Cotton Throw Blanket 50x60",
    ),
}
PREFIX = {"tb-main": "68", "ml-mx": "MLM19", "temu-us": "60150"}
CURRENCY = {"tb-main": "CNY", "ml-mx": "MXN", "temu-us": "USD"}
RAW = {
    "tb-main": {
        (Status.ACTIVE, Reason.NONE): ("onsale", ""),
        (Status.INACTIVE, Reason.SELLER): ("instock", "off_shelf"),
        (Status.INACTIVE, Reason.SOLD_OUT): ("instock", "sold_out"),
        (Status.INACTIVE, Reason.VIOLATION): ("instock", "violation_off_shelf"),
        (Status.DRAFT, Reason.NONE): ("instock", "never_on_shelf"),
        (Status.REVIEW, Reason.NONE): ("instock", "under_review"),
        (Status.INACTIVE, Reason.PLATFORM): ("instock", "violation_off_shelf"),
    },
    "ml-mx": {
        (Status.ACTIVE, Reason.NONE): ("active", ""),
        (Status.INACTIVE, Reason.SELLER): ("paused", ""),
        (Status.INACTIVE, Reason.SOLD_OUT): ("paused", "out_of_stock"),
        (Status.INACTIVE, Reason.VIOLATION): ("paused", "moderation_penalty"),
        (Status.INACTIVE, Reason.PLATFORM): ("paused", "held"),
        (Status.REVIEW, Reason.NONE): ("under_review", ""),
        (Status.DRAFT, Reason.NONE): ("paused", ""),
    },
    "temu-us": {
        (Status.ACTIVE, Reason.NONE): ("2", "2001"),
        (Status.INACTIVE, Reason.SELLER): ("3", "3001"),
        (Status.INACTIVE, Reason.SOLD_OUT): ("3", "3003"),
        (Status.INACTIVE, Reason.VIOLATION): ("4", "4001"),
        (Status.INACTIVE, Reason.PLATFORM): ("4", "4002"),
        (Status.REVIEW, Reason.NONE): ("1", "1001"),
        (Status.DRAFT, Reason.NONE): ("1", "1002"),
    },
}
#: (status, reason, stock, price, deadline in hours or None, locked) by row of each shop.
ROWS = (
    (Status.ACTIVE, Reason.NONE, 24, 129.0, None, False),
    (Status.ACTIVE, Reason.NONE, 0, 299.0, None, False),
    (Status.ACTIVE, Reason.NONE, 8, 59.9, None, True),
    (Status.INACTIVE, Reason.VIOLATION, 12, 89.0, 20, False),
    (Status.ACTIVE, Reason.NONE, 0, 39.9, None, False),
    (Status.INACTIVE, Reason.SOLD_OUT, 0, 459.0, None, False),
    (Status.ACTIVE, Reason.NONE, 150, 19.9, None, False),
    (Status.INACTIVE, Reason.SELLER, 30, 79.0, None, False),
    (Status.INACTIVE, Reason.PLATFORM, 5, 149.0, 70, False),
    (Status.REVIEW, Reason.NONE, 16, 399.0, None, False),
    (Status.ACTIVE, Reason.NONE, 3, 169.0, None, False),
    (Status.DRAFT, Reason.NONE, 40, 699.0, None, False),
)


def item_id(shop: str, n: int) -> str:
    return f"{PREFIX[shop]}{40_213 + 7 * n}"


def catalog() -> list[Item]:
    items = []
    for s, shop in enumerate(("tb-main", "ml-mx", "temu-us")):
        for n, (status, reason, stock, price, due, locked) in enumerate(ROWS):
            raw, sub = RAW[shop][(status, reason)]
            rate = {"tb-main": 1.0, "ml-mx": 2.5, "temu-us": 0.15}[shop]
            items.append(
                Item(
                    shop=shop,
                    item_id=item_id(shop, n),
                    title=TITLES[shop][n],
                    status=status,
                    reason=reason,
                    stock=stock,
                    price=round(price * rate, 2),
                    currency=CURRENCY[shop],
                    outer_id=f"LIN-{s}{n:02d}",
                    raw_status=raw,
                    raw_sub_status=sub,
                    skus=(
                        (
                            Sku(
                                f"{n}01", "颜色:白色;尺码:M", stock // 2, price, f"LIN-{s}{n:02d}-M"
                            ),
                            Sku(f"{n}02", "颜色:白色;尺码:L", stock - stock // 2, price),
                        )
                        if n in (0, 3)
                        else ()
                    ),
                    deadline=at(NOW + due * HOUR + 17 * 60 * (s + 1)) if due else None,
                    locked_until=at(NOW + 6 * DAY) if locked else None,
                    lock_message="双11大促 活动期间禁止下架" if locked else "",
                    modified=at(NOW - HOUR * (3 * n + 1) - 11 * 60 * s),
                    listed_at=at(NOW - 40 * DAY - n * DAY),
                    synced_at=at(NOW - 12 * 60),
                )
            )
    return items


def timeline() -> list[Event]:
    """The violation delist of tb-main's item 3: a sync, the platform's delist, the seller's
    own relist attempt the platform refused."""
    shop, item = "tb-main", item_id("tb-main", 3)
    return [
        Event(
            shop=shop,
            item_id=item,
            actor="platform",
            action="sync",
            at=NOW - 3 * DAY,
            outcome="ok",
        ),
        Event(
            shop=shop,
            item_id=item,
            actor="lin@shop-pc",
            action="delist",
            reason="IP complaint (TRO)",
            job_id=1,
            outcome="ok",
            request_id="0bb1f2e3a9",
            at=NOW - 2 * DAY,
            snapshot={"title": TITLES[shop][3], "status": "active", "stock": 12, "price": 89.0},
        ),
        Event(
            shop=shop,
            item_id=item,
            actor="platform",
            action="platform_delist",
            reason="违规下架: 图片涉嫌侵权",
            outcome="",
            at=NOW - 30 * HOUR,
        ),
        Event(
            shop=shop,
            item_id=item,
            actor="lin@shop-pc",
            action="list",
            reason="appeal accepted",
            job_id=3,
            outcome="failed",
            code="isv.item-violation-forbid-list",
            message="商品因违规被下架, 整改完成前不能上架",
            request_id="0bb1f2e4c1",
            at=NOW - 2 * HOUR,
        ),
    ]


#: (days ago, actor, action, count): a month of changes for the report's chart.
ACTIVITY = (
    (0, "lin@shop-pc", "delist", 3),
    (0, "rule:zero-stock", "delist", 2),
    (1, "lin@shop-pc", "list", 4),
    (1, "platform", "platform_delist", 1),
    (2, "rule:zero-stock", "list", 2),
    (3, "platform", "sold_out", 3),
    (5, "lin@shop-pc", "delist", 6),
    (6, "rule:nightly", "delist", 5),
    (6, "rule:nightly", "list", 5),
    (9, "lin@shop-pc", "list", 2),
    (12, "platform", "platform_delist", 2),
    (14, "rule:zero-stock", "delist", 4),
    (18, "lin@shop-pc", "delist", 1),
    (21, "platform", "relisted", 2),
    (26, "lin@shop-pc", "list", 3),
)


def activity() -> list[Event]:
    events = []
    for ago, actor, action, count in ACTIVITY:
        for n in range(count):
            events.append(
                Event(
                    shop=("ml-mx", "temu-us", "tb-main")[n % 3],
                    item_id=f"hist-{ago}-{n}",
                    actor=actor,
                    action=action,
                    outcome="ok" if actor != "platform" else "",
                    reason="history",
                    at=NOW - ago * DAY - HOUR * (n + 1),
                )
            )
    return events


def jobs(store: Store) -> None:
    """Three finished jobs, the newest a delist with one failure in the platform's words."""
    actor = "lin@shop-pc"

    def job(shop: str, action: Action, ids: list[str], reason: str, start: int) -> int:
        request = BulkRequest(shop, action, tuple(ids), reason, actor, "user")
        made = store.jobs.create(request, now=start).id
        store.jobs.set_state(made, JobState.RUNNING, now=start)
        return made

    old = job("ml-mx", Action.LIST, [item_id("ml-mx", n) for n in (5, 7)], "restocked", NOW - DAY)
    for n in (5, 7):
        store.jobs.finish_item(old, item_id("ml-mx", n), Outcome.ok(), now=NOW - DAY + 5)
    store.jobs.set_state(old, JobState.DONE, now=NOW - DAY + 9)

    ids = [item_id("temu-us", n) for n in (1, 4, 6)]
    cancelled = job("temu-us", Action.DELIST, ids, "seasonal", NOW - 5 * HOUR)
    store.jobs.finish_item(cancelled, ids[0], Outcome.ok(), now=NOW - 5 * HOUR + 2)
    for left in ids[1:]:
        store.jobs.finish_item(
            cancelled, left, Outcome.skipped("cancelled before sending"), now=NOW - 5 * HOUR + 3
        )
    store.jobs.set_state(cancelled, JobState.CANCELLED, now=NOW - 5 * HOUR + 4)

    ids = [item_id("tb-main", n) for n in (0, 1, 2, 4, 6)]
    done = job("tb-main", Action.DELIST, ids, "out of stock", NOW - 40 * 60)
    answers = {
        ids[0]: Outcome.ok(request_id="0bb1f2e5d0"),
        ids[1]: Outcome.ok(request_id="0bb1f2e5d1"),
        ids[2]: Outcome(
            OutcomeKind.FAILED,
            "活动期间禁止下架 (双11大促)",
            "isv.item-delist-locked",
            "0bb1f2e5d2",
        ),
        ids[3]: Outcome.already(),
        ids[4]: Outcome.ok(request_id="0bb1f2e5d4"),
    }
    for n, (key, outcome) in enumerate(answers.items()):
        store.jobs.finish_item(done, key, outcome, now=NOW - 40 * 60 + 2 + n)
    store.jobs.set_state(done, JobState.DONE, now=NOW - 40 * 60 + 9)


RULES_TOML = """\
# shelf's rules: planned from the store as last synced; nothing is sent before you apply.
[[rule]]
name = "zero-stock"
kind = "stock"
shops = ["tb-main", "ml-mx", "temu-us"]
action = "delist"
at_or_below = 0
relist_above = 2
reason = "out of stock"
enabled = true
cap = 50

[[rule]]
name = "nightly"
kind = "schedule"
shops = ["tb-main"]
filter = "连衣裙"
action = "delist"
daily = "23:00"
timezone = "Asia/Shanghai"
reason = "no overnight delivery"
enabled = false

[[rule]]
name = "price-typo"
kind = "price"
shops = "*"
action = "delist"
band = "<1"
reason = "price below 1: probably a typo"
cap = 5

[[rule]]
name = "double-12"
kind = "campaign"
shops = ["tb-main"]
items = ["{campaign}"]
action = "list"
start = "2026-12-12 00:00"
end = "2026-12-13 00:00"
timezone = "Asia/Shanghai"
include_seller_delisted = true
reason = "双12 campaign"
"""


@dataclass
class World:
    """The home, store and keyring every picture opens."""

    paths: Paths
    store: Store
    tokens: TokenStore


@contextlib.contextmanager
def world() -> Iterator[World]:
    """A throwaway home under a throwaway $HOME (so screens show `~/shelf/...`), built here,
    removed after."""
    with tempfile.TemporaryDirectory(prefix="shelf-screenshots-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        saved = {k: os.environ.get(k) for k in ENV_KEYS}
        for key in ENV_KEYS:
            os.environ.pop(key, None)
        os.environ["HOME"] = str(home)
        os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
        os.environ["XDG_DATA_HOME"] = str(home / ".local/share")
        os.environ["XDG_STATE_HOME"] = str(home / ".local/state")
        os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
        previous = keyring.get_keyring()
        keyring.set_keyring(MemoryKeyring())
        root = home / "shelf"
        paths = Paths(root / "config", root / "data", root / "logs", home=root).ensure()
        store = Store.open(paths.db_file)
        try:
            tokens = TokenStore()
            for shop in SHOPS:
                store.shops.add(shop)
                tokens.set(shop.name, "app_secret", "app-secret-never-shown")
                tokens.set(shop.name, "access_token", "token-never-shown")
            store.items.upsert(catalog())
            store.events.append_many(timeline())
            store.events.append_many(activity())
            jobs(store)
            paths.rules_file.write_text(
                RULES_TOML.format(campaign=item_id("tb-main", 7)), encoding="utf-8"
            )
            earlier = NOW_DT - timedelta(hours=2)
            book = RuleBook(paths.rules_file, store, clock=lambda: earlier)
            book.commit(book.preview(), applied={"zero-stock"})
            yield World(paths, store, tokens)
        finally:
            store.close()
            keyring.set_keyring(previous)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


#: Environment that would change a picture: cleared while the pictures are taken.
ENV_KEYS = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "SHELF_HOME",
    "NO_COLOR",
    "FORCE_COLOR",
    "COLORTERM",
    "TEXTUAL_ANIMATIONS",
    "TEXTUAL_THEME",
    "PYTHON_KEYRING_BACKEND",
)


# -- driving the console ---------------------------------------------------------------------


async def settle(pilot: Pilot[Any]) -> None:
    """Until every read the screens asked for is applied, no worker that reads or writes
    runs, and the screen is redrawn (a flow that waits on a dialog is not waited for)."""
    app = pilot.app
    assert isinstance(app, ShelfApp)

    def busy() -> list[Any]:
        return [w for w in app.workers if w.is_running and w.group not in WAITS_ON_SELLER]

    async def finish(worker: Any) -> None:
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await worker.wait()

    for _ in range(50):
        await asyncio.wait_for(app.wait_idle(), 30)
        await asyncio.wait_for(asyncio.gather(*(finish(w) for w in busy())), 30)
        await pilot.pause()
        loader = app.session.loader
        if not busy() and (loader is None or loader.idle):
            await pilot.pause()
            if not busy() and (loader is None or loader.idle):
                for field in app.screen.query(Input):
                    field.cursor_blink = False  # a blink would make the picture timing's
                await pilot.pause()
                return
    raise RuntimeError("the console never settled")


async def steady(pilot: Pilot[Any]) -> None:
    """Until two pictures in a row are the same (a table sizes its columns when idle)."""
    app = pilot.app
    last = ""
    for _ in range(100):
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)
        picture = app.export_screenshot()
        if picture == last:
            return
        last = picture
    raise RuntimeError("the screen never stopped changing")


async def keys(pilot: Pilot[Any], *presses: str) -> None:
    for key in presses:
        await pilot.press(key)
        await settle(pilot)


async def filtered(pilot: Pilot[Any], text: str) -> None:
    """`/`, the filter, enter."""
    await pilot.press("slash")
    await pilot.pause()
    pilot.app.screen.query_one("#filter", FilterBar).input.value = text
    await pilot.press("enter")
    await settle(pilot)


async def open_dialog(pilot: Pilot[Any], key: str) -> None:
    """L or D, then until the confirm dialog is up."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    app.jobs.dialog_opened.clear()
    await pilot.press(key)
    await asyncio.wait_for(app.jobs.dialog_opened.wait(), 30)
    dialog = app.jobs.last_dialog
    assert dialog is not None
    await asyncio.wait_for(dialog.shown.wait(), 30)
    await settle(pilot)


async def browser(pilot: Pilot[Any], w: World) -> None:
    """The items of every shop, newest change first; a mark and the cursor."""
    await keys(pilot, "down", "down", "space", "down")


async def browser_marked(pilot: Pilot[Any], w: World) -> None:
    """A filter (on sale with no stock) and its items marked with `*`."""
    await filtered(pilot, "status:active stock:0")
    await keys(pilot, "asterisk", "down")


async def detail(pilot: Pilot[Any], w: World) -> None:
    """The item taken down for a violation: every field, the SKUs and its timeline."""
    await filtered(pilot, item_id("tb-main", 3))
    await keys(pilot, "enter")


async def alerts(pilot: Pilot[Any], w: World) -> None:
    await keys(pilot, "a")


async def confirm_delist(pilot: Pilot[Any], w: World) -> None:
    """D on six marked items over two shops, a reason typed: the plan before anything is
    sent (a promotion lock counted as blocked)."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    await asyncio.wait_for(app.jobs.started.wait(), 30)
    marked = tuple((shop, item_id(shop, n)) for shop in ("tb-main", "ml-mx") for n in (0, 2, 6))
    app.session.mark(MarkOp("set", marked))
    await settle(pilot)
    await open_dialog(pilot, "D")
    await pilot.press(*"IP complaint (TRO)")
    await settle(pilot)


async def jobs_pane(pilot: Pilot[Any], w: World) -> None:
    """J: the jobs, the newest selected: its counts and the failure in the platform's words."""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    await asyncio.wait_for(app.jobs.started.wait(), 30)
    await keys(pilot, "J")


async def shops(pilot: Pilot[Any], w: World) -> None:
    await keys(pilot, "ctrl+s")


async def sign_in(pilot: Pilot[Any], w: World) -> None:
    """A shop's sign-in: the address to open, its QR code beside it, the answer to paste.
    (A fixed OAuth `state` here; the console draws a random one each time.)"""
    app = pilot.app
    assert isinstance(app, ShelfApp)
    await settle(pilot)
    shop = w.store.shops.get("tb-main")
    app.push_screen(SignInScreen(app.accounts, shop, state="h3Kq9vXb2LmP", listen=False))
    await settle(pilot)


async def add_shop(pilot: Pilot[Any], w: World) -> None:
    await keys(pilot, "ctrl+s", "a")
    await pilot.press(*"tm-flagship")
    await settle(pilot)


async def rules(pilot: Pilot[Any], w: World) -> None:
    await keys(pilot, "R")


async def rule_preview(pilot: Pilot[Any], w: World) -> None:
    """enter on zero-stock: what it would send, what it skips and why."""
    await keys(pilot, "R", "enter")


async def report(pilot: Pilot[Any], w: World) -> None:
    await keys(pilot, "I")


async def help_screen(pilot: Pilot[Any], w: World) -> None:
    """`?` on the browser: its keys as mapped now, with the ids config.toml remaps."""
    await keys(pilot, "question_mark")


Shot = Callable[[Pilot[Any], World], Awaitable[None]]

#: (file name, terminal size, how to get there): the README shows them in this order.
SHOTS: tuple[tuple[str, tuple[int, int], Shot], ...] = (
    ("browser.svg", (100, 30), browser),
    ("browser-80x24.svg", (80, 24), browser),
    ("browser-marked.svg", (100, 30), browser_marked),
    ("detail.svg", (100, 30), detail),
    ("alerts.svg", (100, 30), alerts),
    ("confirm-delist.svg", (100, 30), confirm_delist),
    ("confirm-delist-80x24.svg", (80, 24), confirm_delist),
    ("jobs.svg", (100, 30), jobs_pane),
    ("shops.svg", (100, 30), shops),
    ("sign-in.svg", (100, 30), sign_in),
    ("add-shop.svg", (100, 30), add_shop),
    ("rules.svg", (100, 30), rules),
    ("rule-preview.svg", (100, 30), rule_preview),
    ("report.svg", (100, 30), report),
    ("help.svg", (100, 30), help_screen),
)


async def take(out: Path, name: str, size: tuple[int, int], shot: Shot) -> None:
    with world() as w:
        app = make_app(w.store, config=Config(), clock=clock, sync_on_open=False, paths=w.paths)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await shot(pilot, w)
            await settle(pilot)
            app.clear_notifications()  # toasts time out: never part of a picture
            await steady(pilot)
            app.save_screenshot(name, path=str(out))


def generate(out: Path, only: list[str] | None = None) -> list[Path]:
    """Write the SVGs into `out`; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, shot in SHOTS:
        if only and name not in only:
            continue
        asyncio.run(take(out, name, size, shot))
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (screenshots/)")
    parser.add_argument("only", nargs="*", help="file names to write (all by default)")
    args = parser.parse_args(argv)
    for path in generate(args.out, args.only or None):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

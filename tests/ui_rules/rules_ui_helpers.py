"""Fixed data for the rules and report screen tests: a home with rules.toml, a store whose
items make every rule kind plan something (sends, skips of each kind, a cap refusal), events
spread over 30 days for the chart, a fixed clock, and pilot helpers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.worker import WorkerCancelled, WorkerFailed

from shelf_tui.domain import Action, Item, Outcome, Platform, Reason, Shop, Status
from shelf_tui.marketplaces.base import Capabilities, Marketplace, SellerInfo
from shelf_tui.paths import Paths
from shelf_tui.store import Event, Store

FIXTURES = Path(__file__).parent / "fixtures"
#: The console's "now": 2026-11-24 08:00 UTC (16:00 in Shanghai).
NOW = 1_795_507_200
NOW_DT = datetime.fromtimestamp(NOW, UTC)
SHOPS = (
    Shop("tb-main", Platform.TAOBAO),
    Shop("ml-mx", Platform.MERCADOLIBRE, site="MLM"),
    Shop("temu-us", Platform.TEMU, region="US"),
)


def clock() -> datetime:
    return NOW_DT


def ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def item(shop: str, n: int, **fields: Any) -> Item:
    values: dict[str, Any] = {
        "status": Status.ACTIVE,
        "stock": 10,
        "price": 20.0,
        "modified": ts(NOW - 3600 * (n + 1)),
    }
    values.update(fields)
    prefix = {"tb-main": "tb", "ml-mx": "ml", "temu-us": "temu"}[shop]
    title = values.pop("title", f"item {n} of {shop}")
    return Item(shop=shop, item_id=f"{prefix}-{n}", title=title, **values)


def catalog() -> list[Item]:
    """What each rule of fixtures/rules.toml finds (see the comments)."""
    sold_out = {"status": Status.INACTIVE, "reason": Reason.SOLD_OUT}
    items = [
        # zero-stock delists tb-0..3 and ml-0; tb-4 is under a promotion lock
        *(item("tb-main", n, stock=0, title=f"连衣裙 red dress {n}") for n in range(4)),
        item("tb-main", 4, stock=0, locked_until=ts(NOW + 86400), lock_message="在促销活动中"),
        # zero-stock relists tb-5 (sold out, restocked); tb-6 was delisted by hand and tb-7
        # is a violation delist: both skipped; tb-8 has too little stock to be looked at
        item("tb-main", 5, **sold_out, title="[bold red]markup[/] is data"),
        item("tb-main", 6, **sold_out),
        item("tb-main", 7, status=Status.INACTIVE, reason=Reason.VIOLATION),
        item("tb-main", 8, **sold_out, stock=1),
        *(item("tb-main", n) for n in range(9, 30)),
        # the campaign's two items (not due before 2026-12-12)
        *(
            item("tb-main", n, status=Status.INACTIVE, reason=Reason.SELLER, stock=5)
            for n in (30, 31)
        ),
        # price-typo: 3 in tb-main over its cap of 2 -> the whole rule is refused
        *(item("tb-main", n, price=0.5) for n in (32, 33, 34)),
        item("ml-mx", 0, stock=0, currency="MXN"),
        *(item("ml-mx", n, currency="MXN") for n in range(1, 10)),
        item("ml-mx", 10, price=0.5, currency="MXN"),
        *(item("temu-us", n, stock=5, currency="USD") for n in range(10)),
    ]
    return items


def timeline() -> list[Event]:
    """The events that make tb-6 the seller's and tb-7 once this rule's."""
    return [
        Event(
            shop="tb-main",
            item_id="tb-6",
            actor="lin@shop-box",
            action="delist",
            reason="keeping it off",
            outcome="ok",
            at=NOW - 5 * 86400,
        ),
        Event(
            shop="tb-main",
            item_id="tb-7",
            actor="rule:zero-stock",
            action="delist",
            reason="rule:zero-stock: out of stock",
            outcome="ok",
            at=NOW - 4 * 86400,
        ),
    ]


#: (days ago, actor, action, count): the chart's seeded activity. Unit 1 fits rows >= 5.
ACTIVITY = (
    (0, "lin@shop-box", "delist", 2),
    (0, "rule:zero-stock", "delist", 1),
    (0, "platform", "platform_delist", 1),
    (1, "lin@shop-box", "list", 3),
    (1, "rule:zero-stock", "list", 1),
    (3, "platform", "sold_out", 2),
    (7, "rule:nightly", "delist", 4),
    (7, "rule:nightly", "list", 4),
    (12, "lin@shop-box", "list", 1),
    (29, "platform", "relisted", 2),
    (30, "lin@shop-box", "delist", 9),  # 30 days ago: outside the chart
)


def activity() -> list[Event]:
    out = []
    for ago, actor, action, count in ACTIVITY:
        for n in range(count):
            out.append(
                Event(
                    shop="ml-mx",
                    item_id=f"ml-{n}",
                    actor=actor,
                    action=action,
                    outcome="ok" if actor != "platform" else "",
                    reason="seeded",
                    at=NOW - ago * 86400 - 3600 * (n + 1),
                )
            )
    # a failed attempt changed nothing: never counted
    out.append(
        Event(
            shop="ml-mx",
            item_id="ml-1",
            actor="lin@shop-box",
            action="delist",
            outcome="failed",
            at=NOW - 3600,
        )
    )
    return out


def make_home(root: Path) -> Paths:
    paths = Paths(root / "config", root / "data", root / "logs", home=root).ensure()
    return paths


def write_rules(paths: Paths, name: str = "rules.toml") -> Path:
    shutil.copy(FIXTURES / name, paths.rules_file)
    return paths.rules_file


def open_store(paths: Paths, *, events: bool = True) -> Store:
    store = Store.open(paths.db_file)
    for shop in SHOPS:
        store.shops.add(shop)
    store.items.upsert(catalog())
    store.events.append_many(timeline())
    if events:
        store.events.append_many(activity())
    return store


#: Workers that wait on the seller (a dialog), not on data: settle never waits for them.
WAITS_ON_SELLER = frozenset({"apply", "jobs-flow"})


async def settle(pilot: Pilot[Any]) -> None:
    """Until every worker that reads or writes is done and the screen has been redrawn (no
    sleeps; a 30 s guard turns a hang into a failure)."""
    app = pilot.app

    def busy() -> list[Any]:
        return [w for w in app.workers if w.is_running and w.group not in WAITS_ON_SELLER]

    def working_towards_a_dialog() -> bool:
        """A flow that will stop at a dialog is still on its way there (planning)."""
        flows = [w for w in app.workers if w.is_running and w.group in WAITS_ON_SELLER]
        return bool(flows) and not isinstance(app.screen, ModalScreen)

    async def finish(worker: Any) -> None:
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await worker.wait()

    for _ in range(20):
        await asyncio.wait_for(asyncio.gather(*(finish(w) for w in busy())), 30)
        for _ in range(5000):
            if not working_towards_a_dialog():
                break
            await pilot.pause()
        await pilot.pause()
        if not busy() and not working_towards_a_dialog():
            await pilot.pause()
            if not busy() and not working_towards_a_dialog():
                return
    raise AssertionError("workers never settled")


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


class FakePlatform:
    """The platform behind the pilot apply tests: the items as the store had them when the
    test began, the calls made, and state changes applied at once."""

    def __init__(self, store: Store) -> None:
        self.items = {(i.shop, i.item_id): i for i in store.items.iter_all()}
        self.calls: list[tuple[str, str, str]] = []

    def connect(self, shop: str) -> contextlib.AbstractAsyncContextManager[Marketplace]:
        @contextlib.asynccontextmanager
        async def opened() -> AsyncIterator[Marketplace]:
            yield FakeShop(self, shop)

        return opened()


class FakeShop(Marketplace):
    platform: ClassVar[Platform] = Platform.TAOBAO
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, world: FakePlatform, shop: str) -> None:
        super().__init__(Shop(shop, Platform.TAOBAO))
        self.world = world
        self.name = shop

    def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        raise NotImplementedError

    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        return {
            i: self.world.items[(self.name, i)] for i in ids if (self.name, i) in self.world.items
        }

    async def preflight(self, item: Item, action: Action) -> str | None:
        return None

    async def set_status(self, item: Item, action: Action) -> Outcome:
        assert item.shop == self.name, "an item went through another shop's connector"
        self.world.calls.append((self.name, item.item_id, action.value))
        listed = action is Action.LIST
        new = dataclasses.replace(
            item,
            status=Status.ACTIVE if listed else Status.INACTIVE,
            reason=Reason.NONE if listed else Reason.SELLER,
        )
        self.world.items[(self.name, item.item_id)] = new
        return Outcome.ok(item=new, request_id=f"req-{len(self.world.calls)}")

    async def whoami(self) -> SellerInfo:
        return SellerInfo(seller_id="1")

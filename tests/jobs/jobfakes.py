"""A scripted marketplace and fake time for the job engine's unit tests.

`FakePlatform` is "the platform": the items as the platform has them, the successful state
changes per item (what "sent at most once" is about) and a script of answers per item.
`FakeMarket` is a Marketplace over it for one shop, so a test can check that no item is ever
sent through another shop's connector. `FakeTime` moves the engine's clocks only when it sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from shelf_tui.domain import Action, Item, Outcome, Platform, Reason, Status
from shelf_tui.jobs.timing import Timer
from shelf_tui.marketplaces.base import Capabilities, Marketplace, SellerInfo
from shelf_tui.marketplaces.errors import Transient

#: An answer for applied-then-timed-out: the change happens, the answer is lost.
APPLIED_TIMEOUT = "applied_timeout"
#: An answer that never comes (a call stuck behind a connector's long ban).
HANG = "hang"
OK = "ok"


@dataclass
class Call:
    shop: str
    op: str
    item_id: str
    at: float


class FakeTime:
    """Monotonic and wall clocks that move only when the engine sleeps (recorded)."""

    def __init__(self, wall: float = 1_750_000_000.0) -> None:
        self.mono = 1_000.0
        self.now = wall
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mono += seconds
        self.now += seconds
        await asyncio.sleep(0)

    @property
    def timer(self) -> Timer:
        return Timer(clock=self.clock, wall=self.wall, sleep=self.sleep)


class FakePlatform:
    """The platform side: items, scripted answers, a log of calls, change counts."""

    def __init__(self, items: Sequence[Item], time: FakeTime | None = None) -> None:
        self.items: dict[tuple[str, str], Item] = {i.key: i for i in items}
        self.time = time or FakeTime()
        self.script: dict[str, deque[Any]] = defaultdict(deque)
        self.read_faults: deque[BaseException] = deque()
        self.skip: dict[str, Any] = {}
        self.calls: list[Call] = []
        self.changes: Counter[str] = Counter()
        self.on_call: Callable[[Call], Any] | None = None
        self.connects: list[str] = []
        self.read_batch = 5

    def answer(self, item_id: str, *answers: Any) -> None:
        """Queue answers for an item's next set_status calls (then plain success)."""
        self.script[item_id].extend(answers)

    def sent(self, item_id: str) -> int:
        return sum(1 for c in self.calls if c.op == "set_status" and c.item_id == item_id)

    def status(self, shop: str, item_id: str) -> Status:
        return self.items[(shop, item_id)].status

    async def _log(self, shop: str, op: str, item_id: str) -> None:
        call = Call(shop, op, item_id, self.time.mono)
        self.calls.append(call)
        if self.on_call is not None:
            result = self.on_call(call)
            if asyncio.iscoroutine(result):
                await result
        await asyncio.sleep(0)

    def apply(self, shop: str, item_id: str, action: Action) -> Item:
        old = self.items[(shop, item_id)]
        reason = Reason.SELLER if action is Action.DELIST else Reason.NONE
        new = dataclasses.replace(old, status=action.target, reason=reason)
        self.items[(shop, item_id)] = new
        self.changes[item_id] += 1
        return new

    def connect(self, platform: Platform = Platform.TAOBAO) -> Callable[[str], Any]:
        @contextlib.asynccontextmanager
        async def connect(shop: str) -> AsyncIterator[Marketplace]:
            self.connects.append(shop)
            yield FakeMarket(self, shop, platform)

        return connect


class FakeMarket(Marketplace):
    platform: ClassVar[Platform] = Platform.TAOBAO
    capabilities: ClassVar[Capabilities] = Capabilities(read_batch=5)

    def __init__(self, p: FakePlatform, shop: str, platform: Platform) -> None:
        self.p = p
        self.shop_name = shop

    def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        raise NotImplementedError

    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        for i in ids:
            await self.p._log(self.shop_name, "get_items", i)
        if self.p.read_faults:
            raise self.p.read_faults.popleft()
        return {
            i: self.p.items[(self.shop_name, i)] for i in ids if (self.shop_name, i) in self.p.items
        }

    async def preflight(self, item: Item, action: Action) -> str | None:
        assert item.shop == self.shop_name, "an item was sent through another shop's connector"
        answer = self.p.skip.get(item.item_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def set_status(self, item: Item, action: Action) -> Outcome:
        assert item.shop == self.shop_name, "an item was sent through another shop's connector"
        await self.p._log(self.shop_name, "set_status", item.item_id)
        script = self.p.script.get(item.item_id)
        answer = script.popleft() if script else OK
        if isinstance(answer, BaseException):
            raise answer
        if answer == HANG:
            await asyncio.Event().wait()
        if answer == APPLIED_TIMEOUT:
            self.p.apply(self.shop_name, item.item_id, action)
            raise Transient("no answer in time", code="timeout")
        if isinstance(answer, Outcome):
            return answer
        current = self.p.items[(self.shop_name, item.item_id)]
        if current.status is action.target:
            return Outcome.already("already there")
        new = self.p.apply(self.shop_name, item.item_id, action)
        return Outcome.ok(item=new, request_id=f"req-{item.item_id}-{len(self.p.calls)}")

    async def whoami(self) -> SellerInfo:
        return SellerInfo(seller_id="1")


def make_items(shop: str, n: int, *, status: Status = Status.ACTIVE, start: int = 0) -> list[Item]:
    return [
        Item(
            shop=shop,
            item_id=str(100 + start + k),
            title=f"{shop} item {start + k}",
            status=status,
            reason=Reason.NONE if status is Status.ACTIVE else Reason.SELLER,
            stock=5,
            price=9.9,
            currency="CNY",
            raw_status="onsale" if status is Status.ACTIVE else "instock",
        )
        for k in range(n)
    ]

"""Helpers for connector, auth and sync tests: shops and credentials from a Sandbox, a
throttle that never really sleeps, and an httpx transport tap to rewrite traffic.

Imported by tests/auth and tests/sync too (their conftest adds this directory to sys.path).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shelf_tui.domain import Platform, Reason, Shop, Status
from shelf_tui.marketplaces import Credentials, Throttle, create
from shelf_tui.marketplaces.connector import Connector
from shelf_tui.sandbox import STATES, Sandbox

#: 2026-09-21 12:26:40 GMT+8, the sandbox tests' frozen instant.
FIXED_NOW = 1_790_000_000.0

#: design.md's status/reason table, keyed by the sandbox's state names (catalog.STATES).
EXPECTED: dict[str, dict[str, tuple[Status, Reason]]] = {
    "taobao": {
        "onsale": (Status.ACTIVE, Reason.NONE),
        "off_shelf": (Status.INACTIVE, Reason.SELLER),
        "regular_shelved": (Status.INACTIVE, Reason.SCHEDULED),
        "sold_out": (Status.INACTIVE, Reason.SOLD_OUT),
        "violation_off_shelf": (Status.INACTIVE, Reason.VIOLATION),
        "never_on_shelf": (Status.DRAFT, Reason.SELLER),
    },
    "mercadolibre": {
        "active": (Status.ACTIVE, Reason.NONE),
        "paused": (Status.INACTIVE, Reason.SELLER),
        "paused/out_of_stock": (Status.INACTIVE, Reason.SOLD_OUT),
        "paused/moderation_penalty": (Status.INACTIVE, Reason.VIOLATION),
        "paused/forbidden": (Status.INACTIVE, Reason.VIOLATION),
        "paused/held": (Status.INACTIVE, Reason.VIOLATION),
        "paused/waiting_for_patch": (Status.INACTIVE, Reason.VIOLATION),
        "paused/suspended": (Status.INACTIVE, Reason.VIOLATION),
        "paused/freezed": (Status.INACTIVE, Reason.VIOLATION),
        "closed": (Status.CLOSED, Reason.SELLER),
        "under_review": (Status.REVIEW, Reason.PLATFORM),
    },
    "temu": {
        **{c: (Status.ACTIVE, Reason.NONE) for c in ("2001", "2002", "2005", "2006")},
        "3001": (Status.INACTIVE, Reason.VIOLATION),
        "3002": (Status.INACTIVE, Reason.SELLER),
        "3003": (Status.INACTIVE, Reason.SOLD_OUT),
        "3004": (Status.INACTIVE, Reason.PLATFORM),
        "4001": (Status.REVIEW, Reason.PLATFORM),
        "4002": (Status.REVIEW, Reason.PLATFORM),
        "4003": (Status.REVIEW, Reason.PLATFORM),
        "4004": (Status.REVIEW, Reason.SELLER),
        "5001": (Status.DRAFT, Reason.SELLER),
        "6001": (Status.DELETED, Reason.SELLER),
        "6002": (Status.DELETED, Reason.PLATFORM),
    },
}
assert all(set(EXPECTED[p]) == set(STATES[p]) for p in EXPECTED)


def platform_of(entry: dict[str, Any]) -> Platform:
    if entry["platform"] == "taobao":
        return Platform.TMALL if entry.get("tmall") else Platform.TAOBAO
    return Platform(entry["platform"])


def shop_of(sb: Sandbox, name: str, **overrides: Any) -> Shop:
    """The Shop a seller would add for a sandbox shop (started sandbox: real URLs)."""
    entry = next(s for s in sb.info["shops"] if s["name"] == name)
    values: dict[str, Any] = {
        "name": name,
        "platform": platform_of(entry),
        "site": entry.get("site", ""),
        "region": entry.get("region", ""),
        "gateway": entry["gateway"],
        "oauth": entry.get("oauth") or "",
        "app_key": entry["app_key"],
        "seller_id": entry["seller_id"],
    }
    values.update(overrides)
    return Shop(**values)


def creds_of(sb: Sandbox, name: str, **overrides: Any) -> Credentials:
    entry = sb.credentials(name)
    values = {
        "app_secret": entry["app_secret"],
        "access_token": entry["access_token"],
        "refresh_token": entry.get("refresh_token", ""),
    }
    values.update(overrides)
    return Credentials(**values)


class FakeTime:
    """Virtual time for a throttle: `sleep` parks the caller until the virtual clock reaches
    its wake-up time, and a driver moves the clock from one wake-up to the next once every
    runnable task has had its turn. The sandbox clock (if any) moves along, so a ban the
    sandbox imposed is over after the "sleep". No test ever really sleeps."""

    def __init__(self, sb: Sandbox | None = None) -> None:
        self.sb = sb
        self.now = 1000.0
        self.slept: list[float] = []
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._driver: asyncio.Task[None] | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._seq += 1
        heapq.heappush(self._waiting, (self.now + seconds, self._seq, future))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive())
        await future

    async def _drive(self) -> None:
        while self._waiting:
            for _ in range(20):  # let every runnable task book its own sleep first
                await asyncio.sleep(0)
            target, _, future = heapq.heappop(self._waiting)
            if target > self.now:
                if self.sb is not None:
                    self.sb.advance(target - self.now)
                self.now = target
            if not future.done():
                future.set_result(None)


def fake_throttle(sb: Sandbox | None = None, rate: float | None = None) -> Throttle:
    fake = FakeTime(sb)
    throttle = Throttle(rate, clock=fake.clock, sleep=fake.sleep)
    throttle.fake = fake  # type: ignore[attr-defined]
    return throttle


def market(sb: Sandbox, name: str, **kw: Any) -> Connector:
    """A connector for a sandbox shop, on the sandbox's clock, never really sleeping."""
    shop = kw.pop("shop", None) or shop_of(sb, name)
    creds = kw.pop("creds", None) or creds_of(sb, name)
    kw.setdefault("throttle", fake_throttle(sb))
    kw.setdefault("clock", sb.clock.now)
    conn = create(shop, creds, **kw)
    assert isinstance(conn, Connector)
    conn.read_backoff = 0.0
    return conn


Before = Callable[[httpx.Request], Awaitable[httpx.Response | None]]
After = Callable[[httpx.Request, httpx.Response], Awaitable[httpx.Response]]


class Tap(httpx.AsyncBaseTransport):
    """Forwards to the network, letting a test answer a request itself (`before`) or rewrite
    the answer (`after`). Keeps every request seen in `requests`."""

    def __init__(self, before: Before | None = None, after: After | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.before = before
        self.after = after
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.before is not None:
            answer = await self.before(request)
            if answer is not None:
                return answer
        response = await self.inner.handle_async_request(request)
        if self.after is None:
            return response
        await response.aread()
        return await self.after(request, response)

    async def aclose(self) -> None:
        await self.inner.aclose()


def tapped(before: Before | None = None, after: After | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=Tap(before, after), timeout=10.0)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def form_of(request: httpx.Request) -> dict[str, str]:
    """The form parameters of a TOP request."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.content.decode()))

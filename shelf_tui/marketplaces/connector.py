"""What the three connectors share: the wire, the clock, retried reads, the read-back that
turns an unknown refusal into `already`, and the promotion-lock memory.

Reads (catalog pages, multigets) are idempotent, so a connector retries them itself a few
times (a RateLimited waits through the shop's throttle, a Transient backs off); state-changing
calls are never retried here: that is the job engine's decision, after a read-back.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import httpx

from shelf_tui.domain import Action, Item, Outcome, Shop
from shelf_tui.marketplaces.base import Marketplace
from shelf_tui.marketplaces.credentials import Credentials, Refresher
from shelf_tui.marketplaces.errors import MarketplaceError, RateLimited, Rejected, Transient
from shelf_tui.marketplaces.http import Wire
from shelf_tui.marketplaces.throttle import Throttle

T = TypeVar("T")

#: A read waits through a server-imposed ban up to this long; a longer one is raised (the
#: caller decides: sync reports it, the job engine pauses).
MAX_READ_WAIT = 120.0


class Connector(Marketplace):
    """Base of the TOP, Mercado Libre and Temu connectors."""

    #: Attempts for an idempotent read before its error is raised.
    read_attempts = 5
    #: First backoff after a Transient read failure (doubled each attempt, with jitter).
    read_backoff = 0.25
    #: Pages or multigets in flight at once during a sync.
    concurrency = 4

    def __init__(
        self,
        shop: Shop,
        credentials: Credentials,
        *,
        client: httpx.AsyncClient | None,
        throttle: Throttle,
        clock: Callable[[], float] | None = None,
        refresher: Refresher | None = None,
    ) -> None:
        super().__init__(shop)
        self.creds = credentials
        self.clock: Callable[[], float] = clock or time.time
        self.wire = Wire(shop.platform.value, client, throttle)
        self.refresher = refresher
        self._locks: dict[str, tuple[datetime | None, str]] = {}

    @property
    def throttle(self) -> Throttle:
        return self.wire.throttle

    def now(self) -> float:
        """The platform's "now" as this connector sees it (injectable for frozen-clock tests)."""
        return self.clock()

    def known_lock(self, item_id: str) -> tuple[datetime | None, str] | None:
        """A promotion lock learnt during this run (preflight or a refusal): (until, message)."""
        return self._locks.get(item_id)

    def _rate_limited(self, message: str, seconds: float, **kw: str) -> RateLimited:
        """Build the error and hold the whole shop's bucket for the time the server asked."""
        self.throttle.penalize(seconds)
        kw.setdefault("platform", self.wire.platform)
        return RateLimited(message, retry_after=seconds, **kw)

    async def _read(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run an idempotent read, retrying rate limits and transient failures."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await fn()
            except RateLimited as exc:
                if attempt >= self.read_attempts or exc.retry_after > MAX_READ_WAIT:
                    raise
                # The throttle was penalized: the next acquire waits the ban out.
            except Transient:
                if attempt >= self.read_attempts:
                    raise
                delay = self.read_backoff * (2 ** (attempt - 1))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))

    async def _read_back(
        self, item: Item, action: Action, code: str, message: str, request_id: str = ""
    ) -> Outcome:
        """An unknown business refusal: if the item is already where the action would take it,
        the outcome is `already` (design.md, "The marketplace contract"); otherwise `failed`."""
        try:
            current = (await self.get_items([item.item_id])).get(item.item_id)
        except MarketplaceError:
            current = None
        if current is not None and current.status is action.target:
            return Outcome.already(item=current)
        return Outcome.failed(code, message, request_id)

    @staticmethod
    def _failed(err: Rejected) -> Outcome:
        return Outcome.failed(err.code or "rejected", err.message, err.request_id)

    async def aclose(self) -> None:
        await self.wire.aclose()

    def __repr__(self) -> str:  # never the credentials
        return f"<{type(self).__name__} shop={self.shop.name!r}>"


async def ordered(
    fetch: Callable[[int], Awaitable[T]], keys: Sequence[int], limit: int
) -> AsyncGenerator[T, None]:
    """fetch(k) for every key with at most `limit` in flight, yielded in key order.

    Pending fetches are cancelled when the consumer stops early (Ctrl-C, an error), so no
    request outlives the sync that asked for it.
    """
    pending: dict[int, asyncio.Task[T]] = {}
    nxt = 0
    try:
        for i, key in enumerate(keys):
            pending[i] = asyncio.ensure_future(fetch(key))
            if len(pending) >= limit:
                yield await pending.pop(nxt)
                nxt += 1
        while pending:
            yield await pending.pop(nxt)
            nxt += 1
    finally:
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)

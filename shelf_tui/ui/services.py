"""What the console needs from the core, as protocols, so the app can be driven by the real
connectors, by the sandbox, or by a fake in tests (`make_app(sync=...)`).

The console never calls a marketplace itself: it asks a `SyncService` to pull a shop's catalog
into the store, then re-reads the store. Each shop's sync runs on a worker thread with its own
event loop, so a connector that does blocking work (SQLite writes, keyring lookups) cannot
stall a keystroke.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from shelf_tui.auth import TokenStore
    from shelf_tui.store import Store

#: The console's clock. Injected so snapshots and tests see a fixed instant.
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one shop's sync did: how many items changed (new or different)."""

    shop: str
    changed: int = 0
    total: int | None = None


@runtime_checkable
class SyncService(Protocol):
    """Pulls catalogs into the store the console reads.

    `shops()` names the shops a full refresh covers (usually `store.shops.names()`).
    `sync_shop(name)` is a coroutine that brings that shop's items into the store and returns
    what changed; a failure raises an exception whose `str()` is one line for the seller
    (ShelfError subclasses already are). It runs on a worker thread's event loop.
    """

    def shops(self) -> Sequence[str]: ...

    async def sync_shop(self, shop: str) -> SyncResult: ...


class StoreSync:
    """The real SyncService: each shop through `auth.connect` and `sync.sync_shop`.

    `tokens` is the token store to read secrets from (None: the OS keyring, resolved per
    sync so a locked keyring is one line in the status bar, not a crash); `rates` are
    config.toml's per-shop request rates.
    """

    def __init__(
        self,
        store: Store,
        *,
        tokens: TokenStore | None = None,
        rates: Mapping[str, float] | None = None,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.rates = dict(rates or {})

    def shops(self) -> Sequence[str]:
        return self.store.shops.names()

    async def sync_shop(self, shop: str) -> SyncResult:
        from shelf_tui.auth import connect
        from shelf_tui.sync import sync_shop

        async with connect(self.store, shop, rates=self.rates, tokens=self.tokens) as market:
            result = await sync_shop(self.store, market)
        return SyncResult(shop, result.new + result.changed + result.deleted, result.seen)

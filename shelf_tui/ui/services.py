"""What the console needs from the core, as protocols, so the app can be driven by the real
connectors, by the sandbox, or by a fake in tests (`make_app(sync=...)`).

The console never calls a marketplace itself: it asks a `SyncService` to pull a shop's catalog
into the store, then re-reads the store. Each shop's sync runs on a worker thread with its own
event loop, so a connector that does blocking work (SQLite writes, keyring lookups) cannot
stall a keystroke.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

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

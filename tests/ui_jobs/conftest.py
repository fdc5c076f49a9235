"""Fixtures for the console's job tests: `shelf demo` as it runs (the in-process sandbox, three
shops signed in by OAuth with the in-memory keyring, synced), the app over it, and a small
fixed store for the snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jobs_ui_helpers import DEMO_ITEMS, fixed_store

from shelf_tui import paths as paths_mod
from shelf_tui.cli.console import DEMO_SHOPS, Demo, astart_demo
from shelf_tui.config import Config
from shelf_tui.marketplaces.throttle import reset_shared
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.services import StoreSync


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    """The demo's shop names repeat in every test: start each with empty request buckets."""
    reset_shared()
    yield
    reset_shared()


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """`shelf demo --items DEMO_ITEMS`, synced before the console opens."""
    d = await astart_demo(paths_mod.resolve(tmp_path / "home"), items=DEMO_ITEMS)
    try:
        sync = StoreSync(d.store, tokens=d.tokens)
        for shop in DEMO_SHOPS:
            await sync.sync_shop(shop)
        yield d
    finally:
        d.close()


@pytest.fixture
def demo_app(demo: Demo) -> Callable[..., ShelfApp]:
    """The console on the demo, as `shelf demo` builds it (the job engine from config, with
    the demo's token store); requests fast unless `rate` says otherwise."""

    def build(*, rate: float = 1000.0, **kwargs: Any) -> ShelfApp:
        config = kwargs.pop("config", None) or Config()
        rates = {shop: rate for shop in DEMO_SHOPS}
        config = Config(
            read_only=config.read_only,
            ui=config.ui,
            jobs=config.jobs,
            keymap=config.keymap,
            rates=rates,
        )
        kwargs.setdefault("sync_on_open", False)
        return make_app(
            demo.store, config=config, sync=StoreSync(demo.store, tokens=demo.tokens), **kwargs
        )

    return build


@pytest.fixture
def snap_store(tmp_path: Path) -> Iterator[Store]:
    s = fixed_store(tmp_path / "snap.db")
    yield s
    s.close()

"""Fixtures for help (`?`), the command palette and the keymap ids: the browser's populated
store (tests/ui), the demo on the in-process sandbox (tests/ui_jobs, for a real resume), a
store with jobs in every state (the job pane) and a home with rules.toml (tests/ui_rules)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
for _dir in ("ui", "ui_jobs", "ui_rules"):
    if str(HERE.parent / _dir) not in sys.path:
        sys.path.insert(0, str(HERE.parent / _dir))

from jobs_ui_helpers import DEMO_ITEMS, fixed_store  # noqa: E402
from rules_ui_helpers import make_home, open_store, write_rules  # noqa: E402
from ui_helpers import clock, populate  # noqa: E402

from shelf_tui import paths as paths_mod  # noqa: E402
from shelf_tui.cli.console import DEMO_SHOPS, Demo, astart_demo  # noqa: E402
from shelf_tui.config import Config  # noqa: E402
from shelf_tui.marketplaces.throttle import reset_shared  # noqa: E402
from shelf_tui.paths import Paths  # noqa: E402
from shelf_tui.store import Store  # noqa: E402
from shelf_tui.ui.app import ShelfApp, make_app  # noqa: E402
from shelf_tui.ui.services import StoreSync  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    reset_shared()
    yield
    reset_shared()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """60 deterministic items over three shops (tests/ui/ui_helpers.catalog)."""
    s = populate(tmp_path / "shelf.db")
    yield s
    s.close()


@pytest.fixture
def app_for(store: Store) -> Callable[..., ShelfApp]:
    """make_app over `store` at the fixed clock, no sync on open."""

    def build(**kwargs: Any) -> ShelfApp:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sync_on_open", False)
        return make_app(kwargs.pop("store", store), **kwargs)

    return build


@pytest.fixture
def jobs_store(tmp_path: Path) -> Iterator[Store]:
    """Three shops and four jobs: done with a failure, paused, interrupted, cancelled."""
    s = fixed_store(tmp_path / "jobs.db")
    yield s
    s.close()


@pytest.fixture
def rules_home() -> Paths:
    paths = make_home(Path.home() / "shelf")
    write_rules(paths)
    return paths


@pytest.fixture
def rules_app(rules_home: Paths) -> Iterator[Callable[..., ShelfApp]]:
    """The console over a home with rules.toml (so `R` opens a loaded rules screen)."""
    s = open_store(rules_home)

    def build(**kwargs: Any) -> ShelfApp:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sync_on_open", False)
        return make_app(s, paths=rules_home, **kwargs)

    yield build
    s.close()


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """`shelf demo`, synced before the console opens (as tests/ui_jobs does)."""
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
    """The console on the demo with fast request rates."""

    def build(**kwargs: Any) -> ShelfApp:
        config = Config(rates={shop: 1000.0 for shop in DEMO_SHOPS})
        kwargs.setdefault("sync_on_open", False)
        return make_app(
            demo.store, config=config, sync=StoreSync(demo.store, tokens=demo.tokens), **kwargs
        )

    return build

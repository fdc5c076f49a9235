"""Fixtures for the job engine tests: a real SQLite store with two shops, the fake platform
holding the same items, fake time, and an engine wired to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobfakes import FakePlatform, FakeTime, make_items

from shelf_tui.domain import Platform, Shop
from shelf_tui.jobs import JobEngine, Settings
from shelf_tui.store import Store

NOW = 1_750_000_000.0


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "shelf.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as s:
        s.shops.add(Shop("tb", Platform.TAOBAO))
        s.shops.add(Shop("ml", Platform.MERCADOLIBRE))
        yield s


@pytest.fixture
def ftime() -> FakeTime:
    return FakeTime(NOW)


@pytest.fixture
def platform(store: Store, ftime: FakeTime) -> FakePlatform:
    """20 active items in tb (ids 100-119), 10 in ml (ids 100-109: same ids, other shop)."""
    items = make_items("tb", 20) + make_items("ml", 10)
    store.items.upsert(items)
    return FakePlatform(items, ftime)


@pytest.fixture
def settings() -> Settings:
    return Settings(concurrency=3, max_attempts=4, backoff_base=0.5, backoff_max=8.0, read_batch=5)


@pytest.fixture
def engine(store: Store, platform: FakePlatform, ftime: FakeTime, settings: Settings) -> JobEngine:
    return JobEngine(
        store,
        settings=settings,
        connect=platform.connect(),
        actor="seller@box",
        timer=ftime.timer,
    )

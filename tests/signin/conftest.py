"""Fixtures for the sign-in tests: a sandbox on a frozen clock, a store, the console on it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from signkit import FIXED_NOW, fixed_clock

from shelf_tui.sandbox import Clock, Sandbox
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(items=12, seed=5, clock=Clock(start=FIXED_NOW)) as sandbox:
        yield sandbox


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "shelf.db") as st:
        yield st


@pytest.fixture
def console(store: Store, memory_keyring: Any) -> Callable[..., ShelfApp]:
    """The console over `store` at the sandbox's instant, the in-memory keyring as the OS
    keyring, no sync on open."""

    def build(**kwargs: Any) -> ShelfApp:
        kwargs.setdefault("clock", fixed_clock)
        kwargs.setdefault("sync_on_open", False)
        return make_app(store, **kwargs)

    return build

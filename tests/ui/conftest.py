"""Fixtures for the console tests: a populated store on disk and the app factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import clock, populate

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """60 deterministic items over three shops (ui_helpers.catalog)."""
    s = populate(tmp_path / "shelf.db")
    yield s
    s.close()


@pytest.fixture
def app_for(store: Store) -> Callable[..., ShelfApp]:
    """make_app over `store` at the fixed clock, no sync on open unless asked."""

    def build(**kwargs: Any) -> ShelfApp:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sync_on_open", False)
        return make_app(kwargs.pop("store", store), **kwargs)

    return build

"""Fixtures for the rules and report screen tests: a home with rules.toml, its store, and
the app at the fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rules_ui_helpers import clock, make_home, open_store, write_rules

from shelf_tui.paths import Paths
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app


@pytest.fixture
def home() -> Paths:
    """Under the test's HOME (root conftest: in tmp), so screens show `~/shelf/...`."""
    paths = make_home(Path.home() / "shelf")
    write_rules(paths)
    return paths


@pytest.fixture
def store(home: Paths) -> Iterator[Store]:
    s = open_store(home)
    yield s
    s.close()


@pytest.fixture
def app_for(store: Store, home: Paths) -> Callable[..., ShelfApp]:
    """make_app over `store` and `home` at the fixed clock; no sync on open."""

    def build(**kwargs: Any) -> ShelfApp:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sync_on_open", False)
        kwargs.setdefault("paths", home)
        return make_app(kwargs.pop("store", store), **kwargs)

    return build

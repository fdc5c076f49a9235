"""Fixtures for the rules tests (helpers live in rules_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rules_helpers import open_store

from shelf_tui.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite file with three shops: tb-main (Taobao), ml-mx (Mercado Libre), temu-us."""
    s = open_store(tmp_path / "shelf.db")
    yield s
    s.close()
